//! Passkeys over HTTP against the running server, with a software authenticator in place of
//! the browser's: added on the account page, then signing in with one as a multi-factor
//! sign-in; an answer replayed, an answer to another browser's challenge and a removed
//! passkey are refused.

use crate::support::{PORTAL, World, field};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use varoskapu_core::{Clock, SystemClock};
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::prelude::{
    CreationChallengeResponse, PublicKeyCredential, RequestChallengeResponse, Url,
};
use webauthn_authenticator_rs::softpasskey::SoftPasskey;

const PASSWORD: &str = "Masik-polgar-2026!";

/// A browser: its cookies.
#[derive(Default, Clone)]
struct Browser {
    jar: Vec<(String, String)>,
}

impl Browser {
    fn header(&self) -> String {
        self.jar
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn cookie(&self, name: &str) -> Option<String> {
        self.jar
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }

    fn keep(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all("set-cookie") {
            let Some(pair) = value.to_str().ok().and_then(|v| v.split(';').next()) else {
                continue;
            };
            if let Some((name, value)) = pair.split_once('=') {
                self.jar.retain(|(n, _)| n != name);
                if !value.is_empty() {
                    self.jar.push((name.to_owned(), value.to_owned()));
                }
            }
        }
    }

    async fn get(
        &mut self,
        w: &World,
        path: &str,
    ) -> (StatusCode, reqwest::header::HeaderMap, String) {
        let response = w
            .http
            .get(format!("{}{path}", w.base))
            .header("cookie", self.header())
            .send()
            .await
            .expect("get");
        self.keep(&response);
        let headers = response.headers().clone();
        (
            response.status(),
            headers,
            response.text().await.expect("body"),
        )
    }

    async fn form(&mut self, w: &World, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
        let response = w
            .http
            .post(format!("{}{path}", w.base))
            .header("cookie", self.header())
            .form(form)
            .send()
            .await
            .expect("post");
        self.keep(&response);
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (response.status(), location)
    }

    async fn json(
        &mut self,
        w: &World,
        path: &str,
        csrf: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        let response = w
            .http
            .post(format!("{}{path}", w.base))
            .header("cookie", self.header())
            .header("x-csrf-token", csrf)
            .json(&body)
            .send()
            .await
            .expect("post");
        self.keep(&response);
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

/// The value of an attribute `name="…"` after `after` in a page.
fn attribute(page: &str, after: &str, name: &str) -> String {
    let start = page
        .find(after)
        .unwrap_or_else(|| panic!("no {after} in {page}"));
    let marker = format!(r#"{name}=""#);
    let at = page[start..].find(&marker).expect("attribute") + start + marker.len();
    page[at..][..page[at..].find('"').expect("quote")].to_owned()
}

/// The software authenticator's origin: the server as `localhost` (a passkey's RP id is a
/// domain name, never an IP address).
fn origin(w: &World) -> Url {
    let mut url = Url::parse(&w.base).expect("base");
    url.set_host(Some("localhost")).expect("host");
    url
}

/// A browser on the sign-in page, with its CSRF cookie and token.
async fn on_sign_in_page(w: &World) -> (Browser, String) {
    let mut b = Browser::default();
    let (status, headers, page) = b.get(w, "/account/sign-in").await;
    assert_eq!(status, StatusCode::OK);
    let csp = headers["content-security-policy"].to_str().expect("csp");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(page.contains(r#"<script src="/assets/passkeys.js" defer></script>"#));
    let csrf = attribute(&page, r#"id="passkey-sign-in""#, "data-csrf");
    (b, csrf)
}

/// Signs in with the password.
async fn signed_in(w: &World, email: &str) -> Browser {
    let (mut b, csrf) = on_sign_in_page(w).await;
    let (status, location) = b
        .form(
            w,
            "/account/sign-in",
            &[
                ("csrf", &csrf),
                ("return_to", "/account"),
                ("email", email),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/account")
    );
    b
}

/// The `acr` of the browser's provider session.
async fn session_acr(w: &World, b: &Browser) -> Option<String> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let sessions =
        varoskapu_idp::sessions::Sessions::new(w.server.ports.table.clone(), clock, 3600);
    sessions
        .get(&b.cookie("vk_session").expect("a session cookie"))
        .await
        .expect("reads")
        .expect("a session")
        .acr
}

/// The software authenticator's answer to a sign-in challenge, as a resident passkey
/// answers: its credential, and the account's user handle.
fn answer(
    authenticator: &mut SoftPasskey,
    w: &World,
    options: &Value,
    credential_id: &str,
    user: varoskapu_accounts::AccountId,
) -> Value {
    let mut options = options.clone();
    // The soft authenticator keeps no resident keys, so it is told the credential a
    // discoverable passkey would pick itself.
    options["publicKey"]["allowCredentials"] = json!([{"type": "public-key", "id": credential_id}]);
    let options: RequestChallengeResponse = serde_json::from_value(options).expect("options");
    let credential: PublicKeyCredential = authenticator
        .do_authentication(origin(w), options)
        .expect("the authenticator answers");
    let mut credential = serde_json::to_value(credential).expect("json");
    credential["response"]["userHandle"] = URL_SAFE_NO_PAD.encode(user.as_bytes()).into();
    credential
}

#[tokio::test]
async fn a_passkey_signs_in_as_a_second_factor_once_per_challenge_until_removed() {
    let w = World::start().await;
    let email = "passkey@example.hu";
    w.new_person(email, "citizen").await;
    let account = varoskapu_local::identity::accounts(&w.server.ports)
        .find_by_email(email)
        .await
        .expect("lookup")
        .expect("account");

    // Add a passkey on the account page, fresh from signing in.
    let mut b = signed_in(&w, email).await;
    let (status, headers, page) = b.get(&w, "/account/passkeys").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-security-policy"]
            .to_str()
            .expect("csp")
            .contains("script-src 'self'")
    );
    let csrf = attribute(&page, r#"id="passkey-add""#, "data-csrf");
    let (status, _) = b
        .json(&w, "/account/passkeys/register/start", "wrong", json!({}))
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the session's CSRF token is needed"
    );
    let (status, options) = b
        .json(&w, "/account/passkeys/register/start", &csrf, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{options}");
    let options: CreationChallengeResponse = serde_json::from_value(options).expect("options");
    let mut authenticator = SoftPasskey::new(true);
    let created = authenticator
        .do_registration(origin(&w), options)
        .expect("the authenticator registers");
    let credential_id = created.id.clone();
    let (status, next) = b
        .json(
            &w,
            "/account/passkeys/register/finish",
            &csrf,
            json!({"name": "Laptop", "credential": created}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{next}");
    assert_eq!(next["location"], "/account/passkeys?done=added");
    let (_, _, listing) = b.get(&w, "/account/passkeys?done=added").await;
    assert!(listing.contains("Laptop"), "{listing}");

    // Sign in with it from another browser: a multi-factor session.
    let (mut other, token) = on_sign_in_page(&w).await;
    let (status, options) = other
        .json(&w, "/account/passkeys/sign-in/start", &token, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{options}");
    let credential = answer(&mut authenticator, &w, &options, &credential_id, account.id);
    let before = other.clone();
    let (status, next) = other
        .json(
            &w,
            "/account/passkeys/sign-in/finish",
            &token,
            json!({"return_to": "/account/apps", "credential": credential}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{next}");
    assert_eq!(next["location"], "/account/apps");
    assert_eq!(
        session_acr(&w, &other).await.as_deref(),
        Some(varoskapu_idp::provider::ACR_MFA)
    );
    let (status, _, _) = other.get(&w, "/account/apps").await;
    assert_eq!(status, StatusCode::OK, "signed in");
    let listed = varoskapu_local::identity::accounts(&w.server.ports)
        .passkeys(account.id)
        .await
        .expect("lists");
    assert!(listed[0].last_used_at.is_some(), "its use is recorded");

    // On a partner app's login page: the answer posted as a form, then back to the app.
    let (challenge, _) = openidconnect::PkceCodeChallenge::new_random_sha256();
    let mut app = Browser::default();
    let (status, _, login) = app
        .get(
            &w,
            &w.authorize_url(&PORTAL, challenge.as_str(), "")[w.base.len()..],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(login.contains(r#"id="passkey-sign-in""#), "{login}");
    let (request_id, login_csrf) = (field(&login, "request_id"), field(&login, "csrf"));
    let response = w
        .http
        .post(format!("{}/oauth2/login/passkey/start", w.base))
        .header("cookie", app.header())
        .form(&[("request_id", &request_id), ("csrf", &login_csrf)])
        .send()
        .await
        .expect("start");
    app.keep(&response);
    assert_eq!(response.status(), StatusCode::OK);
    let options: Value = response.json().await.expect("options");
    let login_answer =
        answer(&mut authenticator, &w, &options, &credential_id, account.id).to_string();
    let (status, location) = app
        .form(
            &w,
            "/oauth2/login/passkey",
            &[
                ("request_id", &request_id),
                ("csrf", &login_csrf),
                ("credential", &login_answer),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        location.starts_with(PORTAL.redirect) && location.contains("code="),
        "{location}"
    );
    assert_eq!(
        session_acr(&w, &app).await.as_deref(),
        Some(varoskapu_idp::provider::ACR_MFA)
    );

    // The same answer again, from the browser as it was before: the challenge is spent.
    let mut replay = before;
    let (status, _) = replay
        .json(
            &w,
            "/account/passkeys/sign-in/finish",
            &token,
            json!({"return_to": "/account", "credential": credential}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a replayed answer is refused"
    );
    assert!(replay.cookie("vk_session").is_none());

    // An answer to one browser's challenge, posted by another browser with its own.
    let (mut first, first_token) = on_sign_in_page(&w).await;
    let (_, first_options) = first
        .json(
            &w,
            "/account/passkeys/sign-in/start",
            &first_token,
            json!({}),
        )
        .await;
    let (mut second, second_token) = on_sign_in_page(&w).await;
    let (status, _) = second
        .json(
            &w,
            "/account/passkeys/sign-in/start",
            &second_token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let stolen = answer(
        &mut authenticator,
        &w,
        &first_options,
        &credential_id,
        account.id,
    );
    let (status, _) = second
        .json(
            &w,
            "/account/passkeys/sign-in/finish",
            &second_token,
            json!({"credential": stolen}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "another browser's challenge is refused"
    );
    assert!(second.cookie("vk_session").is_none());

    // Removed, the passkey no longer signs in.
    let session_csrf = attribute(&listing, r#"action="/account/passkeys/remove""#, "value");
    let (status, location) = b
        .form(
            &w,
            "/account/passkeys/remove",
            &[("csrf", &session_csrf), ("credential", &credential_id)],
        )
        .await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/account/passkeys?done=removed")
    );
    let (mut late, late_token) = on_sign_in_page(&w).await;
    let (_, options) = late
        .json(
            &w,
            "/account/passkeys/sign-in/start",
            &late_token,
            json!({}),
        )
        .await;
    let credential = answer(&mut authenticator, &w, &options, &credential_id, account.id);
    let (status, _) = late
        .json(
            &w,
            "/account/passkeys/sign-in/finish",
            &late_token,
            json!({"credential": credential}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a removed passkey is refused"
    );
    assert!(late.cookie("vk_session").is_none());
}
