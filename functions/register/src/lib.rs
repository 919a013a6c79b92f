//! The register function: a citizen signs up with e-mail, password and name, and confirms the
//! address with the one-time link sent through the notification port. The answer never tells
//! whether the address already had an account.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use varoskapu_accounts::Accounts;
use varoskapu_http::{ApiJson, Problem};

/// A sign-up request.
#[derive(Debug, Deserialize)]
pub struct Registration {
    pub email: String,
    pub password: String,
    pub name: String,
}

/// The token of an e-mailed verification link.
#[derive(Debug, Deserialize)]
pub struct Verification {
    pub token: String,
}

/// `POST /register`, `POST /register/verify` and the e-mailed link `GET /register/verify`.
pub fn router(accounts: Accounts) -> Router {
    Router::new()
        .route("/register", post(register))
        .route("/register/verify", post(verify).get(verify_link))
        .with_state(accounts)
}

async fn register(
    State(accounts): State<Accounts>,
    ApiJson(body): ApiJson<Registration>,
) -> Result<Response, Problem> {
    accounts
        .register(&body.email, &body.password, &body.name)
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({
            "status": "check_your_email",
            "detail": "If the address can be used, a confirmation link has been sent to it."
        })),
    )
        .into_response())
}

async fn verify(
    State(accounts): State<Accounts>,
    ApiJson(body): ApiJson<Verification>,
) -> Result<Response, Problem> {
    accounts.verify_email(&body.token).await?;
    Ok(Json(json!({"status": "verified"})).into_response())
}

async fn verify_link(
    State(accounts): State<Accounts>,
    Query(query): Query<Verification>,
) -> Response {
    let (status, hu, en) = match accounts.verify_email(&query.token).await {
        Ok(_) => (
            StatusCode::OK,
            "E-mail-címét megerősítettük, most már bejelentkezhet.",
            "Your e-mail address is confirmed; you can sign in now.",
        ),
        Err(e) => {
            tracing::info!(error = %e, "verification link refused");
            (
                StatusCode::BAD_REQUEST,
                "A link érvénytelen vagy lejárt.",
                "The link is invalid or has expired.",
            )
        }
    };
    let page = format!(
        "<!doctype html><html lang=\"hu\"><head><meta charset=\"utf-8\"><title>Városkapu</title></head>\
         <body><main><h1>Városkapu</h1><p>{hu}</p><p lang=\"en\">{en}</p></main></body></html>"
    );
    (status, Html(page)).into_response()
}
