//! The authenticate function: checks a password (Argon2id) with throttling per account and
//! per client address and without account enumeration, and resets forgotten passwords
//! through the notification port.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use varoskapu_accounts::pages::{PasswordFlow, Submitted};
use varoskapu_accounts::{AccountError, Accounts};
use varoskapu_http::{ApiJson, ClientAddress};

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
        .route("/password-reset", post(request_reset).get(reset_link))
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
        Err(e) => Err(e.into_response()),
    }
}

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
#[derive(Debug, Deserialize)]
pub struct ResetLink {
    pub token: Option<String>,
}

/// The mailed reset link's page and its form.
const RESET: PasswordFlow = PasswordFlow {
    action: "/password-reset/confirm",
    title: "Új jelszó beállítása",
    intro_hu: "Adja meg az új jelszót. Minden eszközön kijelentkeztetjük, ahol eddig \
               be volt jelentkezve.",
    intro_en: "Choose a new password. You will be signed out everywhere you were signed in.",
    done_hu: "Az új jelszót beállítottuk; minden korábbi bejelentkezés véget ért.",
    done_en: "Your new password is set; every earlier sign-in has ended.",
    done_status: "password_changed",
    refused_log: "password reset refused",
};

/// `GET /password-reset?token=…`: the page the mailed link opens.
async fn reset_link(Query(query): Query<ResetLink>) -> Response {
    RESET.link_page(query.token.as_deref())
}

async fn confirm_reset(State(accounts): State<Accounts>, body: Submitted<NewPassword>) -> Response {
    let (from_page, body) = body.into_parts();
    let outcome = accounts.reset_password(&body.token, &body.password).await;
    RESET.answer(from_page, &body.token, outcome)
}
