//! The function's settings, read once from the environment at start-up.

use jiff::SignedDuration;
use varoskapu_http::config::parsed;
use varoskapu_http::{ConfigError, TokenSettings};

pub use varoskapu_http::config::{ISSUER_VAR, JWKS_URI_VAR};
/// Minutes before an appointment its reminder goes out (default 1440, one day).
pub const REMINDER_LEAD_VAR: &str = "VAROSKAPU_REMINDER_LEAD_MINUTES";

/// Settings of the appointment functions; the token settings are the API-wide [`TokenSettings`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentsConfig {
    pub issuer: String,
    pub jwks_uri: String,
    pub reminder_lead: SignedDuration,
}

impl AppointmentsConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        let TokenSettings { issuer, jwks_uri } = TokenSettings::from_env()?;
        let minutes: i64 = parsed(REMINDER_LEAD_VAR, 1440)?;
        if !(1..=7 * 1440).contains(&minutes) {
            return Err(ConfigError::Invalid {
                name: REMINDER_LEAD_VAR,
                reason: "must be 1 to 10080 minutes".into(),
            });
        }
        Ok(Self {
            jwks_uri,
            issuer,
            reminder_lead: SignedDuration::from_mins(minutes),
        })
    }
}

/// The lead time when none is configured (the local server).
pub const DEFAULT_REMINDER_LEAD: SignedDuration = SignedDuration::from_hours(24);
