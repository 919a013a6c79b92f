//! End-to-end flows with the `openidconnect` crate as the relying party, against the
//! provider served on loopback over a fresh data folder.

use crate::support::*;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreErrorResponseType, CoreJwsSigningAlgorithm,
    CoreProviderMetadata, CoreTokenResponse, CoreUserInfoClaims,
};
use openidconnect::{
    AccessToken, AuthType, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, IntrospectionUrl, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError,
    RevocationUrl, Scope, TokenIntrospectionResponse, TokenResponse,
};

type Rp = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointSet,
    EndpointSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client")
}

async fn relying_party(app: &App, http: &reqwest::Client) -> Rp {
    let issuer = IssuerUrl::new(app.issuer.clone()).expect("issuer url");
    let metadata = CoreProviderMetadata::discover_async(issuer, http)
        .await
        .expect("discovery document");
    CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(CLIENT_ID.into()),
        Some(ClientSecret::new(CLIENT_SECRET.into())),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.into()).expect("redirect url"))
    .set_revocation_url(
        RevocationUrl::new(format!("{}/oauth2/revoke", app.issuer)).expect("revocation url"),
    )
    .set_introspection_url(
        IntrospectionUrl::new(format!("{}/oauth2/introspect", app.issuer))
            .expect("introspection url"),
    )
}

struct Authorization {
    code: String,
    verifier: PkceCodeVerifier,
    nonce: Nonce,
}

/// Opens the authorization URL in the browser, signs in if asked, and returns the code.
async fn authorize(app: &App, rp: &Rp, browser: &mut Browser, expect_login: bool) -> Authorization {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = rp
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("offline_access".into()))
        .set_pkce_challenge(challenge)
        .url();
    let mut hop = browser.get(url.as_str()).await;
    if expect_login {
        assert_eq!(hop.status, 200, "login page: {}", hop.body);
        assert!(hop.body.contains(r#"name="password""#));
        hop = browser
            .submit_login(&app.issuer, &hop.body, EMAIL, PASSWORD)
            .await;
    }
    assert_eq!(hop.status, 303, "redirect back: {}", hop.body);
    let location = hop.location.expect("location");
    assert!(location.starts_with(REDIRECT_URI), "{location}");
    assert_eq!(
        query_param(&location, "state").as_deref(),
        Some(state.secret().as_str())
    );
    assert_eq!(
        query_param(&location, "iss").as_deref(),
        Some(app.issuer.as_str())
    );
    Authorization {
        code: query_param(&location, "code").expect("code"),
        verifier,
        nonce,
    }
}

async fn exchange(
    rp: &Rp,
    http: &reqwest::Client,
    auth: Authorization,
) -> (CoreTokenResponse, Nonce) {
    let tokens = rp
        .exchange_code(AuthorizationCode::new(auth.code))
        .expect("token endpoint")
        .set_pkce_verifier(auth.verifier)
        .request_async(http)
        .await
        .expect("tokens");
    (tokens, auth.nonce)
}

async fn signed_in(
    app: &App,
    rp: &Rp,
    http: &reqwest::Client,
    browser: &mut Browser,
) -> CoreTokenResponse {
    let auth = authorize(app, rp, browser, true).await;
    exchange(rp, http, auth).await.0
}

fn grant_error<E: std::error::Error + 'static>(
    result: Result<
        CoreTokenResponse,
        RequestTokenError<E, openidconnect::StandardErrorResponse<CoreErrorResponseType>>,
    >,
) -> CoreErrorResponseType {
    match result {
        Err(RequestTokenError::ServerResponse(response)) => response.error().clone(),
        other => panic!("expected an error response, got {other:?}"),
    }
}

