//! The registry contract on every implementation (the local registry in process, the HTTP
//! client against the local registry served on loopback), the client's behaviour when the
//! service is slow, failing or refusing, and identification and the periodic refresh over
//! a local registry that changes between runs. One test binary.

use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use jiff::civil::date;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use varoskapu_core::audit::AuditLog;
use varoskapu_core::crm::identify::{IdentifyOutcome, PersonIdentification, channel};
use varoskapu_core::crm::person::{Address, AddressKind};
use varoskapu_core::crm::refresh::{RefreshReport, refresh_identified};
use varoskapu_core::crm::registry::{PersonMatch, Registry, RegistryError};
use varoskapu_core::crm::store::PersonStore;
use varoskapu_core::{IdGenerator, ManualClock, MemoryTable, SequentialIds, Table};
use varoskapu_registry::{
    HttpRegistry, HttpRegistrySettings, LocalRegistry, SettingsError, router,
};
use varoskapu_tests::registry_contract::{self, DEMO_CITIZEN_REGISTRY_ID, demo_citizen};

/// Serves `app` on a loopback port; the base URL.
async fn serve(app: Router) -> url::Url {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });
    format!("http://{addr}/registry/v1").parse().expect("url")
}

fn client(url: url::Url, timeout_ms: u64, retries: u32) -> HttpRegistry {
    let mut settings = HttpRegistrySettings::new(url);
    settings.timeout = Duration::from_millis(timeout_ms);
    settings.retries = retries;
    settings.backoff = Duration::from_millis(5);
    HttpRegistry::new(&settings).expect("client")
}

#[tokio::test]
async fn the_local_registry_keeps_the_contract() {
    registry_contract::run(&LocalRegistry::demo()).await;
}

#[tokio::test]
async fn the_http_client_keeps_the_contract_against_a_served_local_registry() {
    let base =
        serve(Router::new().nest("/registry/v1", router(Arc::new(LocalRegistry::demo())))).await;
    let registry = client(base, 3000, 2);
    assert_eq!(registry.name(), "127.0.0.1");
    registry_contract::run(&registry).await;
}

/// A service answering `/persons/match` with `answers` in turn (the last one repeated),
/// counting the attempts.
fn scripted(answers: Vec<(StatusCode, u64)>, attempts: Arc<AtomicUsize>) -> Router {
    let answers = Arc::new(answers);
    Router::new().route(
        "/registry/v1/persons/match",
        post(move || {
            let answers = answers.clone();
            let attempts = attempts.clone();
            async move {
                let n = attempts.fetch_add(1, Ordering::SeqCst);
                let (status, sleep_ms) = answers[n.min(answers.len() - 1)];
                tokio::time::sleep(Duration::from_millis(sleep_ms)).await;
                let body = if status.is_success() {
                    r#"{"result":"no_match"}"#
                } else {
                    r#"{"error":"busy","detail":"try later"}"#
                };
                (status, [("content-type", "application/json")], body)
            }
        }),
    )
}

#[tokio::test]
async fn a_service_slower_than_the_timeout_is_unavailable_after_the_retries() {
    let attempts = Arc::new(AtomicUsize::new(0));
    let base = serve(scripted(vec![(StatusCode::OK, 1_000)], attempts.clone())).await;
    let registry = client(base, 100, 2);
    let started = std::time::Instant::now();
    let answer = registry.person(&demo_citizen()).await;
    assert!(
        matches!(&answer, Err(RegistryError::Unavailable(detail)) if detail.contains("timed out")),
        "{answer:?}"
    );
    assert_eq!(
        attempts.load(Ordering::SeqCst),
        3,
        "one try and two retries"
    );
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "never waits for the slow answer"
    );
}

