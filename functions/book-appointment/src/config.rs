//! The function's settings, read once from the environment at start-up.

use jiff::SignedDuration;
use varoskapu_http::ConfigError;
use varoskapu_http::config::{optional, parsed, required};

/// Issuer whose access tokens are accepted.
pub const ISSUER_VAR: &str = "VAROSKAPU_ISSUER";
/// Where the provider publishes its keys (default `<issuer>/oauth2/jwks`).
pub const JWKS_URI_VAR: &str = "VAROSKAPU_JWKS_URI";
/// Minutes before an appointment its reminder goes out (default 1440, one day).
pub const REMINDER_LEAD_VAR: &str = "VAROSKAPU_REMINDER_LEAD_MINUTES";

/// Settings of the appointment functions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentsConfig {
    pub issuer: String,
    pub jwks_uri: String,
    pub reminder_lead: SignedDuration,
}

impl AppointmentsConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        let issuer = required(ISSUER_VAR)?.trim_end_matches('/').to_owned();
        if !issuer.starts_with("https://") && !issuer.starts_with("http://") {
            return Err(ConfigError::Invalid {
                name: ISSUER_VAR,
                reason: "must be a URL".into(),
            });
        }
        let minutes: i64 = parsed(REMINDER_LEAD_VAR, 1440)?;
        if !(1..=7 * 1440).contains(&minutes) {
            return Err(ConfigError::Invalid {
                name: REMINDER_LEAD_VAR,
                reason: "must be 1 to 10080 minutes".into(),
            });
        }
        Ok(Self {
            jwks_uri: optional(JWKS_URI_VAR).unwrap_or_else(|| format!("{issuer}/oauth2/jwks")),
            issuer,
            reminder_lead: SignedDuration::from_mins(minutes),
        })
    }
}

/// The lead time when none is configured (the local server).
pub const DEFAULT_REMINDER_LEAD: SignedDuration = SignedDuration::from_hours(24);
