//! The register function: a citizen signs up with e-mail, password and name, and confirms the
//! address through the one-time link sent through the notification port, setting the
//! password then (so a password given by whoever registered someone else's address first is
//! void). The answer never tells whether the address already had an account.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use varoskapu_accounts::Accounts;
use varoskapu_accounts::pages::{CheckYourEmail, Done, PasswordFlow, Submitted};
use varoskapu_http::{ApiJson, ClientAddress};
use varoskapu_web::{Lang, PageLang};

/// A sign-up.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Registration {
    pub email: String,
    pub password: String,
    pub name: String,
}

/// The mailed token and the password to set with it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Verification {
    pub token: String,
    pub password: String,
    /// The page form's CSRF token (the double-submit cookie's value); JSON needs none.
    #[serde(default)]
    pub csrf: Option<String>,
}

/// The mailed link's query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VerificationLink {
    pub token: Option<String>,
}

/// `POST /register`, and the mailed link `GET /register/verify?token=…` with the form it
/// opens; `POST /register/verify` takes the form or JSON.
pub fn router(accounts: Accounts) -> Router {
    Router::new()
        .route("/register", post(register))
        .route("/register/verify", post(verify).get(verify_link))
        .with_state(accounts)
}

/// Signs a citizen up; the answer is the same whether or not the address had an account.
#[utoipa::path(post, path = "/register", tag = "accounts", operation_id = "register",
    request_body = Registration,
    responses(
        (status = 202, description = "A confirmation link is mailed if the address can be used", body = CheckYourEmail),
        (status = 400, description = "The body is not JSON", content_type = "application/problem+json", body = varoskapu_http::Problem),
        (status = 422, description = "Invalid e-mail address, name, or a weak password", content_type = "application/problem+json", body = varoskapu_http::Problem),
        (status = 429, description = "Too many sign-ups from this address; see Retry-After", content_type = "application/problem+json", body = varoskapu_http::Problem)))]
async fn register(
    State(accounts): State<Accounts>,
    address: ClientAddress,
    ApiJson(body): ApiJson<Registration>,
) -> Result<Response, Response> {
    match accounts
        .register(
            &body.email,
            &body.password,
            &body.name,
            address.text().as_deref(),
        )
        .await
    {
        Ok(()) => {}
        Err(e) => return Err(e.into_response()),
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({
            "status": "check_your_email",
            "detail": "If the address can be used, a confirmation link has been sent to it."
        })),
    )
        .into_response())
}

/// The mailed verification link's page and its form.
const VERIFY: PasswordFlow = PasswordFlow {
    action: "/register/verify",
    title_hu: "E-mail-cím megerősítése",
    title_en: "Confirm your e-mail address",
    intro_hu: "Adja meg a jelszót, amellyel ezután bejelentkezik. Az e-mail-cím ezzel \
               megerősítést nyer.",
    intro_en: "Choose the password you will sign in with; this confirms your e-mail address.",
    done_hu: "E-mail-címét megerősítettük, most már bejelentkezhet.",
    done_en: "Your e-mail address is confirmed; you can sign in now.",
    done_status: "verified",
    refused_log: "verification refused",
};

/// The page the mailed link opens: a form to set the password.
#[utoipa::path(get, path = "/register/verify", tag = "accounts", operation_id = "register_verify_page",
    params(VerificationLink),
    responses(
        (status = 200, description = "The set-password form", content_type = "text/html", body = String),
        (status = 400, description = "The link is incomplete", content_type = "text/html", body = String)))]
async fn verify_link(
    State(accounts): State<Accounts>,
    lang: PageLang,
    headers: HeaderMap,
    Query(query): Query<VerificationLink>,
) -> Response {
    VERIFY.link_page(
        lang,
        &headers,
        accounts.secure_pages(),
        query.token.as_deref(),
    )
}

/// Confirms the address with the mailed token and sets the password; from the page's form
/// the answer is a page, as JSON it is JSON.
#[utoipa::path(post, path = "/register/verify", tag = "accounts", operation_id = "register_verify",
    request_body(content(
        (Verification = "application/json"),
        (Verification = "application/x-www-form-urlencoded"))),
    responses(
        (status = 200, description = "Confirmed", content(
            (Done = "application/json"), (String = "text/html"))),
        (status = 400, description = "Malformed body, or the token is invalid or expired", content(
            (varoskapu_http::Problem = "application/problem+json"), (String = "text/html"))),
        (status = 403, description = "A form post without the page's CSRF token (double-submit cookie); nothing changed", content_type = "text/html", body = String),
        (status = 422, description = "A weak password", content(
            (varoskapu_http::Problem = "application/problem+json"), (String = "text/html")))))]
async fn verify(
    State(accounts): State<Accounts>,
    headers: HeaderMap,
    body: Submitted<Verification>,
) -> Response {
    let lang = PageLang {
        lang: Lang::negotiate(&headers, None),
        explicit: false,
    };
    let (from_page, body) = body.into_parts();
    let secure = accounts.secure_pages();
    if !VERIFY.accepts(from_page, &headers, secure, body.csrf.as_deref()) {
        return VERIFY.refused(lang);
    }
    let outcome = accounts.verify_email(&body.token, &body.password).await;
    let csrf = body.csrf.unwrap_or_default();
    VERIFY.answer(lang, from_page, &csrf, &body.token, &body.password, outcome)
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(register, verify_link, verify),
    components(schemas(Registration, Verification, CheckYourEmail, Done, varoskapu_http::Problem)),
    tags((name = "accounts", description = "Sign-up, e-mail confirmation, password checks and resets"))
)]
struct RegisterApi;

/// The OpenAPI description of [`router`] (public routes: no security).
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = <RegisterApi as utoipa::OpenApi>::openapi();
    varoskapu_http::openapi::complete_public_writes(&mut doc);
    doc
}
