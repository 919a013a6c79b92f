//! `private_key_jwt` client authentication (RFC 7523): a signed, single-use assertion.

mod support;

use serde_json::{Value, json};
use support::*;
use varoskapu_jose::{JwkSet, PrivateKey, sign_es256};

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

fn key(seed: u8) -> PrivateKey {
    PrivateKey::from_scalar(format!("svc-{seed}"), &[seed; 32]).expect("valid scalar")
}

fn assertion(key: &PrivateKey, aud: &str, jti: &str) -> String {
    let now = jiff::Timestamp::now().as_second();
    sign_es256(
        key,
        "JWT",
        &json!({"iss": "svc", "sub": "svc", "aud": aud, "exp": now + 60, "iat": now, "jti": jti}),
    )
}

async fn token(app: &App, form: &[(&str, &str)]) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/oauth2/token", app.issuer))
        .form(form)
        .send()
        .await
        .expect("token request");
    (
        response.status().as_u16(),
        response.json().await.expect("json"),
    )
}

#[tokio::test]
async fn a_signed_assertion_authenticates_once_and_forgeries_fail() {
    let app = spawn_app().await;
    app.provider
        .clients
        .register(varoskapu_idp::NewClient {
            name: "Service with keys".into(),
            client_id: Some("svc".into()),
            redirect_uris: vec!["https://svc.example/cb".into()],
            jwks: Some(JwkSet {
                keys: vec![key(11).public_jwk()],
            }),
            scopes: vec!["cases".into()],
            ..varoskapu_idp::NewClient::default()
        })
        .await
        .expect("client");
    let good = assertion(&key(11), &app.issuer, "jti-1");
    let form = |a: &str| {
        vec![
            ("grant_type", "client_credentials".to_owned()),
            ("client_assertion_type", ASSERTION_TYPE.to_owned()),
            ("client_assertion", a.to_owned()),
        ]
    };
    let send = |v: Vec<(&'static str, String)>| {
        let app = &app;
        async move {
            let pairs: Vec<(&str, &str)> = v.iter().map(|(k, v)| (*k, v.as_str())).collect();
            token(app, &pairs).await
        }
    };

    let (status, body) = send(form(&good)).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["access_token"].is_string());

    let (status, body) = send(form(&good)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client")),
        "replay"
    );

    let wrong_aud = assertion(&key(11), "https://elsewhere.example/token", "jti-2");
    assert_eq!(send(form(&wrong_aud)).await.0, 401);

    let wrong_key = assertion(&key(12), &app.issuer, "jti-3");
    assert_eq!(send(form(&wrong_key)).await.0, 401);

    let (status, _) = token(
        &app,
        &[("grant_type", "client_credentials"), ("client_id", "svc")],
    )
    .await;
    assert_eq!(status, 401, "a client with keys is not a public client");
}
