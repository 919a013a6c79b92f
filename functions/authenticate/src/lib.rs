//! The authenticate function: checks a password (Argon2id) with throttling per account and
//! per client address and without account enumeration, and resets forgotten passwords
//! through the notification port.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use varoskapu_accounts::{AccountError, Accounts};
use varoskapu_http::{ApiJson, ClientAddress, Problem};

/// A password check.
#[derive(Debug, Deserialize)]
pub struct Credentials {
    pub email: String,
    pub password: String,
    /// The authenticator code, for accounts with a second factor.
    #[serde(default)]
    pub code: Option<String>,
}

/// A request for a password-reset link.
#[derive(Debug, Deserialize)]
pub struct ResetRequest {
    pub email: String,
}

/// A new password with the token of a reset link.
#[derive(Debug, Deserialize)]
pub struct NewPassword {
    pub token: String,
    pub password: String,
}

/// `POST /authenticate`, `POST /password-reset`, `POST /password-reset/confirm`.
pub fn router(accounts: Accounts) -> Router {
    Router::new()
        .route("/authenticate", post(authenticate))
        .route("/password-reset", post(request_reset))
        .route("/password-reset/confirm", post(confirm_reset))
        .with_state(accounts)
}

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
        Err(AccountError::Throttled { retry_after }) => {
            let mut response =
                Problem::from(AccountError::Throttled { retry_after }).into_response();
            if let Ok(value) = HeaderValue::from_str(&retry_after.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            Err(response)
        }
        Err(e) => Err(Problem::from(e).into_response()),
    }
}

async fn request_reset(
    State(accounts): State<Accounts>,
    ApiJson(body): ApiJson<ResetRequest>,
) -> Result<Response, Problem> {
    accounts.request_password_reset(&body.email).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({
            "status": "check_your_email",
            "detail": "If the address has an account, a reset link has been sent to it."
        })),
    )
        .into_response())
}

async fn confirm_reset(
    State(accounts): State<Accounts>,
    ApiJson(body): ApiJson<NewPassword>,
) -> Result<Response, Problem> {
    accounts.reset_password(&body.token, &body.password).await?;
    Ok(Json(json!({"status": "password_changed"})).into_response())
}
