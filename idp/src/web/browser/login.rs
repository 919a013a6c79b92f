//! The login page's form: the e-mail address and password, then the second-factor page or
//! the session.

use super::{PageError, internal, sign_in};
use crate::provider::Provider;
use crate::web::cookies::{self, BROWSER};
use crate::web::page_form::{PageFields, PendingFields, PendingForm};
use crate::web::pages::{self, LoginPage};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use varoskapu_accounts::AccountError;
use varoskapu_http::ClientAddress;

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
    request_body(content = crate::web::openapi::LoginForm, content_type = "application/x-www-form-urlencoded"),
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
