//! The case functions' settings, read once from the environment at start-up.

use varoskapu_http::ConfigError;
use varoskapu_http::config::{optional, required};

/// Issuer whose access tokens are accepted.
pub const ISSUER_VAR: &str = "VAROSKAPU_ISSUER";
/// Where the provider publishes its keys (default `<issuer>/oauth2/jwks`).
pub const JWKS_URI_VAR: &str = "VAROSKAPU_JWKS_URI";
/// The KMS key that signs documents (functions that issue documents only).
pub const SIGNING_KEY_VAR: &str = "VAROSKAPU_SIGNING_KEY_ID";
/// PEM chain of the signing certificate.
pub const SIGNING_CHAIN_VAR: &str = "VAROSKAPU_SIGNING_CHAIN";
/// RFC 3161 timestamp authority URL.
pub const TSA_URL_VAR: &str = "VAROSKAPU_TSA_URL";
/// The bucket of citizens' uploads.
pub const UPLOADS_BUCKET_VAR: &str = "VAROSKAPU_UPLOADS_BUCKET";

/// How documents are signed in production.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningConfig {
    pub key_id: String,
    pub chain_pem: String,
    pub tsa_url: String,
}

/// Settings of the case functions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CasesConfig {
    pub issuer: String,
    pub jwks_uri: String,
    pub uploads_bucket: String,
    /// `None` for functions that issue no documents.
    pub signing: Option<SigningConfig>,
}

impl CasesConfig {
    /// Reads the settings; `signs` says whether this function issues documents.
    pub fn from_env(signs: bool) -> Result<Self, ConfigError> {
        let issuer = required(ISSUER_VAR)?.trim_end_matches('/').to_owned();
        if !issuer.starts_with("https://") && !issuer.starts_with("http://") {
            return Err(ConfigError::Invalid {
                name: ISSUER_VAR,
                reason: "must be a URL".into(),
            });
        }
        let signing = if signs {
            Some(SigningConfig {
                key_id: required(SIGNING_KEY_VAR)?,
                chain_pem: required(SIGNING_CHAIN_VAR)?,
                tsa_url: required(TSA_URL_VAR)?,
            })
        } else {
            None
        };
        Ok(Self {
            jwks_uri: optional(JWKS_URI_VAR).unwrap_or_else(|| format!("{issuer}/oauth2/jwks")),
            uploads_bucket: required(UPLOADS_BUCKET_VAR)?,
            issuer,
            signing,
        })
    }
}
