//! The case functions' settings, read once from the environment at start-up.

use varoskapu_http::config::required;
use varoskapu_http::{ConfigError, TokenSettings};

pub use varoskapu_http::config::{ISSUER_VAR, JWKS_URI_VAR};
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

/// Settings of the case functions; the token settings are the API-wide [`TokenSettings`].
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
        let TokenSettings { issuer, jwks_uri } = TokenSettings::from_env()?;
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
            jwks_uri,
            uploads_bucket: required(UPLOADS_BUCKET_VAR)?,
            issuer,
            signing,
        })
    }
}
