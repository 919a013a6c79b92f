//! The authorization endpoint: back to the client with a live session, or the login page.

use super::consent::proceed;
use super::{PageError, error_redirect, internal};
use crate::authorize::{AuthorizeError, AuthorizeParams, validate};
use crate::provider::Provider;
use crate::secrets::random_token;
use crate::sessions::Session;
use crate::web::cookies::{self, BROWSER, SESSION};
use crate::web::pages::{self, Lang, LoginPage};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;
use varoskapu_core::access::{amr_for, proves_second_factor};

/// The query of the authorization endpoint plus the page-language switch.
#[derive(Debug, Deserialize)]
pub struct AuthorizeQuery {
    #[serde(flatten)]
    params: AuthorizeParams,
    lang: Option<String>,
}

#[utoipa::path(get, path = "/oauth2/authorize", tag = "sign-in-pages", operation_id = "authorize",
    description = "The authorization endpoint (code flow with PKCE). With a live session it sends the browser back to the client; otherwise it shows the login page (or the consent page of a third-party client).",
    params(crate::web::openapi::AuthorizeQuery),
    responses(
        (status = 200, description = "The login or consent page", content_type = "text/html", body = String,
            headers(("Set-Cookie" = String, description = "The browser binding of the page"))),
        (status = 303, description = "Back to the client's redirect URI with `code`, `state` and `iss`, or with an `error`", headers(("Location" = String, description = "Where the browser goes next"))),
        (status = 400, description = "The request names no valid client or redirect URI: an error page, never a redirect", content_type = "text/html", body = String),
        (status = 500, description = "An error page", content_type = "text/html", body = String)))]
pub async fn authorize(
    State(p): State<Provider>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    // Read by hand: `resource` may repeat (RFC 8707), nothing else may.
    let query = crate::web::params::parse::<AuthorizeQuery>(query.unwrap_or_default().as_bytes());
    let Ok(query) = query else {
        let lang = Lang::negotiate(&headers, None);
        return Err(PageError(pages::error(
            lang,
            StatusCode::BAD_REQUEST,
            lang.t("Hibás kérés.", "Malformed request."),
        )));
    };
    let params = query.params;
    let lang = Lang::negotiate(
        &headers,
        query.lang.as_deref().or(params.ui_locales.as_deref()),
    );
    let client = match params.client_id.as_deref() {
        Some(id) => p.clients.get(id).await.map_err(|e| internal(lang, &e))?,
        None => None,
    };
    let request = match validate(&params, client.as_ref()) {
        Ok(request) => request,
        Err(AuthorizeError::ErrorPage(message)) => {
            return Err(PageError(pages::error(
                lang,
                StatusCode::BAD_REQUEST,
                &message,
            )));
        }
        Err(AuthorizeError::Redirect {
            redirect_uri,
            state,
            error,
            description,
        }) => {
            return Ok(error_redirect(
                &p,
                &redirect_uri,
                state.as_deref(),
                error,
                &description,
            ));
        }
    };
    let now = p.clock.unix_seconds();
    let session = match cookies::read(&headers, SESSION, p.config.secure_cookies()) {
        Some(secret) => p
            .live_session(&secret)
            .await
            .map_err(|e| internal(lang, &e))?
            .map(|s| (secret, s)),
        None => None,
    };
    // The session serves unless the client wants a sign-in now, a more recent one, or one
    // with a second factor that this session did not have (step-up).
    let serves = |s: &Session| {
        let acr = s.acr.as_deref();
        !request.forces_sign_in()
            && request.max_age.is_none_or(|age| now - s.auth_time <= age)
            && (!request.wants_second_factor() || proves_second_factor(acr, &amr_for(acr)))
    };
    match session {
        Some((secret, session)) if serves(&session) => {
            let browser = cookies::read(&headers, BROWSER, p.config.secure_cookies());
            proceed(&p, &request, browser, &secret, &session, lang, None).await
        }
        _ if request.prompt_none => Ok(error_redirect(
            &p,
            &request.redirect_uri,
            request.state.as_deref(),
            "login_required",
            "the person must sign in",
        )),
        _ => {
            let browser = cookies::read(&headers, BROWSER, p.config.secure_cookies())
                .unwrap_or_else(random_token);
            let client_name = client.map(|c| c.name).unwrap_or_default();
            let hint = request.login_hint.clone();
            let (id, pending) = p
                .pending
                .create(request, &browser)
                .await
                .map_err(|e| internal(lang, &e))?;
            let mut response = pages::login(
                StatusCode::OK,
                LoginPage {
                    lang,
                    client_name: &client_name,
                    request_id: &id,
                    csrf: &pending.csrf,
                    email: hint.as_deref(),
                    error: None,
                    federated: p
                        .federation
                        .as_ref()
                        .map(|f| f.config.display_name.as_str()),
                },
            );
            let cookie = cookies::set(
                BROWSER,
                &browser,
                p.config.login_seconds,
                p.config.secure_cookies(),
            );
            response.headers_mut().append(header::SET_COOKIE, cookie);
            Ok(response)
        }
    }
}
