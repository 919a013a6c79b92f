//! RP-initiated logout, with its confirmation page.

use super::{PageError, internal, see_other};
use crate::authorize::redirect_with;
use crate::provider::Provider;
use crate::secrets::{constant_time_eq, sha256_hex};
use crate::sessions::Session;
use crate::web::cookies::{self, SESSION};
use crate::web::page_form::{PageFields, PageForm, csrf_refused};
use crate::web::pages::{self, Lang};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;

/// The parameters of RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0).
#[derive(Debug, Deserialize)]
pub struct LogoutQuery {
    id_token_hint: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
    client_id: Option<String>,
    ui_locales: Option<String>,
    lang: Option<String>,
}

/// Where to send the browser after signing out: a URI registered for the client, exactly.
struct AfterLogout {
    client_id: Option<String>,
    redirect: Option<String>,
    state: Option<String>,
}

fn invalid_logout(lang: Lang) -> PageError {
    PageError(pages::error(
        lang,
        StatusCode::BAD_REQUEST,
        lang.t(
            "Érvénytelen kijelentkezési kérés.",
            "Invalid sign-out request.",
        ),
    ))
}

/// Checks a post-logout redirect against the client's registered URIs (exact match); the
/// same check runs when the page asks first and again when she confirms.
async fn after_logout(
    p: &Provider,
    lang: Lang,
    client_id: Option<String>,
    redirect: Option<String>,
    state: Option<String>,
) -> Result<AfterLogout, PageError> {
    if state.as_ref().is_some_and(|s| s.len() > 2048) {
        return Err(invalid_logout(lang));
    }
    if let Some(uri) = redirect.as_deref() {
        let client = match client_id.as_deref() {
            Some(id) => p.clients.get(id).await.map_err(|e| internal(lang, &e))?,
            None => None,
        };
        if !client.is_some_and(|c| c.post_logout_redirect_uris.iter().any(|u| u == uri)) {
            return Err(PageError(pages::error(
                lang,
                StatusCode::BAD_REQUEST,
                lang.t(
                    "A visszatérési cím nincs regisztrálva.",
                    "The post-logout redirect URI is not registered.",
                ),
            )));
        }
    }
    Ok(AfterLogout {
        client_id,
        redirect,
        state,
    })
}

impl AfterLogout {
    /// The page or redirect that follows signing out, clearing the cookie if one is given.
    fn respond(&self, lang: Lang, cookie: Option<HeaderValue>) -> Response {
        let mut response = match self.redirect.as_deref() {
            Some(uri) => {
                let mut params = Vec::new();
                if let Some(state) = self.state.as_deref() {
                    params.push(("state", state));
                }
                see_other(&redirect_with(uri, &params))
            }
            None => pages::logged_out(lang),
        };
        if let Some(cookie) = cookie {
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
        response
    }
}

/// The browser's live session, with its cookie secret.
async fn current_session(
    p: &Provider,
    headers: &HeaderMap,
    lang: Lang,
) -> Result<Option<(String, Session)>, PageError> {
    let Some(secret) = cookies::read(headers, SESSION, p.config.secure_cookies()) else {
        return Ok(None);
    };
    let session = p
        .sessions
        .get(&secret)
        .await
        .map_err(|e| internal(lang, &e))?;
    Ok(session.map(|s| (secret, s)))
}

/// Ends the session: its tokens are revoked and its clients told over the back channel.
async fn end_session(
    p: &Provider,
    secret: &str,
    session: &Session,
    lang: Lang,
) -> Result<HeaderValue, PageError> {
    p.refresh
        .revoke_session(&session.sid)
        .await
        .map_err(|e| internal(lang, &e))?;
    crate::backchannel::notify_clients(p, session).await;
    p.sessions
        .end(secret)
        .await
        .map_err(|e| internal(lang, &e))?;
    Ok(cookies::set(SESSION, "", 0, p.config.secure_cookies()))
}

/// RP-initiated logout. Only an `id_token_hint` of this very session (its `sid`) proves
/// that the request comes from an app she is signed in to; anything else, a link with
/// someone else's ID token included, gets a confirmation page and revokes nothing yet.
#[utoipa::path(get, path = "/oauth2/logout", tag = "sign-in-pages", operation_id = "logout",
    description = "RP-initiated logout. An `id_token_hint` of this very session signs out at once; otherwise a confirmation page asks first.",
    params(crate::web::openapi::LogoutQuery),
    responses(
        (status = 200, description = "The confirmation page, or the signed-out page", content_type = "text/html", body = String),
        (status = 303, description = "Signed out: to the registered post-logout redirect URI, with `state`", headers(("Location" = String, description = "Where the browser goes next"))),
        (status = 400, description = "Invalid hint, or a redirect URI not registered for the client", content_type = "text/html", body = String),
        (status = 500, description = "An error page", content_type = "text/html", body = String)))]
