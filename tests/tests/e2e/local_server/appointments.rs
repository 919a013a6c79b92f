//! Appointments on the running local server: the seeded office, bookings with tokens of
//! the server's own provider, notifications in its outbox, and data that outlives a restart.

use super::local_token;

use serde_json::{Value, json};
use varoskapu_book_appointment::demo::{ADDRESS_CARD_SERVICE_ID, OFFICE_ID};
use varoskapu_core::notify::OutboxNotifier;
use varoskapu_local::{RunningServer, ServeConfig, serve};

/// The account the test books for.
const LOCAL_CITIZEN: &str = "0190c7e0-0000-7000-8000-00000000c171";

async fn start(dir: &std::path::Path) -> RunningServer {
    serve(ServeConfig {
        data_dir: dir.to_owned(),
        addr: "127.0.0.1:0".parse().expect("addr"),
    })
    .await
    .expect("server starts")
}

async fn get(http: &reqwest::Client, url: String, token: Option<&str>) -> (u16, Value) {
    let mut request = http.get(url);
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    let response = request.send().await.expect("request");
    (
        response.status().as_u16(),
        response.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn the_local_server_seeds_an_office_and_takes_bookings_that_survive_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let http = reqwest::Client::new();
    let server = start(dir.path()).await;
    let base = server.url();

    let (_, offices) = get(&http, format!("{base}/appointments/offices"), None).await;
    assert_eq!(offices.as_array().map(Vec::len), Some(1));
    assert_eq!(offices[0]["id"], OFFICE_ID);
    let (_, doc) = get(&http, format!("{base}/openapi.json"), None).await;
    assert!(doc["paths"]["/appointments/services/{service_id}/slots"]["get"].is_object());
    assert!(
        doc["paths"]["/backoffice/appointments/bookings/{booking_id}/check-in"]["post"].is_object()
    );

    let today = jiff::Zoned::now().date();
    let later = today.checked_add(jiff::Span::new().days(20)).expect("date");
    let slots_url = format!(
        "{base}/appointments/services/{ADDRESS_CARD_SERVICE_ID}/slots?from={}&to={later}&limit=1",
        today.tomorrow().expect("date")
    );
    let (_, page) = get(&http, slots_url.clone(), None).await;
    let start_at = page["items"][0]["start"]
        .as_str()
        .expect("a free slot")
        .to_owned();

    let key = local_token::provider_key(dir.path())
        .await
        .expect("provider key");
    let citizen = local_token::access_token(&key, &base, LOCAL_CITIZEN, &["citizen"]);
    let response = http
        .post(format!("{base}/appointments/bookings"))
        .bearer_auth(&citizen)
        .json(&json!({ "service_id": ADDRESS_CARD_SERVICE_ID, "start": start_at }))
        .send()
        .await
        .expect("book");
    assert_eq!(response.status(), 201);
    let booking: Value = response.json().await.expect("json");
    let outbox = OutboxNotifier::messages_to(server.ports.table.as_ref(), LOCAL_CITIZEN)
        .await
        .expect("outbox");
    assert_eq!(outbox.len(), 1);
    assert!(
        outbox[0].attachments[0]
            .content
            .contains("TZID=Europe/Budapest")
    );

    // A token the provider did not sign is refused.
    let stranger =
        varoskapu_jose::PrivateKey::from_scalar(key.kid.clone(), &[9u8; 32]).expect("key");
    let forged = local_token::access_token(&stranger, &base, LOCAL_CITIZEN, &["citizen"]);
    assert_eq!(
        get(
            &http,
            format!("{base}/appointments/bookings"),
            Some(&forged)
        )
        .await
        .0,
        401
    );

    let first_base = base;
    server.stop().await.expect("stop");
    let server = start(dir.path()).await;
    let base = server.url();
    let citizen = local_token::access_token(&key, &base, LOCAL_CITIZEN, &["citizen"]);
    let (status, mine) = get(
        &http,
        format!("{base}/appointments/bookings"),
        Some(&citizen),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(mine[0]["id"], booking["id"]);
    let (_, offices) = get(&http, format!("{base}/appointments/offices"), None).await;
    assert_eq!(
        offices.as_array().map(Vec::len),
        Some(1),
        "seeding is idempotent"
    );
    let slots_url = slots_url.replacen(&first_base, &base, 1);
    let (_, page) = get(&http, slots_url, None).await;
    assert_ne!(
        page["items"][0]["start"].as_str(),
        Some(start_at.as_str()),
        "the seat stays taken"
    );
    server.stop().await.expect("stop");
}
