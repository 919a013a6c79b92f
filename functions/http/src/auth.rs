//! Access-token validation for every function: the signature against the provider's JWKS,
//! then issuer, audience, expiry and not-before; scopes and roles are checked by the handler
//! through the [`Authenticated`] principal. Only ES256 is accepted, so `alg: none` and
//! HS256-with-the-public-key forgeries fail before any key is used.
//!
//! Validation is local (no call per request). Revocation therefore takes effect when the
//! short-lived access token expires; the provider's introspection endpoint is exact.

use crate::problem::{Problem, ProblemKind};
use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use varoskapu_core::Clock;
use varoskapu_jose::{AccessTokenClaims, ClaimsError, JwkSet, JwsError, Validation, verify_es256};

/// Why a request's access token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("an access token is required")]
    MissingToken,
    #[error("the access token is refused: {0}")]
    BadToken(#[from] JwsError),
    #[error("the access token is refused: {0}")]
    BadClaims(#[from] ClaimsError),
    #[error("the provider's keys are unavailable: {0}")]
    KeysUnavailable(String),
    #[error("the access token lacks the scope {0:?}")]
    MissingScope(String),
    #[error("this requires the role {0:?}")]
    MissingRole(String),
}

impl From<AuthError> for Problem {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::MissingToken | AuthError::BadToken(_) | AuthError::BadClaims(_) => {
                Problem::with_detail(ProblemKind::Unauthenticated, e.to_string())
            }
            AuthError::MissingScope(_) | AuthError::MissingRole(_) => {
                Problem::with_detail(ProblemKind::Forbidden, e.to_string())
            }
            AuthError::KeysUnavailable(_) => {
                tracing::error!(error = %e, "cannot validate access tokens");
                Problem::new(ProblemKind::Unavailable)
            }
        }
    }
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        let challenge = match &self {
            AuthError::MissingToken => Some(r#"Bearer realm="varoskapu""#),
            AuthError::BadToken(_) | AuthError::BadClaims(_) => {
                Some(r#"Bearer realm="varoskapu", error="invalid_token""#)
            }
            AuthError::MissingScope(_) => {
                Some(r#"Bearer realm="varoskapu", error="insufficient_scope""#)
            }
            _ => None,
        };
        let mut response = Problem::from(self).into_response();
        if let Some(challenge) = challenge {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        response
    }
}

/// The person or service a valid access token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The account id for people; the client id for services (`client_credentials`).
    pub subject: String,
    pub client_id: String,
    pub roles: Vec<String>,
    pub claims: AccessTokenClaims,
}

impl Principal {
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    pub fn has_scope(&self, scope: &str) -> bool {
        self.claims.has_scope(scope)
    }

    /// Refuses unless the principal has the role.
    pub fn require_role(&self, role: &str) -> Result<(), AuthError> {
        if self.has_role(role) {
            Ok(())
        } else {
            Err(AuthError::MissingRole(role.to_owned()))
        }
    }

    /// Refuses unless the token carries the scope.
    pub fn require_scope(&self, scope: &str) -> Result<(), AuthError> {
        if self.has_scope(scope) {
            Ok(())
        } else {
            Err(AuthError::MissingScope(scope.to_owned()))
        }
    }
}

/// Fetches the provider's current key set.
pub type JwksFetch =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<JwkSet, String>> + Send>> + Send + Sync>;

/// Validates access tokens against a cached JWKS, refetched when it is old or when a token
/// names a key it does not hold (after a rotation), at most once per `min_refetch`.
pub struct TokenValidator {
    validation: Validation,
    fetch: JwksFetch,
    clock: Arc<dyn Clock>,
    cache: RwLock<Option<(JwkSet, Instant)>>,
    max_age: Duration,
    min_refetch: Duration,
}

impl TokenValidator {
    pub fn new(issuer: &str, audience: &str, fetch: JwksFetch, clock: Arc<dyn Clock>) -> Self {
        Self {
            validation: Validation {
                issuer: issuer.trim_end_matches('/').to_owned(),
                audiences: vec![audience.to_owned()],
                leeway: 30,
            },
            fetch,
            clock,
            cache: RwLock::new(None),
            max_age: Duration::from_secs(300),
            min_refetch: Duration::from_secs(10),
        }
    }

    /// Keys from the provider's `jwks_uri` over HTTP.
    pub fn from_jwks_url(
        issuer: &str,
        audience: &str,
        jwks_uri: &str,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let http = reqwest::Client::new();
        let uri = jwks_uri.to_owned();
        let fetch: JwksFetch = Arc::new(move || {
            let http = http.clone();
            let uri = uri.clone();
            Box::pin(async move {
                let response = http
                    .get(&uri)
                    .timeout(Duration::from_secs(5))
                    .send()
                    .await
                    .map_err(|e| e.to_string())?
                    .error_for_status()
                    .map_err(|e| e.to_string())?;
                response.json::<JwkSet>().await.map_err(|e| e.to_string())
            })
        });
        Self::new(issuer, audience, fetch, clock)
    }

    /// A fixed key set (tests, or a provider in the same process).
    pub fn from_keys(issuer: &str, audience: &str, keys: JwkSet, clock: Arc<dyn Clock>) -> Self {
        let fetch: JwksFetch = Arc::new(move || {
            let keys = keys.clone();
            Box::pin(async move { Ok(keys) })
        });
        Self::new(issuer, audience, fetch, clock)
    }

    fn cached(&self) -> Option<(JwkSet, Instant)> {
        self.cache.read().ok().and_then(|c| c.clone())
    }

    async fn refetch(&self) -> Result<JwkSet, AuthError> {
        let keys = (self.fetch)().await.map_err(AuthError::KeysUnavailable)?;
        if let Ok(mut cache) = self.cache.write() {
            *cache = Some((keys.clone(), Instant::now()));
        }
        Ok(keys)
    }

    /// Validates a bearer token and returns its principal.
    pub async fn validate(&self, token: &str) -> Result<Principal, AuthError> {
        let (keys, fetched) = match self.cached() {
            Some((keys, at)) if at.elapsed() < self.max_age => (keys, at),
            _ => (self.refetch().await?, Instant::now()),
        };
        let claims = match verify_es256::<AccessTokenClaims>(token, &keys) {
            Err(JwsError::UnknownKey) if fetched.elapsed() >= self.min_refetch => {
                verify_es256(token, &self.refetch().await?)?.1
            }
            other => other?.1,
        };
        self.validation.check(&claims, self.clock.unix_seconds())?;
        Ok(Principal {
            subject: claims.sub.clone(),
            client_id: claims.client_id.clone(),
            roles: claims.roles.clone(),
            claims,
        })
    }
}

/// The authenticated principal of a request, for handlers whose state holds an
/// `Arc<TokenValidator>`.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Principal);

impl<S> FromRequestParts<S> for Authenticated
where
    Arc<TokenValidator>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(AuthError::MissingToken)?;
        let validator = Arc::<TokenValidator>::from_ref(state);
        let principal = validator.validate(token).await.inspect_err(|e| {
            tracing::info!(reason = %e, "access token refused");
        })?;
        Ok(Authenticated(principal))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::get;
    use serde_json::json;
    use tower::ServiceExt;
    use varoskapu_core::ManualClock;
    use varoskapu_jose::{Audience, PrivateKey, b64url, sign_es256};

    const ISSUER: &str = "https://idp.varoskapu.example";
    const AUDIENCE: &str = "varoskapu-api";
    const NOW: i64 = 1_800_000_000;

    fn key() -> PrivateKey {
        PrivateKey::from_scalar("k1", &[5u8; 32]).expect("valid scalar")
    }

    fn claims() -> AccessTokenClaims {
        AccessTokenClaims {
            iss: ISSUER.into(),
            sub: "0190c7e0-0000-7000-8000-000000000001".into(),
            aud: Audience::One(AUDIENCE.into()),
            exp: NOW + 300,
            iat: NOW,
            nbf: Some(NOW),
            jti: "j1".into(),
            client_id: "meals".into(),
            scope: "openid cases".into(),
            roles: vec!["clerk".into()],
            fam: None,
            auth_time: Some(NOW),
        }
    }

    fn validator() -> Arc<TokenValidator> {
        let clock = Arc::new(ManualClock::new(
            jiff::Timestamp::from_second(NOW).expect("ts"),
        ));
        let keys = JwkSet {
            keys: vec![key().public_jwk()],
        };
        Arc::new(TokenValidator::from_keys(ISSUER, AUDIENCE, keys, clock))
    }

    fn app() -> Router {
        async fn clerk_only(Authenticated(p): Authenticated) -> Result<String, AuthError> {
            p.require_role("clerk")?;
            p.require_scope("cases")?;
            Ok(p.subject)
        }
        async fn admin_only(Authenticated(p): Authenticated) -> Result<String, AuthError> {
            p.require_role("admin")?;
            Ok(p.subject)
        }
        Router::new()
            .route("/clerk", get(clerk_only))
            .route("/admin", get(admin_only))
            .with_state(validator())
    }

    async fn status(path: &str, token: Option<&str>) -> StatusCode {
        let mut request = Request::builder().uri(path);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        app()
            .oneshot(request.body(Body::empty()).expect("request"))
            .await
            .expect("response")
            .status()
    }

    #[tokio::test]
    async fn a_valid_token_yields_the_principal_and_its_roles() {
        let token = sign_es256(&key(), "at+jwt", &claims());
        let principal = validator().validate(&token).await.expect("valid");
        assert!(principal.has_role("clerk"));
        assert_eq!(status("/clerk", Some(&token)).await, StatusCode::OK);
    }

    #[tokio::test]
    async fn a_missing_token_or_role_is_refused() {
        let token = sign_es256(&key(), "at+jwt", &claims());
        assert_eq!(status("/clerk", None).await, StatusCode::UNAUTHORIZED);
        assert_eq!(status("/admin", Some(&token)).await, StatusCode::FORBIDDEN);
    }

    #[tokio::test]
    async fn a_token_with_alg_none_is_refused() {
        let header = b64url(br#"{"alg":"none","kid":"k1"}"#);
        let payload = b64url(&serde_json::to_vec(&claims()).expect("json"));
        let token = format!("{header}.{payload}.");
        assert_eq!(
            validator().validate(&token).await,
            Err(AuthError::BadToken(JwsError::AlgorithmNotAccepted(
                "none".into()
            )))
        );
        assert_eq!(
            status("/clerk", Some(&token)).await,
            StatusCode::UNAUTHORIZED
        );
    }

    #[tokio::test]
    async fn an_hs256_token_signed_with_the_public_key_is_refused() {
        use sha2::{Digest, Sha256};
        // HMAC-SHA256 keyed with the published JWK, as an algorithm-confusion attack would.
        let public = serde_json::to_vec(&key().public_jwk()).expect("json");
        let header = b64url(br#"{"alg":"HS256","kid":"k1","typ":"JWT"}"#);
        let payload = b64url(&serde_json::to_vec(&claims()).expect("json"));
        let input = format!("{header}.{payload}");
        let mut k = [0u8; 64];
        let digest = Sha256::digest(&public);
        k[..32].copy_from_slice(&digest);
        let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
        let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
        let inner = Sha256::new()
            .chain_update(&ipad)
            .chain_update(input.as_bytes())
            .finalize();
        let mac = Sha256::new()
            .chain_update(&opad)
            .chain_update(inner)
            .finalize();
        let token = format!("{input}.{}", b64url(&mac));
        assert_eq!(
            validator().validate(&token).await,
            Err(AuthError::BadToken(JwsError::AlgorithmNotAccepted(
                "HS256".into()
            )))
        );
    }

    #[tokio::test]
    async fn wrong_audience_wrong_issuer_and_expired_tokens_are_refused() {
        let mut wrong_aud = claims();
        wrong_aud.aud = Audience::One("another-api".into());
        let mut wrong_iss = claims();
        wrong_iss.iss = "https://evil.example".into();
        let mut expired = claims();
        expired.exp = NOW - 31;
        for (c, expected) in [
            (wrong_aud, ClaimsError::WrongAudience),
            (wrong_iss, ClaimsError::WrongIssuer),
            (expired, ClaimsError::Expired),
        ] {
            let token = sign_es256(&key(), "at+jwt", &c);
            assert_eq!(
                validator().validate(&token).await,
                Err(AuthError::BadClaims(expected))
            );
            assert_eq!(
                status("/clerk", Some(&token)).await,
                StatusCode::UNAUTHORIZED
            );
        }
    }

    #[tokio::test]
    async fn a_token_from_an_unknown_key_is_refused() {
        let other = PrivateKey::from_scalar("k9", &[6u8; 32]).expect("valid");
        let token = sign_es256(&other, "at+jwt", &json!(claims()));
        assert_eq!(
            validator().validate(&token).await,
            Err(AuthError::BadToken(JwsError::UnknownKey))
        );
    }
}
