//! RS256 ID tokens for partners that need them: the relying party verifies them through the
//! JWKS, other clients keep ES256, and an RS256 token never passes as an access token.

use crate::support::*;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata,
    CoreTokenResponse,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};
use serde_json::Value;
use std::sync::Arc;
use varoskapu_core::SystemClock;
use varoskapu_core::access::Resource;
use varoskapu_http::auth::{AuthError, TokenValidator};
use varoskapu_idp::{JwsAlgorithm, NewClient};
use varoskapu_jose::{AccessTokenClaims, Audience, JwkSet, JwsError, b64url_decode, verify_es256};

const LEGACY_ID: &str = "legacy-partner";
const LEGACY_SECRET: &str = "legacy-secret-0123456789abcdefghijklmnopqrstu";
const LEGACY_REDIRECT: &str = "http://127.0.0.1:9/legacy/callback";

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client")
}

async fn register_legacy_partner(app: &App) {
    app.provider
        .clients
        .register(NewClient {
            name: "Régi partner".into(),
            client_id: Some(LEGACY_ID.into()),
            secret: Some(LEGACY_SECRET.into()),
            redirect_uris: vec![LEGACY_REDIRECT.into()],
            first_party: true,
            id_token_signed_response_alg: JwsAlgorithm::Rs256,
            ..NewClient::default()
        })
        .await
        .expect("RS256 client");
}

/// Signs in as the citizen through `client_id`'s relying party and returns its tokens.
async fn sign_in(
    app: &App,
    client_id: &str,
    secret: &str,
    redirect: &str,
) -> (CoreTokenResponse, Nonce, CoreProviderMetadata) {
    let http = http();
    let metadata = CoreProviderMetadata::discover_async(
        IssuerUrl::new(app.issuer.clone()).expect("issuer"),
        &http,
    )
    .await
    .expect("discovery");
    let rp = CoreClient::from_provider_metadata(
        metadata.clone(),
        ClientId::new(client_id.into()),
        Some(ClientSecret::new(secret.into())),
    )
    .set_redirect_uri(RedirectUrl::new(redirect.into()).expect("url"));
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _, nonce) = rp
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge)
        .url();
    let mut browser = Browser::new();
    let page = browser.get(url.as_str()).await;
    assert_eq!(page.status, 200, "login page: {}", page.body);
    let hop = browser
        .submit_login(&app.issuer, &page.body, EMAIL, PASSWORD)
        .await;
    assert_eq!(hop.status, 303, "redirect back: {}", hop.body);
    let code = query_param(&hop.location.expect("location"), "code").expect("code");
    let tokens = rp
        .exchange_code(AuthorizationCode::new(code))
        .expect("token endpoint")
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("tokens");
    (tokens, nonce, metadata)
}

/// The `alg` in a compact JWS's header.
fn header_alg(token: &str) -> String {
    let header = token
        .split('.')
        .next()
        .and_then(b64url_decode)
        .expect("header");
    let header: Value = serde_json::from_slice(&header).expect("header JSON");
    header["alg"].as_str().expect("alg").to_owned()
}

async fn jwks(app: &App) -> JwkSet {
    http()
        .get(format!("{}/oauth2/jwks", app.issuer))
        .send()
        .await
        .expect("jwks")
        .json()
        .await
        .expect("jwks JSON")
}

#[tokio::test]
async fn an_rs256_client_gets_an_id_token_the_relying_party_verifies_through_the_jwks() {
    let app = spawn_app().await;
    register_legacy_partner(&app).await;
    let (tokens, nonce, metadata) = sign_in(&app, LEGACY_ID, LEGACY_SECRET, LEGACY_REDIRECT).await;

    let algs = metadata.id_token_signing_alg_values_supported().to_vec();
    assert!(
        algs.contains(&CoreJwsSigningAlgorithm::EcdsaP256Sha256),
        "{algs:?}"
    );
    assert!(
        algs.contains(&CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256),
        "{algs:?}"
    );

    let rp = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(LEGACY_ID.into()),
        Some(ClientSecret::new(LEGACY_SECRET.into())),
    );
    let verifier = rp
        .id_token_verifier()
        .set_allowed_algs(vec![CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256]);
    let id_token = tokens.id_token().expect("an ID token");
    let claims = id_token
        .claims(&verifier, &nonce)
        .expect("RS256 ID token verifies through the JWKS");
    assert_eq!(claims.email().map(|e| e.as_str()), Some(EMAIL));
    assert_eq!(
        *id_token.signing_alg().expect("alg"),
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256
    );
    let expected_hash = openidconnect::AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().expect("alg"),
        id_token.signing_key(&verifier).expect("key"),
    )
    .expect("hash");
    assert_eq!(claims.access_token_hash(), Some(&expected_hash));

    // The JWKS publishes the RSA key beside the EC key, each with its own id and algorithm.
    let keys = jwks(&app).await;
    let rsa: Vec<_> = keys.keys.iter().filter(|k| k.kty == "RSA").collect();
    assert_eq!(rsa.len(), 2, "active and next RSA keys");
    assert!(rsa.iter().all(|k| k.alg.as_deref() == Some("RS256")
        && k.use_.as_deref() == Some("sig")
        && k.kid.is_some()));
    assert!(keys.keys.iter().any(|k| k.alg.as_deref() == Some("ES256")));

    // The access token that came with it is ES256 for the API, as for every client.
    let access = tokens.access_token().secret();
    assert_eq!(header_alg(access), "ES256");
    let (_, at): (_, AccessTokenClaims) = verify_es256(access, &keys).expect("ES256 access token");
    assert_eq!(at.client_id, LEGACY_ID);
    app.provider
        .validate_access_token(access)
        .await
        .expect("the provider accepts its access token");
}