#[tokio::test]
async fn a_failing_service_is_asked_again_and_its_later_answer_counts() {
    let attempts = Arc::new(AtomicUsize::new(0));
    let base = serve(scripted(
        vec![(StatusCode::SERVICE_UNAVAILABLE, 0), (StatusCode::OK, 0)],
        attempts.clone(),
    ))
    .await;
    let registry = client(base, 1000, 2);
    assert_eq!(
        registry.person(&demo_citizen()).await,
        Ok(PersonMatch::NoMatch)
    );
    assert_eq!(attempts.load(Ordering::SeqCst), 2);

    // Failing every time: unavailable once the retries are spent.
    let attempts = Arc::new(AtomicUsize::new(0));
    let base = serve(scripted(
        vec![(StatusCode::INTERNAL_SERVER_ERROR, 0)],
        attempts.clone(),
    ))
    .await;
    let answer = client(base, 1000, 3).person(&demo_citizen()).await;
    assert!(
        matches!(answer, Err(RegistryError::Unavailable(_))),
        "{answer:?}"
    );
    assert_eq!(attempts.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn a_refused_question_is_not_asked_again() {
    let attempts = Arc::new(AtomicUsize::new(0));
    let base = serve(scripted(
        vec![(StatusCode::BAD_REQUEST, 0)],
        attempts.clone(),
    ))
    .await;
    let answer = client(base, 1000, 3).person(&demo_citizen()).await;
    assert!(
        matches!(&answer, Err(RegistryError::Refused(detail)) if detail.contains("busy")),
        "{answer:?}"
    );
    assert_eq!(attempts.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_service_that_is_not_there_is_unavailable() {
    // Bind and drop: nobody listens on the port any more.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr");
    let registry = client(format!("http://{addr}/").parse().expect("url"), 500, 1);
    assert!(matches!(
        registry.vehicle("ABC-123").await,
        Err(RegistryError::Unavailable(_))
    ));
}

#[tokio::test]
async fn a_base_url_without_the_service_is_refused_never_taken_for_an_unknown_person() {
    // A wrong base URL answers 404 for everything: that is not "no such person".
    let app = Router::new().nest("/registry/v1", router(Arc::new(LocalRegistry::demo())));
    let base = serve(app).await;
    let wrong = base.join("/elsewhere/").expect("url");
    let answer = client(wrong, 1000, 0)
        .person_by_id(DEMO_CITIZEN_REGISTRY_ID)
        .await;
    assert!(
        matches!(answer, Err(RegistryError::Refused(_))),
        "{answer:?}"
    );
    assert_eq!(
        client(base, 1000, 0).person_by_id("SZL-9999").await,
        Ok(None)
    );
}

#[tokio::test]
async fn an_answer_the_client_does_not_understand_is_unavailable_not_a_no() {
    let app = Router::new().route(
        "/registry/v1/persons/match",
        post(|| async { (StatusCode::OK, "<html>maintenance</html>") }),
    );
    let registry = client(serve(app).await, 1000, 0);
    assert!(matches!(
        registry.person(&demo_citizen()).await,
        Err(RegistryError::Unavailable(_))
    ));
}

#[test]
fn settings_come_from_the_environment_and_a_bad_one_is_named() {
    let env = |pairs: &[(&str, &str)]| {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        HttpRegistrySettings::from_lookup(move |name| map.get(name).cloned())
    };
    assert_eq!(
        env(&[]),
        Err(SettingsError::Missing {
            name: "VAROSKAPU_REGISTRY_URL"
        })
    );
    let settings = env(&[
        ("VAROSKAPU_REGISTRY_URL", "https://szl.example.hu/v1"),
        ("VAROSKAPU_REGISTRY_TIMEOUT_MS", "1500"),
        ("VAROSKAPU_REGISTRY_RETRIES", "4"),
    ])
    .expect("settings");
    assert_eq!(settings.timeout, Duration::from_millis(1500));
    assert_eq!(settings.retries, 4);
    assert_eq!(settings.client_cert, None);
    for (name, value) in [
        ("VAROSKAPU_REGISTRY_URL", "szl.example.hu"),
        ("VAROSKAPU_REGISTRY_URL", "ftp://szl.example.hu"),
        ("VAROSKAPU_REGISTRY_TIMEOUT_MS", "soon"),
        ("VAROSKAPU_REGISTRY_TIMEOUT_MS", "0"),
        ("VAROSKAPU_REGISTRY_RETRIES", "-1"),
    ] {
        let mut pairs = vec![("VAROSKAPU_REGISTRY_URL", "https://szl.example.hu/v1")];
        pairs.retain(|(k, _)| *k != name);
        pairs.push((name, value));
        assert!(
            matches!(env(&pairs), Err(SettingsError::Invalid { name: n, .. }) if n == name),
            "{name}={value}"
        );
    }
    assert_eq!(
        env(&[
            ("VAROSKAPU_REGISTRY_URL", "https://szl.example.hu/v1"),
            (
                "VAROSKAPU_REGISTRY_CLIENT_CERT",
                "/etc/varoskapu/client.pem"
            ),
        ]),
        Err(SettingsError::Missing {
            name: "VAROSKAPU_REGISTRY_CLIENT_KEY"
        })
    );
}

#[test]
fn a_client_certificate_that_is_not_pem_stops_the_client_with_its_setting_named() {
    let dir = tempfile::tempdir().expect("dir");
    let cert = dir.path().join("client.pem");
    let key = dir.path().join("client.key");
    std::fs::write(&cert, "not a certificate").expect("write");
    std::fs::write(&key, "not a key").expect("write");
    let mut settings = HttpRegistrySettings::new("https://szl.example.hu/".parse().expect("url"));
    settings.client_cert = Some(cert);
    settings.client_key = Some(key);
    assert!(matches!(
        HttpRegistry::new(&settings),
        Err(SettingsError::Invalid {
            name: "VAROSKAPU_REGISTRY_CLIENT_CERT",
            ..
        })
    ));
    let mut settings = HttpRegistrySettings::new("https://szl.example.hu/".parse().expect("url"));
    settings.ca = Some(dir.path().join("missing-ca.pem"));
    assert!(matches!(
        HttpRegistry::new(&settings),
        Err(SettingsError::Invalid {
            name: "VAROSKAPU_REGISTRY_CA",
            ..
        })
    ));
}

#[test]
fn an_operators_registry_file_is_loaded_and_a_broken_one_is_named() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("registry.json");
    let mut data = LocalRegistry::demo_data();
    data.registry = "megyei-teszt".into();
    data.persons.truncate(3);
    std::fs::write(&file, serde_json::to_string(&data).expect("json")).expect("write");
    let registry = LocalRegistry::from_file(&file).expect("loaded");
    assert_eq!(registry.name(), "megyei-teszt");
    assert_eq!(registry.person_count(), 3);
    std::fs::write(&file, "{\"persons\": 7}").expect("write");
    let error = LocalRegistry::from_file(&file).err().expect("refused");
    assert!(error.to_string().contains("registry.json"), "{error}");
    let mut twice = LocalRegistry::demo_data();
    twice.persons.push(twice.persons[0].clone());
    std::fs::write(&file, serde_json::to_string(&twice).expect("json")).expect("write");
    assert!(
        LocalRegistry::from_file(&file).is_err(),
        "two persons, one key"
    );
}

#[test]
fn a_generated_registry_is_large_and_answers_like_any_other() {
    let registry = LocalRegistry::generate(20_000, 42);
    assert_eq!(registry.person_count(), 20_000);
    futures_lite(async {
        let person = registry
            .person_by_id("GEN-0012345")
            .await
            .expect("answer")
            .expect("known");
        assert!(matches!(
            registry.person(&person.identity).await.expect("answer"),
            PersonMatch::Match { .. }
        ));
    });
}

/// Drives a future on a fresh single-thread runtime (tests that are not `tokio::test`).
fn futures_lite(future: impl std::future::Future<Output = ()>) {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future);
}

struct Office {
    store: PersonStore,
    clock: Arc<ManualClock>,
    audit: AuditLog,
    registry: Arc<LocalRegistry>,
    identification: PersonIdentification,
}

fn office() -> Office {
    let clock = Arc::new(ManualClock::new(
        "2026-03-02T09:00:00Z".parse().expect("time"),
    ));
    let ids: Arc<dyn IdGenerator> = Arc::new(SequentialIds::default());
    let table: Arc<dyn Table> = Arc::new(MemoryTable::new(clock.clone()));
    let store = PersonStore::new(table.clone());
    let audit = AuditLog::new(table, clock.clone(), ids.clone());
    let registry = Arc::new(LocalRegistry::demo());
    let identification = PersonIdentification::new(
        store.clone(),
        registry.clone(),
        clock.clone(),
        ids,
        audit.clone(),
    );
    Office {
        store,
        clock,
        audit,
        registry,
        identification,
    }
}

#[tokio::test]
async fn the_refresh_finds_moves_renames_and_deaths_in_the_changed_local_registry() {
    let o = office();
    let outcome = o
        .identification
        .identify("anna", demo_citizen(), channel::SIGN_IN)
        .await
        .expect("identified");
    assert!(matches!(
        outcome,
        IdentifyOutcome::Identified { created: true, .. }
    ));
    let refresh = || {
        refresh_identified(
            &o.store,
            o.registry.as_ref(),
            o.clock.as_ref(),
            &o.audit,
            10,
        )
    };
    assert_eq!(
        refresh().await.expect("run"),
        RefreshReport {
            checked: 1,
            ..RefreshReport::default()
        }
    );

    o.registry
        .move_person(
            DEMO_CITIZEN_REGISTRY_ID,
            Address {
                kind: AddressKind::Permanent,
                postcode: "1111".into(),
                city: "Budapest".into(),
                street: "Bartók Béla út".into(),
                number: "45.".into(),
                district: Some("XI".into()),
                valid_from: Some(date(2026, 2, 1)),
                valid_until: None,
                verified_at: None,
            },
        )
        .expect("moved");
    o.registry
        .rename_person(DEMO_CITIZEN_REGISTRY_ID, "Szabó-Kovács", "Anna")
        .expect("renamed");
    o.clock.advance(jiff::SignedDuration::from_hours(24));
    let report = refresh().await.expect("run");
    let record = o
        .store
        .by_account("anna")
        .await
        .expect("read")
        .expect("record")
        .record;
    assert_eq!(report.changed, 1);
    assert_eq!(
        report.changed_ids,
        [record.id],
        "what the index takes up again"
    );
    assert_eq!(record.flags, ["moved", "name_changed"]);
    assert_eq!(record.identity.family_name, "Szabó-Kovács");
    assert_eq!(record.identity.birth_name.as_deref(), Some("Kovács Anna"));
    assert_eq!(
        record
            .address(AddressKind::Permanent, date(2026, 3, 3))
            .and_then(|a| a.district.as_deref()),
        Some("XI")
    );

    o.registry
        .set_deceased(DEMO_CITIZEN_REGISTRY_ID, date(2026, 3, 2))
        .expect("deceased");
    assert_eq!(refresh().await.expect("run").changed, 1);
    assert_eq!(refresh().await.expect("run").changed, 0, "a flag once");
    o.registry
        .remove_person(DEMO_CITIZEN_REGISTRY_ID)
        .expect("removed");
    assert_eq!(refresh().await.expect("run").changed, 1);
    let record = o
        .store
        .by_account("anna")
        .await
        .expect("read")
        .expect("record")
        .record;
    assert_eq!(
        record.flags,
        ["moved", "name_changed", "deceased", "not_in_register"]
    );
    let history: Vec<&str> = record.history.iter().map(|c| c.what.as_str()).collect();
    assert_eq!(
        history,
        [
            "identified",
            "moved",
            "name_changed",
            "deceased",
            "not_in_register"
        ]
    );
}

#[tokio::test]
async fn the_refresh_over_a_silent_service_counts_failures_and_changes_nothing() {
    let o = office();
    o.identification
        .identify("anna", demo_citizen(), channel::SIGN_IN)
        .await
        .expect("identified");
    // A port nobody listens on: the service is unavailable, which changes no record.
    let nobody = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr");
    let silent = client(format!("http://{nobody}/").parse().expect("url"), 200, 0);
    let report = refresh_identified(&o.store, &silent, o.clock.as_ref(), &o.audit, 10)
        .await
        .expect("run");
    assert_eq!(
        report,
        RefreshReport {
            failed: 1,
            ..RefreshReport::default()
        }
    );
    let record = o
        .store
        .by_account("anna")
        .await
        .expect("read")
        .expect("record")
        .record;
    assert!(record.flags.is_empty());
    assert_eq!(record.history.len(), 1);
}
