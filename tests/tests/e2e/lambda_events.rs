//! Every function's Lambda handler fed real API Gateway HTTP API (v2) events, the way
//! `lambda_http::run` feeds it: the event JSON is deserialized into lambda_http's request,
//! the function's router answers through lambda_http's adapter, and the answer is the JSON
//! the runtime would post back (status, headers, body; binary bodies base64-encoded).
//! The routers run on the embedded engines over a fresh data folder, so no AWS is needed.

use base64::Engine as _;
use lambda_http::request::LambdaRequest;
use lambda_http::tower::ServiceExt as _;
use lambda_http::{Adapter, Context, LambdaEvent};
use serde_json::{Value, json};
use std::path::Path;
use varoskapu_core::access::Resource;
use varoskapu_jose::{AccessTokenClaims, Audience, PrivateKey, sign_es256};
use varoskapu_local::LocalPorts;
use varoskapu_local::identity::{
    DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD, DEMO_PARTNER_ID, DEMO_PARTNER_SECRET,
};

/// The issuer the fixtures' authorizer claims name; the local ports use it as their own.
const ISSUER: &str = "https://kapu.example.hu";
const CITIZEN: &str = "0193a1b2-0000-7000-8000-000000000001";
const CLERK: &str = "0193a1b2-0000-7000-8000-000000000002";

/// A fresh data folder with the demo data, and the provider's key to sign tokens with.
struct World {
    _dir: tempfile::TempDir,
    ports: LocalPorts,
    key: PrivateKey,
}

impl World {
    async fn start() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let ports = LocalPorts::open(dir.path(), ISSUER).expect("ports");
        varoskapu_local::seed::seed_demo_data(&ports)
            .await
            .expect("demo data");
        let key = provider_key(dir.path()).await;
        Self {
            _dir: dir,
            ports,
            key,
        }
    }

    /// A person's access token as the portal (citizens) or the office screens (staff) get it.
    fn token(&self, sub: &str, role: &str) -> String {
        let now = jiff::Timestamp::now().as_second();
        let resources: &[Resource] = if role == "citizen" {
            &[Resource::Cases, Resource::Payments, Resource::Appointments]
        } else {
            &[Resource::Backoffice]
        };
        let scope = if role == "citizen" {
            "openid cases payments appointments"
        } else {
            "openid backoffice"
        };
        sign_es256(
            &self.key,
            "at+jwt",
            &AccessTokenClaims {
                iss: ISSUER.into(),
                sub: sub.into(),
                aud: Audience::Many(resources.iter().map(|r| r.audience().into()).collect()),
                exp: now + 600,
                iat: now,
                nbf: None,
                jti: format!("lambda-events-{sub}-{role}"),
                client_id: "varoskapu-web".into(),
                scope: scope.into(),
                roles: vec![role.into()],
                case_types: Vec::new(),
                fam: Some(format!("grant-{sub}")),
                auth_time: Some(now),
                acr: Some(varoskapu_core::access::ACR_PASSWORD.into()),
                amr: vec!["pwd".into()],
            },
        )
    }
}

async fn provider_key(data_dir: &Path) -> PrivateKey {
    varoskapu_idp::FileKeyStore::open(&data_dir.join("idp"))
        .expect("key store")
        .signing_key()
        .await
        .expect("key")
}

/// One of the fixtures under `tests/fixtures/apigw/`.
fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/apigw")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("fixture");
    serde_json::from_str(&text).expect("fixture JSON")
}

/// A request of the fixture's kind for another route, as API Gateway would send it.
struct Event {
    event: Value,
}

impl Event {
    fn from(fixture_name: &str, method: &str, route: &str, path: &str) -> Self {
        let mut event = fixture(fixture_name);
        let route_key = format!("{method} {route}");
        event["routeKey"] = json!(route_key);
        event["requestContext"]["routeKey"] = json!(route_key);
        event["rawPath"] = json!(path);
        event["requestContext"]["http"]["path"] = json!(path);
        event["requestContext"]["http"]["method"] = json!(method);
        Self { event }
    }

    fn bearer(mut self, token: &str) -> Self {
        self.event["headers"]["authorization"] = json!(format!("Bearer {token}"));
        self
    }

    fn header(mut self, name: &str, value: &str) -> Self {
        self.event["headers"][name] = json!(value);
        self
    }

    fn query(mut self, raw: &str, params: Value) -> Self {
        self.event["rawQueryString"] = json!(raw);
        self.event["queryStringParameters"] = params;
        self
    }

