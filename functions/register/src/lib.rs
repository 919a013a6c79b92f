//! The register function: a citizen signs up with e-mail, password and name, and confirms the
//! address through the one-time link sent through the notification port, setting the
//! password then (so a password given by whoever registered someone else's address first is
//! void). The answer never tells whether the address already had an account.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use varoskapu_accounts::pages::{self, PasswordForm, Submitted};
use varoskapu_accounts::{AccountError, Accounts};
use varoskapu_http::{ApiJson, ClientAddress};

/// A sign-up.
#[derive(Debug, Deserialize)]
pub struct Registration {
    pub email: String,
    pub password: String,
    pub name: String,
}

/// The mailed token and the password to set with it.
#[derive(Debug, Deserialize)]
pub struct Verification {
    pub token: String,
    pub password: String,
}

/// The mailed link's query.
#[derive(Debug, Deserialize)]
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

fn verify_form(status: StatusCode, token: &str, error: Option<(&str, &str)>) -> Response {
    pages::password_form(
        status,
        PasswordForm {
            action: "/register/verify",
            token,
            title: "E-mail-cím megerősítése",
            intro_hu: "Adja meg a jelszót, amellyel ezután bejelentkezik. Az e-mail-cím ezzel \
                       megerősítést nyer.",
            intro_en: "Choose the password you will sign in with; this confirms your e-mail \
                       address.",
            error,
        },
    )
}

async fn verify_link(Query(query): Query<VerificationLink>) -> Response {
    // Opening the link changes nothing (mail scanners open links too): the form does.
    match query.token.as_deref() {
        Some(token) if !token.is_empty() => verify_form(StatusCode::OK, token, None),
        _ => pages::message(
            StatusCode::BAD_REQUEST,
            "A link hiányos.",
            "The link is incomplete.",
        ),
    }
}

async fn verify(State(accounts): State<Accounts>, body: Submitted<Verification>) -> Response {
    let (from_page, body) = match body {
        Submitted::Form(body) => (true, body),
        Submitted::Json(body) => (false, body),
    };
    let outcome = accounts.verify_email(&body.token, &body.password).await;
    match (from_page, outcome) {
        (false, Ok(_)) => Json(json!({"status": "verified"})).into_response(),
        (false, Err(e)) => e.into_response(),
        (true, Ok(_)) => pages::message(
            StatusCode::OK,
            "E-mail-címét megerősítettük, most már bejelentkezhet.",
            "Your e-mail address is confirmed; you can sign in now.",
        ),
        (true, Err(AccountError::WeakPassword)) => verify_form(
            StatusCode::UNPROCESSABLE_ENTITY,
            &body.token,
            Some((
                "A jelszó túl rövid vagy túl gyakori.",
                "The password is too short or too common.",
            )),
        ),
        (true, Err(e)) => {
            tracing::info!(error = %e, "verification refused");
            pages::message(
                StatusCode::BAD_REQUEST,
                "A link érvénytelen vagy lejárt.",
                "The link is invalid or has expired.",
            )
        }
    }
}
