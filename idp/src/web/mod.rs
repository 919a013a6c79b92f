//! The thin axum layer over the provider: parse, call, map errors.

mod account;
mod browser;
mod cookies;
mod federated;
mod form_page;
mod oauth;
mod openapi;
mod page_form;
pub mod pages;
pub use openapi::openapi;
mod params;

use crate::provider::Provider;
use axum::Router;
use axum::routing::{get, post};

/// The provider's routes: discovery, JWKS, authorization with its login page, token,
/// UserInfo, revocation, introspection and logout.
pub fn router(provider: Provider) -> Router {
    Router::new()
        .route("/.well-known/openid-configuration", get(oauth::discovery))
        .route("/oauth2/jwks", get(oauth::jwks))
        .route("/oauth2/authorize", get(browser::authorize))
        .route("/oauth2/login", post(browser::login))
        .route("/oauth2/consent", post(browser::consent))
        .route("/oauth2/second-factor", post(browser::second_factor))
        .route("/oauth2/login/passkey", post(browser::passkey))
        .route("/oauth2/login/passkey/start", post(browser::passkey_start))
        .route("/oauth2/federated/start", post(federated::start))
        .route("/oauth2/federated/callback", get(federated::callback))
        .route(
            "/oauth2/logout",
            get(browser::logout).post(browser::logout_confirmed),
        )
        .route("/oauth2/token", post(oauth::token))
        .route(
            "/oauth2/userinfo",
            get(oauth::userinfo).post(oauth::userinfo),
        )
        .route("/oauth2/revoke", post(oauth::revoke))
        .route("/oauth2/introspect", post(oauth::introspect))
        .merge(account::routes())
        .with_state(provider)
}
