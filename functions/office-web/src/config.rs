//! The office screens' settings: which provider they sign staff in with, as which client,
//! and where they are reached (`<origin>/office`: the callback and the post-logout return
//! are there).

use varoskapu_http::ConfigError;
use varoskapu_http::config::required;
use varoskapu_web::signin::ClientConfig;

/// The office screens' OIDC client id.
pub const CLIENT_ID_VAR: &str = "VAROSKAPU_OFFICE_CLIENT_ID";
/// Their client secret (client_secret_basic at the token endpoint).
pub const CLIENT_SECRET_VAR: &str = "VAROSKAPU_OFFICE_CLIENT_SECRET";
/// The origin that serves them (`https://ugyintezes.example.hu`); by default the issuer.
pub const PUBLIC_URL_VAR: &str = "VAROSKAPU_OFFICE_URL";

/// Where the office screens are mounted on their origin.
pub const BASE: &str = "/office";

/// The scopes the office screens ask for: the office's work, the signatory's approval and
/// the citizen records (the provider grants only what the person's roles allow).
pub const SCOPES: &str =
    "openid profile email offline_access backoffice backoffice:approve crm crm:export";

/// The office screens' sign-in settings.
pub fn config(
    issuer: &str,
    client_id: &str,
    client_secret: &str,
    public_url: &str,
) -> ClientConfig {
    ClientConfig::new(
        issuer,
        client_id,
        client_secret,
        public_url,
        BASE,
        SCOPES,
        BASE,
    )
}

/// `VAROSKAPU_ISSUER`, `VAROSKAPU_OFFICE_CLIENT_ID`, `VAROSKAPU_OFFICE_CLIENT_SECRET` and the
/// optional `VAROSKAPU_OFFICE_URL`; the error names the setting at fault.
pub fn from_env() -> Result<ClientConfig, ConfigError> {
    from_env_with_secret(required(CLIENT_SECRET_VAR)?)
}

/// Like [`from_env`], with the client secret read elsewhere (on Lambda, from Secrets
/// Manager: it is never in the function's configuration).
pub fn from_env_with_secret(client_secret: String) -> Result<ClientConfig, ConfigError> {
    ClientConfig::from_env(
        CLIENT_ID_VAR,
        PUBLIC_URL_VAR,
        client_secret,
        BASE,
        SCOPES,
        BASE,
    )
}
