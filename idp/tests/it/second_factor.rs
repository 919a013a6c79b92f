//! The authenticator-app second factor on the sign-in pages.

use crate::support::{self, *};
use varoskapu_accounts::totp::{STEP, base32_decode, code_at};
use varoskapu_idp::pkce::s256;

const VERIFIER: &str = "second-factor-verifier-long-enough-for-rfc-7636-0123456";

fn authorize_url(app: &App) -> String {
    format!(
        "{}/oauth2/authorize?response_type=code&client_id={CLIENT_ID}&redirect_uri={}&scope=openid&code_challenge={}&code_challenge_method=S256",
        app.issuer,
        url::form_urlencoded::byte_serialize(REDIRECT_URI.as_bytes()).collect::<String>(),
        s256(VERIFIER)
    )
}

/// Turns on the citizen's authenticator app; its secret.
async fn enable_totp(app: &App) -> Vec<u8> {
    let secret = app
        .provider
        .accounts
        .enable_totp(citizen_id(app).await)
        .await
        .expect("enables");
    base32_decode(&secret).expect("base32")
}

async fn submit_code(app: &App, browser: &mut Browser, page: &str, code: &str) -> Answer {
    let request_id = hidden(page, "request_id");
    let csrf = hidden(page, "csrf");
    browser
        .post_form(
            &format!("{}/oauth2/second-factor", app.issuer),
            &[("request_id", &request_id), ("csrf", &csrf), ("code", code)],
        )
        .await
}

#[tokio::test]
async fn a_correct_password_then_asks_for_a_code_that_works_once() {
    let app = spawn_app().await;
    let secret = enable_totp(&app).await;
    let step = (jiff::Timestamp::now().as_second() / STEP) as u64;
    let code = |step: u64| format!("{:06}", code_at(&secret, step));

    let mut browser = Browser::new();
    let page = browser.get(&authorize_url(&app)).await;
    let asked = browser
        .submit_login(&app.issuer, &page.body, EMAIL, PASSWORD)
        .await;
    assert_eq!(asked.status, 200);
    assert!(asked.body.contains(r#"autocomplete="one-time-code""#));
    assert!(
        !browser.cookies.contains_key("vk_session"),
        "no session before the second factor"
    );

    let wrong = submit_code(&app, &mut browser, &asked.body, "000000").await;
    assert_eq!(wrong.status, 401);
    let done = submit_code(&app, &mut browser, &asked.body, &code(step)).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert!(query_param(&done.location.expect("location"), "code").is_some());

    let mut other = Browser::new();
    let page = other.get(&authorize_url(&app)).await;
    let asked = other
        .submit_login(&app.issuer, &page.body, EMAIL, PASSWORD)
        .await;
    let replay = submit_code(&app, &mut other, &asked.body, &code(step)).await;
    assert_eq!(replay.status, 401, "a code is accepted once");
    let next = submit_code(&app, &mut other, &asked.body, &code(step + 1)).await;
    assert_eq!(next.status, 303);
}

#[tokio::test]
async fn asking_for_mfa_makes_a_password_session_sign_in_again_with_the_second_factor() {
    let app = spawn_app().await;
    let mut browser = Browser::new();
    // Signed in with a password only, before the second factor was turned on.
    let tokens = tokens_for(&app, &mut browser, "openid cases").await;
    let (_, at) = verified(&app, field(&tokens, "access_token")).await;
    assert_eq!(at["acr"], varoskapu_idp::provider::ACR_PASSWORD);
    let secret = enable_totp(&app).await;

    let mfa = format!("&acr_values={}", enc(varoskapu_core::access::ACR_MFA));
    let url = support::authorize_url(&app, CLIENT_ID, REDIRECT_URI, "openid cases", &mfa);
    let none = browser.get(&format!("{url}&prompt=none")).await;
    assert_eq!(
        query_param(&none.location.expect("location"), "error").as_deref(),
        Some("login_required"),
        "a password session does not pass for a second factor"
    );
    let page = browser.get(&url).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(r#"name="password""#), "signs in again");
    let asked = browser
        .submit_login(&app.issuer, &page.body, EMAIL, PASSWORD)
        .await;
    assert!(asked.body.contains(r#"autocomplete="one-time-code""#));
    let step = (jiff::Timestamp::now().as_second() / STEP) as u64;
    let done = submit_code(
        &app,
        &mut browser,
        &asked.body,
        &format!("{:06}", code_at(&secret, step)),
    )
    .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let code = query_param(&done.location.expect("location"), "code").expect("code");
    let (status, tokens) = redeem(&app, &code, &[]).await;
    assert_eq!(status, 200, "{tokens}");
    let (_, at) = verified(&app, field(&tokens, "access_token")).await;
    assert_eq!(at["acr"], varoskapu_core::access::ACR_MFA);
    assert_eq!(at["amr"], serde_json::json!(["pwd", "otp", "mfa"]));
    let (_, id) = verified(&app, field(&tokens, "id_token")).await;
    assert_eq!(id["acr"], varoskapu_core::access::ACR_MFA);
    assert_eq!(id["amr"], serde_json::json!(["pwd", "otp", "mfa"]));

    // The session now has the second factor: the same request passes without a page.
    let again = browser.get(&format!("{url}&prompt=none")).await;
    assert!(query_param(&again.location.expect("location"), "code").is_some());
}
