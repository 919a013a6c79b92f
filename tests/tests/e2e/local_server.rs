//! The local server as its users meet it: health, the API description, problem+json
//! errors, request ids, and data that outlives a restart.

// Appointments on the running server, with tokens of its own provider's key.
mod appointments;
mod local_token;

use serde_json::{Value, json};
use varoskapu_core::{BlobPut, Condition, ItemWrite, Key};
use varoskapu_local::{RunningServer, ServeConfig, serve};

async fn start(dir: &std::path::Path) -> RunningServer {
    serve(ServeConfig {
        data_dir: dir.to_owned(),
        addr: "127.0.0.1:0".parse().expect("addr"),
    })
    .await
    .expect("server starts")
}

#[tokio::test]
async fn health_and_api_description_are_served() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = start(dir.path()).await;
    let client = reqwest::Client::new();

    let health = client
        .get(format!("{}/healthz", server.url()))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);
    assert!(health.headers().contains_key("x-request-id"));
    assert_eq!(health.json::<Value>().await.expect("json")["status"], "ok");

    let doc: Value = client
        .get(format!("{}/openapi.json", server.url()))
        .send()
        .await
        .expect("openapi")
        .json()
        .await
        .expect("json");
    assert!(doc["openapi"].as_str().expect("version").starts_with("3.1"));
    assert!(doc["paths"]["/healthz"]["get"].is_object());

    let docs = client
        .get(format!("{}/docs", server.url()))
        .send()
        .await
        .expect("docs");
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.expect("html").contains("/openapi.json"));
    server.stop().await.expect("stop");
}

#[tokio::test]
async fn unknown_routes_answer_with_problem_json_and_keep_the_callers_request_id() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = start(dir.path()).await;
    let response = reqwest::Client::new()
        .get(format!("{}/no/such/thing", server.url()))
        .header("x-request-id", "trace-me-123")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    assert_eq!(response.headers()["x-request-id"], "trace-me-123");
    let problem: Value = response.json().await.expect("json");
    assert_eq!(problem["type"], "urn:varoskapu:problem:not-found");
    server.stop().await.expect("stop");
}

#[tokio::test]
async fn data_written_before_a_restart_is_there_after_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = start(dir.path()).await;
    let key = Key::new("CITIZEN#restart", "PROFILE");
    server
        .ports
        .table
        .put(
            ItemWrite::new(
                key.clone(),
                json!({"name": "Szabó Éva"})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            ),
            Condition::NotExists,
        )
        .await
        .expect("put");
    let document = BlobPut::content_addressed(
        "documents",
        bytes::Bytes::from_static(b"%PDF-1.7 signed decision"),
        "application/pdf",
    )
    .write_once();
    server
        .ports
        .blobs
        .put(document.clone())
        .await
        .expect("blob");
    let link = server
        .ports
        .blobs
        .presign_download(&document.key, jiff::SignedDuration::from_hours(1))
        .await
        .expect("presign");
    let old_base = server.url();
    server.stop().await.expect("stop");

    let server = start(dir.path()).await;
    let item = server
        .ports
        .table
        .get(&key)
        .await
        .expect("get")
        .expect("item survived");
    assert_eq!(item.data["name"], "Szabó Éva");
    // A download link handed out before the restart still works after it.
    let url = link.url.replace(&old_base, &server.url());
    let response = reqwest::get(url).await.expect("download");
    assert_eq!(response.status(), 200);
    assert_eq!(response.bytes().await.expect("body"), document.bytes);
    server.stop().await.expect("stop");
}
