//! The second-factor page's form: the authenticator app's code, then the session.

use super::login::LoginForm;
use super::{PageError, internal, sign_in};
use crate::provider::Provider;
use crate::web::page_form::{PageFields, PendingFields, PendingForm};
use crate::web::pages;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use varoskapu_accounts::AccountError;
use varoskapu_http::ClientAddress;

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
    request_body(content = crate::web::openapi::SecondFactorForm, content_type = "application/x-www-form-urlencoded"),
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