#[tokio::test]
async fn code_flow_with_pkce_yields_a_verified_id_token_and_userinfo() {
    let app = spawn_app().await;
    let http = http();
    let rp = relying_party(&app, &http).await;
    let mut browser = Browser::new();
    let auth = authorize(&app, &rp, &mut browser, true).await;
    let (tokens, nonce) = exchange(&rp, &http, auth).await;

    let verifier = rp
        .id_token_verifier()
        .set_allowed_algs(vec![CoreJwsSigningAlgorithm::EcdsaP256Sha256]);
    let id_token = tokens.id_token().expect("an ID token");
    let claims = id_token
        .claims(&verifier, &nonce)
        .expect("ID token verifies");
    assert_eq!(claims.email().map(|e| e.as_str()), Some(EMAIL));
    assert_eq!(claims.email_verified(), Some(true));
    assert!(claims.auth_time().is_some());
    let expected_hash = openidconnect::AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().expect("alg"),
        id_token.signing_key(&verifier).expect("key"),
    )
    .expect("hash");
    assert_eq!(claims.access_token_hash(), Some(&expected_hash));
    assert!(tokens.refresh_token().is_some());

    let info: CoreUserInfoClaims = rp
        .user_info(
            tokens.access_token().clone(),
            Some(claims.subject().clone()),
        )
        .expect("userinfo endpoint")
        .request_async(&http)
        .await
        .expect("userinfo");
    assert_eq!(info.email().map(|e| e.as_str()), Some(EMAIL));
    let name = info
        .name()
        .and_then(|n| n.get(None))
        .map(|n| n.as_str().to_owned());
    assert_eq!(name.as_deref(), Some("Kovács Anna"));
}

#[tokio::test]
async fn client_secret_post_works_like_basic() {
    let app = spawn_app().await;
    let http = http();
    let rp = relying_party(&app, &http)
        .await
        .set_auth_type(AuthType::RequestBody);
    let mut browser = Browser::new();
    let tokens = signed_in(&app, &rp, &http, &mut browser).await;
    assert!(tokens.id_token().is_some());
}

#[tokio::test]
async fn refresh_rotates_and_reusing_a_rotated_token_revokes_the_family() {
    let app = spawn_app().await;
    let http = http();
    let rp = relying_party(&app, &http).await;
    let mut browser = Browser::new();
    let tokens = signed_in(&app, &rp, &http, &mut browser).await;
    let first: RefreshToken = tokens.refresh_token().expect("refresh").clone();

    let rotated = rp
        .exchange_refresh_token(&first)
        .expect("token endpoint")
        .request_async(&http)
        .await
        .expect("rotation");
    let second = rotated.refresh_token().expect("new refresh token").clone();
    assert_ne!(first.secret(), second.secret());

    let reuse = rp
        .exchange_refresh_token(&first)
        .expect("token endpoint")
        .request_async(&http)
        .await;
    assert_eq!(grant_error(reuse), CoreErrorResponseType::InvalidGrant);

    let after = rp
        .exchange_refresh_token(&second)
        .expect("token endpoint")
        .request_async(&http)
        .await;
    assert_eq!(
        grant_error(after),
        CoreErrorResponseType::InvalidGrant,
        "family revoked"
    );
    let access = rp
        .introspect(rotated.access_token())
        .request_async(&http)
        .await
        .expect("introspection");
    assert!(
        !access.active(),
        "access tokens of the family are revoked too"
    );
}

#[tokio::test]
async fn introspection_and_revocation_follow_the_token() {
    let app = spawn_app().await;
    let http = http();
    let rp = relying_party(&app, &http).await;
    let mut browser = Browser::new();
    let tokens = signed_in(&app, &rp, &http, &mut browser).await;

    let live = rp
        .introspect(tokens.access_token())
        .request_async(&http)
        .await
        .expect("introspection");
    assert!(live.active());
    assert_eq!(live.client_id().map(|c| c.as_str()), Some(CLIENT_ID));
    assert!(
        live.scopes()
            .is_some_and(|s| s.iter().any(|s| s.as_str() == "profile"))
    );

    let refresh = tokens.refresh_token().expect("refresh").clone();
    // The oauth2 crate refuses revocation over plain HTTP, so this hop is a raw RFC 7009 call.
    let revoked = http
        .post(format!("{}/oauth2/revoke", app.issuer))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[
            ("token", refresh.secret().as_str()),
            ("token_type_hint", "refresh_token"),
        ])
        .send()
        .await
        .expect("revocation");
    assert_eq!(revoked.status(), 200);
    let dead = rp
        .introspect(tokens.access_token())
        .request_async(&http)
        .await
        .expect("introspection");
    assert!(!dead.active());
    let refused = rp
        .exchange_refresh_token(&refresh)
        .expect("token endpoint")
        .request_async(&http)
        .await;
    assert_eq!(grant_error(refused), CoreErrorResponseType::InvalidGrant);
    let unknown = rp
        .introspect(&AccessToken::new("not-a-token".into()))
        .request_async(&http)
        .await
        .expect("introspection");
    assert!(!unknown.active());
}

