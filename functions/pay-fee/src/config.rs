//! The pay-fee settings read once at start-up, shared by the Lambda and the local server.

use varoskapu_core::payments::ReturnOrigins;
use varoskapu_http::ConfigError;
use varoskapu_http::config::optional;

/// The setting naming where a card payment's `back_url` may point: origins separated by
/// commas (`https://ugyfelkapu.varos.hu,https://m.varos.hu`).
pub const RETURN_ORIGINS: &str = "VAROSKAPU_PAYMENT_RETURN_ORIGINS";

/// The public URL payments return to: the API-wide `VAROSKAPU_PUBLIC_URL`.
pub fn public_url() -> Result<String, ConfigError> {
    Ok(varoskapu_http::PublicSettings::from_env()?.public_url)
}

/// The origins of [`RETURN_ORIGINS`], by default only the origin of `public_base_url`
/// (where this API, and its own back-redirect, is reached).
pub fn return_origins(public_base_url: &str) -> Result<ReturnOrigins, ConfigError> {
    let invalid =
        |e: varoskapu_core::payments::return_origin::ReturnOriginError| ConfigError::Invalid {
            name: RETURN_ORIGINS,
            reason: e.to_string(),
        };
    match optional(RETURN_ORIGINS) {
        Some(list) => ReturnOrigins::parse(&list).map_err(invalid),
        None => ReturnOrigins::of_base_url(public_base_url).map_err(invalid),
    }
}

/// The merchant account at SimplePay and the API it is reached at.
#[derive(Debug, Clone)]
pub struct SimplePaySettings {
    pub merchant: varoskapu_core::payments::simplepay::Merchant,
    /// `VAROSKAPU_SIMPLEPAY_URL`, SimplePay's sandbox by default.
    pub api_url: String,
}

impl SimplePaySettings {
    /// `VAROSKAPU_SIMPLEPAY_MERCHANT` and `VAROSKAPU_SIMPLEPAY_SECRET` (required),
    /// `VAROSKAPU_SIMPLEPAY_URL` (optional).
    pub fn from_env() -> Result<Self, ConfigError> {
        use varoskapu_http::config::required;
        // The merchant is asked for first: a server without any SimplePay setting names the
        // account it lacks before that account's secret.
        required(MERCHANT_VAR)?;
        Self::from_env_with_secret(required("VAROSKAPU_SIMPLEPAY_SECRET")?)
    }

    /// Like [`from_env`](Self::from_env), with the merchant secret read elsewhere (on
    /// Lambda, from Secrets Manager: it is never in the function's configuration).
    pub fn from_env_with_secret(secret: String) -> Result<Self, ConfigError> {
        use varoskapu_http::config::required;
        Ok(Self {
            merchant: varoskapu_core::payments::simplepay::Merchant::new(
                required(MERCHANT_VAR)?,
                secret,
            ),
            api_url: optional("VAROSKAPU_SIMPLEPAY_URL")
                .unwrap_or_else(|| crate::simplepay_client::SANDBOX_URL.to_owned()),
        })
    }

    /// Like [`from_env`](Self::from_env), but `None` when no merchant is named: a deployment
    /// before its SimplePay contract takes bank transfers and desk payments, not cards. A
    /// merchant without its secret still stops start-up.
    pub fn from_env_if_configured() -> Result<Option<Self>, ConfigError> {
        if optional(MERCHANT_VAR).is_none() {
            return Ok(None);
        }
        Self::from_env().map(Some)
    }
}

/// The SimplePay merchant account (empty: card payments off on Lambda).
pub const MERCHANT_VAR: &str = "VAROSKAPU_SIMPLEPAY_MERCHANT";
