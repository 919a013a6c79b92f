//! Person-facing endpoints: authorization with the login page, the second factor, consent,
//! and logout.
//!
//! This module holds what several pages share: the error page, the redirects, and starting
//! a session once the person has signed in; each page or flow is a submodule of its own.

mod authorize;
mod consent;
mod login;
mod logout;
pub(super) mod passkey;
mod second_factor;

pub use authorize::{__path_authorize, authorize};
pub use consent::{__path_consent, consent};
pub use login::{__path_login, login};
pub use logout::{__path_logout, __path_logout_confirmed, logout, logout_confirmed};
pub use passkey::{__path_passkey, __path_passkey_start, passkey, passkey_start};
pub use second_factor::{__path_second_factor, second_factor};

use super::cookies::{self, BROWSER, SESSION};
use super::pages::{self, Lang};
use crate::authorize::{AuthorizationRequest, redirect_with};
use crate::provider::Provider;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use consent::proceed;

/// A failure that can only be shown as a page.
pub struct PageError(pub(super) Response);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        self.0
    }
}

/// The error page for a failure the person cannot fix; the cause goes to the log only.
pub(super) fn internal(lang: Lang, cause: &dyn std::fmt::Display) -> PageError {
    tracing::error!(error = %cause, "provider page failure");
    PageError(pages::error(
        lang,
        StatusCode::INTERNAL_SERVER_ERROR,
        lang.t("Váratlan hiba történt.", "Something went wrong."),
    ))
}

/// A 303 no cache keeps: the pages' redirects carry codes and one-time state.
pub(super) fn see_other(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => (
            StatusCode::SEE_OTHER,
            [
                (header::LOCATION, value),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Back to the client with an OAuth error (RFC 6749 §4.1.2.1), naming the issuer (RFC 9207).
fn error_redirect(
    p: &Provider,
    redirect_uri: &str,
    state: Option<&str>,
    error: &str,
    description: &str,
) -> Response {
    let mut params = vec![("error", error), ("error_description", description)];
    if let Some(state) = state {
        params.push(("state", state));
    }
    params.push(("iss", &p.config.issuer));
    see_other(&redirect_with(redirect_uri, &params))
}

/// Starts a fresh session for the account and continues the authorization request.
pub(super) async fn sign_in(
    p: &Provider,
    headers: &HeaderMap,
    lang: Lang,
    account_id: uuid::Uuid,
    acr: Option<String>,
    request: &AuthorizationRequest,
) -> Result<Response, PageError> {
    // A fresh session at every login: a cookie planted before login is worthless after it.
    if let Some(old) = cookies::read(headers, SESSION, p.config.secure_cookies()) {
        p.sessions.end(&old).await.map_err(|e| internal(lang, &e))?;
    }
    let (secret, session) = p
        .sessions
        .start(account_id, acr)
        .await
        .map_err(|e| internal(lang, &e))?;
    let cookie = cookies::set(
        SESSION,
        &secret,
        p.config.session_seconds,
        p.config.secure_cookies(),
    );
    let browser = cookies::read(headers, BROWSER, p.config.secure_cookies());
    proceed(p, request, browser, &secret, &session, lang, Some(cookie)).await
}
