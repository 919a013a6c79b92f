//! Limits that hold against a client sending more than it may, on the running local
//! server: an upload URL takes exactly the announced size, oversized bodies anywhere are
//! 413 problem+json, and the timestamp authority refuses requests over its limit.

use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use varoskapu_core::Sha256Digest;
use varoskapu_local::identity::*;

fn is_problem(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/problem+json"))
}

#[tokio::test]
async fn an_upload_url_takes_exactly_the_announced_size() {
    let world = World::start().await;
    let citizen = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    let case = world
        .draft(&citizen, "public-space-use-permit", space_form())
        .await;
    let ticket = world
        .ok(
            &citizen,
            Method::POST,
            &format!("/cases/{case}/uploads"),
            Some(json!({
                "kind": "site_plan",
                "sha256": Sha256Digest::of(PDF).to_hex(),
                "size": PDF.len(),
                "media_type": "application/pdf",
            })),
        )
        .await;
    let put = |body: Vec<u8>| {
        let mut request = world
            .http
            .put(ticket["url"].as_str().expect("url"))
            .body(body);
        for pair in ticket["headers"].as_array().expect("headers") {
            request = request.header(
                pair[0].as_str().expect("name"),
                pair[1].as_str().expect("value"),
            );
        }
        request.send()
    };
    // Announced as a hundred-odd bytes, sent as 2 MiB starting with the very bytes.
    let mut larger = PDF.to_vec();
    larger.resize(2 * 1024 * 1024, b' ');
    let response = put(larger).await.expect("upload");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(is_problem(&response));
    let problem: Value = response.json().await.expect("problem");
    assert_eq!(problem["type"], "urn:varoskapu:problem:payload-too-large");
    assert_eq!(problem["announced_size"], PDF.len());
    // Shorter than announced.
    let response = put(PDF[..PDF.len() - 1].to_vec()).await.expect("upload");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(is_problem(&response));
    // Exactly the announced bytes: stored, and the document attaches.
    let response = put(PDF.to_vec()).await.expect("upload");
    assert_eq!(response.status(), StatusCode::OK);
    let (status, attached) = world
        .call(
            &citizen,
            Method::POST,
            &format!("/cases/{case}/documents"),
            Some(json!({"upload_id": ticket["upload_id"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{attached}");
    world.server.stop().await.expect("stop");
}

#[tokio::test]
async fn oversized_bodies_anywhere_are_413_problems() {
    let world = World::start().await;
    let citizen = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    let big_json = format!("{{\"case_type\":\"{}\"}}", "x".repeat(3 * 1024 * 1024));
    let cases = world
        .http
        .post(format!("{}/cases", world.base))
        .bearer_auth(&citizen.token)
        .header("content-type", "application/json")
        .body(big_json.clone())
        .send()
        .await
        .expect("cases");
    assert_eq!(cases.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(is_problem(&cases));
    let ipn = world
        .http
        .post(format!("{}/payments/simplepay/ipn", world.base))
        .header("content-type", "application/json")
        .header("signature", "x")
        .body(big_json)
        .send()
        .await
        .expect("ipn");
    assert_eq!(ipn.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(is_problem(&ipn));
    let tsa = world
        .http
        .post(format!("{}/tsa", world.base))
        .header("content-type", "application/timestamp-query")
        .body(vec![0x30u8; 5000])
        .send()
        .await
        .expect("tsa");
    assert_eq!(tsa.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(is_problem(&tsa));
    let problem: Value = tsa.json().await.expect("problem");
    assert_eq!(problem["type"], "urn:varoskapu:problem:payload-too-large");
    // A request that is no timestamp request gets the protocol's rejection, not a crash.
    let garbage = world
        .http
        .post(format!("{}/tsa", world.base))
        .header("content-type", "application/timestamp-query")
        .body([0x30u8, 0x80].repeat(1000))
        .send()
        .await
        .expect("tsa");
    assert_eq!(garbage.status(), StatusCode::OK);
    assert_eq!(
        garbage.headers()["content-type"],
        "application/timestamp-reply"
    );
    world.server.stop().await.expect("stop");
}
