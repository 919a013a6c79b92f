//! The portal's settings: which provider it signs people in with, as which client, and
//! where the portal itself is reached (its callback and the post-logout return are there).

use varoskapu_http::ConfigError;
use varoskapu_http::config::{ISSUER_VAR, optional, required};

/// The portal's OIDC client id.
pub const CLIENT_ID_VAR: &str = "VAROSKAPU_PORTAL_CLIENT_ID";
/// The portal's client secret (client_secret_basic at the token endpoint).
pub const CLIENT_SECRET_VAR: &str = "VAROSKAPU_PORTAL_CLIENT_SECRET";
/// Where browsers reach the portal (`https://ugyintezes.example.hu`); by default the issuer.
pub const PUBLIC_URL_VAR: &str = "VAROSKAPU_PORTAL_URL";

/// The path of the sign-in callback, under [`PortalConfig::public_url`].
pub const CALLBACK_PATH: &str = "/auth/callback";

/// Typed settings of the portal, parsed once at start-up.
#[derive(Clone, PartialEq, Eq)]
pub struct PortalConfig {
    /// The provider's issuer, without a trailing slash.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// The portal's own origin, without a trailing slash.
    pub public_url: String,
}

impl std::fmt::Debug for PortalConfig {
    // The client secret never reaches a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PortalConfig")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

impl PortalConfig {
    /// Settings given directly (the local server builds them).
    pub fn new(issuer: &str, client_id: &str, client_secret: &str, public_url: &str) -> Self {
        Self {
            issuer: issuer.trim_end_matches('/').to_owned(),
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            public_url: public_url.trim_end_matches('/').to_owned(),
        }
    }

    /// `VAROSKAPU_ISSUER`, `VAROSKAPU_PORTAL_CLIENT_ID`, `VAROSKAPU_PORTAL_CLIENT_SECRET` and
    /// the optional `VAROSKAPU_PORTAL_URL`; the error names the setting at fault.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_env_with_secret(required(CLIENT_SECRET_VAR)?)
    }

    /// Like [`from_env`](Self::from_env), with the client secret read elsewhere (on Lambda,
    /// from Secrets Manager: it is never in the function's configuration).
    pub fn from_env_with_secret(client_secret: String) -> Result<Self, ConfigError> {
        let issuer = required(ISSUER_VAR)?;
        let public_url = optional(PUBLIC_URL_VAR).unwrap_or_else(|| issuer.clone());
        if url::Url::parse(&public_url).is_err() {
            return Err(ConfigError::Invalid {
                name: PUBLIC_URL_VAR,
                reason: "not an absolute URL".into(),
            });
        }
        Ok(Self::new(
            &issuer,
            &required(CLIENT_ID_VAR)?,
            &client_secret,
            &public_url,
        ))
    }

    /// The redirect URI registered for the portal's client.
    pub fn callback_url(&self) -> String {
        format!("{}{CALLBACK_PATH}", self.public_url)
    }

    /// Where the provider sends the browser after signing out.
    pub fn post_logout_url(&self) -> String {
        format!("{}/", self.public_url)
    }

    /// Whether the portal is served over HTTPS (then cookies are `__Host-` and Secure).
    pub fn secure(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_is_not_in_the_debug_text_and_urls_follow_the_origin() {
        let config = PortalConfig::new(
            "https://id.example/",
            "portal",
            "s3cret",
            "https://p.example/",
        );
        assert!(!format!("{config:?}").contains("s3cret"));
        assert_eq!(config.callback_url(), "https://p.example/auth/callback");
        assert_eq!(config.post_logout_url(), "https://p.example/");
        assert!(config.secure());
    }
}
