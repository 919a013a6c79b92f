//! The portal's settings: which provider it signs people in with, as which client, and
//! where the portal itself is reached (its callback and the post-logout return are there).

use varoskapu_http::ConfigError;
use varoskapu_http::config::required;
use varoskapu_web::signin::ClientConfig;

/// The portal's OIDC client id.
pub const CLIENT_ID_VAR: &str = "VAROSKAPU_PORTAL_CLIENT_ID";
/// The portal's client secret (client_secret_basic at the token endpoint).
pub const CLIENT_SECRET_VAR: &str = "VAROSKAPU_PORTAL_CLIENT_SECRET";
/// Where browsers reach the portal (`https://ugyintezes.example.hu`); by default the issuer.
pub const PUBLIC_URL_VAR: &str = "VAROSKAPU_PORTAL_URL";

/// The path of the sign-in callback, under the portal's URL.
pub use varoskapu_web::signin::CALLBACK_PATH;

/// The scopes the portal asks for.
pub const SCOPES: &str = "openid profile email offline_access cases payments appointments";

/// Where a person lands after signing in when she was going nowhere in particular.
pub const HOME: &str = "/my-cases";

/// The portal's sign-in settings, mounted at the root of its origin.
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
        "",
        SCOPES,
        HOME,
    )
}

/// `VAROSKAPU_ISSUER`, `VAROSKAPU_PORTAL_CLIENT_ID`, `VAROSKAPU_PORTAL_CLIENT_SECRET` and
/// the optional `VAROSKAPU_PORTAL_URL`; the error names the setting at fault.
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
        "",
        SCOPES,
        HOME,
    )
}
