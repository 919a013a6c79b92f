//! The register function's router, driven as a client would drive it.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use tower::ServiceExt;
use varoskapu_accounts::{Accounts, AccountsConfig};
use varoskapu_core::{Clock, IdGenerator, SystemClock, Table, UuidV7Ids};
use varoskapu_embedded::SqliteTable;

fn app() -> (axum::Router, Arc<dyn Table>, Accounts) {
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
    (
        varoskapu_register::router(accounts.clone()),
        table,
        accounts,
    )
}

async fn call(
    app: &axum::Router,
    method: &str,
    uri: &str,
    body: Option<Value>,
) -> (StatusCode, Value, String) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .expect("request");
    let response = app.clone().oneshot(request).await.expect("response");
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap_or_default().to_owned())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        content_type,
    )
}

#[tokio::test]
async fn registering_a_taken_address_answers_exactly_like_a_new_one() {
    let (app, table, _) = app();
    let body =
        json!({"email": "anna@example.hu", "password": "a long password", "name": "Kovács Anna"});
    let first = call(&app, "POST", "/register", Some(body.clone())).await;
    let again = call(&app, "POST", "/register", Some(body)).await;
    assert_eq!(first.0, StatusCode::ACCEPTED);
    assert_eq!(first.0, again.0);
    assert_eq!(first.1, again.1);
    let mail = varoskapu_core::notify::OutboxNotifier::messages_to_address(
        table.as_ref(),
        &varoskapu_accounts::AccountAddresses::new(table.clone()),
        "anna@example.hu",
    )
    .await
    .expect("outbox");
    assert_eq!(mail.len(), 2, "the owner hears of the second attempt");
    assert!(
        mail.iter().all(|m| m.kind == "verify_email"),
        "an address never verified gets a new link, not 'already registered'"
    );
}

#[tokio::test]
async fn the_emailed_token_verifies_the_address_once() {
    let (app, table, accounts) = app();
    let body =
        json!({"email": "bela@example.hu", "password": "a long password", "name": "Szabó Béla"});
    call(&app, "POST", "/register", Some(body)).await;
    let mail = varoskapu_core::notify::OutboxNotifier::messages_to_address(
        table.as_ref(),
        &varoskapu_accounts::AccountAddresses::new(table.clone()),
        "bela@example.hu",
    )
    .await
    .expect("outbox");
    let token = varoskapu_accounts::tokens::token_in(&mail[0].body).expect("token");
    assert!(mail[0].body.contains("/register/verify?token="));
    let ok = call(
        &app,
        "POST",
        "/register/verify",
        Some(json!({"token": token, "password": "chosen on verifying"})),
    )
    .await;
    assert_eq!(ok.0, StatusCode::OK);
    let again = call(
        &app,
        "POST",
        "/register/verify",
        Some(json!({"token": token, "password": "chosen on verifying"})),
    )
    .await;
    assert_eq!(again.0, StatusCode::BAD_REQUEST);
    assert_eq!(again.2, "application/problem+json");
    assert!(
        accounts
            .authenticate("bela@example.hu", "chosen on verifying", None)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn a_weak_password_or_bad_address_is_a_validation_problem() {
    let (app, _, _) = app();
    let weak = call(
        &app,
        "POST",
        "/register",
        Some(json!({"email": "c@example.hu", "password": "short", "name": "C"})),
    )
    .await;
    assert_eq!(weak.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(weak.1["type"], "urn:varoskapu:problem:validation-failed");
    let bad = call(
        &app,
        "POST",
        "/register",
        Some(json!({"email": "nope", "password": "a long password", "name": "C"})),
    )
    .await;
    assert_eq!(bad.0, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn opening_the_mailed_link_shows_a_form_and_changes_nothing() {
    let (app, table, accounts) = app();
    let body =
        json!({"email": "cili@example.hu", "password": "a long password", "name": "Kiss Cili"});
    call(&app, "POST", "/register", Some(body)).await;
    let mail = varoskapu_core::notify::OutboxNotifier::messages_to_address(
        table.as_ref(),
        &varoskapu_accounts::AccountAddresses::new(table.clone()),
        "cili@example.hu",
    )
    .await
    .expect("outbox");
    let token = varoskapu_accounts::tokens::token_in(&mail[0].body).expect("token");
    let request = Request::builder()
        .uri(format!("/register/verify?token={token}"))
        .body(Body::empty())
        .expect("request");
    let response = app.clone().oneshot(request).await.expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    // The page's form carries the double-submit token of the cookie it sets.
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .split(';')
        .next()
        .expect("pair")
        .to_owned();
    let page = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("page");
    let page = String::from_utf8_lossy(&page);
    assert!(page.contains(r#"action="/register/verify""#), "{page}");
    assert_eq!(
        accounts
            .authenticate("cili@example.hu", "a long password", None)
            .await,
        Err(varoskapu_accounts::AccountError::EmailNotVerified)
    );
    // The form, posted as a browser does, verifies and sets the password.
    let csrf = cookie.split_once('=').expect("pair").1.to_owned();
    let form = format!("csrf={csrf}&token={token}&password=the+password+set+here");
    let request = Request::builder()
        .method("POST")
        .uri("/register/verify")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", &cookie)
        .body(Body::from(form))
        .expect("request");
    let response = app.clone().oneshot(request).await.expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        accounts
            .authenticate("cili@example.hu", "the password set here", None)
            .await
            .is_ok()
    );
}
