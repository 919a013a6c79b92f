//! The booking race and a reschedule on the DynamoDB engine, against moto's server, which
//! the test script starts and names in `VAROSKAPU_TEST_AWS_ENDPOINT`. Without it the cases
//! say they were skipped and pass, so `cargo test` works offline.
//!
//! moto runs requests on parallel threads but is not safe for that: a failed transaction
//! rolls back by restoring a snapshot of the whole table, wiping what concurrent requests
//! committed meanwhile. DynamoDB executes each request atomically, so the tests reach moto
//! through a proxy that passes one request at a time (as `tests/moto_server.py` does for
//! the test script; the proxy keeps a hand-started stock `moto_server` honest too). The
//! application's 100 requests and their reads and conditional writes still interleave.

use crate::common::{TestApp, spawn_app_on, start_of_tests};
use futures::future::join_all;
use serde_json::json;
use std::sync::Arc;
use varoskapu_aws::AwsConfig;
use varoskapu_book_appointment::demo::ADDRESS_CARD_SERVICE_ID;
use varoskapu_core::ManualClock;

/// The app over a fresh DynamoDB table on the test server, or `None` without one.
async fn spawn_on_dynamodb() -> Option<TestApp> {
    let endpoint = varoskapu_tests::moto::aws_endpoint()?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let endpoint = one_request_at_a_time(endpoint).await;
    let config = AwsConfig {
        table: format!("vk-appointments-{nanos:x}"),
        documents_bucket: format!("vk-appointments-{nanos:x}"),
        region: std::env::var("AWS_REGION").unwrap_or_else(|_| "eu-central-1".into()),
        endpoint_url: Some(endpoint),
    };
    config.provision().await.expect("provision table");
    let clock = Arc::new(ManualClock::new(start_of_tests()));
    let table = Arc::new(config.engines(clock.clone()).await.table);
    Some(spawn_app_on(table, clock).await)
}

/// A loopback proxy to `upstream` that forwards one request at a time.
async fn one_request_at_a_time(upstream: String) -> String {
    use axum::body::{Body, to_bytes};
    use axum::extract::{Request, State};
    use axum::response::Response;
    type Shared = Arc<(reqwest::Client, String, tokio::sync::Mutex<()>)>;
    async fn forward(State(shared): State<Shared>, request: Request) -> Response {
        let (client, upstream, turn) = &*shared;
        let (parts, body) = request.into_parts();
        let body = to_bytes(body, 64 << 20).await.unwrap_or_default();
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let mut outgoing = client.request(parts.method.clone(), format!("{upstream}{path}"));
        for (name, value) in &parts.headers {
            if name != "host" {
                outgoing = outgoing.header(name, value);
            }
        }
        let _turn = turn.lock().await;
        let Ok(answer) = outgoing.body(body).send().await else {
            return Response::builder()
                .status(502)
                .body(Body::empty())
                .unwrap_or_default();
        };
        let mut response = Response::builder().status(answer.status());
        for (name, value) in answer.headers() {
            response = response.header(name, value);
        }
        let bytes = answer.bytes().await.unwrap_or_default();
        response.body(Body::from(bytes)).unwrap_or_default()
    }
    let shared: Shared = Arc::new((
        reqwest::Client::new(),
        upstream,
        tokio::sync::Mutex::new(()),
    ));
    let app = axum::Router::new().fallback(forward).with_state(shared);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hundred_concurrent_bookings_of_a_one_seat_slot_have_exactly_one_winner_on_dynamodb() {
    let Some(app) = spawn_on_dynamodb().await else {
        return;
    };
    let start = "2026-03-23T08:00:00Z";
    assert_eq!(
        app.remaining(ADDRESS_CARD_SERVICE_ID, "2026-03-23", start)
            .await,
        1
    );
    let attempts = (0..100).map(|i| {
        let app = &app;
        async move {
            app.book(&format!("racer-{i}"), ADDRESS_CARD_SERVICE_ID, start)
                .await
        }
    });
    let results = join_all(attempts).await;
    let won = results.iter().filter(|(s, _)| *s == 201).count();
    let taken = results
        .iter()
        .filter(|(s, p)| *s == 409 && p["type"] == "urn:varoskapu:problem:appointments:slot-taken")
        .count();
    assert_eq!(
        (won, taken),
        (1, 99),
        "{:?}",
        results
            .iter()
            .filter(|(s, _)| *s != 409)
            .collect::<Vec<_>>()
    );
    assert_eq!(
        app.remaining(ADDRESS_CARD_SERVICE_ID, "2026-03-23", start)
            .await,
        0
    );
}

#[tokio::test]
async fn rescheduling_keeps_exactly_one_seat_on_dynamodb() {
    let Some(app) = spawn_on_dynamodb().await else {
        return;
    };
    let (old, new) = ("2026-03-23T08:00:00Z", "2026-03-23T08:15:00Z");
    let (status, booking) = app.book("mover", ADDRESS_CARD_SERVICE_ID, old).await;
    assert_eq!(status, 201, "{booking}");
    let id = booking["id"].as_str().unwrap_or_default();
    let (status, moved) = app
        .post(
            &format!("/appointments/bookings/{id}/reschedule"),
            Some(&app.citizen("mover")),
            &json!({ "start": new }),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(
        app.remaining(ADDRESS_CARD_SERVICE_ID, "2026-03-23", old)
            .await,
        1
    );
    assert_eq!(
        app.remaining(ADDRESS_CARD_SERVICE_ID, "2026-03-23", new)
            .await,
        0
    );
}
