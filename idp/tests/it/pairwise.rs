//! Pairwise subjects: a pairwise partner app sees its own stable `sub` for a person, which
//! differs from the account id other apps see.

use crate::support::{self, *};
use serde_json::Value;
use varoskapu_idp::pkce::s256;
use varoskapu_jose::verify_es256;

const VERIFIER: &str = "pairwise-verifier-long-enough-for-rfc-7636-0123456789abc";

async fn sign_in(
    app: &App,
    browser: &mut Browser,
    client: (&str, &str, &str),
    login: bool,
) -> Value {
    let (id, secret, redirect) = client;
    let url = format!(
        "{}/oauth2/authorize?response_type=code&client_id={id}&redirect_uri={}&scope=openid%20email&code_challenge={}&code_challenge_method=S256",
        app.issuer,
        url::form_urlencoded::byte_serialize(redirect.as_bytes()).collect::<String>(),
        s256(VERIFIER)
    );
    let mut hop = browser.get(&url).await;
    if login {
        hop = browser
            .submit_login(&app.issuer, &hop.body, EMAIL, PASSWORD)
            .await;
    }
    let code = query_param(&hop.location.expect("location"), "code").expect("code");
    reqwest::Client::new()
        .post(format!("{}/oauth2/token", app.issuer))
        .basic_auth(id, Some(secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json")
}

async fn id_sub(app: &App, tokens: &Value) -> String {
    let jwks = app.provider.jwks().await.expect("jwks");
    let (_, claims): (_, Value) =
        verify_es256(tokens["id_token"].as_str().expect("id token"), &jwks).expect("verifies");
    claims["sub"].as_str().expect("sub").to_owned()
}

#[tokio::test]
async fn a_pairwise_partner_sees_its_own_stable_subject() {
    let app = spawn_app().await;
    let pairwise = (
        "pw",
        "pw-secret-0123456789abcdefghijklmnopqrstuvwxyz",
        "http://pairwise.example/cb",
    );
    app.provider
        .clients
        .register(varoskapu_idp::NewClient {
            name: "Pairwise partner".into(),
            client_id: Some(pairwise.0.into()),
            secret: Some(pairwise.1.into()),
            redirect_uris: vec![pairwise.2.into()],
            first_party: true,
            pairwise: true,
            ..varoskapu_idp::NewClient::default()
        })
        .await
        .expect("client");
    let mut browser = Browser::new();
    let public = sign_in(
        &app,
        &mut browser,
        (CLIENT_ID, CLIENT_SECRET, REDIRECT_URI),
        true,
    )
    .await;
    let account_sub = id_sub(&app, &public).await;
    let first = sign_in(&app, &mut browser, pairwise, false).await;
    let pairwise_sub = id_sub(&app, &first).await;
    assert_ne!(pairwise_sub, account_sub);
    assert!(uuid::Uuid::parse_str(&pairwise_sub).is_err());

    let info: Value = reqwest::Client::new()
        .get(format!("{}/oauth2/userinfo", app.issuer))
        .bearer_auth(first["access_token"].as_str().expect("access"))
        .send()
        .await
        .expect("userinfo")
        .json()
        .await
        .expect("json");
    assert_eq!(info["sub"], pairwise_sub.as_str());
    assert_eq!(info["email"], EMAIL);

    let mut other_browser = Browser::new();
    let again = sign_in(&app, &mut other_browser, pairwise, true).await;
    assert_eq!(
        id_sub(&app, &again).await,
        pairwise_sub,
        "stable across sign-ins"
    );
}

#[tokio::test]
async fn a_pairwise_clients_tokens_and_logout_token_carry_its_own_subject() {
    let app = spawn_app().await;
    let (backchannel, mut logout_tokens) = backchannel_receiver().await;
    let (id, secret, redirect) = (
        "pw2",
        "pw2-secret-0123456789abcdefghijklmnopqrstuvwxyz",
        "http://pairwise2.example/cb",
    );
    app.provider
        .clients
        .register(varoskapu_idp::NewClient {
            name: "Pairwise partner with a back channel".into(),
            client_id: Some(id.into()),
            secret: Some(secret.into()),
            redirect_uris: vec![redirect.into()],
            backchannel_logout_uri: Some(backchannel),
            first_party: true,
            pairwise: true,
            scopes: ["openid", "email", "offline_access", "cases"]
                .map(str::to_owned)
                .to_vec(),
            ..varoskapu_idp::NewClient::default()
        })
        .await
        .expect("client");
    let account = citizen_id(&app).await;
    let mut browser = Browser::new();
    let url = support::authorize_url(&app, id, redirect, "openid email offline_access cases", "");
    let code = code_from(&app, &mut browser, &url).await;
    let (status, tokens) = client_post(
        &app,
        "/oauth2/token",
        (id, Some(secret)),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", redirect),
            ("code_verifier", support::VERIFIER),
        ],
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    let sub = id_sub(&app, &tokens).await;
    assert_ne!(sub, account.to_string());
    assert!(!tokens.to_string().contains(&account.to_string()));

    let (_, access) = verified(&app, field(&tokens, "access_token")).await;
    assert_eq!(access["sub"], sub.as_str(), "the access token too");
    assert!(access["fam"].is_string());
    assert_eq!(
        app.provider.subjects.resolve(&sub).await.expect("reads"),
        Some(account),
        "recorded for the APIs to map back"
    );
    let (_, _, info) = userinfo_with(&app, Some(field(&tokens, "access_token"))).await;
    assert_eq!(info["sub"], sub.as_str());
    for token in ["access_token", "refresh_token"] {
        let (_, answer) = client_post(
            &app,
            "/oauth2/introspect",
            (id, Some(secret)),
            &[("token", field(&tokens, token))],
        )
        .await;
        assert_eq!(answer["active"], true, "{token}");
        assert_eq!(answer["sub"], sub.as_str(), "{token}");
    }

    let out = browser
        .get(&format!(
            "{}/oauth2/logout?id_token_hint={}",
            app.issuer,
            field(&tokens, "id_token")
        ))
        .await;
    assert_eq!(out.status, 200);
    let logout_token =
        tokio::time::timeout(std::time::Duration::from_secs(5), logout_tokens.recv())
            .await
            .expect("delivered in time")
            .expect("a token");
    let (header, claims) = verified(&app, &logout_token).await;
    assert_eq!(header.typ.as_deref(), Some("logout+jwt"));
    assert_eq!(claims["sub"], sub.as_str(), "never the internal id");
    assert_eq!(claims["aud"], id);
}
