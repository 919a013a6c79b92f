//! Every security refusal of the provider, asserted over HTTP against the running router.

use crate::support::{self, *};
use serde_json::Value;
use varoskapu_idp::pkce::s256;
use varoskapu_jose::b64url;

fn authorize_url(app: &App, extra: &str) -> String {
    format!(
        "{}/oauth2/authorize?response_type=code&client_id={CLIENT_ID}&redirect_uri={}&scope=openid%20profile&state=s1&nonce=n1&code_challenge={}&code_challenge_method=S256{extra}",
        app.issuer,
        enc(REDIRECT_URI),
        s256(VERIFIER)
    )
}

/// Signs in through the pages and returns the code.
async fn code(app: &App, browser: &mut Browser) -> String {
    let page = browser.get(&authorize_url(app, "")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let hop = browser
        .submit_login(&app.issuer, &page.body, EMAIL, PASSWORD)
        .await;
    assert_eq!(hop.status, 303, "{}", hop.body);
    query_param(&hop.location.expect("location"), "code").expect("code")
}

async fn redeem(app: &App, code: &str, verifier: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/oauth2/token", app.issuer))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .expect("token request");
    (
        response.status().as_u16(),
        response.json().await.expect("json"),
    )
}

async fn userinfo_status(app: &App, token: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{}/oauth2/userinfo", app.issuer))
        .bearer_auth(token)
        .send()
        .await
        .expect("userinfo")
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_replayed_code_is_refused_and_revokes_what_it_issued() {
    let app = spawn_app().await;
    let mut browser = Browser::new();
    let code = code(&app, &mut browser).await;
    let (status, tokens) = redeem(&app, &code, VERIFIER).await;
    assert_eq!(status, 200, "{tokens}");
    let access = tokens["access_token"]
        .as_str()
        .expect("access token")
        .to_owned();
    assert_eq!(userinfo_status(&app, &access).await, 200);

    let (status, body) = redeem(&app, &code, VERIFIER).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(
        userinfo_status(&app, &access).await,
        401,
        "first tokens revoked"
    );
}

#[tokio::test]
async fn a_pkce_verifier_mismatch_is_refused() {
    let app = spawn_app().await;
    let mut browser = Browser::new();
    let code = code(&app, &mut browser).await;
    let wrong = "another-verifier-that-is-long-enough-for-rfc-7636-00000";
    let (status, body) = redeem(&app, &code, wrong).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn an_unregistered_redirect_uri_shows_an_error_page_and_never_redirects() {
    let app = spawn_app().await;
    let mut browser = Browser::new();
    let url = format!(
        "{}/oauth2/authorize?response_type=code&client_id={CLIENT_ID}&redirect_uri={}&scope=openid&state=s",
        app.issuer,
        enc("https://evil.example/steal")
    );
    let page = browser.get(&url).await;
    assert_eq!(page.status, 400);
    assert!(page.location.is_none());
    assert!(!page.body.contains("evil.example"));
}

#[tokio::test]
async fn a_login_post_without_its_csrf_token_is_refused() {
    let app = spawn_app().await;
    let mut browser = Browser::new();
    let page = browser.get(&authorize_url(&app, "")).await;
    let request_id = hidden(&page.body, "request_id");
    let hop = browser
        .post_form(
            &format!("{}/oauth2/login", app.issuer),
            &[
                ("request_id", &request_id),
                ("email", EMAIL),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(hop.status, 403);
    assert!(hop.location.is_none());
    assert!(!browser.cookies.contains_key("vk_session"));
}

#[tokio::test]
async fn a_login_post_from_another_browser_is_refused() {
    let app = spawn_app().await;
    let mut victim = Browser::new();
    let page = victim.get(&authorize_url(&app, "")).await;
    let mut attacker = Browser::new();
    let hop = attacker
        .submit_login(&app.issuer, &page.body, EMAIL, PASSWORD)
        .await;
    assert_eq!(hop.status, 403);
}

#[tokio::test]
async fn a_wrong_password_shows_the_form_again_without_saying_why() {
    let app = spawn_app().await;
    let mut browser = Browser::new();
    let page = browser
        .get(&authorize_url(&app, "&login_hint=anna%40example.hu"))
        .await;
    assert!(
        page.body.contains(r#"value="anna@example.hu""#),
        "login_hint prefills"
    );
    let wrong = browser
        .submit_login(&app.issuer, &page.body, EMAIL, "wrong password!")
        .await;
    let unknown = browser
        .submit_login(
            &app.issuer,
            &page.body,
            "nobody@example.hu",
            "wrong password!",
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(unknown.status, 401);
    assert!(wrong.body.contains("role=\"alert\""));
}

#[tokio::test]
async fn prompt_none_without_a_session_answers_login_required() {
    let app = spawn_app().await;
    let mut browser = Browser::new();
    let hop = browser.get(&authorize_url(&app, "&prompt=none")).await;
    assert_eq!(hop.status, 303);
    let location = hop.location.expect("location");
    assert_eq!(
        query_param(&location, "error").as_deref(),
        Some("login_required")
    );
    assert_eq!(query_param(&location, "state").as_deref(), Some("s1"));
}

#[tokio::test]
async fn max_age_zero_right_after_login_shows_the_login_page() {
    let app = spawn_app().await;
    let mut browser = Browser::new();
    code(&app, &mut browser).await;
    assert_eq!(
        browser.get(&authorize_url(&app, "")).await.status,
        303,
        "SSO"
    );
    // Within the same second as the sign-in: `now - auth_time` is 0, which is no excuse.
    for forced in ["&max_age=0", "&prompt=login"] {
        let page = browser.get(&authorize_url(&app, forced)).await;
        assert_eq!(page.status, 200, "{forced}");
        assert!(page.body.contains(r#"name="password""#), "{forced}");
    }
    let none = browser
        .get(&authorize_url(&app, "&max_age=0&prompt=none"))
        .await;
    assert_eq!(
        query_param(&none.location.expect("location"), "error").as_deref(),
        Some("login_required")
    );
    assert_eq!(
        browser
            .get(&authorize_url(&app, "&max_age=3600"))
            .await
            .status,
        303,
        "a recent enough sign-in serves"
    );
}

#[tokio::test]
async fn a_confidential_client_without_pkce_is_refused() {
    let app = spawn_app().await;
    let mut browser = Browser::new();
    let hop = browser
        .get(&format!(
            "{}/oauth2/authorize?response_type=code&client_id={CLIENT_ID}&redirect_uri={}&scope=openid&state=s1",
            app.issuer,
            enc(REDIRECT_URI)
        ))
        .await;
    assert_eq!(hop.status, 303);
    let location = hop.location.expect("location");
    assert!(location.starts_with(REDIRECT_URI));
    assert_eq!(
        query_param(&location, "error").as_deref(),
        Some("invalid_request")
    );
    assert!(query_param(&location, "code").is_none());
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_same_site_lax() {
    let app = spawn_app().await;
    let page = reqwest::Client::new()
        .get(authorize_url(&app, ""))
        .send()
        .await
        .expect("page");
    let cookie = page.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
}

#[tokio::test]
async fn a_wrong_client_secret_is_invalid_client() {
    let app = spawn_app().await;
    let response = reqwest::Client::new()
        .post(format!("{}/oauth2/token", app.issuer))
        .basic_auth(CLIENT_ID, Some("not-the-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token request");
    assert_eq!(response.status().as_u16(), 401);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"], "invalid_client");
}

#[tokio::test]
async fn client_credentials_gives_a_service_token_without_refresh_or_id_token() {
    let app = spawn_app().await;
    let response = reqwest::Client::new()
        .post(format!("{}/oauth2/token", app.issuer))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("scope", "cases"),
        ])
        .send()
        .await
        .expect("token request");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.expect("json");
    assert!(body["access_token"].is_string());
    assert!(body.get("refresh_token").is_none() && body.get("id_token").is_none());
    let token = body["access_token"].as_str().expect("token");
    let claims = app
        .provider
        .validate_access_token(token)
        .await
        .expect("valid");
    assert_eq!(claims.sub, CLIENT_ID);
    assert!(claims.roles.is_empty() && claims.fam.is_none() && claims.acr.is_none());
    let (header, raw) = verified(&app, token).await;
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    assert_eq!(raw["aud"], "urn:varoskapu:api:cases");
    for absent in ["fam", "roles", "acr", "amr", "auth_time"] {
        assert!(raw.get(absent).is_none(), "{absent} in {raw}");
    }
}

#[tokio::test]
async fn a_service_cannot_ask_for_a_persons_scopes_or_unregistered_ones() {
    let app = spawn_app().await;
    for scope in [
        "openid",
        "profile",
        "offline_access",
        "appointments",
        "roles",
    ] {
        let (status, body) = client_post(
            &app,
            "/oauth2/token",
            MEALS,
            &[("grant_type", "client_credentials"), ("scope", scope)],
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_scope")),
            "{scope}"
        );
    }
}

#[tokio::test]
async fn public_clients_cannot_use_client_credentials() {
    let app = spawn_app().await;
    let response = reqwest::Client::new()
        .post(format!("{}/oauth2/token", app.issuer))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", SECOND_CLIENT_ID),
        ])
        .send()
        .await
        .expect("token request");
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"], "unauthorized_client");
}

#[tokio::test]
async fn forged_tokens_are_refused_by_userinfo() {
    let app = spawn_app().await;
    let mut browser = Browser::new();
    let code = code(&app, &mut browser).await;
    let (_, tokens) = redeem(&app, &code, VERIFIER).await;
    let real = tokens["access_token"].as_str().expect("token");
    let payload = real.split('.').nth(1).expect("payload");
    let kid = {
        let header =
            varoskapu_jose::b64url_decode(real.split('.').next().expect("header")).expect("b64");
        let header: Value = serde_json::from_slice(&header).expect("json");
        header["kid"].as_str().expect("kid").to_owned()
    };
    let none = format!(
        "{}.{payload}.",
        b64url(format!(r#"{{"alg":"none","kid":"{kid}"}}"#).as_bytes())
    );
    assert_eq!(userinfo_status(&app, &none).await, 401);
    let hs = format!(
        "{}.{payload}.{}",
        b64url(format!(r#"{{"alg":"HS256","kid":"{kid}"}}"#).as_bytes()),
        b64url(b"anything")
    );
    assert_eq!(userinfo_status(&app, &hs).await, 401);
    assert_eq!(userinfo_status(&app, real).await, 200);
    let id_token = tokens["id_token"].as_str().expect("id token");
    assert_eq!(
        userinfo_status(&app, id_token).await,
        401,
        "an ID token is no access token"
    );
}

#[tokio::test]
async fn a_token_verified_before_is_refused_once_its_key_leaves_the_set() {
    let app = spawn_app().await;
    let mut browser = Browser::new();
    let code = code(&app, &mut browser).await;
    let (_, tokens) = redeem(&app, &code, VERIFIER).await;
    let token = tokens["access_token"].as_str().expect("token").to_owned();
    assert_eq!(userinfo_status(&app, &token).await, 200);
    assert_eq!(userinfo_status(&app, &token).await, 200, "used again");
    // Retired with no time to keep it: its key leaves the published set at once.
    app.provider.keys.rotate(0).await.expect("rotates");
    assert_eq!(
        userinfo_status(&app, &token).await,
        401,
        "a token verified before is not taken on trust once its key is gone"
    );
}

#[tokio::test]
async fn rotating_keys_keeps_old_tokens_valid_and_signs_with_the_pre_published_key() {
    let app = spawn_app().await;
    let before: Value = reqwest::get(format!("{}/oauth2/jwks", app.issuer))
        .await
        .expect("jwks")
        .json()
        .await
        .expect("json");
    assert_eq!(
        before["keys"].as_array().expect("keys").len(),
        4,
        "active and next, for ES256 and for RS256"
    );
    let mut browser = Browser::new();
    let code = code(&app, &mut browser).await;
    let (_, tokens) = redeem(&app, &code, VERIFIER).await;
    let old = tokens["access_token"].as_str().expect("token").to_owned();
    app.provider.keys.rotate(600).await.expect("rotates");
    assert_eq!(
        userinfo_status(&app, &old).await,
        200,
        "retired key still published"
    );
    let signing = app.provider.keys.signing_key().await.expect("key").kid;
    let published: Vec<&str> = before["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .filter_map(|k| k["kid"].as_str())
        .collect();
    assert!(
        published.contains(&signing.as_str()),
        "the new key was published before it signs"
    );
    let rsa_signing = app
        .provider
        .keys
        .signing_key_for(varoskapu_idp::JwsAlgorithm::Rs256)
        .await
        .expect("RSA key")
        .kid;
    assert!(
        published.contains(&rsa_signing.as_str()),
        "the new RSA key was published before it signs"
    );
}

#[tokio::test]
async fn a_third_party_client_asks_consent_once_and_a_refusal_is_access_denied() {
    let app = spawn_app().await;
    let redirect = "http://127.0.0.1:9/third/cb";
    app.provider
        .clients
        .register(varoskapu_idp::NewClient {
            name: "Harmadik fél".into(),
            client_id: Some("third".into()),
            redirect_uris: vec![redirect.into()],
            ..varoskapu_idp::NewClient::default()
        })
        .await
        .expect("client");
    let url = |extra: &str| {
        format!(
            "{}/oauth2/authorize?response_type=code&client_id=third&redirect_uri={}&scope=openid%20email&state=t&code_challenge={}&code_challenge_method=S256{extra}",
            app.issuer,
            enc(redirect),
            s256(VERIFIER)
        )
    };
    let mut browser = Browser::new();
    let page = browser.get(&url("")).await;
    let consent = browser
        .submit_login(&app.issuer, &page.body, EMAIL, PASSWORD)
        .await;
    assert_eq!(consent.status, 200);
    assert!(consent.body.contains(r#"value="allow""#));

    let without_csrf = browser
        .post_form(
            &format!("{}/oauth2/consent", app.issuer),
            &[
                ("request_id", &hidden(&consent.body, "request_id")),
                ("decision", "allow"),
            ],
        )
        .await;
    assert_eq!(without_csrf.status, 403);

    let deny = browser
        .post_form(
            &format!("{}/oauth2/consent", app.issuer),
            &[
                ("request_id", &hidden(&consent.body, "request_id")),
                ("csrf", &hidden(&consent.body, "csrf")),
                ("decision", "deny"),
            ],
        )
        .await;
    assert_eq!(deny.status, 303);
    let location = deny.location.expect("location");
    assert_eq!(
        query_param(&location, "error").as_deref(),
        Some("access_denied")
    );

    let again = browser.get(&url("")).await;
    assert_eq!(again.status, 200, "asked again, without a password");
    let allow = browser
        .post_form(
            &format!("{}/oauth2/consent", app.issuer),
            &[
                ("request_id", &hidden(&again.body, "request_id")),
                ("csrf", &hidden(&again.body, "csrf")),
                ("decision", "allow"),
            ],
        )
        .await;
    assert_eq!(allow.status, 303);
    assert!(query_param(&allow.location.expect("location"), "code").is_some());
    assert_eq!(
        browser.get(&url("")).await.status,
        303,
        "consent remembered"
    );
    assert_eq!(browser.get(&url("&prompt=consent")).await.status, 200);
    let more = format!(
        "{}/oauth2/authorize?response_type=code&client_id=third&redirect_uri={}&scope=openid%20profile&state=t&prompt=none&code_challenge={}&code_challenge_method=S256",
        app.issuer,
        enc(redirect),
        s256(VERIFIER)
    );
    let none = browser.get(&more).await;
    assert_eq!(none.status, 303);
    let location = none.location.expect("location");
    assert_eq!(
        query_param(&location, "error").as_deref(),
        Some("consent_required")
    );
}

const OTHER_ID: &str = "other-partner";
const OTHER_SECRET: &str = "other-secret-0123456789abcdefghijklmnopqrstuvwxyz";
const OTHER: (&str, Option<&str>) = (OTHER_ID, Some(OTHER_SECRET));
const CASES_API: (&str, Option<&str>) = (
    "cases-api",
    Some("cases-api-secret-0123456789abcdefghijklmnopqr"),
);

/// Another partner app and the cases API as a resource server.
async fn register_other_clients(app: &App) {
    app.provider
        .clients
        .register(varoskapu_idp::NewClient {
            name: "Másik partner".into(),
            client_id: Some(OTHER_ID.into()),
            secret: Some(OTHER_SECRET.into()),
            redirect_uris: vec!["http://127.0.0.1:9/other/cb".into()],
            first_party: true,
            scopes: vec!["openid".into(), "cases".into()],
            ..varoskapu_idp::NewClient::default()
        })
        .await
        .expect("other client");
    app.provider
        .clients
        .register(varoskapu_idp::NewClient {
            name: "Ügyek API".into(),
            client_id: Some(CASES_API.0.into()),
            secret: CASES_API.1.map(str::to_owned),
            resource_server_audiences: vec!["urn:varoskapu:api:cases".into()],
            ..varoskapu_idp::NewClient::default()
        })
        .await
        .expect("resource server");
}

async fn introspect(app: &App, caller: (&str, Option<&str>), token: &str) -> Value {
    let (status, body) = client_post(app, "/oauth2/introspect", caller, &[("token", token)]).await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn another_clients_token_is_not_introspected() {
    let app = spawn_app().await;
    register_other_clients(&app).await;
    let mut browser = Browser::new();
    let tokens = tokens_for(&app, &mut browser, "openid offline_access cases").await;
    let access = field(&tokens, "access_token");
    let refresh = field(&tokens, "refresh_token");
    for token in [access, refresh] {
        assert_eq!(
            introspect(&app, OTHER, token).await,
            serde_json::json!({"active": false})
        );
        assert_eq!(introspect(&app, MEALS, token).await["active"], true);
    }
    let own = introspect(&app, MEALS, access).await;
    assert_eq!(own["client_id"], CLIENT_ID);
    assert_eq!(own["acr"], varoskapu_idp::provider::ACR_PASSWORD);
    assert!(own.get("roles").is_none());
}

#[tokio::test]
async fn a_resource_server_introspects_only_tokens_meant_for_it() {
    let app = spawn_app().await;
    register_other_clients(&app).await;
    let mut browser = Browser::new();
    let for_cases = tokens_for(&app, &mut browser, "openid offline_access cases").await;
    let answer = introspect(&app, CASES_API, field(&for_cases, "access_token")).await;
    assert_eq!(answer["active"], true, "{answer}");
    assert_eq!(answer["client_id"], CLIENT_ID);
    assert!(
        answer["aud"]
            .to_string()
            .contains("urn:varoskapu:api:cases")
    );
    // A token for payments or for signing in only is none of its business; nor is a refresh token.
    let for_payments = tokens_for(&app, &mut browser, "openid payments").await;
    let sign_in = tokens_for(&app, &mut browser, "openid profile").await;
    for token in [
        field(&for_payments, "access_token"),
        field(&sign_in, "access_token"),
        field(&for_cases, "refresh_token"),
    ] {
        assert_eq!(
            introspect(&app, CASES_API, token).await,
            serde_json::json!({"active": false})
        );
    }
}

#[tokio::test]
async fn revoking_another_clients_token_is_refused() {
    let app = spawn_app().await;
    register_other_clients(&app).await;
    let mut browser = Browser::new();
    let tokens = tokens_for(&app, &mut browser, "openid offline_access cases").await;
    let access = field(&tokens, "access_token");
    let refresh = field(&tokens, "refresh_token");
    for token in [access, refresh] {
        let (status, body) = client_post(&app, "/oauth2/revoke", OTHER, &[("token", token)]).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"], "unauthorized_client");
    }
    assert_eq!(
        userinfo_status(&app, access).await,
        200,
        "the access token lives"
    );
    assert!(
        rotate(&app, refresh).await.is_some(),
        "the refresh token lives"
    );
    // Unknown tokens need no revoking, for anyone (RFC 7009 §2.2).
    let (status, _) = client_post(&app, "/oauth2/revoke", OTHER, &[("token", "nonsense")]).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_resource_server_may_only_introspect() {
    let app = spawn_app().await;
    register_other_clients(&app).await;
    let mut browser = Browser::new();
    let tokens = tokens_for(&app, &mut browser, "openid cases").await;
    let access = field(&tokens, "access_token");
    let (status, body) = client_post(&app, "/oauth2/revoke", CASES_API, &[("token", access)]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client"))
    );
    assert_eq!(userinfo_status(&app, access).await, 200);
    let (status, body) = client_post(
        &app,
        "/oauth2/token",
        CASES_API,
        &[("grant_type", "client_credentials"), ("scope", "cases")],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client"))
    );
    let page = browser
        .get(&support::authorize_url(
            &app,
            CASES_API.0,
            REDIRECT_URI,
            "openid",
            "",
        ))
        .await;
    assert_eq!(page.status, 400, "no redirect URI, no sign-in");
    assert!(page.location.is_none());
}

#[tokio::test]
async fn a_public_client_revokes_its_own_token_without_a_secret() {
    let app = spawn_app().await;
    let mut browser = Browser::new();
    let url = support::authorize_url(&app, SECOND_CLIENT_ID, SECOND_REDIRECT_URI, "openid", "");
    let code = code_from(&app, &mut browser, &url).await;
    let public = (SECOND_CLIENT_ID, None);
    let (status, tokens) = client_post(
        &app,
        "/oauth2/token",
        public,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", SECOND_REDIRECT_URI),
            ("code_verifier", support::VERIFIER),
        ],
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    let access = field(&tokens, "access_token");
    let (status, _) = client_post(&app, "/oauth2/revoke", public, &[("token", access)]).await;
    assert_eq!(status, 200);
    assert_eq!(userinfo_status(&app, access).await, 401);
}

#[tokio::test]
async fn a_foreign_id_token_hint_asks_before_signing_out() {
    let app = spawn_app().await;
    app.provider
        .accounts
        .create(varoskapu_accounts::NewAccount {
            email: "mallory@example.hu".into(),
            password: "mallory's long password".into(),
            name: "Mallory".into(),
            roles: vec![varoskapu_accounts::Role::Citizen],
        })
        .await
        .expect("attacker account");
    let mut victim = Browser::new();
    let victims = tokens_for(&app, &mut victim, "openid offline_access").await;

    // The attacker's own ID token, and the victim's from another device: neither is of the
    // session in the victim's browser.
    let mut attacker = Browser::new();
    let url = support::authorize_url(&app, CLIENT_ID, REDIRECT_URI, "openid", "");
    let page = attacker.get(&url).await;
    let hop = attacker
        .submit_login(
            &app.issuer,
            &page.body,
            "mallory@example.hu",
            "mallory's long password",
        )
        .await;
    let code = query_param(&hop.location.expect("location"), "code").expect("code");
    let (_, attackers) = support::redeem(&app, &code, &[]).await;
    let mut other_device = Browser::new();
    let elsewhere = tokens_for(&app, &mut other_device, "openid").await;

    let mut refresh = field(&victims, "refresh_token").to_owned();
    let mut asked = None;
    for hint in [field(&attackers, "id_token"), field(&elsewhere, "id_token")] {
        let link = format!(
            "{}/oauth2/logout?id_token_hint={hint}&post_logout_redirect_uri={}&state=bye",
            app.issuer,
            enc(POST_LOGOUT_URI)
        );
        let page = victim.get(&link).await;
        assert_eq!(page.status, 200, "a confirmation page, not a redirect");
        assert!(page.body.contains(r#"action="/oauth2/logout""#));
        assert!(victim.cookies.contains_key("vk_session"));
        let still = victim
            .get(&support::authorize_url(
                &app,
                CLIENT_ID,
                REDIRECT_URI,
                "openid",
                "&prompt=none",
            ))
            .await;
        assert!(
            query_param(&still.location.expect("location"), "code").is_some(),
            "the victim's session still works"
        );
        refresh = rotate(&app, &refresh)
            .await
            .expect("the victim's refresh token still works");
        asked = Some(page.body);
    }

    // Confirming on the page signs her out, and only then goes back where the app asked.
    let page = asked.expect("asked");
    let confirm = |csrf: String| {
        vec![
            ("csrf", csrf),
            ("client_id", hidden(&page, "client_id")),
            (
                "post_logout_redirect_uri",
                hidden(&page, "post_logout_redirect_uri"),
            ),
            ("state", hidden(&page, "state")),
        ]
    };
    let logout_url = format!("{}/oauth2/logout", app.issuer);
    let forged = confirm("not-the-csrf-token".into());
    let pairs: Vec<(&str, &str)> = forged.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(victim.post_form(&logout_url, &pairs).await.status, 403);
    let mut tampered = confirm(hidden(&page, "csrf"));
    tampered[2].1 = "https://evil.example/".into();
    let pairs: Vec<(&str, &str)> = tampered.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = victim.post_form(&logout_url, &pairs).await;
    assert_eq!(refused.status, 400, "the return address is checked again");
    assert!(refused.location.is_none());
    refresh = rotate(&app, &refresh).await.expect("nothing revoked yet");

    let confirmed = confirm(hidden(&page, "csrf"));
    let pairs: Vec<(&str, &str)> = confirmed.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let done = victim.post_form(&logout_url, &pairs).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(
        done.location.as_deref(),
        Some(format!("{POST_LOGOUT_URI}?state=bye").as_str())
    );
    assert!(!victim.cookies.contains_key("vk_session"));
    assert!(
        rotate(&app, &refresh).await.is_none(),
        "signed out: revoked"
    );
}

/// Uses a refresh token of the seeded client; the token that replaces it.
async fn rotate(app: &App, refresh: &str) -> Option<String> {
    let (status, body) = client_post(
        app,
        "/oauth2/token",
        MEALS,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    (status == 200).then(|| field(&body, "refresh_token").to_owned())
}
