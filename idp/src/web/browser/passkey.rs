//! A passkey on the login page and its second-factor page: the script starts the ceremony
//! for the pending sign-in, then posts the authenticator's answer as a plain form, which
//! continues as a password and a second factor do (a multi-factor session, then consent or
//! back to the client). After a password, the passkey must be the same account's.

use super::login::LoginForm;
use super::{PageError, internal, sign_in};
use crate::passkeys::PasskeyError;
use crate::provider::{ACR_MFA, Provider};
use crate::web::account::PASSKEY_COOKIE;
use crate::web::cookies;
use crate::web::page_form::{PageFields, PendingFields, PendingForm, refuse};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use webauthn_rs::prelude::PublicKeyCredential;

/// The passkey forms' fields.
#[derive(Deserialize)]
pub struct PasskeyForm {
    request_id: Option<String>,
    csrf: Option<String>,
    /// The authenticator's answer, as JSON.
    credential: Option<String>,
}

impl PageFields for PasskeyForm {}

impl PendingFields for PasskeyForm {
    const EXPIRED: (&'static str, &'static str) = LoginForm::EXPIRED;
    fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }
    fn csrf(&self) -> Option<&str> {
        self.csrf.as_deref()
    }
}

fn unavailable(lang: super::Lang) -> PageError {
    refuse(
        lang,
        StatusCode::NOT_FOUND,
        "Ezen a címen a passkey nem használható.",
        "Passkeys cannot be used at this address.",
    )
}

#[utoipa::path(post, path = "/oauth2/login/passkey/start", tag = "sign-in-pages", operation_id = "login_passkey_start",
    description = "Starts signing in with a passkey for the pending sign-in (discoverable credential, user verification required); called by the page's script. Sets the ceremony's cookie.",
    request_body(content = crate::web::openapi::PasskeyStartForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The request options (WebAuthn `CredentialRequestOptions`, binary members base64url)", content_type = "application/json", body = Object),
        (status = 400, description = "Malformed form, or the page has expired", content_type = "text/html", body = String),
        (status = 403, description = "The CSRF token or the browser binding does not match", content_type = "text/html", body = String),
        (status = 404, description = "Passkeys cannot work at this provider's address", content_type = "text/html", body = String),
        (status = 500, description = "An error page", content_type = "text/html", body = String)))]
pub async fn passkey_start(
    State(p): State<Provider>,
    page: PendingForm<PasskeyForm>,
) -> Result<Response, PageError> {
    let lang = page.lang;
    let Some(passkeys) = p.passkeys.clone() else {
        return Err(unavailable(lang));
    };
    let (secret, mut options) = passkeys
        .start_sign_in()
        .await
        .map_err(|e| internal(lang, &e))?;
    options.mediation = None;
    let mut response = axum::Json(options).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.append(
        header::SET_COOKIE,
        cookies::set(
            PASSKEY_COOKIE,
            &secret,
            crate::passkeys::CEREMONY_SECONDS,
            p.config.secure_cookies(),
        ),
    );
    Ok(response)
}

#[utoipa::path(post, path = "/oauth2/login/passkey", tag = "sign-in-pages", operation_id = "login_passkey",
    description = "The authenticator's answer to this browser's started ceremony (used once); the session then counts as multi-factor. After a password, the passkey must be that account's.",
    request_body(content = crate::web::openapi::PasskeyForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The consent page", content_type = "text/html", body = String),
        (status = 303, description = "Signed in: back to the client with a code", headers(("Location" = String, description = "Where the browser goes next"))),
        (status = 400, description = "Malformed form, the page has expired, or no ceremony of this browser is waiting", content_type = "text/html", body = String),
        (status = 401, description = "The passkey was not accepted", content_type = "text/html", body = String),
        (status = 403, description = "The CSRF token or the browser binding does not match", content_type = "text/html", body = String),
        (status = 404, description = "Passkeys cannot work at this provider's address", content_type = "text/html", body = String),
        (status = 500, description = "An error page", content_type = "text/html", body = String)))]
pub async fn passkey(
    State(p): State<Provider>,
    headers: HeaderMap,
    page: PendingForm<PasskeyForm>,
) -> Result<Response, PageError> {
    let lang = page.lang;
    let Some(passkeys) = p.passkeys.clone() else {
        return Err(unavailable(lang));
    };
    let not_accepted = || {
        refuse(
            lang,
            StatusCode::UNAUTHORIZED,
            "A passkey-t nem fogadtuk el. Lépjen vissza, és próbálja újra.",
            "The passkey was not accepted. Go back and try again.",
        )
    };
    let no_ceremony = || {
        refuse(
            lang,
            StatusCode::BAD_REQUEST,
            "A passkey-kérés lejárt vagy már felhasználták. Lépjen vissza, és próbálja újra.",
            "The passkey request has expired or was already used. Go back and try again.",
        )
    };
    let Ok(credential) = serde_json::from_str::<PublicKeyCredential>(
        page.form.credential.as_deref().unwrap_or_default(),
    ) else {
        return Err(PasskeyForm::malformed(lang));
    };
    let Some(secret) = cookies::read(&headers, PASSKEY_COOKIE, p.config.secure_cookies()) else {
        return Err(no_ceremony());
    };
    let account = match passkeys
        .finish_sign_in(&p.accounts, &secret, &credential)
        .await
    {
        Ok(account) => account,
        Err(PasskeyError::NoCeremony) => return Err(no_ceremony()),
        Err(PasskeyError::Refused | PasskeyError::Taken) => return Err(not_accepted()),
        Err(e) => return Err(internal(lang, &e)),
    };
    if page
        .pending
        .account_id
        .is_some_and(|after_password| after_password != account.id)
    {
        return Err(not_accepted());
    }
    if !p
        .pending
        .finish(&page.request_id)
        .await
        .map_err(|e| internal(lang, &e))?
    {
        return Err(page.expired());
    }
    let acr = Some(ACR_MFA.to_owned());
    sign_in(&p, &headers, lang, account.id, acr, &page.pending.request).await
}

/// The passkey button under the login or second-factor form (shown by the script where
/// passkeys work), with the form its answer is posted in.
pub fn section(lang: super::Lang, request_id: &str, csrf: &str) -> String {
    let e = varoskapu_web::escape;
    format!(
        r#"<section id="passkey-sign-in" data-passkey="login" aria-labelledby="passkey-sign-in-title" hidden>
<h2 id="passkey-sign-in-title">{title}</h2>
<p>{intro}</p>
<form id="passkey-login" method="post" action="/oauth2/login/passkey">
<input type="hidden" name="request_id" value="{request_id}">
<input type="hidden" name="csrf" value="{csrf}">
<input type="hidden" name="credential" value="">
<button type="button" id="passkey-sign-in-button">{title}</button>
</form>
<p id="passkey-status" role="status" aria-live="polite"></p>
</section>
<script src="{script}" defer></script>"#,
        title = lang.t("Belépés passkey-jel", "Sign in with a passkey"),
        intro = lang.t(
            "Jelszó nélkül, telefonjával, számítógépével vagy biztonsági kulcsával.",
            "Without a password, with your phone, computer or security key.",
        ),
        request_id = e(request_id),
        csrf = e(csrf),
        script = crate::web::account::SCRIPT_PATH,
    )
}