pub async fn logout(
    State(p): State<Provider>,
    headers: HeaderMap,
    query: Result<Query<LogoutQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, PageError> {
    let Ok(Query(query)) = query else {
        return Err(invalid_logout(Lang::negotiate(&headers, None)));
    };
    let lang = Lang::negotiate(
        &headers,
        query.lang.as_deref().or(query.ui_locales.as_deref()),
    );
    let hint = match query.id_token_hint.as_deref() {
        Some(hint) => Some(
            p.id_token_hint(hint)
                .await
                .ok_or_else(|| invalid_logout(lang))?,
        ),
        None => None,
    };
    let client_id = match (hint.as_ref().map(|h| h.aud.clone()), query.client_id) {
        (Some(named), Some(given)) if named != given => return Err(invalid_logout(lang)),
        (named, given) => named.or(given),
    };
    let after = after_logout(
        &p,
        lang,
        client_id,
        query.post_logout_redirect_uri,
        query.state,
    )
    .await?;
    let Some((secret, session)) = current_session(&p, &headers, lang).await? else {
        // No session here: nothing to end, and the registered redirect is harmless.
        return Ok(after.respond(lang, None));
    };
    let of_this_session = hint
        .as_ref()
        .and_then(|h| h.sid.as_deref())
        .is_some_and(|sid| constant_time_eq(sid, &session.sid));
    if !of_this_session {
        return Ok(pages::logout_confirm(
            lang,
            pages::LogoutConfirm {
                csrf: &sha256_hex(&secret),
                client_id: after.client_id.as_deref(),
                post_logout_redirect_uri: after.redirect.as_deref(),
                state: after.state.as_deref(),
            },
        ));
    }
    let cookie = end_session(&p, &secret, &session, lang).await?;
    Ok(after.respond(lang, Some(cookie)))
}

/// The confirmation form's fields: the CSRF token and what the logout request carried.
#[derive(Deserialize)]
pub struct LogoutForm {
    csrf: Option<String>,
    client_id: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
}

impl PageFields for LogoutForm {
    fn malformed(lang: Lang) -> PageError {
        invalid_logout(lang)
    }
}

#[utoipa::path(post, path = "/oauth2/logout", tag = "sign-in-pages", operation_id = "logout_confirmed",
    description = "The logout confirmation page's form: ends the session, revokes its tokens and tells its clients over the back channel.",
    request_body(content = crate::web::openapi::LogoutForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The signed-out page", content_type = "text/html", body = String),
        (status = 303, description = "Signed out: to the registered post-logout redirect URI", headers(("Location" = String, description = "Where the browser goes next"))),
        (status = 400, description = "Malformed form, or a redirect URI not registered for the client", content_type = "text/html", body = String),
        (status = 403, description = "The CSRF token does not match the session", content_type = "text/html", body = String),
        (status = 500, description = "An error page", content_type = "text/html", body = String)))]
pub async fn logout_confirmed(
    State(p): State<Provider>,
    headers: HeaderMap,
    PageForm { lang, form }: PageForm<LogoutForm>,
) -> Result<Response, PageError> {
    let after = after_logout(
        &p,
        lang,
        form.client_id,
        form.post_logout_redirect_uri,
        form.state,
    )
    .await?;
    let Some((secret, session)) = current_session(&p, &headers, lang).await? else {
        return Ok(after.respond(lang, None));
    };
    if !form
        .csrf
        .as_deref()
        .is_some_and(|csrf| constant_time_eq(csrf, &sha256_hex(&secret)))
    {
        return Err(csrf_refused(lang));
    }
    let cookie = end_session(&p, &secret, &session, lang).await?;
    Ok(after.respond(lang, Some(cookie)))
}
