//! The case functions' settings, read once from the environment at start-up.

use varoskapu_http::config::{optional, required};
use varoskapu_http::{ConfigError, TokenSettings};

pub use varoskapu_http::config::{ISSUER_VAR, JWKS_URI_VAR};
/// The KMS key that signs documents (functions that issue documents only).
pub const SIGNING_KEY_VAR: &str = "VAROSKAPU_SIGNING_KEY_ID";
/// RFC 3161 timestamp authority URL.
pub const TSA_URL_VAR: &str = "VAROSKAPU_TSA_URL";
/// The bucket of citizens' uploads.
pub const UPLOADS_BUCKET_VAR: &str = "VAROSKAPU_UPLOADS_BUCKET";

/// How documents are signed in production (the certificate chain is found by the
/// composition, beside the key: it is not a setting but material installed later).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningConfig {
    pub key_id: String,
    pub tsa_url: String,
}

impl SigningConfig {
    /// `VAROSKAPU_SIGNING_KEY_ID` and `VAROSKAPU_TSA_URL`; `Err` names the first one unset,
    /// which turns signing off (a first deployment may not have a timestamp authority yet).
    pub fn from_env() -> Result<Self, &'static str> {
        let key_id = optional(SIGNING_KEY_VAR).ok_or(SIGNING_KEY_VAR)?;
        let tsa_url = optional(TSA_URL_VAR).ok_or(TSA_URL_VAR)?;
        Ok(Self { key_id, tsa_url })
    }
}

/// Settings of the case functions; the token settings are the API-wide [`TokenSettings`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CasesConfig {
    pub issuer: String,
    pub jwks_uri: String,
    pub uploads_bucket: String,
    /// `Err` with the setting that is missing when documents cannot be signed.
    pub signing: Result<SigningConfig, &'static str>,
}

impl CasesConfig {
    /// Reads the settings; signing is optional (see [`SigningConfig::from_env`]).
    pub fn from_env() -> Result<Self, ConfigError> {
        let TokenSettings { issuer, jwks_uri } = TokenSettings::from_env()?;
        Ok(Self {
            jwks_uri,
            uploads_bucket: required(UPLOADS_BUCKET_VAR)?,
            issuer,
            signing: SigningConfig::from_env(),
        })
    }
}
