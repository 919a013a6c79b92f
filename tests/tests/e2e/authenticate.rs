//! The authenticate function's router, driven as a client would drive it.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use tower::ServiceExt;
use varoskapu_accounts::{Accounts, AccountsConfig, NewAccount, Role};
use varoskapu_core::{Clock, IdGenerator, SystemClock, Table, UuidV7Ids};
use varoskapu_embedded::SqliteTable;

async fn app() -> (axum::Router, Arc<dyn Table>) {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let ids: Arc<dyn IdGenerator> = Arc::new(UuidV7Ids);
    let table: Arc<dyn Table> =
        Arc::new(SqliteTable::in_memory(clock.clone()).expect("in-memory SQLite"));
    let outbox = Arc::new(varoskapu_core::notify::OutboxNotifier::new(
        table.clone(),
        clock.clone(),
        ids.clone(),
    ));
    let accounts = Accounts::new(
        table.clone(),
        clock,
        ids,
        outbox,
        AccountsConfig::new("http://localhost"),
    );
    accounts
        .create(NewAccount {
            email: "clerk@example.hu".into(),
            password: "a long password".into(),
            name: "Nagy Éva".into(),
            roles: vec![Role::Clerk],
        })
        .await
        .expect("account");
    (varoskapu_authenticate::router(accounts), table)
}

async fn post(app: &axum::Router, uri: &str, body: Value) -> (StatusCode, Value, Option<String>) {
    let request = Request::builder()
        .method("POST")
        .uri(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    let response = app.clone().oneshot(request).await.expect("response");
    let status = response.status();
    let retry = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap_or_default().to_owned());
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        retry,
    )
}

#[tokio::test]
async fn the_right_password_returns_the_subject_and_roles() {
    let (app, _) = app().await;
    let (status, body, _) = post(
        &app,
        "/authenticate",
        json!({"email": "Clerk@Example.hu", "password": "a long password"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["roles"], json!(["clerk"]));
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_address_get_the_same_answer() {
    let (app, _) = app().await;
    let wrong = post(
        &app,
        "/authenticate",
        json!({"email": "clerk@example.hu", "password": "wrong password"}),
    )
    .await;
    let unknown = post(
        &app,
        "/authenticate",
        json!({"email": "nobody@example.hu", "password": "wrong password"}),
    )
    .await;
    assert_eq!(wrong.0, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.0, unknown.0);
    assert_eq!(wrong.1, unknown.1);
}

#[tokio::test]
async fn repeated_failures_are_throttled_with_retry_after() {
    let (app, _) = app().await;
    for _ in 0..5 {
        post(
            &app,
            "/authenticate",
            json!({"email": "clerk@example.hu", "password": "wrong password"}),
        )
        .await;
    }
    let (status, body, retry) = post(
        &app,
        "/authenticate",
        json!({"email": "clerk@example.hu", "password": "a long password"}),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["type"], "urn:varoskapu:problem:too-many-requests");
    assert!(retry.is_some_and(|r| r.parse::<i64>().is_ok_and(|s| s > 0)));
}

#[tokio::test]
async fn a_password_reset_goes_through_the_outbox() {
    let (app, table) = app().await;
    let asked = post(
        &app,
        "/password-reset",
        json!({"email": "clerk@example.hu"}),
    )
    .await;
    let unknown = post(
        &app,
        "/password-reset",
        json!({"email": "nobody@example.hu"}),
    )
    .await;
    assert_eq!(asked.0, StatusCode::ACCEPTED);
    assert_eq!(asked.1, unknown.1, "no enumeration");
    let mail = varoskapu_core::notify::OutboxNotifier::messages_to_address(
        table.as_ref(),
        &varoskapu_accounts::AccountAddresses::new(table.clone()),
        "clerk@example.hu",
    )
    .await
    .expect("outbox");
    let token = varoskapu_accounts::tokens::token_in(&mail[0].body).expect("token");
    let done = post(
        &app,
        "/password-reset/confirm",
        json!({"token": token, "password": "a brand new password"}),
    )
    .await;
    assert_eq!(done.0, StatusCode::OK);
    let signed_in = post(
        &app,
        "/authenticate",
        json!({"email": "clerk@example.hu", "password": "a brand new password"}),
    )
    .await;
    assert_eq!(signed_in.0, StatusCode::OK);
}

#[tokio::test]
async fn an_account_with_a_second_factor_needs_its_code() {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let ids: Arc<dyn IdGenerator> = Arc::new(UuidV7Ids);
    let table: Arc<dyn Table> =
        Arc::new(SqliteTable::in_memory(clock.clone()).expect("in-memory SQLite"));
    let outbox = Arc::new(varoskapu_core::notify::OutboxNotifier::new(
        table.clone(),
        clock.clone(),
        ids.clone(),
    ));
    let accounts = Accounts::new(
        table,
        clock,
        ids,
        outbox,
        AccountsConfig::new("http://localhost"),
    );
    let account = accounts
        .create(NewAccount {
            email: "mfa@example.hu".into(),
            password: "a long password".into(),
            name: "Kiss Ádám".into(),
            roles: vec![Role::Signatory],
        })
        .await
        .expect("account");
    let secret = accounts.enable_totp(account.id).await.expect("totp");
    let secret = varoskapu_accounts::totp::base32_decode(&secret).expect("base32");
    let step = (jiff::Timestamp::now().as_second() / varoskapu_accounts::totp::STEP) as u64;
    let code = format!("{:06}", varoskapu_accounts::totp::code_at(&secret, step));
    let app = varoskapu_authenticate::router(accounts);

    let (status, body, _) = post(
        &app,
        "/authenticate",
        json!({"email": "mfa@example.hu", "password": "a long password"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["second_factor"], "totp");
    let (status, _, _) = post(
        &app,
        "/authenticate",
        json!({"email": "mfa@example.hu", "password": "a long password", "code": code}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}