    fn json_body(self, body: Value) -> Self {
        let text = body.to_string();
        self.body(&text, "application/json")
    }

    fn body(mut self, text: &str, content_type: &str) -> Self {
        self.event["headers"]["content-type"] = json!(content_type);
        self.event["headers"]["content-length"] = json!(text.len().to_string());
        self.event["body"] = json!(text);
        self.event["isBase64Encoded"] = json!(false);
        self
    }

    fn without_body(mut self) -> Self {
        if let Some(map) = self.event.as_object_mut() {
            map.remove("body");
        }
        if let Some(headers) = self.event["headers"].as_object_mut() {
            headers.remove("content-type");
            headers.remove("content-length");
        }
        self
    }
}

/// What the runtime would post back to Lambda for `event`, handled by `router` wrapped
/// as every function's `main` wraps it.
async fn invoke(router: axum::Router, event: Event) -> Value {
    let request: LambdaRequest =
        serde_json::from_value(event.event).expect("an API Gateway v2 event");
    assert!(matches!(request, LambdaRequest::ApiGatewayV2(_)));
    let response = Adapter::from(varoskapu_http::with_common_layers(router))
        .oneshot(LambdaEvent::new(request, Context::default()))
        .await
        .expect("the router never fails");
    serde_json::to_value(response).expect("response JSON")
}

fn status(response: &Value) -> u64 {
    response["statusCode"].as_u64().expect("statusCode")
}

fn header<'a>(response: &'a Value, name: &str) -> &'a str {
    response["headers"][name]
        .as_str()
        .or_else(|| response["multiValueHeaders"][name][0].as_str())
        .unwrap_or_default()
}

/// The JSON body of a text response.
fn json_body(response: &Value) -> Value {
    assert_eq!(response["isBase64Encoded"], false, "{response}");
    serde_json::from_str(response["body"].as_str().expect("body")).expect("JSON body")
}

/// The bytes of a binary response, which must come base64-encoded.
fn binary_body(response: &Value) -> Vec<u8> {
    assert_eq!(
        response["isBase64Encoded"], true,
        "binary bodies are base64"
    );
    base64::engine::general_purpose::STANDARD
        .decode(response["body"].as_str().expect("body"))
        .expect("base64")
}

fn assert_json_ok(response: &Value, expected: u64) -> Value {
    assert_eq!(status(response), expected, "{response}");
    assert!(!header(response, "x-request-id").is_empty(), "{response}");
    assert!(
        header(response, "content-type").starts_with("application/json"),
        "{response}"
    );
    json_body(response)
}

fn items(value: &Value, key: &str) -> Vec<Value> {
    value
        .as_array()
        .or_else(|| value[key].as_array())
        .cloned()
        .unwrap_or_default()
}

fn cases_router(
    world: &World,
    router: fn(varoskapu_case_api::CasesState) -> axum::Router,
) -> axum::Router {
    router(varoskapu_local::cases::state(&world.ports).expect("cases state"))
}

/// A citizen's submitted official-certificate case, made through submit-case's handler.
async fn submitted_case(world: &World) -> String {
    let submit = || cases_router(world, varoskapu_submit_case::router);
    let citizen = world.token(CITIZEN, "citizen");
    let created = invoke(
        submit(),
        Event::from("authenticated_post.json", "POST", "/cases", "/cases").bearer(&citizen),
    )
    .await;
    let case = assert_json_ok(&created, 201);
    let id = case["id"].as_str().expect("case id").to_owned();
    let path = format!("/cases/{id}/submit");
    let submitted = invoke(
        submit(),
        Event::from(
            "authenticated_post.json",
            "POST",
            "/cases/{case_id}/submit",
            &path,
        )
        .bearer(&citizen)
        .without_body(),
    )
    .await;
    assert_eq!(assert_json_ok(&submitted, 200)["status"], "submitted");
    id
}

