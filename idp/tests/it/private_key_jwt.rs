//! `private_key_jwt` client authentication (RFC 7523): a signed, single-use assertion.

use crate::support::*;
use serde_json::{Value, json};
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

/// An assertion with exactly these claims and header fields, signed with `key`.
fn signed(key: &PrivateKey, header: Value, claims: Value) -> String {
    let input = format!(
        "{}.{}",
        varoskapu_jose::b64url(header.to_string().as_bytes()),
        varoskapu_jose::b64url(claims.to_string().as_bytes())
    );
    let signature = key.sign_raw(input.as_bytes());
    varoskapu_jose::es256_compact(input, &signature)
}

fn claims(client: &str, aud: Value, jti: &str) -> Value {
    let now = jiff::Timestamp::now().as_second();
    json!({"iss": client, "sub": client, "aud": aud, "exp": now + 60, "iat": now, "jti": jti})
}

async fn register(app: &App, client_id: &str, keys: Vec<varoskapu_jose::Jwk>) {
    app.provider
        .clients
        .register(varoskapu_idp::NewClient {
            name: format!("Service {client_id}"),
            client_id: Some(client_id.into()),
            redirect_uris: vec!["https://svc.example/cb".into()],
            jwks: Some(JwkSet { keys }),
            scopes: vec!["cases".into()],
            ..varoskapu_idp::NewClient::default()
        })
        .await
        .expect("client");
}

async fn with_assertion(app: &App, assertion: &str) -> (u16, Value) {
    token(
        app,
        &[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", assertion),
        ],
    )
    .await
}

#[tokio::test]
async fn a_kidless_private_key_jwt_works_for_a_single_key_client() {
    let app = spawn_app().await;
    register(&app, "svc", vec![key(11).public_jwk()]).await;
    let kidless = signed(
        &key(11),
        json!({"alg": "ES256", "typ": "JWT"}),
        claims("svc", json!(app.issuer), "kidless-1"),
    );
    let (status, body) = with_assertion(&app, &kidless).await;
    assert_eq!(status, 200, "{body}");

    // With two keys the assertion must say which.
    register(
        &app,
        "svc2",
        vec![key(21).public_jwk(), key(22).public_jwk()],
    )
    .await;
    let ambiguous = signed(
        &key(22),
        json!({"alg": "ES256"}),
        claims("svc2", json!(app.issuer), "kidless-2"),
    );
    assert_eq!(with_assertion(&app, &ambiguous).await.0, 401);
    let named = signed(
        &key(22),
        json!({"alg": "ES256", "kid": "svc-22"}),
        claims("svc2", json!(app.issuer), "kidless-3"),
    );
    assert_eq!(with_assertion(&app, &named).await.0, 200);
}

#[tokio::test]
async fn a_key_registered_without_kid_works() {
    let app = spawn_app().await;
    let mut jwk = key(31).public_jwk();
    jwk.kid = None;
    register(&app, "nokid", vec![jwk]).await;
    for (header, jti) in [
        (json!({"alg": "ES256"}), "nokid-1"),
        (json!({"alg": "ES256", "kid": "whatever"}), "nokid-2"),
    ] {
        let assertion = signed(&key(31), header, claims("nokid", json!(app.issuer), jti));
        let (status, body) = with_assertion(&app, &assertion).await;
        assert_eq!(status, 200, "{body}");
    }
    let forged = signed(
        &key(32),
        json!({"alg": "ES256"}),
        claims("nokid", json!(app.issuer), "nokid-3"),
    );
    assert_eq!(with_assertion(&app, &forged).await.0, 401);
}

#[tokio::test]
async fn an_array_audience_assertion_is_refused() {
    let app = spawn_app().await;
    register(&app, "svc", vec![key(11).public_jwk()]).await;
    let token_url = format!("{}/oauth2/token", app.issuer);
    let refused = [
        json!([app.issuer]),
        json!([app.issuer, "https://elsewhere.example"]),
        json!(token_url),
        json!([token_url]),
        json!(format!("{}/", app.issuer)),
    ];
    for (n, aud) in refused.into_iter().enumerate() {
        let assertion = signed(
            &key(11),
            json!({"alg": "ES256", "kid": "svc-11"}),
            claims("svc", aud.clone(), &format!("aud-{n}")),
        );
        let (status, body) = with_assertion(&app, &assertion).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("invalid_client")),
            "{aud}"
        );
    }
}

#[tokio::test]
async fn a_private_key_jwt_client_introspects_and_revokes_its_own_tokens() {
    let app = spawn_app().await;
    register(&app, "svc", vec![key(11).public_jwk()]).await;
    let (_, tokens) = with_assertion(&app, &assertion(&key(11), &app.issuer, "own-1")).await;
    let access = tokens["access_token"].as_str().expect("token").to_owned();
    let call = |path: &'static str, jti: &'static str| {
        let app = &app;
        let access = access.clone();
        async move {
            let response = reqwest::Client::new()
                .post(format!("{}{path}", app.issuer))
                .form(&[
                    ("token", access.as_str()),
                    ("client_assertion_type", ASSERTION_TYPE),
                    ("client_assertion", &assertion(&key(11), &app.issuer, jti)),
                ])
                .send()
                .await
                .expect("request");
            let status = response.status().as_u16();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let (status, answer) = call("/oauth2/introspect", "own-2").await;
    assert_eq!((status, &answer["active"]), (200, &json!(true)), "{answer}");
    assert_eq!(answer["sub"], "svc");
    assert_eq!(call("/oauth2/revoke", "own-3").await.0, 200);
    let (_, answer) = call("/oauth2/introspect", "own-4").await;
    assert_eq!(answer, json!({"active": false}));
}
