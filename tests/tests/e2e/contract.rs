//! The published contract holds for real answers: what a citizen and a clerk get back on a
//! working day (a case, the office's view of it, the queue, a payment, a booking, the
//! refusals) validates against the response schema `/openapi.json` gives for that
//! operation and status. Generated requests (schemathesis in `tests/run`) rarely reach
//! records that exist; these do.

use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use varoskapu_local::identity::*;

/// The server's own OpenAPI document.
async fn contract(world: &World) -> Value {
    world
        .http
        .get(format!("{}/openapi.json", world.base))
        .send()
        .await
        .expect("openapi.json")
        .json()
        .await
        .expect("json")
}

/// Checks `body`, answered with `status` and `media_type` by `method template`, against the
/// schema the contract documents for it; panics naming every violation.
fn conforms(
    doc: &Value,
    method: &str,
    template: &str,
    status: u16,
    media_type: &str,
    body: &Value,
) {
    let response = &doc["paths"][template][method]["responses"][status.to_string()];
    assert!(
        response.is_object(),
        "{method} {template} does not document {status}"
    );
    let schema = &response["content"][media_type]["schema"];
    assert!(
        schema.is_object(),
        "{method} {template} {status} documents no {media_type} body: {response}"
    );
    // The operation's schema with the document's components beside it, so that its
    // `#/components/schemas/…` references resolve as they do in the document.
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": doc["components"],
        "allOf": [schema],
    });
    let validator = jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&root)
        .expect("the contract's schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {template} {status} breaks its contract:\n{}\n{body}",
        errors.join("\n")
    );
}

/// Calls `method path` as `who` and checks the answer against `template`'s contract.
async fn checked(
    world: &World,
    doc: &Value,
    who: &Person,
    method: Method,
    (path, template): (&str, &str),
    body: Option<Value>,
) -> (StatusCode, Value) {
    let (status, value) = world.call(who, method.clone(), path, body).await;
    let media_type = if status.is_success() {
        "application/json"
    } else {
        "application/problem+json"
    };
    conforms(
        doc,
        &method.as_str().to_lowercase(),
        template,
        status.as_u16(),
        media_type,
        &value,
    );
    (status, value)
}

