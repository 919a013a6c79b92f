//! Federated login against a second instance of this very provider acting as the upstream
//! national eID provider.

use crate::support::*;
use serde_json::Value;
use varoskapu_accounts::{NewAccount, Role};
use varoskapu_idp::federation::UpstreamConfig;
use varoskapu_idp::pkce::s256;
use varoskapu_idp::provider::ACR_PASSWORD;
use varoskapu_jose::verify_es256;

const VERIFIER: &str = "federation-verifier-long-enough-for-rfc-7636-0123456789";
const UPSTREAM_SECRET: &str = "downstream-secret-0123456789abcdefghijklmnopqrstuv";

/// Signs in at the downstream provider through the upstream one; returns the ID token claims.
async fn federated_sign_in(down: &App, up: &App, email: &str, password: &str) -> Value {
    let mut browser = Browser::new();
    let page = browser
        .get(&format!(
            "{}/oauth2/authorize?response_type=code&client_id={CLIENT_ID}&redirect_uri={}&scope=openid%20email&code_challenge={}&code_challenge_method=S256",
            down.issuer,
            url::form_urlencoded::byte_serialize(REDIRECT_URI.as_bytes()).collect::<String>(),
            s256(VERIFIER)
        ))
        .await;
    assert!(
        page.body.contains("/oauth2/federated/start"),
        "the login page offers the eID"
    );
    let to_upstream = browser
        .post_form(
            &format!("{}/oauth2/federated/start", down.issuer),
            &[
                ("request_id", &hidden(&page.body, "request_id")),
                ("csrf", &hidden(&page.body, "csrf")),
            ],
        )
        .await;
    assert_eq!(to_upstream.status, 303);
    let upstream_url = to_upstream.location.expect("location");
    assert!(upstream_url.starts_with(&up.issuer), "{upstream_url}");
    let login = browser.get(&upstream_url).await;
    let back = browser
        .submit_login(&up.issuer, &login.body, email, password)
        .await;
    let callback = back.location.expect("back to the downstream provider");
    assert!(callback.starts_with(&format!("{}/oauth2/federated/callback", down.issuer)));
    let done = browser.get(&callback).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let code = query_param(&done.location.expect("location"), "code").expect("code");
    let tokens: Value = reqwest::Client::new()
        .post(format!("{}/oauth2/token", down.issuer))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    let jwks = down.provider.jwks().await.expect("jwks");
    verify_es256(tokens["id_token"].as_str().expect("id token"), &jwks)
        .expect("verifies")
        .1
}

#[tokio::test]
async fn a_person_signs_in_through_the_upstream_eid_and_is_linked_to_a_local_account() {
    let up = spawn_app().await;
    let down = spawn_app_with(|config| {
        config.with_upstream(UpstreamConfig {
            issuer: up.issuer.clone(),
            client_id: "downstream".into(),
            client_secret: UPSTREAM_SECRET.into(),
            display_name: "Nemzeti eID".into(),
        })
    })
    .await;
    up.provider
        .clients
        .register(varoskapu_idp::NewClient {
            name: "Városkapu (downstream)".into(),
            client_id: Some("downstream".into()),
            secret: Some(UPSTREAM_SECRET.into()),
            redirect_uris: vec![format!("{}/oauth2/federated/callback", down.issuer)],
            first_party: true,
            ..varoskapu_idp::NewClient::default()
        })
        .await
        .expect("registered upstream");

    // The same verified address exists on both sides: the identities are linked.
    let claims = federated_sign_in(&down, &up, EMAIL, PASSWORD).await;
    let local = down
        .provider
        .accounts
        .find_by_email(EMAIL)
        .await
        .expect("reads")
        .expect("exists");
    assert_eq!(claims["sub"], local.id.to_string());
    assert_eq!(
        claims["acr"], ACR_PASSWORD,
        "the upstream assurance level is carried"
    );
    let upstream_account = up
        .provider
        .accounts
        .find_by_email(EMAIL)
        .await
        .expect("reads")
        .expect("exists");
    let federation = down.provider.federation.clone().expect("configured");
    let link = federation
        .link_of(&upstream_account.id.to_string())
        .await
        .expect("reads")
        .expect("linked");
    assert_eq!(link.account_id, local.id);
    assert_eq!(link.acr.as_deref(), Some(ACR_PASSWORD));

    // A person known only upstream gets a local account on first sign-in.
    up.provider
        .accounts
        .create(NewAccount {
            email: "csak.ugyfelkapu@example.hu".into(),
            password: "another long password".into(),
            name: "Fekete Pál".into(),
            roles: vec![Role::Citizen],
        })
        .await
        .expect("upstream account");
    let claims = federated_sign_in(
        &down,
        &up,
        "csak.ugyfelkapu@example.hu",
        "another long password",
    )
    .await;
    let created = down
        .provider
        .accounts
        .find_by_email("csak.ugyfelkapu@example.hu")
        .await
        .expect("reads")
        .expect("created on first sign-in");
    assert_eq!(claims["sub"], created.id.to_string());
    assert!(
        down.provider
            .accounts
            .authenticate("csak.ugyfelkapu@example.hu", "another long password", None)
            .await
            .is_err(),
        "a federated account has no local password"
    );
    let again = federated_sign_in(
        &down,
        &up,
        "csak.ugyfelkapu@example.hu",
        "another long password",
    )
    .await;
    assert_eq!(
        again["sub"],
        created.id.to_string(),
        "the second sign-in finds the link"
    );

    // Someone registered a person's address here first and never verified it: the eID
    // sign-in of the address's owner takes the account over, and the squatter's password
    // is void.
    let owner = "elso.regisztralt@example.hu";
    down.provider
        .accounts
        .register(owner, "a squatters password", "Mallory", None)
        .await
        .expect("squatted");
    up.provider
        .accounts
        .create(NewAccount {
            email: owner.into(),
            password: "the owners eid password".into(),
            name: "Tóth Ilona".into(),
            roles: vec![Role::Citizen],
        })
        .await
        .expect("upstream account");
    let claims = federated_sign_in(&down, &up, owner, "the owners eid password").await;
    let squatted = down
        .provider
        .accounts
        .find_by_email(owner)
        .await
        .expect("reads")
        .expect("exists");
    assert_eq!(claims["sub"], squatted.id.to_string());
    assert!(squatted.email_verified);
    assert_eq!(
        down.provider
            .accounts
            .authenticate(owner, "a squatters password", None)
            .await,
        Err(varoskapu_accounts::AccountError::InvalidCredentials),
        "the squatter's password no longer signs in"
    );
}

#[tokio::test]
async fn a_forged_or_replayed_callback_is_refused() {
    let down = spawn_app_with(|config| {
        config.with_upstream(UpstreamConfig {
            issuer: "http://127.0.0.1:9".into(),
            client_id: "downstream".into(),
            client_secret: UPSTREAM_SECRET.into(),
            display_name: "Nemzeti eID".into(),
        })
    })
    .await;
    let mut browser = Browser::new();
    let answer = browser
        .get(&format!(
            "{}/oauth2/federated/callback?code=x&state=made-up",
            down.issuer
        ))
        .await;
    assert_eq!(answer.status, 400);
    assert!(answer.location.is_none());
}
