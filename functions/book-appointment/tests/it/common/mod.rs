//! `spawn_app`: the appointment router on 127.0.0.1:0 over a fresh engine, with a manual
//! clock, an outbox notifier and a token validator trusting a test signing key.
#![allow(dead_code)]

use jiff::Timestamp;
use serde_json::Value;
use std::sync::Arc;
use varoskapu_book_appointment::{AppointmentsState, demo, router};
use varoskapu_core::access::{Resource, Scope};
use varoskapu_core::notify::{Message, OutboxNotifier};
use varoskapu_core::{Clock, ManualClock, Table, UuidV7Ids};
use varoskapu_http::auth::TokenValidator;
use varoskapu_jose::{AccessTokenClaims, Audience, JwkSet, PrivateKey, sign_es256};

pub const ISSUER: &str = "https://idp.test.varoskapu.hu";

/// The account id a test person's name stands for (tokens name accounts by UUID).
pub fn account_id(name: &str) -> String {
    let mut bytes = [0u8; 16];
    for (i, b) in name.bytes().enumerate() {
        bytes[i % 16] = bytes[i % 16].wrapping_mul(31).wrapping_add(b);
    }
    uuid::Uuid::from_bytes(bytes).to_string()
}

/// The clerk the demo office's desk belongs to.
pub const CLERK: &str = "clerk-account-1";

/// Friday 20 March 2026, 09:00 in Budapest: the spring change is a week later.
pub fn start_of_tests() -> Timestamp {
    "2026-03-20T08:00:00Z".parse().expect("instant")
}

pub struct TestApp {
    pub url: String,
    pub http: reqwest::Client,
    pub table: Arc<dyn Table>,
    pub clock: Arc<ManualClock>,
    pub state: AppointmentsState,
    key: PrivateKey,
}

fn signing_key() -> PrivateKey {
    PrivateKey::from_scalar("test-key", &[7u8; 32]).expect("scalar")
}

/// A fresh SQLite table in its own data folder.
pub fn sqlite_table(clock: Arc<ManualClock>) -> Arc<dyn Table> {
    let dir = tempfile::tempdir().expect("tempdir").keep();
    Arc::new(
        varoskapu_embedded::SqliteTable::open(&dir.join("varoskapu.db"), clock).expect("sqlite"),
    )
}

/// The app over a fresh SQLite data folder.
pub async fn spawn_app() -> TestApp {
    let clock = Arc::new(ManualClock::new(start_of_tests()));
    let table = sqlite_table(clock.clone());
    spawn_app_on(table, clock).await
}