#[tokio::test]
async fn a_second_partner_app_signs_in_without_a_password() {
    let app = spawn_app().await;
    let http = http();
    let rp = relying_party(&app, &http).await;
    let mut browser = Browser::new();
    signed_in(&app, &rp, &http, &mut browser).await;

    let metadata = CoreProviderMetadata::discover_async(
        IssuerUrl::new(app.issuer.clone()).expect("issuer"),
        &http,
    )
    .await
    .expect("discovery");
    let parking =
        CoreClient::from_provider_metadata(metadata, ClientId::new(SECOND_CLIENT_ID.into()), None)
            .set_redirect_uri(RedirectUrl::new(SECOND_REDIRECT_URI.into()).expect("url"));
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _, nonce) = parking
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge)
        .url();
    let hop = browser.get(url.as_str()).await;
    assert_eq!(
        hop.status, 303,
        "no login page the second time: {}",
        hop.body
    );
    let code = query_param(&hop.location.expect("location"), "code").expect("code");
    let tokens = parking
        .exchange_code(AuthorizationCode::new(code))
        .expect("token endpoint")
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("public client with PKCE gets tokens");
    let verifier = parking
        .id_token_verifier()
        .set_allowed_algs(vec![CoreJwsSigningAlgorithm::EcdsaP256Sha256]);
    tokens
        .id_token()
        .expect("id token")
        .claims(&verifier, &nonce)
        .expect("verifies");
}

#[tokio::test]
async fn logout_ends_the_session_and_revokes_its_tokens() {
    let app = spawn_app().await;
    let http = http();
    let rp = relying_party(&app, &http).await;
    let mut browser = Browser::new();
    let tokens = signed_in(&app, &rp, &http, &mut browser).await;
    let id_token = tokens.id_token().expect("id token").to_string();

    let logout = format!(
        "{}/oauth2/logout?id_token_hint={id_token}&post_logout_redirect_uri={}&state=bye1",
        app.issuer,
        urlencode(POST_LOGOUT_URI)
    );
    let hop = browser.get(&logout).await;
    assert_eq!(hop.status, 303, "{}", hop.body);
    assert_eq!(
        hop.location.as_deref(),
        Some(format!("{POST_LOGOUT_URI}?state=bye1").as_str())
    );
    assert!(!browser.cookies.contains_key("vk_session"));

    let refused = rp
        .exchange_refresh_token(tokens.refresh_token().expect("refresh"))
        .expect("token endpoint")
        .request_async(&http)
        .await;
    assert_eq!(grant_error(refused), CoreErrorResponseType::InvalidGrant);
    // The next authorization asks for the password again.
    authorize(&app, &rp, &mut browser, true).await;
}

#[tokio::test]
async fn an_unregistered_post_logout_redirect_is_refused_with_a_page() {
    let app = spawn_app().await;
    let mut browser = Browser::new();
    let hop = browser
        .get(&format!(
            "{}/oauth2/logout?client_id={CLIENT_ID}&post_logout_redirect_uri={}",
            app.issuer,
            urlencode("https://evil.example/")
        ))
        .await;
    assert_eq!(hop.status, 400);
    assert!(hop.location.is_none());
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