#[tokio::test]
async fn an_es256_client_still_gets_es256_id_tokens() {
    let app = spawn_app().await;
    register_legacy_partner(&app).await;
    let (tokens, nonce, metadata) = sign_in(&app, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI).await;
    let rp = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(CLIENT_ID.into()),
        Some(ClientSecret::new(CLIENT_SECRET.into())),
    );
    let id_token = tokens.id_token().expect("an ID token");
    assert_eq!(header_alg(&id_token.to_string()), "ES256");
    let rs256_only = rp
        .id_token_verifier()
        .set_allowed_algs(vec![CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256]);
    assert!(id_token.claims(&rs256_only, &nonce).is_err());
    let es256 = rp
        .id_token_verifier()
        .set_allowed_algs(vec![CoreJwsSigningAlgorithm::EcdsaP256Sha256]);
    id_token
        .claims(&es256, &nonce)
        .expect("ES256 ID token verifies");
}

#[tokio::test]
async fn an_rs256_signed_token_is_refused_by_the_functions_access_token_validator() {
    let app = spawn_app().await;
    let config = &app.provider.config;
    let now = jiff::Timestamp::now().as_second();
    // Claims a validator would accept, signed with the provider's own published RSA key.
    let claims = AccessTokenClaims {
        iss: config.issuer.clone(),
        sub: "someone".into(),
        aud: Audience::One(Resource::Cases.audience().into()),
        exp: now + 300,
        iat: now,
        nbf: Some(now),
        jti: "rs256-forgery".into(),
        client_id: CLIENT_ID.into(),
        scope: "openid cases".into(),
        roles: vec!["admin".into()],
        case_types: Vec::new(),
        fam: None,
        auth_time: None,
        acr: None,
        amr: Vec::new(),
    };
    let rsa_key = app
        .provider
        .keys
        .signing_key_for(JwsAlgorithm::Rs256)
        .await
        .expect("RSA key");
    let token = rsa_key.sign("at+jwt", &claims).await.expect("signs");
    assert_eq!(header_alg(&token), "RS256");

    let validator = TokenValidator::from_jwks_url(
        &config.issuer,
        &format!("{}/oauth2/jwks", app.issuer),
        Arc::new(SystemClock),
    );
    match validator.validate(&token).await {
        Err(AuthError::BadToken(JwsError::AlgorithmNotAccepted(alg))) => assert_eq!(alg, "RS256"),
        other => panic!(
            "expected the RS256 token refused, got {:?}",
            other.map(|p| p.account)
        ),
    }
    assert!(app.provider.validate_access_token(&token).await.is_err());
    let userinfo = http()
        .get(format!("{}/oauth2/userinfo", app.issuer))
        .bearer_auth(&token)
        .send()
        .await
        .expect("userinfo");
    assert_eq!(userinfo.status(), 401);
    // Nor does the provider mint access tokens with an RSA key.
    let grant = varoskapu_idp::tokens::AccessGrant {
        issuer: &config.issuer,
        sub: "someone",
        audience: Audience::One(Resource::Cases.audience().into()),
        client_id: CLIENT_ID,
        scopes: &[],
        roles: Vec::new(),
        case_types: Vec::new(),
        family: None,
        auth_time: None,
        acr: None,
    };
    assert!(
        varoskapu_idp::tokens::mint_access_token(&rsa_key, grant, now, 300)
            .await
            .is_err()
    );
}
