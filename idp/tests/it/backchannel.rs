//! Back-channel logout: ending the session POSTs a signed logout token to every partner app
//! the session signed in to that asked for one.

use crate::support::*;
use std::time::Duration;
use varoskapu_idp::backchannel::{LOGOUT_EVENT, LogoutTokenClaims};
use varoskapu_idp::pkce::s256;
use varoskapu_jose::verify_es256;

#[tokio::test]
async fn logout_posts_a_signed_logout_token_to_the_partner_back_channel() {
    let app = spawn_app().await;
    let (backchannel, mut rx) = backchannel_receiver().await;

    let redirect = "http://127.0.0.1:9/bc/cb";
    app.provider
        .clients
        .register(varoskapu_idp::NewClient {
            name: "Back-channel partner".into(),
            client_id: Some("bc".into()),
            secret: Some("bc-secret-0123456789abcdefghijklmnopqrstuvwxyz".into()),
            redirect_uris: vec![redirect.into()],
            backchannel_logout_uri: Some(backchannel),
            first_party: true,
            ..varoskapu_idp::NewClient::default()
        })
        .await
        .expect("client");

    let verifier = "backchannel-verifier-long-enough-for-rfc-7636-0123456789";
    let mut browser = Browser::new();
    let page = browser
        .get(&format!(
            "{}/oauth2/authorize?response_type=code&client_id=bc&redirect_uri={}&scope=openid&code_challenge={}&code_challenge_method=S256",
            app.issuer,
            url::form_urlencoded::byte_serialize(redirect.as_bytes()).collect::<String>(),
            s256(verifier)
        ))
        .await;
    let hop = browser
        .submit_login(&app.issuer, &page.body, EMAIL, PASSWORD)
        .await;
    let code = query_param(&hop.location.expect("location"), "code").expect("code");
    let tokens: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/oauth2/token", app.issuer))
        .basic_auth("bc", Some("bc-secret-0123456789abcdefghijklmnopqrstuvwxyz"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    let id_token = tokens["id_token"].as_str().expect("id token");
    let jwks = app.provider.jwks().await.expect("jwks");
    let (_, id_claims): (_, serde_json::Value) = verify_es256(id_token, &jwks).expect("id token");

    let out = browser
        .get(&format!(
            "{}/oauth2/logout?id_token_hint={id_token}",
            app.issuer
        ))
        .await;
    assert_eq!(out.status, 200);

    let logout_token = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("delivered in time")
        .expect("a token");
    let (header, claims): (_, LogoutTokenClaims) =
        verify_es256(&logout_token, &jwks).expect("logout token verifies");
    assert_eq!(header.typ.as_deref(), Some("logout+jwt"));
    assert_eq!(claims.aud, "bc");
    assert_eq!(claims.iss, app.issuer);
    assert_eq!(Some(claims.sid.as_str()), id_claims["sid"].as_str());
    assert_eq!(Some(claims.sub.as_str()), id_claims["sub"].as_str());
    assert!(claims.events.contains_key(LOGOUT_EVENT));
    let raw: serde_json::Value = verify_es256(&logout_token, &jwks).expect("verifies").1;
    assert!(
        raw.get("nonce").is_none(),
        "a logout token never carries a nonce"
    );
}
