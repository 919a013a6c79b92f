//! Reading settings from the environment once, at start-up, with errors that name the
//! setting, so a misconfigured function stops at once instead of failing per request.

/// A missing or malformed setting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("setting {0} is required but not set")]
    Missing(&'static str),
    #[error("setting {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// The issuer whose access tokens every API accepts.
pub const ISSUER_VAR: &str = "VAROSKAPU_ISSUER";
/// Where the provider publishes its keys (default `<issuer>/oauth2/jwks`).
pub const JWKS_URI_VAR: &str = "VAROSKAPU_JWKS_URI";
/// Where people and partner systems reach this deployment (links in e-mails, payment
/// return addresses, the provider's pages).
pub const PUBLIC_URL_VAR: &str = "VAROSKAPU_PUBLIC_URL";

/// How every API validates access tokens: one issuer and where its keys are published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSettings {
    /// Without a trailing slash.
    pub issuer: String,
    pub jwks_uri: String,
}

impl TokenSettings {
    /// `VAROSKAPU_ISSUER` (required, a URL) and `VAROSKAPU_JWKS_URI` (optional).
    pub fn from_env() -> Result<Self, ConfigError> {
        let issuer = url(ISSUER_VAR, &required(ISSUER_VAR)?)?;
        let jwks_uri = match optional(JWKS_URI_VAR) {
            Some(uri) => url(JWKS_URI_VAR, &uri)?,
            None => format!("{issuer}/oauth2/jwks"),
        };
        Ok(Self { issuer, jwks_uri })
    }
}

/// The public URL of the deployment, read under one name by every function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicSettings {
    /// Without a trailing slash.
    pub public_url: String,
}

impl PublicSettings {
    /// `VAROSKAPU_PUBLIC_URL` (required, a URL).
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            public_url: url(PUBLIC_URL_VAR, &required(PUBLIC_URL_VAR)?)?,
        })
    }

    /// `VAROSKAPU_PUBLIC_URL`, or `default` when unset (the provider, whose pages live
    /// at its issuer unless told otherwise).
    pub fn from_env_or(default: &str) -> Result<Self, ConfigError> {
        let value = optional(PUBLIC_URL_VAR).unwrap_or_else(|| default.to_owned());
        Ok(Self {
            public_url: url(PUBLIC_URL_VAR, &value)?,
        })
    }
}

/// An `http(s)://` URL setting without its trailing slash.
fn url(name: &'static str, value: &str) -> Result<String, ConfigError> {
    let value = value.trim().trim_end_matches('/');
    if !value.starts_with("https://") && !value.starts_with("http://") {
        return Err(ConfigError::Invalid {
            name,
            reason: "must be an http:// or https:// URL".into(),
        });
    }
    Ok(value.to_owned())
}

/// A required environment variable.
pub fn required(name: &'static str) -> Result<String, ConfigError> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(ConfigError::Missing(name)),
    }
}

/// An optional environment variable; empty counts as unset.
pub fn optional(name: &'static str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// An optional variable parsed into `T`, with `default` when unset.
pub fn parsed<T>(name: &'static str, default: T) -> Result<T, ConfigError>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    match optional(name) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|e: T::Err| ConfigError::Invalid {
            name,
            reason: e.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_setting_is_named() {
        let err = required("VAROSKAPU_SURELY_NOT_SET").unwrap_err();
        assert_eq!(
            err.to_string(),
            "setting VAROSKAPU_SURELY_NOT_SET is required but not set"
        );
        assert_eq!(parsed("VAROSKAPU_SURELY_NOT_SET", 7u16), Ok(7));
    }

    #[test]
    fn url_settings_lose_their_trailing_slash_and_must_be_urls() {
        assert_eq!(
            url(ISSUER_VAR, "https://id.varos.hu/").as_deref(),
            Ok("https://id.varos.hu")
        );
        assert!(matches!(
            url(ISSUER_VAR, "id.varos.hu"),
            Err(ConfigError::Invalid {
                name: ISSUER_VAR,
                ..
            })
        ));
    }
}
