//! Settings of the provider, parsed once at start-up.

/// Lifetimes and names the provider works with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdpConfig {
    /// The issuer URL (`iss`), also the base of every endpoint URL.
    pub issuer: String,
    pub access_token_seconds: i64,
    pub id_token_seconds: i64,
    /// How long an authorization code may be redeemed.
    pub code_seconds: i64,
    /// Absolute lifetime of a refresh-token family.
    pub refresh_token_seconds: i64,
    /// Lifetime of the SSO session.
    pub session_seconds: i64,
    /// Lifetime of a login page (pending authorization request).
    pub login_seconds: i64,
    /// Secret mixed into pairwise subjects; must stay the same across restarts.
    pub pairwise_salt: String,
    /// The upstream national eID provider to broker logins to, if any.
    pub upstream: Option<crate::federation::UpstreamConfig>,
}

impl IdpConfig {
    /// Defaults: 5-minute access and ID tokens, 1-minute codes, 30-day refresh families,
    /// 8-hour sessions.
    pub fn new(issuer: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into().trim_end_matches('/').to_owned(),
            access_token_seconds: 300,
            id_token_seconds: 300,
            code_seconds: 60,
            refresh_token_seconds: 30 * 86_400,
            session_seconds: 8 * 3600,
            login_seconds: 15 * 60,
            pairwise_salt: crate::secrets::random_token(),
            upstream: None,
        }
    }

    /// Sets the pairwise salt (kept in the data folder or a secret store).
    pub fn with_pairwise_salt(mut self, salt: impl Into<String>) -> Self {
        self.pairwise_salt = salt.into();
        self
    }

    /// Brokers logins to an upstream provider.
    pub fn with_upstream(mut self, upstream: crate::federation::UpstreamConfig) -> Self {
        self.upstream = Some(upstream);
        self
    }

    /// Cookies carry `Secure` when the provider is served over HTTPS.
    pub fn secure_cookies(&self) -> bool {
        self.issuer.starts_with("https://")
    }

    /// The absolute URL of an endpoint path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }
}