#[tokio::test]
async fn real_answers_to_citizens_and_clerks_match_the_published_schemas() {
    let world = World::start().await;
    let doc = contract(&world).await;
    let citizen = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    let clerk = world
        .sign_in_office(DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD)
        .await;

    // A draft as created, then submitted and waiting for its fee.
    let (status, draft) = checked(
        &world,
        &doc,
        &citizen,
        Method::POST,
        ("/cases", "/cases"),
        Some(json!({"case_type": "public-space-use-permit", "form": null})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let case = world.case_awaiting_payment(&citizen).await;
    let path = format!("/cases/{case}");
    let (_, view) = checked(
        &world,
        &doc,
        &citizen,
        Method::GET,
        (&path, "/cases/{case_id}"),
        None,
    )
    .await;
    assert_eq!(view["status"], "awaiting_payment");
    // The check itself bites: the same view with a status the contract does not know fails.
    let mut tampered = view.clone();
    tampered["status"] = json!("lost_in_the_post");
    let refused = std::panic::catch_unwind(|| {
        conforms(
            &doc,
            "get",
            "/cases/{case_id}",
            200,
            "application/json",
            &tampered,
        )
    });
    assert!(refused.is_err(), "a tampered case view passed the contract");
    checked(
        &world,
        &doc,
        &citizen,
        Method::GET,
        ("/cases", "/cases"),
        None,
    )
    .await;

    // The fee paid by card: the payment as started and as read back.
    let response = world
        .http
        .post(format!("{}/cases/{case}/payments", world.base))
        .bearer_auth(&citizen.token)
        .header("idempotency-key", "contract-card-1")
        .json(&json!({"method": "card"}))
        .send()
        .await
        .expect("start");
    assert_eq!(response.status(), StatusCode::CREATED);
    let payment: Value = response.json().await.expect("json");
    conforms(
        &doc,
        "post",
        "/cases/{case_id}/payments",
        201,
        "application/json",
        &payment,
    );
    let id = payment["id"].as_str().expect("payment id");
    let path = format!("/payments/{id}");
    checked(
        &world,
        &doc,
        &citizen,
        Method::GET,
        (&path, "/payments/{payment_id}"),
        None,
    )
    .await;

    // The office: the queue, the opened case with its applicant, a note.
    checked(
        &world,
        &doc,
        &clerk,
        Method::GET,
        ("/backoffice/cases", "/backoffice/cases"),
        None,
    )
    .await;
    let submitted = world
        .draft(&citizen, "official-certificate", certificate_form())
        .await;
    let (status, _) = world.submit(&citizen, &submitted, None).await;
    assert_eq!(status, StatusCode::OK);
    let path = format!("/backoffice/cases/{submitted}");
    let (_, opened) = checked(
        &world,
        &doc,
        &clerk,
        Method::GET,
        (&path, "/backoffice/cases/{case_id}"),
        None,
    )
    .await;
    assert!(opened["applicant"].is_object(), "{opened}");
    let path = format!("/backoffice/cases/{submitted}/claim");
    checked(
        &world,
        &doc,
        &clerk,
        Method::POST,
        (&path, "/backoffice/cases/{case_id}/claim"),
        None,
    )
    .await;
    let path = format!("/backoffice/cases/{submitted}/notes");
    checked(
        &world,
        &doc,
        &clerk,
        Method::POST,
        (&path, "/backoffice/cases/{case_id}/notes"),
        Some(json!({"text": "A lakcímet a nyilvántartásban ellenőriztem."})),
    )
    .await;
    checked(
        &world,
        &doc,
        &clerk,
        Method::GET,
        ("/backoffice/cases/diary", "/backoffice/cases/diary"),
        None,
    )
    .await;

    // A booking: the services, a free slot, the booking as made.
    let (_, services) = checked(
        &world,
        &doc,
        &citizen,
        Method::GET,
        ("/appointments/services", "/appointments/services"),
        None,
    )
    .await;
    let service = services[0]["id"].as_str().expect("a service");
    let from = jiff::Zoned::now().date().tomorrow().expect("date");
    let to = from.checked_add(jiff::ToSpan::days(14)).expect("date");
    let path = format!("/appointments/services/{service}/slots?from={from}&to={to}");
    let (_, slots) = checked(
        &world,
        &doc,
        &citizen,
        Method::GET,
        (&path, "/appointments/services/{service_id}/slots"),
        None,
    )
    .await;
    let start = slots["items"][0]["start"].as_str().expect("a free slot");
    let (status, booking) = checked(
        &world,
        &doc,
        &citizen,
        Method::POST,
        ("/appointments/bookings", "/appointments/bookings"),
        Some(json!({"service_id": service, "start": start})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");

    // Refusals are problem documents of the documented shape and status.
    let (status, _) = checked(
        &world,
        &doc,
        &citizen,
        Method::GET,
        ("/backoffice/cases", "/backoffice/cases"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, problem) = checked(
        &world,
        &doc,
        &clerk,
        Method::POST,
        (
            &path_of_notes(&submitted),
            "/backoffice/cases/{case_id}/notes",
        ),
        Some(json!({"text": "   "})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
}

fn path_of_notes(case: &str) -> String {
    format!("/backoffice/cases/{case}/notes")
}

#[tokio::test]
async fn a_citizen_asking_to_pay_cash_online_is_told_why_with_422() {
    let world = World::start().await;
    let doc = contract(&world).await;
    let citizen = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    let case = world.case_awaiting_payment(&citizen).await;
    let response = world
        .http
        .post(format!("{}/cases/{case}/payments", world.base))
        .bearer_auth(&citizen.token)
        .header("idempotency-key", "contract-cash-1")
        .json(&json!({"method": "cash"}))
        .send()
        .await
        .expect("start");
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = response.json().await.expect("json");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("desk"),
        "{problem}"
    );
    conforms(
        &doc,
        "post",
        "/cases/{case_id}/payments",
        422,
        "application/problem+json",
        &problem,
    );
    // Nothing was started: the case still waits for its fee.
    let (_, view) = world
        .call(&citizen, Method::GET, &format!("/cases/{case}"), None)
        .await;
    assert_eq!(view["status"], "awaiting_payment");
}
