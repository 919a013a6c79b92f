//! The authenticate function: checks a password (Argon2id) with throttling per account and
//! per client address and without account enumeration, and resets forgotten passwords
//! through the notification port.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use varoskapu_accounts::pages::{CheckYourEmail, Done, PasswordFlow, Submitted};
use varoskapu_accounts::{AccountError, Accounts};
use varoskapu_http::{ApiJson, ClientAddress};
use varoskapu_web::{Lang, PageLang};

/// A password check.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Credentials {
    pub email: String,
    pub password: String,
    /// The authenticator code, for accounts with a second factor.
    #[serde(default)]
    pub code: Option<String>,
}

/// A request for a password-reset link.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ResetRequest {
    pub email: String,
}

/// A new password with the token of a reset link.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewPassword {
    pub token: String,
    pub password: String,
    /// The page form's CSRF token (the double-submit cookie's value); JSON needs none.
    #[serde(default)]
    pub csrf: Option<String>,
}

/// `POST /authenticate`, `POST /password-reset`, `POST /password-reset/confirm`.
pub fn router(accounts: Accounts) -> Router {
    Router::new()
        .route("/authenticate", post(authenticate))
        .route("/password-reset", post(request_reset).get(reset_link))
        .route("/password-reset/confirm", post(confirm_reset))
        .with_state(accounts)
}

/// Checks a password (and the authenticator code of an account with a second factor).
#[utoipa::path(post, path = "/authenticate", tag = "accounts", operation_id = "authenticate",
    request_body = Credentials,
    responses(
        (status = 200, description = "The password is right", body = Authenticated),
        (status = 400, description = "The body is not JSON", content_type = "application/problem+json", body = varoskapu_http::Problem),
        (status = 401, description = "Wrong e-mail address or password, or the second factor is missing or wrong (`second_factor`: `totp`)", content_type = "application/problem+json", body = varoskapu_http::Problem),
        (status = 403, description = "The e-mail address is not confirmed yet", content_type = "application/problem+json", body = varoskapu_http::Problem),
        (status = 422, description = "The body does not have the fields asked for", content_type = "application/problem+json", body = varoskapu_http::Problem),
        (status = 429, description = "Too many failed attempts; see Retry-After", content_type = "application/problem+json", body = varoskapu_http::Problem)))]
async fn authenticate(
    State(accounts): State<Accounts>,
    address: ClientAddress,
    ApiJson(body): ApiJson<Credentials>,
) -> Result<Response, Response> {
    let outcome = match accounts
        .authenticate(&body.email, &body.password, address.text().as_deref())
        .await
    {
        Ok(account) if account.has_second_factor() => match body.code.as_deref() {
            None => Err(AccountError::SecondFactorRequired),
            Some(code) => accounts
                .verify_second_factor(account.id, code, address.text().as_deref())
                .await
                .map(|()| account),
        },
        other => other,
    };
    match outcome {
        Ok(account) => Ok(Json(json!({
            "sub": account.id,
            "roles": account.role_names(),
        }))
        .into_response()),
        Err(e) => Err(e.into_response()),
    }
}

/// Mails a password-reset link; the answer is the same whether or not the address has an
/// account.
#[utoipa::path(post, path = "/password-reset", tag = "accounts", operation_id = "password_reset",
    request_body = ResetRequest,
    responses(
        (status = 202, description = "A reset link is mailed if the address has an account", body = CheckYourEmail),
        (status = 400, description = "The body is not JSON", content_type = "application/problem+json", body = varoskapu_http::Problem),
        (status = 422, description = "The body does not have the fields asked for", content_type = "application/problem+json", body = varoskapu_http::Problem),
        (status = 429, description = "Too many requests from this address; see Retry-After", content_type = "application/problem+json", body = varoskapu_http::Problem)))]
