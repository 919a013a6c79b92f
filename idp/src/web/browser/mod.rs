//! Person-facing endpoints: authorization with the login page, and logout.

use super::cookies::{self, BROWSER, SESSION};
use super::page_form::{PageFields, PageForm, PendingFields, PendingForm, csrf_refused};
use super::pages::{self, Lang, LoginPage};
use crate::authorize::{
    AuthorizationRequest, AuthorizeError, AuthorizeParams, redirect_with, validate,
};
use crate::provider::Provider;
use crate::secrets::{constant_time_eq, random_token, sha256_hex};
use crate::sessions::Session;
use axum::extract::{Query, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use varoskapu_accounts::AccountError;
use varoskapu_core::access::{amr_for, proves_second_factor};
use varoskapu_http::ClientAddress;

/// A failure that can only be shown as a page.
pub struct PageError(pub(super) Response);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        self.0
    }
}

pub(super) fn internal(lang: Lang, cause: &dyn std::fmt::Display) -> PageError {
    tracing::error!(error = %cause, "provider page failure");
    PageError(pages::error(
        lang,
        StatusCode::INTERNAL_SERVER_ERROR,
        lang.t("Váratlan hiba történt.", "Something went wrong."),
    ))
}

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

/// The query of the authorization endpoint plus the page-language switch.
#[derive(Debug, Deserialize)]
pub struct AuthorizeQuery {
    #[serde(flatten)]
    params: AuthorizeParams,
    lang: Option<String>,
}

#[utoipa::path(get, path = "/oauth2/authorize", tag = "sign-in-pages", operation_id = "authorize",
    description = "The authorization endpoint (code flow with PKCE). With a live session it sends the browser back to the client; otherwise it shows the login page (or the consent page of a third-party client).",
    params(super::openapi::AuthorizeQuery),
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
    let query = super::params::parse::<AuthorizeQuery>(query.unwrap_or_default().as_bytes());
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

/// Asks a third-party client's consent when it is not yet given, then completes.
async fn proceed(
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
    request_body(content = super::openapi::ConsentForm, content_type = "application/x-www-form-urlencoded"),
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

/// The login form's fields.
#[derive(Deserialize)]
pub struct LoginForm {
    request_id: Option<String>,
    csrf: Option<String>,
    email: Option<String>,
    password: Option<String>,
}

impl PageFields for LoginForm {}

impl PendingFields for LoginForm {
    const EXPIRED: (&'static str, &'static str) = (
        "A bejelentkezési oldal lejárt.",
        "The sign-in page has expired.",
    );
    fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }
    fn csrf(&self) -> Option<&str> {
        self.csrf.as_deref()
    }
}

#[utoipa::path(post, path = "/oauth2/login", tag = "sign-in-pages", operation_id = "login",
    description = "The login page's form: e-mail address and password.",
    request_body(content = super::openapi::LoginForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The second-factor or the consent page", content_type = "text/html", body = String),
        (status = 303, description = "Signed in: back to the client with a code", headers(("Location" = String, description = "Where the browser goes next"))),
        (status = 400, description = "Malformed form, or the page has expired", content_type = "text/html", body = String),
        (status = 401, description = "The login page again: wrong e-mail address or password", content_type = "text/html", body = String),
        (status = 403, description = "The CSRF token or the browser binding does not match, or the e-mail address is not confirmed yet", content_type = "text/html", body = String),
        (status = 429, description = "The login page again: too many failed attempts", content_type = "text/html", body = String),
        (status = 500, description = "An error page", content_type = "text/html", body = String)))]