#[tokio::test]
async fn submit_case_serves_the_catalogue_creates_cases_and_returns_a_base64_receipt() {
    let world = World::start().await;
    let router = || cases_router(&world, varoskapu_submit_case::router);

    let catalogue = invoke(
        router(),
        Event::from("public_get.json", "GET", "/case-types", "/case-types"),
    )
    .await;
    let types = assert_json_ok(&catalogue, 200);
    assert!(
        items(&types, "items")
            .iter()
            .any(|t| t["id"] == "official-certificate"),
        "{types}"
    );

    let unsigned = invoke(
        router(),
        Event::from("authenticated_post.json", "POST", "/cases", "/cases")
            .header("authorization", ""),
    )
    .await;
    assert_eq!(status(&unsigned), 401, "{unsigned}");
    assert!(header(&unsigned, "content-type").starts_with("application/problem+json"));

    let id = submitted_case(&world).await;
    let path = format!("/cases/{id}/receipt");
    let receipt = invoke(
        router(),
        Event::from("binary_get.json", "GET", "/cases/{case_id}/receipt", &path)
            .bearer(&world.token(CITIZEN, "citizen")),
    )
    .await;
    assert_eq!(status(&receipt), 200, "{receipt}");
    assert_eq!(header(&receipt, "content-type"), "application/pdf");
    assert!(binary_body(&receipt).starts_with(b"%PDF-"));
}

#[tokio::test]
async fn backoffice_lists_the_queue_and_claims_a_case_for_a_clerk() {
    let world = World::start().await;
    let id = submitted_case(&world).await;
    let router = || cases_router(&world, varoskapu_backoffice::router);
    let clerk = world.token(CLERK, "clerk");

    let queue = invoke(
        router(),
        Event::from(
            "binary_get.json",
            "GET",
            "/backoffice/cases",
            "/backoffice/cases",
        )
        .header("accept", "application/json")
        .bearer(&clerk),
    )
    .await;
    let queue = assert_json_ok(&queue, 200);
    assert!(queue.to_string().contains(&id), "{queue}");

    let path = format!("/backoffice/cases/{id}/claim");
    let claimed = invoke(
        router(),
        Event::from(
            "authenticated_post.json",
            "POST",
            "/backoffice/cases/{case_id}/claim",
            &path,
        )
        .bearer(&clerk)
        .without_body(),
    )
    .await;
    assert_json_ok(&claimed, 200);

    let citizen_tries = invoke(
        router(),
        Event::from(
            "binary_get.json",
            "GET",
            "/backoffice/cases",
            "/backoffice/cases",
        )
        .bearer(&world.token(CITIZEN, "citizen")),
    )
    .await;
    assert_eq!(status(&citizen_tries), 403, "{citizen_tries}");
}

#[tokio::test]
async fn fetch_decision_returns_the_signed_decision_base64_encoded() {
    let world = World::start().await;
    let id = submitted_case(&world).await;
    let office = || cases_router(&world, varoskapu_backoffice::router);
    let clerk = world.token(CLERK, "clerk");
    let claim = format!("/backoffice/cases/{id}/claim");
    let claimed = invoke(
        office(),
        Event::from(
            "authenticated_post.json",
            "POST",
            "/backoffice/cases/{case_id}/claim",
            &claim,
        )
        .bearer(&clerk)
        .without_body(),
    )
    .await;
    assert_json_ok(&claimed, 200);
    // A decision is drafted only on a filed case.
    let file = format!("/backoffice/cases/{id}/file");
    let filed = invoke(
        office(),
        Event::from(
            "authenticated_post.json",
            "POST",
            "/backoffice/cases/{case_id}/file",
            &file,
        )
        .bearer(&clerk)
        .without_body(),
    )
    .await;
    assert_json_ok(&filed, 200);
    let decide = format!("/backoffice/cases/{id}/decision");
    let decided = invoke(
        office(),
        Event::from(
            "authenticated_post.json",
            "POST",
            "/backoffice/cases/{case_id}/decision",
            &decide,
        )
        .bearer(&clerk)
        .json_body(json!({"outcome": "reject", "reasoning": "A nyilvántartás nem tartalmazza."})),
    )
    .await;
    assert_eq!(assert_json_ok(&decided, 200)["status"], "decided");

    let router = || cases_router(&world, varoskapu_fetch_decision::router);
    let path = format!("/cases/{id}/decision");
    let decision = invoke(
        router(),
        Event::from("binary_get.json", "GET", "/cases/{case_id}/decision", &path)
            .bearer(&world.token(CITIZEN, "citizen")),
    )
    .await;
    assert_eq!(status(&decision), 200, "{decision}");
    assert_eq!(header(&decision, "content-type"), "application/pdf");
    let pdf = binary_body(&decision);
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(
        pdf.windows(b"ETSI.CAdES.detached".len())
            .any(|w| w == b"ETSI.CAdES.detached"),
        "a PAdES signature"
    );

    let stranger = invoke(
        router(),
        Event::from("binary_get.json", "GET", "/cases/{case_id}/decision", &path)
            .bearer(&world.token("0193a1b2-0000-7000-8000-0000000000ff", "citizen")),
    )
    .await;
    assert_eq!(status(&stranger), 404, "{stranger}");
    assert!(header(&stranger, "content-type").starts_with("application/problem+json"));
}

