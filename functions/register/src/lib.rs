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
use varoskapu_accounts::Accounts;
use varoskapu_accounts::pages::{PasswordFlow, Submitted};
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

/// The mailed verification link's page and its form.
const VERIFY: PasswordFlow = PasswordFlow {
    action: "/register/verify",
    title: "E-mail-cím megerősítése",
    intro_hu: "Adja meg a jelszót, amellyel ezután bejelentkezik. Az e-mail-cím ezzel \
               megerősítést nyer.",
    intro_en: "Choose the password you will sign in with; this confirms your e-mail address.",
    done_hu: "E-mail-címét megerősítettük, most már bejelentkezhet.",
    done_en: "Your e-mail address is confirmed; you can sign in now.",
    done_status: "verified",
    refused_log: "verification refused",
};

async fn verify_link(Query(query): Query<VerificationLink>) -> Response {
    VERIFY.link_page(query.token.as_deref())
}

async fn verify(State(accounts): State<Accounts>, body: Submitted<Verification>) -> Response {
    let (from_page, body) = body.into_parts();
    let outcome = accounts.verify_email(&body.token, &body.password).await;
    VERIFY.answer(from_page, &body.token, outcome)
}
