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
        Self::from_lookup(optional)
    }

    /// Like [`from_env`](Self::from_env), through `lookup` (empty counts as unset).
    pub fn from_lookup(
        lookup: impl Fn(&'static str) -> Option<String>,
    ) -> Result<Self, &'static str> {
        let setting =
            |name: &'static str| lookup(name).filter(|v| !v.trim().is_empty()).ok_or(name);
        Ok(Self {
            key_id: setting(SIGNING_KEY_VAR)?,
            tsa_url: setting(TSA_URL_VAR)?,
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_is_off_naming_the_first_missing_setting_and_on_with_both() {
        let first_deploy = |name: &str| match name {
            SIGNING_KEY_VAR => Some("arn:aws:kms:eu-central-1:123456789012:key/k".to_owned()),
            TSA_URL_VAR => Some(String::new()),
            _ => None,
        };
        assert_eq!(SigningConfig::from_lookup(first_deploy), Err(TSA_URL_VAR));
        assert_eq!(SigningConfig::from_lookup(|_| None), Err(SIGNING_KEY_VAR));
        let ready = |name: &str| match name {
            SIGNING_KEY_VAR => Some("k".to_owned()),
            TSA_URL_VAR => Some("https://tsa.example".to_owned()),
            _ => None,
        };
        assert_eq!(
            SigningConfig::from_lookup(ready),
            Ok(SigningConfig {
                key_id: "k".into(),
                tsa_url: "https://tsa.example".into()
            })
        );
    }
}
