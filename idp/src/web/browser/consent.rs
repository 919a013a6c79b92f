//! Consent of a third-party client, and completing the authorization: the code sent back
//! to the client.

use super::{PageError, error_redirect, internal, see_other};
use crate::authorize::{AuthorizationRequest, redirect_with};
use crate::provider::Provider;
use crate::secrets::random_token;
use crate::sessions::Session;
use crate::web::cookies::{self, BROWSER, SESSION};
use crate::web::page_form::{PageFields, PendingFields, PendingForm};
use crate::web::pages::{self, Lang};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;

/// Asks a third-party client's consent when it is not yet given, then completes.
pub(super) async fn proceed(
    p: &Provider,
    request: &AuthorizationRequest,
    browser: Option<String>,
    secret: &str,
    session: &Session,
    lang: Lang,
    new_cookie: Option<HeaderValue>,
) -> Result<Response, PageError> {
    let client = p
        .clients
        .get(&request.client_id)
        .await
        .map_err(|e| internal(lang, &e))?
        .ok_or_else(|| {
            PageError(pages::error(
                lang,
                StatusCode::BAD_REQUEST,
                "unknown client",
            ))
        })?;
    let needs_consent = !client.first_party
        && (request.prompt_consent
            || !p
                .consents
                .covers(session.account_id, &client.client_id, &request.scopes)
                .await
                .map_err(|e| internal(lang, &e))?);
    if !needs_consent {
        return complete(p, request, secret, session, lang, new_cookie).await;
    }
    if request.prompt_none {
        return Ok(error_redirect(
            p,
            &request.redirect_uri,
            request.state.as_deref(),
            "consent_required",
            "the person must consent",
        ));
    }
    let browser = browser.unwrap_or_else(random_token);
    let (id, pending) = p
        .pending
        .create(request.clone(), &browser)
        .await
        .map_err(|e| internal(lang, &e))?;
    let mut response = pages::consent(lang, &client.name, &request.scopes, &id, &pending.csrf);
    let binding = cookies::set(
        BROWSER,
        &browser,
        p.config.login_seconds,
        p.config.secure_cookies(),
    );
    response.headers_mut().append(header::SET_COOKIE, binding);
    if let Some(cookie) = new_cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// The consent form's fields.
#[derive(Deserialize)]
pub struct ConsentForm {
    request_id: Option<String>,
    csrf: Option<String>,
    decision: Option<String>,
}

impl PageFields for ConsentForm {}

impl PendingFields for ConsentForm {
    const EXPIRED: (&'static str, &'static str) = (
        "A hozzájárulási oldal lejárt.",
        "The consent page has expired.",
    );
    fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }
    fn csrf(&self) -> Option<&str> {
        self.csrf.as_deref()
    }
}

#[utoipa::path(post, path = "/oauth2/consent", tag = "sign-in-pages", operation_id = "consent",
    description = "The consent page's answer: `allow` grants the third-party client the scopes asked for.",
    request_body(content = crate::web::openapi::ConsentForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "Back to the client with a code, or with `access_denied`", headers(("Location" = String, description = "Where the browser goes next"))),
        (status = 400, description = "Malformed form, or the page has expired", content_type = "text/html", body = String),
        (status = 403, description = "The CSRF token or the browser binding does not match", content_type = "text/html", body = String),
        (status = 500, description = "An error page", content_type = "text/html", body = String)))]
pub async fn consent(
    State(p): State<Provider>,
    headers: HeaderMap,
    page: PendingForm<ConsentForm>,
) -> Result<Response, PageError> {
    let lang = page.lang;
    let expired = || page.expired();
    let request_id = &page.request_id;
    let secret = cookies::read(&headers, SESSION, p.config.secure_cookies()).unwrap_or_default();
    let Some(session) = p
        .sessions
        .get(&secret)
        .await
        .map_err(|e| internal(lang, &e))?
    else {
        return Err(expired());
    };
    if !p
        .pending
        .finish(request_id)
        .await
        .map_err(|e| internal(lang, &e))?
    {
        return Err(expired());
    }
    let decision = page.form.decision;
    let request = page.pending.request;
    if decision.as_deref() != Some("allow") {
        return Ok(error_redirect(
            &p,
            &request.redirect_uri,
            request.state.as_deref(),
            "access_denied",
            "the person declined",
        ));
    }
    p.consents
        .grant(session.account_id, &request.client_id, &request.scopes)
        .await
        .map_err(|e| internal(lang, &e))?;
    complete(&p, &request, &secret, &session, lang, None).await
}

/// Issues the code and sends the browser back to the client.
async fn complete(
    p: &Provider,
    request: &AuthorizationRequest,
    secret: &str,
    session: &Session,
    lang: Lang,
    new_cookie: Option<HeaderValue>,
) -> Result<Response, PageError> {
    p.sessions
        .touch_client(secret, session, &request.client_id)
        .await
        .map_err(|e| internal(lang, &e))?;
    let code = p
        .issue_code(request, session)
        .await
        .map_err(|e| internal(lang, &e))?;
    let mut params = vec![("code", code.as_str())];
    if let Some(state) = request.state.as_deref() {
        params.push(("state", state));
    }
    params.push(("iss", &p.config.issuer));
    let mut response = see_other(&redirect_with(&request.redirect_uri, &params));
    if let Some(cookie) = new_cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}