#[tokio::test]
async fn book_appointment_lists_offices_publicly_and_books_a_free_slot() {
    let world = World::start().await;
    let router = || {
        varoskapu_book_appointment::router(
            varoskapu_local::app::appointments_state(&world.ports).expect("state"),
        )
    };
    let offices = invoke(
        router(),
        Event::from(
            "public_get.json",
            "GET",
            "/appointments/offices",
            "/appointments/offices",
        ),
    )
    .await;
    assert!(!items(&assert_json_ok(&offices, 200), "items").is_empty());

    let services = invoke(
        router(),
        Event::from(
            "public_get.json",
            "GET",
            "/appointments/services",
            "/appointments/services",
        ),
    )
    .await;
    let services = items(&assert_json_ok(&services, 200), "items");
    let service = services[0]["id"].as_str().expect("service id").to_owned();
    let today = jiff::Zoned::now().date();
    let from = today.tomorrow().expect("date");
    let to = from.checked_add(jiff::ToSpan::days(14)).expect("date");
    let path = format!("/appointments/services/{service}/slots");
    let slots = invoke(
        router(),
        Event::from(
            "public_get.json",
            "GET",
            "/appointments/services/{service_id}/slots",
            &path,
        )
        .query(
            &format!("from={from}&to={to}"),
            json!({"from": from.to_string(), "to": to.to_string()}),
        ),
    )
    .await;
    let slots_body = assert_json_ok(&slots, 200);
    let slots = items(&slots_body, "items");
    assert!(!slots.is_empty(), "{slots_body}");
    let start = slots[0]["start"].as_str().expect("a free slot").to_owned();

    let booked = invoke(
        router(),
        Event::from(
            "authenticated_post.json",
            "POST",
            "/appointments/bookings",
            "/appointments/bookings",
        )
        .bearer(&world.token(CITIZEN, "citizen"))
        .json_body(json!({"service_id": service, "start": start})),
    )
    .await;
    let booking = assert_json_ok(&booked, 201);
    assert_eq!(booking["status"], "booked", "{booking}");
    assert!(booking["code"].is_string());
}

#[tokio::test]
async fn the_provider_serves_discovery_and_client_credentials_tokens() {
    let world = World::start().await;
    let router = || {
        varoskapu_idp::router(varoskapu_local::identity::provider(&world.ports).expect("provider"))
    };
    let discovery = invoke(
        router(),
        Event::from(
            "public_get.json",
            "GET",
            "/.well-known/openid-configuration",
            "/.well-known/openid-configuration",
        ),
    )
    .await;
    let discovery = assert_json_ok(&discovery, 200);
    assert_eq!(discovery["issuer"], ISSUER);
    assert_eq!(discovery["jwks_uri"], format!("{ISSUER}/oauth2/jwks"));

    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{DEMO_PARTNER_ID}:{DEMO_PARTNER_SECRET}"));
    let token = invoke(
        router(),
        Event::from(
            "authenticated_post.json",
            "POST",
            "/oauth2/token",
            "/oauth2/token",
        )
        .header("authorization", &format!("Basic {basic}"))
        .body(
            "grant_type=client_credentials",
            "application/x-www-form-urlencoded",
        ),
    )
    .await;
    let token = assert_json_ok(&token, 200);
    assert_eq!(token["token_type"], "Bearer", "{token}");
    let jwks = provider_jwks(&world).await;
    let (_, claims): (_, AccessTokenClaims) =
        varoskapu_jose::verify_es256(token["access_token"].as_str().expect("access token"), &jwks)
            .expect("signed by the provider's key");
    assert_eq!(claims.client_id, DEMO_PARTNER_ID);
}

async fn provider_jwks(world: &World) -> varoskapu_jose::JwkSet {
    use varoskapu_idp::SigningKeys as _;
    varoskapu_idp::FileKeyStore::open(&world.ports.data_dir.join("idp"))
        .expect("key store")
        .published()
        .await
        .expect("jwks")
}

