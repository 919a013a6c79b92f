//! Single sign-on on the running local server with its demo data: the demo partner app signs
//! the demo citizen in with the `openidconnect` crate as relying party, the second demo app
//! gets in without a password, and a clerk's office token outlives a restart. Then each app
//! only the power it was granted, tried as an attacker would.

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};
use std::collections::HashMap;
use varoskapu_core::SystemClock;
use varoskapu_http::auth::{AuthError, OWN_CASES, TokenValidator};
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
    // A partner app asks the person's consent first.
    let response = if response.status() == 200 {
        let page = response.text().await.expect("consent page");
        assert!(page.contains(r#"action="/oauth2/consent""#), "{page}");
        let form = [
            ("request_id", field(&page, "request_id")),
            ("csrf", field(&page, "csrf")),
            ("decision", "allow".to_owned()),
        ];
        let response = http
            .post(format!("{base}/oauth2/consent"))
            .header("cookie", jar.header())
            .form(&form)
            .send()
            .await
            .expect("consent");
        jar.keep(&response);
        response
    } else {
        response
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

    // Every other function validates the access token against the JWKS over HTTP: it is
    // the provider's, and it opens none of the APIs.
    let validator = TokenValidator::from_jwks_url(
        &base,
        &format!("{base}/oauth2/jwks"),
        std::sync::Arc::new(SystemClock),
    );
    let token = tokens.access_token().secret();
    let citizen = validator.validate(token).await.expect("valid");
    assert!(citizen.roles.is_empty(), "a partner app learns no roles");
    assert_eq!(
        validator.authorize(token, &OWN_CASES).await,
        Err(AuthError::MissingScope(
            varoskapu_core::access::Scope::Cases
        ))
    );
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
        "{base}/oauth2/authorize?response_type=code&client_id={DEMO_OFFICE_ID}&redirect_uri={}&scope=openid%20backoffice&code_challenge={}&code_challenge_method=S256",
        url::form_urlencoded::byte_serialize(DEMO_OFFICE_REDIRECT.as_bytes()).collect::<String>(),
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
        .basic_auth(DEMO_OFFICE_ID, Some(DEMO_OFFICE_SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", DEMO_OFFICE_REDIRECT),
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

// ---------------------------------------------------------------------------------------
// Each app only the power it was granted: attacks over HTTP on the running server.

use crate::support::{PARTNER, PORTAL, Person, TestClient, World};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use varoskapu_idp::NewClient;

/// Routes anyone may call; every other operation in `/openapi.json` must declare a scope.
const PUBLIC: [&str; 23] = [
    "GET /healthz",
    "GET /openapi.json",
    "GET /docs",
    "POST /register",
    "GET /register/verify",
    "POST /register/verify",
    "POST /authenticate",
    "GET /password-reset",
    "POST /password-reset",
    "POST /password-reset/confirm",
    // Presigned URLs: the signed token in the path is the grant.
    "GET /blob-store/{token}",
    "PUT /blob-store/{token}",
    "POST /tsa",
    "GET /case-types",
    "GET /case-types/{type_id}",
    "GET /appointments/offices",
    "GET /appointments/offices/{office_id}",
    "GET /appointments/services",
    "GET /appointments/services/{service_id}",
    "GET /appointments/services/{service_id}/slots",
    "GET /payments/return",
    "POST /payments/simplepay/ipn",
    // The account pages' one script (passkeys).
    "GET /assets/passkeys.js",
];

/// Operations of the Városkapu APIs (the provider's own endpoints and health aside).
async fn api_operations(world: &World) -> Vec<(Method, String, Option<Value>)> {
    let doc: Value = world
        .http
        .get(format!("{}/openapi.json", world.base))
        .send()
        .await
        .expect("openapi")
        .json()
        .await
        .expect("json");
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        // The provider's own pages (sign-in, the account pages) sit behind its session
        // cookie, not a bearer token.
        if path.starts_with("/oauth2")
            || path.starts_with("/.well-known")
            || path.starts_with("/account")
        {
            continue;
        }
        for (method, operation) in item.as_object().expect("item") {
            let Ok(method) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            operations.push((method, path.clone(), operation.get("security").cloned()));
        }
    }
    operations
}

/// A path with every parameter filled with an id that exists nowhere.
fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        out.push_str("0190c7e0-0000-7000-8000-0000000000aa");
        rest = &rest[rest.find('}').expect("closing brace") + 1..];
    }
    out + rest
}

async fn status_of(
    world: &World,
    method: Method,
    path: &str,
    token: Option<&str>,
) -> (StatusCode, Value, Option<String>) {
    let mut request = world
        .http
        .request(method, format!("{}{path}", world.base))
        .json(&json!({}));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().expect("ascii").to_owned());
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body, challenge)
}