/// The app over a given engine (SQLite or DynamoDB), seeded with the demo office.
pub async fn spawn_app_on(table: Arc<dyn Table>, clock: Arc<ManualClock>) -> TestApp {
    let key = signing_key();
    let keys = JwkSet {
        keys: vec![key.public_jwk()],
    };
    let tokens = Arc::new(TokenValidator::from_keys(ISSUER, keys, clock.clone()));
    let notifier = Arc::new(OutboxNotifier::new(
        table.clone(),
        clock.clone(),
        Arc::new(UuidV7Ids),
    ));
    let state = AppointmentsState::new(
        table.clone(),
        clock.clone(),
        Arc::new(UuidV7Ids),
        notifier,
        tokens,
    )
    .expect("state");
    demo::seed(state.appointments.store(), Some(account_id(CLERK)))
        .await
        .expect("seed");
    let app = varoskapu_http::with_common_layers(router(state.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    TestApp {
        url,
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(200)
            .build()
            .expect("client"),
        table,
        clock,
        state,
        key,
    }
}

impl TestApp {
    /// An access token of the person `name` with `roles`, valid for an hour from the app's
    /// now: the office scope for staff, the appointments scope for everyone else.
    pub fn token(&self, name: &str, roles: &[&str]) -> String {
        let now = self.clock.now().as_second();
        let staff = roles.iter().any(|r| *r == "clerk" || *r == "admin");
        let (scope, resource) = if staff {
            (Scope::Backoffice, Resource::Backoffice)
        } else {
            (Scope::Appointments, Resource::Appointments)
        };
        let claims = AccessTokenClaims {
            iss: ISSUER.into(),
            sub: account_id(name),
            aud: Audience::One(resource.audience().into()),
            exp: now + 3600,
            iat: now,
            nbf: None,
            jti: format!("jti-{name}-{now}"),
            client_id: "varoskapu-web".into(),
            scope: format!("openid {scope}"),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            case_types: Vec::new(),
            fam: Some(format!("grant-{name}")),
            auth_time: Some(now),
            acr: Some(varoskapu_core::access::ACR_PASSWORD.into()),
            amr: vec!["pwd".into()],
        };
        sign_es256(&self.key, "at+jwt", &claims)
    }

    pub fn citizen(&self, sub: &str) -> String {
        self.token(sub, &["citizen"])
    }

    pub fn clerk(&self) -> String {
        self.token(CLERK, &["clerk"])
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut request = self.http.get(self.url(path));
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
        let mut request = self.http.post(self.url(path)).json(body);
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Free slots of a service between local dates (first page of up to 200).
    pub async fn slots(&self, service: &str, from: &str, to: &str) -> Vec<Value> {
        let (status, page) = self
            .get(
                &format!("/appointments/services/{service}/slots?from={from}&to={to}&limit=200"),
                None,
            )
            .await;
        assert_eq!(status, 200, "{page}");
        page["items"].as_array().cloned().unwrap_or_default()
    }

    /// Remaining capacity of the slot starting at `start` (0 if not offered).
    pub async fn remaining(&self, service: &str, day: &str, start: &str) -> u64 {
        self.slots(service, day, day)
            .await
            .iter()
            .find(|s| s["start"] == start)
            .and_then(|s| s["remaining"].as_u64())
            .unwrap_or(0)
    }

    pub async fn book(&self, citizen: &str, service: &str, start: &str) -> (u16, Value) {
        let body = serde_json::json!({ "service_id": service, "start": start });
        self.post(
            "/appointments/bookings",
            Some(&self.citizen(citizen)),
            &body,
        )
        .await
    }

    pub async fn outbox(&self, recipient: &str) -> Vec<Message> {
        OutboxNotifier::messages_to(self.table.as_ref(), &account_id(recipient))
            .await
            .expect("outbox")
    }
}

/// One content line: name, value and parameters.
type ContentLine = (String, String, Vec<(String, String)>);

/// An iCalendar document parsed back: the VCALENDAR's properties, and its VEVENT's.
pub struct ParsedCalendar {
    pub calendar: Vec<(String, String)>,
    pub event: Vec<ContentLine>,
    pub timezones: Vec<String>,
}

impl ParsedCalendar {
    pub fn parse(text: &str) -> Self {
        let unfolded = icalendar::parser::unfold(text);
        let calendar =
            icalendar::parser::read_calendar(&unfolded).expect("a valid iCalendar document");
        let props = |p: &[icalendar::parser::Property<'_>]| {
            p.iter()
                .map(|p| (p.name.as_str().to_owned(), p.val.as_str().to_owned()))
                .collect::<Vec<_>>()
        };
        let event = calendar
            .components
            .iter()
            .find(|c| c.name == "VEVENT")
            .expect("a VEVENT")
            .properties
            .iter()
            .map(|p| {
                (
                    p.name.as_str().to_owned(),
                    p.val.as_str().to_owned(),
                    p.params
                        .iter()
                        .map(|x| {
                            (
                                x.key.as_str().to_owned(),
                                x.val
                                    .as_ref()
                                    .map(|v| v.as_str().to_owned())
                                    .unwrap_or_default(),
                            )
                        })
                        .collect(),
                )
            })
            .collect();
        let timezones = calendar
            .components
            .iter()
            .filter(|c| c.name == "VTIMEZONE")
            .filter_map(|c| c.find_prop("TZID").map(|p| p.val.as_str().to_owned()))
            .collect();
        Self {
            calendar: props(&calendar.properties),
            event,
            timezones,
        }
    }

    pub fn calendar_prop(&self, name: &str) -> Option<&str> {
        self.calendar
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn event_prop(&self, name: &str) -> Option<&str> {
        self.event
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, v, _)| v.as_str())
    }

    pub fn event_param(&self, name: &str, param: &str) -> Option<&str> {
        self.event
            .iter()
            .find(|(n, _, _)| n == name)
            .and_then(|(_, _, ps)| ps.iter().find(|(k, _)| k == param).map(|(_, v)| v.as_str()))
    }
}
