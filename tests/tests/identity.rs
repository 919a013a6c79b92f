//! Single sign-on on the running local server with its demo data: the demo partner app signs
//! the demo citizen in with the `openidconnect` crate as relying party, the second demo app
//! gets in without a password, and a clerk's access token passes the functions' validator.

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};
use std::collections::HashMap;
use varoskapu_core::SystemClock;
use varoskapu_http::auth::TokenValidator;
use varoskapu_local::identity::*;
use varoskapu_local::{RunningServer, ServeConfig, serve};

async fn start(dir: &std::path::Path) -> RunningServer {
    serve(ServeConfig {
        data_dir: dir.to_owned(),
        addr: "127.0.0.1:0".parse().expect("addr"),
    })
    .await
    .expect("server starts")
}

/// Cookies kept by hand; redirects are not followed, so each hop is visible.
#[derive(Default)]
struct Jar(HashMap<String, String>);

impl Jar {
    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all("set-cookie") {
            if let Some((k, v)) = value
                .to_str()
                .ok()
                .and_then(|t| t.split(';').next()?.split_once('='))
            {
                self.0.insert(k.to_owned(), v.to_owned());
            }
        }
    }
}

fn field(page: &str, name: &str) -> String {
    let marker = format!(r#"name="{name}" value=""#);
    let start = page.find(&marker).expect("field") + marker.len();
    page[start..][..page[start..].find('"').expect("quote")].to_owned()
}

fn param(location: &str, name: &str) -> Option<String> {
    url::Url::parse(location)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Follows an authorization URL, signing in with the credentials if the login page shows.
async fn authorize(
    http: &reqwest::Client,
    jar: &mut Jar,
    base: &str,
    url: &str,
    login: Option<(&str, &str)>,
) -> String {
    let response = http
        .get(url)
        .header("cookie", jar.header())
        .send()
        .await
        .expect("authorize");
    jar.keep(&response);
    let response = match login {
        Some((email, password)) => {
            assert_eq!(response.status(), 200, "login page");
            let page = response.text().await.expect("page");
            let form = [
                ("request_id", field(&page, "request_id")),
                ("csrf", field(&page, "csrf")),
                ("email", email.to_owned()),
                ("password", password.to_owned()),
            ];
            let response = http
                .post(format!("{base}/oauth2/login"))
                .header("cookie", jar.header())
                .form(&form)
                .send()
                .await
                .expect("login");
            jar.keep(&response);
            response
        }
        None => response,
    };
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    param(&location, "code").expect("code")
}

#[tokio::test]
async fn the_demo_partner_apps_share_one_sign_in_and_tokens_pass_the_functions_validator() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = start(dir.path()).await;
    let base = server.url();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(base.clone()).expect("url"), &http)
            .await
            .expect("discovery");
    let meals = CoreClient::from_provider_metadata(
        metadata.clone(),
        ClientId::new(DEMO_PARTNER_ID.into()),
        Some(ClientSecret::new(DEMO_PARTNER_SECRET.into())),
    )
    .set_redirect_uri(RedirectUrl::new(DEMO_PARTNER_REDIRECT.into()).expect("url"));

    let mut jar = Jar::default();
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _, nonce) = meals
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("roles".into()))
        .set_pkce_challenge(challenge)
        .url();
    let code = authorize(
        &http,
        &mut jar,
        &base,
        url.as_str(),
        Some((DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)),
    )
    .await;
    let tokens = meals
        .exchange_code(AuthorizationCode::new(code))
        .expect("token url")
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("tokens");
    let id_verifier = meals
        .id_token_verifier()
        .set_allowed_algs(vec![CoreJwsSigningAlgorithm::EcdsaP256Sha256]);
    let claims = tokens
        .id_token()
        .expect("id token")
        .claims(&id_verifier, &nonce)
        .expect("verifies");
    let name = claims
        .name()
        .and_then(|n| n.get(None))
        .map(|n| n.as_str().to_owned());
    assert_eq!(name.as_deref(), Some("Kovács Anna"));

    // The second partner app: no password asked.
    let parking =
        CoreClient::from_provider_metadata(metadata, ClientId::new(DEMO_PARKING_ID.into()), None)
            .set_redirect_uri(RedirectUrl::new(DEMO_PARKING_REDIRECT.into()).expect("url"));
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _, _) = parking
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge)
        .url();
    let code = authorize(&http, &mut jar, &base, url.as_str(), None).await;
    parking
        .exchange_code(AuthorizationCode::new(code))
        .expect("token url")
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("tokens for the second app");

    // Every other function validates the access token against the JWKS over HTTP.
    let validator = TokenValidator::from_jwks_url(
        &base,
        "varoskapu-api",
        &format!("{base}/oauth2/jwks"),
        std::sync::Arc::new(SystemClock),
    );
    let citizen = validator
        .validate(tokens.access_token().secret())
        .await
        .expect("valid");
    assert!(citizen.has_role("citizen") && !citizen.has_role("clerk"));
    server.stop().await.expect("stop");
}

#[tokio::test]
async fn a_clerk_keeps_a_valid_token_across_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = start(dir.path()).await;
    let base = server.url();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let mut jar = Jar::default();
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let url = format!(
        "{base}/oauth2/authorize?response_type=code&client_id={DEMO_PARTNER_ID}&redirect_uri={}&scope=openid%20roles&code_challenge={}&code_challenge_method=S256",
        url::form_urlencoded::byte_serialize(DEMO_PARTNER_REDIRECT.as_bytes()).collect::<String>(),
        challenge.as_str()
    );
    let code = authorize(
        &http,
        &mut jar,
        &base,
        &url,
        Some((DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD)),
    )
    .await;
    let tokens: serde_json::Value = http
        .post(format!("{base}/oauth2/token"))
        .basic_auth(DEMO_PARTNER_ID, Some(DEMO_PARTNER_SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", DEMO_PARTNER_REDIRECT),
            ("code_verifier", verifier.secret()),
        ])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    let access = tokens["access_token"]
        .as_str()
        .expect("access token")
        .to_owned();
    let addr = server.addr;
    server.stop().await.expect("stop");

    // Same data folder, same address: same issuer, same keys, same accounts.
    let server = serve(ServeConfig {
        data_dir: dir.path().to_owned(),
        addr,
    })
    .await
    .expect("restarts");
    let userinfo: serde_json::Value = http
        .get(format!("{base}/oauth2/userinfo"))
        .bearer_auth(&access)
        .send()
        .await
        .expect("userinfo")
        .json()
        .await
        .expect("json");
    assert_eq!(userinfo["roles"], serde_json::json!(["clerk"]));
    server.stop().await.expect("stop");
}