#[tokio::test]
async fn every_protected_route_refuses_no_token_a_sign_in_only_token_and_the_wrong_side() {
    let world = World::start().await;
    // A clerk signs in to the school-meal app, which may only sign people in.
    let partner_clerk = world
        .sign_in_through(&PARTNER, DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD, None, "")
        .await;
    let citizen = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    let office_clerk = world
        .sign_in_office(DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD)
        .await;
    let operations = api_operations(&world).await;
    assert!(operations.len() > 40, "{} operations", operations.len());
    for (method, path, security) in operations {
        let name = format!("{method} {path}");
        let Some(security) = security else {
            assert!(PUBLIC.contains(&name.as_str()), "{name} declares no scope");
            continue;
        };
        let scope = security[0]["bearer"][0].as_str().expect("scope").to_owned();
        let url = concrete(&path);
        let (status, problem, challenge) = status_of(&world, method.clone(), &url, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{name} without a token");
        assert_eq!(problem["type"], "urn:varoskapu:problem:unauthenticated");
        assert_eq!(challenge.as_deref(), Some(r#"Bearer realm="varoskapu""#));
        let (status, problem, challenge) =
            status_of(&world, method.clone(), &url, Some(&partner_clerk.token)).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{name} with a partner app's token"
        );
        assert_eq!(problem["type"], "urn:varoskapu:problem:insufficient-scope");
        assert_eq!(problem["scope"], scope.as_str());
        assert!(
            challenge
                .expect("challenge")
                .contains(&format!(r#"error="insufficient_scope", scope="{scope}""#)),
            "{name}"
        );
        // The other side's app: a citizen's portal token on office work and the reverse.
        let other_side = if path.starts_with("/backoffice") || path.starts_with("/crm") {
            &citizen
        } else {
            &office_clerk
        };
        let (status, problem, _) =
            status_of(&world, method.clone(), &url, Some(&other_side.token)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{name} from the other side");
        assert_eq!(problem["type"], "urn:varoskapu:problem:insufficient-scope");
    }
    world.server.stop().await.expect("stop");
}

#[tokio::test]
async fn a_token_without_payments_cannot_pay_and_an_id_token_is_no_bearer_token() {
    let world = World::start().await;
    world
        .register_client(NewClient {
            name: "Ügyek (teszt)".into(),
            client_id: Some("cases-only".into()),
            secret: Some("cases-only-secret-0123456789abcdef0123456789".into()),
            redirect_uris: vec!["http://127.0.0.1:8090/cb".into()],
            first_party: true,
            scopes: vec!["openid".into(), "cases".into()],
            ..NewClient::default()
        })
        .await;
    let client = TestClient {
        id: "cases-only",
        secret: Some("cases-only-secret-0123456789abcdef0123456789"),
        redirect: "http://127.0.0.1:8090/cb",
        scope: "openid cases",
    };
    let citizen = world
        .sign_in_through(&client, DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD, None, "")
        .await;
    let case = world.case_awaiting_payment(&citizen).await;
    let (status, problem, _) = status_of(
        &world,
        Method::POST,
        &format!("/cases/{case}/payments"),
        Some(&citizen.token),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    assert_eq!(problem["scope"], "payments");
    // Her ID token is signed by the same provider, but it is not an access token.
    let id_token = citizen.id_token.clone().expect("id token");
    let (status, _, challenge) = status_of(&world, Method::GET, "/cases", Some(&id_token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(challenge.expect("challenge").contains("invalid_token"));
    let userinfo = world
        .http
        .get(format!("{}/oauth2/userinfo", world.base))
        .bearer_auth(&id_token)
        .send()
        .await
        .expect("userinfo");
    assert_eq!(userinfo.status(), StatusCode::UNAUTHORIZED);
    // Without offline_access there is no refresh token.
    assert!(citizen.refresh_token.is_none());
    world.server.stop().await.expect("stop");
}

/// A first-party pairwise app with `scopes`, and its test client.
async fn pairwise_app(world: &World, id: &'static str, scope: &'static str) -> TestClient {
    world
        .register_client(NewClient {
            name: format!("Párhuzamos alkalmazás {id}"),
            client_id: Some(id.into()),
            secret: Some("pairwise-secret-0123456789abcdef0123456789ab".into()),
            redirect_uris: vec![format!("http://{id}.127.0.0.1.nip.test/cb")],
            first_party: true,
            pairwise: true,
            scopes: scope.split(' ').map(str::to_owned).collect(),
            ..NewClient::default()
        })
        .await;
    TestClient {
        id,
        secret: Some("pairwise-secret-0123456789abcdef0123456789ab"),
        redirect: Box::leak(format!("http://{id}.127.0.0.1.nip.test/cb").into_boxed_str()),
        scope,
    }
}

#[tokio::test]
async fn a_case_started_through_a_pairwise_app_belongs_to_the_person() {
    let world = World::start().await;
    let app = pairwise_app(&world, "pairwise-cases", "openid cases").await;
    let through_app = world
        .sign_in_through(&app, DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD, None, "")
        .await;
    let portal = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    assert_ne!(
        through_app.sub, portal.sub,
        "the app sees a subject of its own"
    );
    assert!(uuid_free(&through_app.token, &portal.sub));
    let case = world
        .draft(&through_app, "official-certificate", json!({}))
        .await;
    let mine = world.ok(&portal, Method::GET, "/cases", None).await;
    assert!(
        mine.as_array()
            .expect("cases")
            .iter()
            .any(|c| c["id"] == case.as_str()),
        "{mine}"
    );
    let (status, _) = world
        .call(
            &world.new_person("idegen@example.hu", "citizen").await,
            Method::GET,
            &format!("/cases/{case}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    world.server.stop().await.expect("stop");
}

/// Whether a token's payload leaves the person's internal id out.
fn uuid_free(token: &str, account: &str) -> bool {
    let payload = token.split('.').nth(1).expect("payload");
    let bytes = varoskapu_jose::b64url_decode(payload).expect("base64url");
    !String::from_utf8_lossy(&bytes).contains(account)
}

#[tokio::test]
async fn a_signatory_cannot_approve_her_own_draft_from_any_app_and_approval_needs_a_second_factor()
{
    let world = World::start().await;
    let email = "dontes.hozo@demo.varoskapu.hu";
    let password = "Ketto-szerep-2026!";
    varoskapu_local::identity::accounts(&world.server.ports)
        .create(varoskapu_accounts::NewAccount {
            email: email.into(),
            password: password.into(),
            name: "Tóth Réka".into(),
            roles: vec![
                varoskapu_accounts::Role::Clerk,
                varoskapu_accounts::Role::Signatory,
            ],
        })
        .await
        .expect("account");
    let citizen = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    let drafter = world.sign_in_office(email, password).await;
    let case = world.case_awaiting_payment(&citizen).await;
    for (path, body) in [
        (
            "desk-payment",
            Some(json!({"method": "cash", "receipt_number": "P-7"})),
        ),
        ("claim", None),
        ("file", None),
        (
            "decision",
            Some(json!({"outcome": "approve", "reasoning": "Megfelel."})),
        ),
    ] {
        world
            .ok(
                &drafter,
                Method::POST,
                &format!("/backoffice/cases/{case}/{path}"),
                body,
            )
            .await;
    }
    let approve = format!("/backoffice/cases/{case}/decision/approve");
    // With a password only, the office app cannot approve at all.
    let (status, problem) = world.call(&drafter, Method::POST, &approve, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    assert_eq!(problem["type"], "urn:varoskapu:problem:mfa-required");
    // Through a pairwise office app, with a second factor: still herself.
    let app = pairwise_app(
        &world,
        "pairwise-office",
        "openid backoffice backoffice:approve",
    )
    .await;
    let secret = world.enable_totp(email).await;
    let approver = world
        .sign_in_through(&app, email, password, Some(&secret), "")
        .await;
    assert_ne!(approver.sub, drafter.sub);
    let (status, problem) = world.call(&approver, Method::POST, &approve, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    assert_eq!(problem["type"], "urn:varoskapu:problem:cases:self-approval");
    // The demo signatory, with her second factor, may.
    let signatory = world
        .sign_in_office_with_second_factor(
            varoskapu_local::cases::DEMO_SIGNATORY_EMAIL,
            varoskapu_local::cases::DEMO_SIGNATORY_PASSWORD,
        )
        .await;
    let decided = world.ok(&signatory, Method::POST, &approve, None).await;
    assert_eq!(decided["status"], "decided", "{decided}");
    world.server.stop().await.expect("stop");
}

/// The authorization endpoint's answer for a browser with `cookies`.
async fn authorize_with(
    world: &World,
    client: &TestClient,
    cookies: &str,
    extra: &str,
) -> reqwest::Response {
    let url = world.authorize_url(client, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", extra);
    world
        .http
        .get(url)
        .header("cookie", cookies)
        .send()
        .await
        .expect("authorize")
}

async fn refresh(world: &World, client: &TestClient, person: &Person) -> StatusCode {
    world
        .http
        .post(format!("{}/oauth2/token", world.base))
        .basic_auth(client.id, client.secret)
        .form(&[
            ("grant_type", "refresh_token"),
            (
                "refresh_token",
                person.refresh_token.as_deref().expect("refresh token"),
            ),
        ])
        .send()
        .await
        .expect("refresh")
        .status()
}

#[tokio::test]
async fn a_foreign_id_token_hint_asks_before_signing_anyone_out() {
    let world = World::start().await;
    let victim = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    let attacker = world.new_person("tamado@example.hu", "citizen").await;
    let hint = attacker.id_token.clone().expect("id token");
    let response = world
        .http
        .get(format!("{}/oauth2/logout?id_token_hint={hint}", world.base))
        .header("cookie", &victim.cookies)
        .send()
        .await
        .expect("logout");
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.expect("page");
    assert!(page.contains(r#"action="/oauth2/logout""#), "{page}");
    assert!(!field(&page, "csrf").is_empty());
    // Nothing happened: her session still signs her in, her refresh token still works.
    let again = authorize_with(&world, &PORTAL, &victim.cookies, "&prompt=none").await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    let location = again.headers()["location"].to_str().expect("ascii");
    assert!(location.contains("code="), "{location}");
    assert_eq!(refresh(&world, &PORTAL, &victim).await, StatusCode::OK);
    world.server.stop().await.expect("stop");
}

#[tokio::test]
async fn another_apps_tokens_are_neither_introspected_nor_revoked() {
    let world = World::start().await;
    let citizen = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    for token in [
        &citizen.token,
        citizen.refresh_token.as_ref().expect("refresh"),
    ] {
        let answer: Value = world
            .http
            .post(format!("{}/oauth2/introspect", world.base))
            .basic_auth(PARTNER.id, PARTNER.secret)
            .form(&[("token", token.as_str())])
            .send()
            .await
            .expect("introspect")
            .json()
            .await
            .expect("json");
        assert_eq!(answer, json!({"active": false}));
        let revoked = world
            .http
            .post(format!("{}/oauth2/revoke", world.base))
            .basic_auth(PARTNER.id, PARTNER.secret)
            .form(&[("token", token.as_str())])
            .send()
            .await
            .expect("revoke");
        assert_eq!(revoked.status(), StatusCode::BAD_REQUEST);
        let error: Value = revoked.json().await.expect("json");
        assert_eq!(error["error"], "unauthorized_client");
    }
    // The token still works for the app it was issued to.
    let own: Value = world
        .http
        .post(format!("{}/oauth2/introspect", world.base))
        .basic_auth(PORTAL.id, PORTAL.secret)
        .form(&[("token", citizen.token.as_str())])
        .send()
        .await
        .expect("introspect")
        .json()
        .await
        .expect("json");
    assert_eq!(own["active"], true);
    assert_eq!(refresh(&world, &PORTAL, &citizen).await, StatusCode::OK);
    world.server.stop().await.expect("stop");
}

#[tokio::test]
async fn max_age_zero_right_after_login_shows_the_login_page() {
    let world = World::start().await;
    let citizen = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    for extra in ["&max_age=0", "&prompt=login"] {
        let response = authorize_with(&world, &PORTAL, &citizen.cookies, extra).await;
        assert_eq!(response.status(), StatusCode::OK, "{extra}");
        let page = response.text().await.expect("page");
        assert!(
            page.contains(r#"action="/oauth2/login""#),
            "{extra}: {page}"
        );
    }
    let response = authorize_with(&world, &PORTAL, &citizen.cookies, "").await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "a session is reused otherwise"
    );
    world.server.stop().await.expect("stop");
}

/// An HTTP client whose requests come from `address` (the whole 127.0.0.0/8 is loopback).
fn client_from(address: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(Some(address.parse().expect("address")))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn password_attempt(
    http: &reqwest::Client,
    world: &World,
    password: &str,
) -> reqwest::Response {
    http.post(format!("{}/authenticate", world.base))
        .json(&json!({"email": DEMO_CITIZEN_EMAIL, "password": password}))
        .send()
        .await
        .expect("authenticate")
}

#[tokio::test]
async fn forty_parallel_guesses_check_at_most_five_passwords_and_never_lock_the_owner_out() {
    let world = World::start().await;
    let attacker = client_from("127.0.0.2");
    let guesses = (0..40).map(|n| {
        let attacker = attacker.clone();
        let url = format!("{}/authenticate", world.base);
        tokio::spawn(async move {
            let response = attacker
                .post(url)
                .json(&json!({"email": DEMO_CITIZEN_EMAIL, "password": format!("guess-{n}")}))
                .send()
                .await
                .expect("guess");
            (
                response.status(),
                response.headers().get("retry-after").cloned(),
            )
        })
    });
    let mut checked = 0;
    let mut slowed = 0;
    for guess in guesses {
        match guess.await.expect("task") {
            (StatusCode::UNAUTHORIZED, _) => checked += 1,
            (StatusCode::TOO_MANY_REQUESTS, Some(_)) => slowed += 1,
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert!(checked <= 5, "{checked} passwords were checked");
    assert_eq!(checked + slowed, 40);
    // Even the right password waits at the attacker's address...
    let response = password_attempt(&attacker, &world, DEMO_CITIZEN_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let problem: Value = response.json().await.expect("problem");
    assert_eq!(problem["type"], "urn:varoskapu:problem:too-many-requests");
    // ...but the owner, from her own address, signs in, through the API and the login page.
    let owner = client_from("127.0.0.3");
    let response = password_attempt(&owner, &world, DEMO_CITIZEN_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = owner
        .get(world.authorize_url(&PORTAL, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", ""))
        .send()
        .await
        .expect("authorize");
    let cookies: Vec<String> = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
        .collect();
    let page = page.text().await.expect("login page");
    let login = owner
        .post(format!("{}/oauth2/login", world.base))
        .header("cookie", cookies.join("; "))
        .form(&[
            ("request_id", field(&page, "request_id")),
            ("csrf", field(&page, "csrf")),
            ("email", DEMO_CITIZEN_EMAIL.to_owned()),
            ("password", DEMO_CITIZEN_PASSWORD.to_owned()),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(login.status(), StatusCode::SEE_OTHER);
    world.server.stop().await.expect("stop");
}

#[tokio::test]
async fn a_forged_forwarded_for_header_changes_no_address() {
    let world = World::start().await;
    let attacker = client_from("127.0.0.4");
    for n in 0..6 {
        // Each guess claims another address; the server believes only the connection.
        let response = attacker
            .post(format!("{}/authenticate", world.base))
            .header("x-forwarded-for", format!("198.51.100.{n}"))
            .json(&json!({"email": DEMO_CITIZEN_EMAIL, "password": "wrong-password"}))
            .send()
            .await
            .expect("guess");
        let expected = if n < 5 {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(response.status(), expected, "guess {n}");
    }
    world.server.stop().await.expect("stop");
}

/// The mails that reach `email` (sent to the account holding it, or to the address).
async fn mail_to(world: &World, email: &str) -> Vec<varoskapu_core::notify::Message> {
    let table = &world.server.ports.table;
    varoskapu_core::notify::OutboxNotifier::messages_to_address(
        table.as_ref(),
        &varoskapu_accounts::AccountAddresses::new(table.clone()),
        email,
    )
    .await
    .expect("outbox")
}

/// The one-time token of the newest mail of `kind` to `email`.
async fn mailed_token(world: &World, email: &str, kind: &str) -> String {
    let mail = mail_to(world, email).await;
    let message = mail
        .iter()
        .rev()
        .find(|m| m.kind == kind)
        .unwrap_or_else(|| panic!("no {kind} mail to {email}: {mail:?}"));
    varoskapu_accounts::tokens::token_in(&message.body).expect("a token in the mail")
}

async fn mails_of(world: &World, email: &str, kind: &str) -> usize {
    mail_to(world, email)
        .await
        .iter()
        .filter(|m| m.kind == kind)
        .count()
}

/// Opens a mailed link's page and submits its form with `password`, as a browser does.
async fn set_password_through_the_page(
    http: &reqwest::Client,
    world: &World,
    link: &str,
    password: &str,
) -> StatusCode {
    let page = http
        .get(format!("{}{link}", world.base))
        .send()
        .await
        .expect("link");
    assert_eq!(page.status(), StatusCode::OK, "{link}");
    // The form's CSRF token is the double-submit cookie the page sets.
    let cookie = page.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .split(';')
        .next()
        .expect("pair")
        .to_owned();
    let page = page.text().await.expect("page");
    let action = page
        .split(r#"action=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a form")
        .to_owned();
    http.post(format!("{}{action}", world.base))
        .header("cookie", cookie)
        .form(&[
            ("csrf", field(&page, "csrf")),
            ("token", field(&page, "token")),
            ("password", password.to_owned()),
        ])
        .send()
        .await
        .expect("form")
        .status()
}

#[tokio::test]
async fn a_password_reset_through_the_mailed_link_ends_every_session_and_refresh_token() {
    let world = World::start().await;
    let citizen = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    let http = client_from("127.0.0.6");
    let asked = http
        .post(format!("{}/password-reset", world.base))
        .json(&json!({"email": DEMO_CITIZEN_EMAIL}))
        .send()
        .await
        .expect("reset");
    assert_eq!(asked.status(), StatusCode::ACCEPTED);
    let token = mailed_token(&world, DEMO_CITIZEN_EMAIL, "password_reset").await;
    let new_password = "Uj-jelszo-a-levelbol-2026";
    let status = set_password_through_the_page(
        &http,
        &world,
        &format!("/password-reset?token={token}"),
        new_password,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // Every earlier sign-in is over: the browser session and the app's refresh token.
    assert_eq!(
        refresh(&world, &PORTAL, &citizen).await,
        StatusCode::BAD_REQUEST
    );
    let again = authorize_with(&world, &PORTAL, &citizen.cookies, "&prompt=none").await;
    let location = again.headers()["location"].to_str().expect("ascii");
    assert!(location.contains("error=login_required"), "{location}");
    // The old password is gone, the new one works.
    let old = password_attempt(&http, &world, DEMO_CITIZEN_PASSWORD).await;
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
    let new = http
        .post(format!("{}/authenticate", world.base))
        .json(&json!({"email": DEMO_CITIZEN_EMAIL, "password": new_password}))
        .send()
        .await
        .expect("authenticate");
    assert_eq!(new.status(), StatusCode::OK);
    world.server.stop().await.expect("stop");
}

#[tokio::test]
async fn a_squatter_who_registers_the_owners_address_first_gains_nothing() {
    let world = World::start().await;
    let victim = "sajat.cim@example.hu";
    let register = |http: reqwest::Client, password: &'static str, name: &'static str| {
        let url = format!("{}/register", world.base);
        async move {
            http.post(url)
                .json(&json!({"email": victim, "password": password, "name": name}))
                .send()
                .await
                .expect("register")
                .status()
        }
    };
    let squatter = client_from("127.0.0.7");
    let owner = client_from("127.0.0.8");
    assert_eq!(
        register(squatter.clone(), "a-squatters-password", "Mallory").await,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        register(owner.clone(), "the-owners-own-password", "Sajt Cili").await,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        mails_of(&world, victim, "verify_email").await,
        2,
        "the owner gets a new link, not 'already registered'"
    );
    let token = mailed_token(&world, victim, "verify_email").await;
    let status = set_password_through_the_page(
        &owner,
        &world,
        &format!("/register/verify?token={token}"),
        "set-when-verifying-2026",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    for (password, expected) in [
        ("a-squatters-password", StatusCode::UNAUTHORIZED),
        ("set-when-verifying-2026", StatusCode::OK),
    ] {
        let answer = squatter
            .post(format!("{}/authenticate", world.base))
            .json(&json!({"email": victim, "password": password}))
            .send()
            .await
            .expect("authenticate");
        assert_eq!(answer.status(), expected, "{password}");
    }
    world.server.stop().await.expect("stop");
}

#[tokio::test]
async fn reset_mails_cannot_be_used_to_flood_a_mailbox_or_from_one_address() {
    let world = World::start().await;
    for n in 0..6 {
        let asked = client_from(&format!("127.0.1.{n}"))
            .post(format!("{}/password-reset", world.base))
            .json(&json!({"email": DEMO_CITIZEN_EMAIL}))
            .send()
            .await
            .expect("reset");
        assert_eq!(
            asked.status(),
            StatusCode::ACCEPTED,
            "the answer never changes"
        );
    }
    assert_eq!(
        mails_of(&world, DEMO_CITIZEN_EMAIL, "password_reset").await,
        3
    );
    let flooder = client_from("127.0.2.1");
    let mut slowed = None;
    for n in 0..25 {
        let asked = flooder
            .post(format!("{}/password-reset", world.base))
            .json(&json!({"email": format!("cel{n}@example.hu")}))
            .send()
            .await
            .expect("reset");
        if asked.status() == StatusCode::TOO_MANY_REQUESTS {
            slowed = Some(asked.headers().contains_key("retry-after"));
            break;
        }
    }
    assert_eq!(
        slowed,
        Some(true),
        "one address cannot ask for mail after mail"
    );
    world.server.stop().await.expect("stop");
}