#[tokio::test]
async fn register_accepts_a_sign_up_and_refuses_a_bad_body() {
    let world = World::start().await;
    let router = || varoskapu_register::router(varoskapu_local::identity::accounts(&world.ports));
    let accepted = invoke(
        router(),
        Event::from("authenticated_post.json", "POST", "/register", "/register")
            .header("authorization", "")
            .json_body(json!({
                "email": "uj.polgar@example.hu",
                "password": "Uj-polgar-jelszo-2026",
                "name": "Új Polgár"
            })),
    )
    .await;
    assert_json_ok(&accepted, 202);

    let refused = invoke(
        router(),
        Event::from("authenticated_post.json", "POST", "/register", "/register")
            .json_body(json!({"email": "uj.polgar@example.hu"})),
    )
    .await;
    assert!((400..500).contains(&status(&refused)), "{refused}");
    assert!(header(&refused, "content-type").starts_with("application/problem+json"));
}

#[tokio::test]
async fn authenticate_checks_the_demo_citizens_password() {
    let world = World::start().await;
    let router =
        || varoskapu_authenticate::router(varoskapu_local::identity::accounts(&world.ports));
    let ok = invoke(
        router(),
        Event::from(
            "authenticated_post.json",
            "POST",
            "/authenticate",
            "/authenticate",
        )
        .json_body(json!({"email": DEMO_CITIZEN_EMAIL, "password": DEMO_CITIZEN_PASSWORD})),
    )
    .await;
    assert_json_ok(&ok, 200);

    let wrong = invoke(
        router(),
        Event::from(
            "authenticated_post.json",
            "POST",
            "/authenticate",
            "/authenticate",
        )
        .json_body(json!({"email": DEMO_CITIZEN_EMAIL, "password": "nem-ez-a-jelszo"})),
    )
    .await;
    assert_eq!(status(&wrong), 401, "{wrong}");
    assert!(header(&wrong, "content-type").starts_with("application/problem+json"));
}

#[tokio::test]
async fn authenticate_counts_attempts_by_api_gateways_source_ip() {
    let world = World::start().await;
    let router =
        || varoskapu_authenticate::router(varoskapu_local::identity::accounts(&world.ports));
    let attempt = |source: &str, forwarded: &str, password: &str| {
        let mut event = Event::from(
            "authenticated_post.json",
            "POST",
            "/authenticate",
            "/authenticate",
        )
        .header("x-forwarded-for", forwarded)
        .json_body(json!({"email": DEMO_CITIZEN_EMAIL, "password": password}));
        event.event["requestContext"]["http"]["sourceIp"] = json!(source);
        event
    };
    // Guesses from one source, each claiming another address in X-Forwarded-For.
    for n in 0..5 {
        let wrong = invoke(
            router(),
            attempt("203.0.113.50", &format!("192.0.2.{n}"), "nem-ez-a-jelszo"),
        )
        .await;
        assert_eq!(status(&wrong), 401, "{wrong}");
    }
    let slowed = invoke(
        router(),
        attempt("203.0.113.50", "192.0.2.99", DEMO_CITIZEN_PASSWORD),
    )
    .await;
    assert_eq!(status(&slowed), 429, "{slowed}");
    assert!(!header(&slowed, "retry-after").is_empty());
    // The owner's own source address is not slowed.
    let owner = invoke(
        router(),
        attempt("203.0.113.51", "203.0.113.50", DEMO_CITIZEN_PASSWORD),
    )
    .await;
    assert_json_ok(&owner, 200);
}

#[tokio::test]
async fn pay_fee_refuses_a_forged_return_and_a_payment_for_a_case_without_a_fee() {
    let world = World::start().await;
    let id = submitted_case(&world).await;
    let router = || {
        let (state, _simulator) =
            varoskapu_local::app::pay_fee_state(&world.ports).expect("pay-fee state");
        varoskapu_pay_fee::router(state)
    };

    let forged = invoke(
        router(),
        Event::from(
            "public_get.json",
            "GET",
            "/payments/return",
            "/payments/return",
        )
        .query("r=forged&s=forged", json!({"r": "forged", "s": "forged"})),
    )
    .await;
    assert!((400..500).contains(&status(&forged)), "{forged}");
    assert!(header(&forged, "content-type").starts_with("application/problem+json"));
    assert!(!header(&forged, "x-request-id").is_empty());

    let path = format!("/cases/{id}/payments");
    let refused = invoke(
        router(),
        Event::from(
            "authenticated_post.json",
            "POST",
            "/cases/{case_id}/payments",
            &path,
        )
        .bearer(&world.token(CITIZEN, "citizen"))
        .json_body(json!({"method": "bank_transfer"})),
    )
    .await;
    assert_eq!(status(&refused), 409, "{refused}");
    let problem: Value =
        serde_json::from_str(refused["body"].as_str().expect("body")).expect("problem JSON");
    assert!(problem["type"].is_string(), "{problem}");
}
