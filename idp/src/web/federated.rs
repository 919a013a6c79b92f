//! The pages' side of federated login: the button's form starts the upstream sign-in, and
//! the upstream provider's redirect finishes it.

use super::browser::{PageError, internal, see_other, sign_in};
use super::cookies::{self, BROWSER};
use super::pages::{self, Lang};
use crate::federation::FederationError;
use crate::provider::Provider;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

/// The login page's federated-login form.
#[derive(Deserialize)]
pub struct StartForm {
    request_id: Option<String>,
    csrf: Option<String>,
}

#[utoipa::path(post, path = "/oauth2/federated/start", tag = "sign-in-pages", operation_id = "federated_start",
    description = "The login page's button for the national eID: starts the sign-in there.",
    request_body(content = super::openapi::FederatedStartForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "To the national eID provider", headers(("Location" = String, description = "Where the browser goes next"))),
        (status = 400, description = "Malformed form", content_type = "text/html", body = String),
        (status = 403, description = "The CSRF token or the browser binding does not match", content_type = "text/html", body = String),
        (status = 404, description = "No national eID provider is configured", content_type = "text/html", body = String),
        (status = 500, description = "An error page", content_type = "text/html", body = String)))]
pub async fn start(
    State(p): State<Provider>,
    headers: HeaderMap,
    body: Result<Form<StartForm>, FormRejection>,
) -> Result<Response, PageError> {
    let lang = Lang::negotiate(&headers, None);
    let refuse = |status, hu, en| PageError(pages::error(lang, status, lang.t(hu, en)));
    let Some(federation) = p.federation.clone() else {
        return Err(refuse(
            StatusCode::NOT_FOUND,
            "Nincs beállítva.",
            "Not configured.",
        ));
    };
    let Ok(Form(form)) = body else {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "Hibás kérés.",
            "Malformed request.",
        ));
    };
    let request_id = form.request_id.unwrap_or_default();
    let pending = p
        .pending
        .get(&request_id)
        .await
        .map_err(|e| internal(lang, &e))?;
    let browser = cookies::read(&headers, BROWSER, p.config.secure_cookies());
    if !pending.is_some_and(|pending| pending.accepts(form.csrf.as_deref(), browser.as_deref())) {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "A kérés nem ebből a böngészőből érkezett (CSRF-védelem).",
            "The request did not come from this browser (CSRF protection).",
        ));
    }
    let url = federation
        .start(&request_id)
        .await
        .map_err(|e| internal(lang, &e))?;
    Ok(see_other(&url))
}

/// The upstream provider's redirect back.
#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

#[utoipa::path(get, path = "/oauth2/federated/callback", tag = "sign-in-pages", operation_id = "federated_callback",
    description = "The national eID provider's redirect back: finishes the sign-in and continues the authorization request.",
    params(super::openapi::FederatedCallbackQuery),
    responses(
        (status = 200, description = "The consent page", content_type = "text/html", body = String),
        (status = 303, description = "Signed in: back to the client with a code", headers(("Location" = String, description = "Where the browser goes next"))),
        (status = 400, description = "The sign-in failed or its page has expired", content_type = "text/html", body = String),
        (status = 403, description = "Not the browser that started the sign-in", content_type = "text/html", body = String),
        (status = 404, description = "No national eID provider is configured", content_type = "text/html", body = String),
        (status = 409, description = "The e-mail address already has an account", content_type = "text/html", body = String),
        (status = 500, description = "An error page", content_type = "text/html", body = String),
        (status = 502, description = "The national eID provider's answer is not usable", content_type = "text/html", body = String)))]
pub async fn callback(
    State(p): State<Provider>,
    headers: HeaderMap,
    Query(query): Query<CallbackQuery>,
) -> Result<Response, PageError> {
    let lang = Lang::negotiate(&headers, None);
    let refuse = |status, hu, en| PageError(pages::error(lang, status, lang.t(hu, en)));
    let Some(federation) = p.federation.clone() else {
        return Err(refuse(
            StatusCode::NOT_FOUND,
            "Nincs beállítva.",
            "Not configured.",
        ));
    };
    let (Some(code), Some(state), None) = (query.code, query.state, query.error) else {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "A külső azonosítás nem sikerült.",
            "The sign-in with the national eID did not succeed.",
        ));
    };
    let signed_in = match federation.finish(&state, &code).await {
        Ok(signed_in) => signed_in,
        Err(FederationError::UnknownState) => {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "A bejelentkezési oldal lejárt.",
                "The sign-in page has expired.",
            ));
        }
        Err(FederationError::EmailConflict) => {
            return Err(refuse(
                StatusCode::CONFLICT,
                "Ehhez az e-mail-címhez már tartozik fiók; jelentkezzen be jelszóval.",
                "This e-mail address already has an account; sign in with your password.",
            ));
        }
        Err(e) => {
            tracing::warn!(error = %e, "federated sign-in refused");
            return Err(refuse(
                StatusCode::BAD_GATEWAY,
                "A külső azonosítás nem sikerült.",
                "The sign-in with the national eID did not succeed.",
            ));
        }
    };
    let pending = p
        .pending
        .get(&signed_in.login_request)
        .await
        .map_err(|e| internal(lang, &e))?;
    // The browser that comes back must be the one that started the sign-in.
    let browser = cookies::read(&headers, BROWSER, p.config.secure_cookies());
    let Some(pending) =
        pending.filter(|pending| pending.accepts(Some(&pending.csrf), browser.as_deref()))
    else {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "A kérés nem ebből a böngészőből érkezett (CSRF-védelem).",
            "The request did not come from this browser (CSRF protection).",
        ));
    };
    if !p
        .pending
        .finish(&signed_in.login_request)
        .await
        .map_err(|e| internal(lang, &e))?
    {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "A bejelentkezési oldal lejárt.",
            "The sign-in page has expired.",
        ));
    }
    sign_in(
        &p,
        &headers,
        lang,
        signed_in.account_id,
        Some(signed_in.acr),
        &pending.request,
    )
    .await
}