async fn request_reset(
    State(accounts): State<Accounts>,
    address: ClientAddress,
    ApiJson(body): ApiJson<ResetRequest>,
) -> Result<Response, Response> {
    match accounts
        .request_password_reset(&body.email, address.text().as_deref())
        .await
    {
        Ok(()) => {}
        Err(e) => return Err(e.into_response()),
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({
            "status": "check_your_email",
            "detail": "If the address has an account, a reset link has been sent to it."
        })),
    )
        .into_response())
}

/// The mailed link's query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResetLink {
    pub token: Option<String>,
}

/// The mailed reset link's page and its form.
const RESET: PasswordFlow = PasswordFlow {
    action: "/password-reset/confirm",
    title_hu: "Új jelszó beállítása",
    title_en: "Set a new password",
    intro_hu: "Adja meg az új jelszót. Minden eszközön kijelentkeztetjük, ahol eddig \
               be volt jelentkezve.",
    intro_en: "Choose a new password. You will be signed out everywhere you were signed in.",
    done_hu: "Az új jelszót beállítottuk; minden korábbi bejelentkezés véget ért.",
    done_en: "Your new password is set; every earlier sign-in has ended.",
    done_status: "password_changed",
    refused_log: "password reset refused",
};

/// `GET /password-reset?token=…`: the page the mailed link opens.
#[utoipa::path(get, path = "/password-reset", tag = "accounts", operation_id = "password_reset_page",
    params(ResetLink),
    responses(
        (status = 200, description = "The new-password form", content_type = "text/html", body = String),
        (status = 400, description = "The link is incomplete", content_type = "text/html", body = String)))]
async fn reset_link(
    State(accounts): State<Accounts>,
    lang: PageLang,
    headers: HeaderMap,
    Query(query): Query<ResetLink>,
) -> Response {
    RESET.link_page(
        lang,
        &headers,
        accounts.secure_pages(),
        query.token.as_deref(),
    )
}

/// Sets the new password with the mailed token and ends every session; from the page's
/// form the answer is a page, as JSON it is JSON.
#[utoipa::path(post, path = "/password-reset/confirm", tag = "accounts", operation_id = "password_reset_confirm",
    request_body(content(
        (NewPassword = "application/json"),
        (NewPassword = "application/x-www-form-urlencoded"))),
    responses(
        (status = 200, description = "The password is changed", content(
            (Done = "application/json"), (String = "text/html"))),
        (status = 400, description = "Malformed body, or the token is invalid or expired", content(
            (varoskapu_http::Problem = "application/problem+json"), (String = "text/html"))),
        (status = 403, description = "A form post without the page's CSRF token (double-submit cookie); nothing changed", content_type = "text/html", body = String),
        (status = 422, description = "A weak password", content(
            (varoskapu_http::Problem = "application/problem+json"), (String = "text/html")))))]
async fn confirm_reset(
    State(accounts): State<Accounts>,
    headers: HeaderMap,
    body: Submitted<NewPassword>,
) -> Response {
    let lang = PageLang {
        lang: Lang::negotiate(&headers, None),
        explicit: false,
    };
    let (from_page, body) = body.into_parts();
    let secure = accounts.secure_pages();
    if !RESET.accepts(from_page, &headers, secure, body.csrf.as_deref()) {
        return RESET.refused(lang);
    }
    let outcome = accounts.reset_password(&body.token, &body.password).await;
    let csrf = body.csrf.unwrap_or_default();
    RESET.answer(lang, from_page, &csrf, &body.token, &body.password, outcome)
}

/// A right password: the account and its roles.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct Authenticated {
    #[schema(format = Uuid)]
    sub: String,
    roles: Vec<String>,
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(authenticate, request_reset, reset_link, confirm_reset),
    components(schemas(Credentials, ResetRequest, NewPassword, Authenticated, CheckYourEmail, Done, varoskapu_http::Problem)),
    tags((name = "accounts", description = "Sign-up, e-mail confirmation, password checks and resets"))
)]
struct AuthenticateApi;

/// The OpenAPI description of [`router`] (public routes: no security).
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = <AuthenticateApi as utoipa::OpenApi>::openapi();
    varoskapu_http::openapi::complete_public_writes(&mut doc);
    doc
}