pub async fn login(
    State(p): State<Provider>,
    headers: HeaderMap,
    address: ClientAddress,
    page: PendingForm<LoginForm>,
) -> Result<Response, PageError> {
    let lang = page.lang;
    if page.pending.account_id.is_some() {
        return Err(page.expired());
    }
    let expired = page.expired();
    let PendingForm {
        form,
        request_id,
        pending,
        ..
    } = page;
    let email = form.email.unwrap_or_default();
    let password = form.password.unwrap_or_default();
    let outcome = p
        .accounts
        .authenticate(&email, &password, address.text().as_deref())
        .await;
    let retry = |status, message: &str| {
        pages::login(
            status,
            LoginPage {
                lang,
                client_name: &pending.request.client_id,
                request_id: &request_id,
                csrf: &pending.csrf,
                email: Some(&email),
                error: Some(message),
                federated: p
                    .federation
                    .as_ref()
                    .map(|f| f.config.display_name.as_str()),
            },
        )
    };
    let account = match outcome {
        Ok(account) => account,
        Err(AccountError::InvalidCredentials) => {
            return Ok(retry(
                StatusCode::UNAUTHORIZED,
                lang.t(
                    "Hibás e-mail-cím vagy jelszó.",
                    "Wrong e-mail address or password.",
                ),
            ));
        }
        Err(AccountError::Throttled { .. }) => {
            return Ok(retry(
                StatusCode::TOO_MANY_REQUESTS,
                lang.t(
                    "Túl sok sikertelen próbálkozás. Próbálja újra később.",
                    "Too many failed attempts. Please try again later.",
                ),
            ));
        }
        Err(AccountError::EmailNotVerified) => {
            return Ok(retry(
                StatusCode::FORBIDDEN,
                lang.t(
                    "Előbb erősítse meg e-mail-címét a kapott levélben.",
                    "Please confirm your e-mail address with the message we sent first.",
                ),
            ));
        }
        Err(e) => return Err(internal(lang, &e)),
    };
    if !p
        .pending
        .finish(&request_id)
        .await
        .map_err(|e| internal(lang, &e))?
    {
        return Err(expired);
    }
    if account.has_second_factor() {
        let browser =
            cookies::read(&headers, BROWSER, p.config.secure_cookies()).unwrap_or_default();
        let (id, awaiting) = p
            .pending
            .create_for(pending.request, &browser, Some(account.id))
            .await
            .map_err(|e| internal(lang, &e))?;
        return Ok(pages::second_factor(
            StatusCode::OK,
            lang,
            &id,
            &awaiting.csrf,
            None,
        ));
    }
    let acr = Some(crate::provider::ACR_PASSWORD.to_owned());
    sign_in(&p, &headers, lang, account.id, acr, &pending.request).await
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

/// The second-factor form's fields.
#[derive(Deserialize)]
pub struct SecondFactorForm {
    request_id: Option<String>,
    csrf: Option<String>,
    code: Option<String>,
}

impl PageFields for SecondFactorForm {}

impl PendingFields for SecondFactorForm {
    const EXPIRED: (&'static str, &'static str) = LoginForm::EXPIRED;
    fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }
    fn csrf(&self) -> Option<&str> {
        self.csrf.as_deref()
    }
}

#[utoipa::path(post, path = "/oauth2/second-factor", tag = "sign-in-pages", operation_id = "second_factor",
    description = "The second-factor page's form: the authenticator app's code.",
    request_body(content = super::openapi::SecondFactorForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The consent page", content_type = "text/html", body = String),
        (status = 303, description = "Signed in: back to the client with a code", headers(("Location" = String, description = "Where the browser goes next"))),
        (status = 400, description = "Malformed form, or the page has expired", content_type = "text/html", body = String),
        (status = 401, description = "The page again: the code is wrong or was used", content_type = "text/html", body = String),
        (status = 403, description = "The CSRF token or the browser binding does not match", content_type = "text/html", body = String),
        (status = 429, description = "The page again: too many failed attempts", content_type = "text/html", body = String),
        (status = 500, description = "An error page", content_type = "text/html", body = String)))]
pub async fn second_factor(
    State(p): State<Provider>,
    headers: HeaderMap,
    address: ClientAddress,
    page: PendingForm<SecondFactorForm>,
) -> Result<Response, PageError> {
    let lang = page.lang;
    let expired = || page.expired();
    let (form, request_id, pending) = (&page.form, &page.request_id, &page.pending);
    let Some(account_id) = pending.account_id else {
        return Err(expired());
    };
    let again = |status, hu, en| {
        pages::second_factor(
            status,
            lang,
            request_id,
            &pending.csrf,
            Some(lang.t(hu, en)),
        )
    };
    match p
        .accounts
        .verify_second_factor(
            account_id,
            form.code.as_deref().unwrap_or_default(),
            address.text().as_deref(),
        )
        .await
    {
        Ok(()) => {}
        Err(AccountError::InvalidSecondFactor) => {
            return Ok(again(
                StatusCode::UNAUTHORIZED,
                "A kód hibás vagy már felhasználták.",
                "The code is wrong or was already used.",
            ));
        }
        Err(AccountError::Throttled { .. }) => {
            return Ok(again(
                StatusCode::TOO_MANY_REQUESTS,
                "Túl sok sikertelen próbálkozás. Próbálja újra később.",
                "Too many failed attempts. Please try again later.",
            ));
        }
        Err(e) => return Err(internal(lang, &e)),
    }
    if !p
        .pending
        .finish(request_id)
        .await
        .map_err(|e| internal(lang, &e))?
    {
        return Err(expired());
    }
    let acr = Some(crate::provider::ACR_MFA.to_owned());
    sign_in(&p, &headers, lang, account_id, acr, &pending.request).await
}

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
    params(super::openapi::LogoutQuery),
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
    request_body(content = super::openapi::LogoutForm, content_type = "application/x-www-form-urlencoded"),
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
