//! Cases end to end on the running local server over a fresh data folder, with real tokens
//! from its provider: citizens submit every seeded case type with documents, clerks and a
//! signatory work them, citizens fetch signed decisions and download certificates, and
//! pyHanko (and the project's own verifier) accept every signed document. Refusals answer
//! problem+json and change nothing.

use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use varoskapu_core::Sha256Digest;
use varoskapu_core::notify::OutboxNotifier;
use varoskapu_local::cases::{DEMO_SIGNATORY_EMAIL, DEMO_SIGNATORY_PASSWORD};
use varoskapu_local::identity::*;

#[tokio::test]
async fn every_seeded_case_type_goes_from_submission_to_a_delivered_signed_decision() {
    let world = World::start().await;
    let citizen = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    let clerk = world
        .sign_in_office(DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD)
        .await;
    let signatory = world
        .sign_in_office_with_second_factor(DEMO_SIGNATORY_EMAIL, DEMO_SIGNATORY_PASSWORD)
        .await;

    // The public catalogue holds the three seeded types.
    let catalogue: Value = world
        .http
        .get(format!("{}/case-types", world.base))
        .send()
        .await
        .expect("catalogue")
        .json()
        .await
        .expect("json");
    let ids: BTreeSet<&str> = catalogue
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|t| t["id"].as_str())
        .collect();
    assert_eq!(
        ids,
        BTreeSet::from([
            "official-certificate",
            "public-space-use-permit",
            "resident-parking-permit"
        ])
    );

    // 1. Resident parking permit: decided automatically on submission, once the registry
    // confirms what the form claims (she is identified against it first).
    crate::registry::identify_demo_citizen(&world, &citizen).await;
    let parking = world
        .draft(&citizen, "resident-parking-permit", parking_form("1054"))
        .await;
    let (status, doc) = world
        .attach(&citizen, &parking, "vehicle_registration", PNG, "image/png")
        .await;
    assert_eq!(status, StatusCode::CREATED, "{doc}");
    assert_eq!(doc["media_type"], "image/png");
    let (status, case) = world.submit(&citizen, &parking, Some("parking-1")).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["status"], "decided", "{case}");
    assert_eq!(case["decision"]["automatic"], true);
    assert_eq!(case["decision"]["outcome"], "approve");
    let year = jiff::Zoned::now().year();
    // Filed before it was decided, from the clerks' numbering.
    assert!(
        case["filing_number"]
            .as_str()
            .is_some_and(|n| n.starts_with("IK-") && n.ends_with(&format!("/{year}"))),
        "{case}"
    );
    assert!(
        case["arrival_number"]
            .as_str()
            .is_some_and(|n| n.starts_with(&format!("{year}/")) && n.len() == 11),
        "{case}"
    );
    let history: Vec<&str> = case["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|h| h["to"].as_str())
        .collect();
    assert_eq!(
        history,
        [
            "draft",
            "submitted",
            "in_review",
            "decision_drafted",
            "approved",
            "decided"
        ]
    );
    let receipt = world
        .bytes(&citizen, Method::GET, &format!("/cases/{parking}/receipt"))
        .await;
    world.assert_signed("parking-receipt.pdf", &receipt);
    let decision = world
        .bytes(&citizen, Method::GET, &format!("/cases/{parking}/decision"))
        .await;
    world.assert_signed("parking-decision.pdf", &decision);
    let text = pdf_text(world.dir.path(), "parking-decision.pdf", &decision);
    for expected in [
        "Kérelmező Kovács Anna",
        "Döntéshozó automatikus döntés – a helyi parkolási rendelet",
        case["filing_number"].as_str().expect("filing number"),
        "Jogorvoslat",
        "A döntés kelte",
    ] {
        assert!(text.contains(expected), "{expected:?} missing: {text}");
    }
    let case = world
        .ok(&citizen, Method::GET, &format!("/cases/{parking}"), None)
        .await;
    assert_eq!(case["status"], "delivered");
    assert!(case["delivered_at"].is_string());
    let certificate = world
        .bytes(
            &citizen,
            Method::POST,
            &format!("/cases/{parking}/decision/download-certificate"),
        )
        .await;
    world.assert_signed("parking-certificate.pdf", &certificate);
    // Asking again hands over the same signed certificate, not a new one each time.
    let again = world
        .bytes(
            &citizen,
            Method::POST,
            &format!("/cases/{parking}/decision/download-certificate"),
        )
        .await;
    assert_eq!(again, certificate, "one delivery, one certificate");

    // An address outside the district goes to a clerk instead.
    let elsewhere = world
        .draft(&citizen, "resident-parking-permit", parking_form("1111"))
        .await;
    world
        .attach(
            &citizen,
            &elsewhere,
            "vehicle_registration",
            PDF,
            "application/pdf",
        )
        .await;
    let (_, case) = world.submit(&citizen, &elsewhere, None).await;
    assert_eq!(case["status"], "submitted", "{case}");
    let notes = world
        .ok(
            &clerk,
            Method::GET,
            &format!("/backoffice/cases/{elsewhere}/notes"),
            None,
        )
        .await;
    assert!(
        notes
            .to_string()
            .contains("a kérelmező lakcíme nem a kerületben van"),
        "{notes}"
    );

    // 2. Public-space use permit: a fee, missing information, a signatory's approval.
    let space = world
        .draft(&citizen, "public-space-use-permit", space_form())
        .await;
    let (status, _) = world
        .attach(&citizen, &space, "site_plan", PDF, "application/pdf")
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, case) = world.submit(&citizen, &space, None).await;
    assert_eq!(case["status"], "awaiting_payment", "{case}");
    assert_eq!(case["fee"], json!({"amount": 12000, "currency": "HUF"}));
    // Nothing happens to it before the fee is paid.
    let (status, problem) = world
        .call(
            &clerk,
            Method::POST,
            &format!("/backoffice/cases/{space}/claim"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    // Paid in cash at the desk: the payment is recorded with a signed receipt.
    let payment = world
        .ok(
            &clerk,
            Method::POST,
            &format!("/backoffice/cases/{space}/desk-payment"),
            Some(json!({"method": "cash", "receipt_number": "P-0042"})),
        )
        .await;
    assert_eq!(payment["status"], "succeeded", "{payment}");
    let case = world
        .ok(
            &clerk,
            Method::GET,
            &format!("/backoffice/cases/{space}"),
            None,
        )
        .await;
    assert_eq!(case["status"], "in_review", "{case}");
    let queue = world
        .ok(
            &clerk,
            Method::GET,
            "/backoffice/cases?status=in_review&case_type=public-space-use-permit",
            None,
        )
        .await;
    let line = queue
        .as_array()
        .expect("queue")
        .iter()
        .find(|c| c["case_id"] == space.as_str())
        .expect("queued");
    assert!(
        line.get("form").is_none(),
        "the queue shows no personal data: {line}"
    );
    let case = world
        .ok(
            &clerk,
            Method::POST,
            &format!("/backoffice/cases/{space}/claim"),
            None,
        )
        .await;
    assert_eq!(case["assignee"], clerk.sub.as_str());
    let site_plan = case["documents"][0]["id"]
        .as_str()
        .expect("document")
        .to_owned();
    let response = world
        .http
        .get(format!(
            "{}/backoffice/cases/{space}/documents/{site_plan}",
            world.base
        ))
        .bearer_auth(&clerk.token)
        .send()
        .await
        .expect("document");
    assert_eq!(response.headers()["content-type"], "application/pdf");
    assert_eq!(response.bytes().await.expect("bytes").as_ref(), PDF);
    let case = world
        .ok(
            &clerk,
            Method::POST,
            &format!("/backoffice/cases/{space}/file"),
            None,
        )
        .await;
    let filing = case["filing_number"]
        .as_str()
        .expect("filing number")
        .to_owned();
    assert!(filing.starts_with("IK-"), "{filing}");
    // Filing again changes nothing.
    let again = world
        .ok(
            &clerk,
            Method::POST,
            &format!("/backoffice/cases/{space}/file"),
            None,
        )
        .await;
    assert_eq!(again["filing_number"], filing.as_str());
    world
        .ok(
            &clerk,
            Method::POST,
            &format!("/backoffice/cases/{space}/notes"),
            Some(json!({"text": "A helyszínrajz méretarány nélküli."})),
        )
        .await;
    let case = world
        .ok(
            &clerk,
            Method::POST,
            &format!("/backoffice/cases/{space}/information-requests"),
            Some(json!({"text": "Kérjük, küldje meg a méretarányos helyszínrajzot."})),
        )
        .await;
    assert_eq!(case["status"], "waiting_for_citizen");
    assert_eq!(case["deadline_status"]["paused"], true);
    let messages = OutboxNotifier::messages_to(world.server.ports.table.as_ref(), &citizen.sub)
        .await
        .expect("outbox");
    assert!(
        messages
            .iter()
            .any(|m| m.kind == "case_information_requested"),
        "{messages:?}"
    );
    let mine = world
        .ok(&citizen, Method::GET, &format!("/cases/{space}"), None)
        .await;
    assert!(
        mine.get("assignee").is_none(),
        "internal data leaked: {mine}"
    );
    assert_eq!(mine["deadline"]["paused"], true);
    let (status, answer_doc) = world
        .attach(
            &citizen,
            &space,
            "missing_information",
            PDF,
            "application/pdf",
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer_doc}");
    let case = world
        .ok(
            &citizen,
            Method::POST,
            &format!("/cases/{space}/answer"),
            Some(json!({"answer": "Csatoltam.", "documents": [answer_doc["id"]]})),
        )
        .await;
    assert_eq!(case["status"], "in_review");
    assert_eq!(case["deadline"]["paused"], false);
    let case = world
        .ok(
            &clerk,
            Method::POST,
            &format!("/backoffice/cases/{space}/decision"),
            Some(json!({"outcome": "approve", "reasoning": "A kérelem megfelel a rendeletnek."})),
        )
        .await;
    assert_eq!(case["status"], "decision_drafted");
    // A clerk cannot approve; the signatory can.
    let (status, _) = world
        .call(
            &clerk,
            Method::POST,
            &format!("/backoffice/cases/{space}/decision/approve"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let case = world
        .ok(
            &signatory,
            Method::POST,
            &format!("/backoffice/cases/{space}/decision/approve"),
            None,
        )
        .await;
    assert_eq!(case["status"], "decided", "{case}");
    // The citizen takes it through a short-lived URL.
    let link = world
        .ok(
            &citizen,
            Method::GET,
            &format!("/cases/{space}/decision?delivery=url"),
            None,
        )
        .await;
    let decision = world
        .http
        .get(link["url"].as_str().expect("url"))
        .send()
        .await
        .expect("download")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(
        Sha256Digest::of(&decision).to_hex(),
        link["sha256"].as_str().expect("sha")
    );
    world.assert_signed("space-decision.pdf", &decision);
    let certificate = world
        .bytes(
            &citizen,
            Method::POST,
            &format!("/cases/{space}/decision/download-certificate"),
        )
        .await;
    world.assert_signed("space-certificate.pdf", &certificate);
    let text = pdf_text(world.dir.path(), "space-decision.pdf", &decision);
    for expected in [
        "Kérelmező Kovács Anna",
        "Ügyintéző Nagy Éva",
        "Kiadmányozó Szabó Péter jegyző",
        format!("Iktatószám {filing}").as_str(),
    ] {
        assert!(text.contains(expected), "{expected:?} missing: {text}");
    }
    let text = pdf_text(world.dir.path(), "space-certificate.pdf", &certificate);
    let digest = Sha256Digest::of(&decision).to_hex();
    for group in varoskapu_core::documents::grouped_hex(&digest).split(' ') {
        assert!(text.contains(group), "digest group {group} missing: {text}");
    }
    let audit = world
        .ok(
            &clerk,
            Method::GET,
            &format!("/backoffice/cases/{space}/audit"),
            None,
        )
        .await;
    let actions: BTreeSet<&str> = audit
        .as_array()
        .expect("audit")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for action in [
        "submit",
        "settle_payment",
        "assign",
        "file",
        "read_document",
        "add_note",
        "request_information",
        "answer_information_request",
        "draft_decision",
        "approve_decision",
        "issue_decision",
        "deliver",
        "request_download_certificate",
        "read_audit",
    ] {
        assert!(
            actions.contains(action),
            "{action} not audited: {actions:?}"
        );
    }
    // People act from their address; the system from none.
    for entry in audit.as_array().expect("audit") {
        let system = entry["actor"]["kind"] == "system";
        assert_eq!(entry["origin"].is_null(), system, "{entry}");
        if !system {
            assert_eq!(entry["origin"], "127.0.0.1", "{entry}");
        }
    }

    // 3. Official certificate: manual, no fee, no signatory.
    let cert = world
        .draft(&citizen, "official-certificate", certificate_form())
        .await;
    let (_, case) = world.submit(&citizen, &cert, None).await;
    assert_eq!(case["status"], "submitted");
    assert!(case["receipt"]["sha256"].is_string());
    let diary = world
        .ok(&clerk, Method::GET, "/backoffice/cases/diary", None)
        .await;
    let line = diary
        .as_array()
        .expect("diary")
        .iter()
        .find(|l| l["case_id"] == cert.as_str())
        .expect("in the diary");
    assert_eq!(line["days_left"], 8);
    assert_eq!(line["overdue"], false);
    let viewed = world
        .ok(
            &clerk,
            Method::GET,
            &format!("/backoffice/cases/{cert}"),
            None,
        )
        .await;
    assert_eq!(viewed["status"], "submitted");
    world
        .ok(
            &clerk,
            Method::POST,
            &format!("/backoffice/cases/{cert}/claim"),
            None,
        )
        .await;
    world
        .ok(
            &clerk,
            Method::POST,
            &format!("/backoffice/cases/{cert}/file"),
            None,
        )
        .await;
    let case = world
        .ok(
            &clerk,
            Method::POST,
            &format!("/backoffice/cases/{cert}/decision"),
            Some(json!({"outcome": "reject", "reasoning": "A nyilvántartás nem tartalmazza a kért tényt."})),
        )
        .await;
    assert_eq!(case["status"], "decided");
    let decision = world
        .bytes(&citizen, Method::GET, &format!("/cases/{cert}/decision"))
        .await;
    world.assert_signed("certificate-decision.pdf", &decision);
    let audit = world
        .ok(
            &clerk,
            Method::GET,
            &format!("/backoffice/cases/{cert}/audit"),
            None,
        )
        .await;
    let read = audit
        .as_array()
        .expect("audit")
        .iter()
        .find(|e| e["action"] == "read")
        .expect("the clerk's read");
    assert_eq!(read["actor"], json!({"kind": "clerk", "id": clerk.sub}));

    // Appeal within the window opens a linked case.
    let appeal = world
        .ok(
            &citizen,
            Method::POST,
            &format!("/cases/{cert}/appeal"),
            Some(json!({"reasoning": "A lakcímem 2019 óta bejelentett."})),
        )
        .await;
    assert_eq!(appeal["appeal_of"], cert.as_str());
    assert_eq!(appeal["status"], "submitted");
    world.server.stop().await.expect("stop");
}

#[tokio::test]
async fn a_citizen_cannot_see_or_touch_another_citizens_case() {
    let world = World::start().await;
    let owner = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    let other = world.new_person("masik.polgar@example.hu", "citizen").await;
    let case = world
        .draft(&owner, "official-certificate", certificate_form())
        .await;
    let (status, submitted) = world.submit(&owner, &case, None).await;
    assert_eq!(status, StatusCode::OK, "{submitted}");

    for (method, path, body) in [
        (Method::GET, format!("/cases/{case}"), None),
        (Method::GET, format!("/cases/{case}/receipt"), None),
        (Method::GET, format!("/cases/{case}/decision"), None),
        (
            Method::POST,
            format!("/cases/{case}/decision/download-certificate"),
            None,
        ),
        (
            Method::POST,
            format!("/cases/{case}/submit"),
            Some(json!({})),
        ),
        (
            Method::PUT,
            format!("/cases/{case}/form"),
            Some(json!({"form": {}})),
        ),
        (
            Method::POST,
            format!("/cases/{case}/answer"),
            Some(json!({"answer": "x"})),
        ),
    ] {
        let (status, problem) = world.call(&other, method.clone(), &path, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {problem}");
        assert_eq!(problem["type"], "urn:varoskapu:problem:not-found");
    }
    let theirs = world.ok(&other, Method::GET, "/cases", None).await;
    assert_eq!(theirs, json!([]));
    // A citizen is no clerk either.
    let (status, _) = world
        .call(&other, Method::GET, "/backoffice/cases", None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let mine = world
        .ok(&owner, Method::GET, &format!("/cases/{case}"), None)
        .await;
    assert_eq!(mine, submitted);
    world.server.stop().await.expect("stop");
}

#[tokio::test]
async fn retried_submit_with_the_same_idempotency_key_returns_the_same_case_and_receipt() {
    let world = World::start().await;
    let citizen = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    let case = world
        .draft(&citizen, "official-certificate", certificate_form())
        .await;
    let (first_status, first) = world.submit(&citizen, &case, Some("k-1")).await;
    assert_eq!(first_status, StatusCode::OK, "{first}");
    let (second_status, second) = world.submit(&citizen, &case, Some("k-1")).await;
    assert_eq!(second_status, StatusCode::OK, "{second}");
    assert_eq!(first["arrival_number"], second["arrival_number"]);
    assert_eq!(first["receipt"], second["receipt"]);
    assert_eq!(first["history"], second["history"]);
    // Two concurrent attempts with one key: one submission, one receipt.
    let raced = world
        .draft(&citizen, "official-certificate", certificate_form())
        .await;
    let (a, b) = futures::join!(
        world.submit(&citizen, &raced, Some("k-race")),
        world.submit(&citizen, &raced, Some("k-race"))
    );
    assert_eq!((a.0, b.0), (StatusCode::OK, StatusCode::OK), "{a:?} {b:?}");
    assert_eq!(a.1["arrival_number"], b.1["arrival_number"]);
    assert_eq!(a.1["receipt"], b.1["receipt"]);
    // Without the key, the retry is an illegal transition and changes nothing.
    let (status, problem) = world.submit(&citizen, &case, None).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        problem["type"],
        "urn:varoskapu:problem:cases:illegal-transition"
    );
    // The same key for another request is refused.
    let other = world
        .draft(&citizen, "official-certificate", certificate_form())
        .await;
    let (status, problem) = world.submit(&citizen, &other, Some("k-1")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let other = world
        .ok(&citizen, Method::GET, &format!("/cases/{other}"), None)
        .await;
    assert_eq!(other["status"], "draft");
    let receipts = world
        .ok(&citizen, Method::GET, "/cases", None)
        .await
        .as_array()
        .expect("list")
        .iter()
        .filter(|c| c["receipt"].is_object())
        .count();
    assert_eq!(receipts, 2);
    world.server.stop().await.expect("stop");
}

#[tokio::test]
async fn concurrent_submissions_get_distinct_gap_free_arrival_numbers() {
    let world = World::start().await;
    let citizen = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    let mut drafts = Vec::new();
    for _ in 0..8 {
        drafts.push(
            world
                .draft(&citizen, "official-certificate", certificate_form())
                .await,
        );
    }
    let results =
        futures::future::join_all(drafts.iter().map(|case| world.submit(&citizen, case, None)))
            .await;
    let mut numbers: Vec<u32> = results
        .iter()
        .map(|(status, case)| {
            assert_eq!(*status, StatusCode::OK, "{case}");
            let number = case["arrival_number"].as_str().expect("number");
            number
                .split_once('/')
                .and_then(|(_, n)| n.parse().ok())
                .expect("numeric")
        })
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=8).collect::<Vec<u32>>());
    world.server.stop().await.expect("stop");
}

#[tokio::test]
async fn bad_forms_bad_uploads_and_illegal_transitions_are_refused_and_change_nothing() {
    let world = World::start().await;
    let citizen = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    let clerk = world
        .sign_in_office(DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD)
        .await;
    let case = world
        .draft(
            &citizen,
            "resident-parking-permit",
            json!({"address": {"postcode": "10", "city": "Budapest"}, "vehicle": {"plate": "abc", "keeper": "neighbour"}}),
        )
        .await;
    let before = world
        .ok(&citizen, Method::GET, &format!("/cases/{case}"), None)
        .await;

    // A form that breaks the schema.
    world
        .attach(
            &citizen,
            &case,
            "vehicle_registration",
            PDF,
            "application/pdf",
        )
        .await;
    let with_document = world
        .ok(&citizen, Method::GET, &format!("/cases/{case}"), None)
        .await;
    let (status, problem) = world.submit(&citizen, &case, Some("bad-form")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["type"], "urn:varoskapu:problem:cases:invalid-form");
    let errors = problem["errors"].as_array().expect("errors");
    assert!(errors.len() >= 3, "{problem}");
    assert_eq!(
        world
            .ok(&citizen, Method::GET, &format!("/cases/{case}"), None)
            .await,
        with_document
    );

    // Oversized: refused at the announcement.
    let (status, problem) = world
        .call(
            &citizen,
            Method::POST,
            &format!("/cases/{case}/uploads"),
            Some(json!({
                "kind": "vehicle_registration",
                "sha256": Sha256Digest::of(b"x").to_hex(),
                "size": 5 * 1024 * 1024,
                "media_type": "application/pdf"
            })),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{problem}");
    // An announced type that is not accepted.
    let (status, _) = world
        .call(
            &citizen,
            Method::POST,
            &format!("/cases/{case}/uploads"),
            Some(json!({
                "kind": "vehicle_registration",
                "sha256": Sha256Digest::of(b"x").to_hex(),
                "size": 1,
                "media_type": "text/html"
            })),
        )
        .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // Bytes that claim to be a PDF but are not: sniffed and refused on attaching.
    let (status, problem) = world
        .attach(
            &citizen,
            &case,
            "vehicle_registration",
            b"<html>not a pdf</html>",
            "application/pdf",
        )
        .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{problem}");
    // What the bytes are, not what the client said.
    assert_eq!(problem["found"], "text/html");
    // A larger file than announced, past the type's limit: refused on attaching.
    let mut big = PDF.to_vec();
    big.resize(1024 * 1024 + 10, b' ');
    let (status, problem) = world
        .attach_announcing(
            &citizen,
            &case,
            "vehicle_registration",
            &big,
            "application/pdf",
            1000,
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{problem}");
    assert_eq!(
        world
            .ok(&citizen, Method::GET, &format!("/cases/{case}"), None)
            .await,
        with_document
    );
    assert_eq!(before["documents"], json!([]));

    // Illegal transitions: deciding a draft or an unclaimed case, answering unasked.
    let (status, problem) = world
        .call(
            &citizen,
            Method::POST,
            &format!("/cases/{case}/answer"),
            Some(json!({"answer": "?"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["from"], "draft");
    let (status, _) = world
        .call(
            &clerk,
            Method::POST,
            &format!("/backoffice/cases/{case}/claim"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a draft has not arrived");
    let cert = world
        .draft(&citizen, "official-certificate", certificate_form())
        .await;
    let (_, submitted) = world.submit(&citizen, &cert, None).await;
    let (status, problem) = world
        .call(
            &clerk,
            Method::POST,
            &format!("/backoffice/cases/{cert}/decision"),
            Some(json!({"outcome": "approve", "reasoning": "ok"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(
        problem["type"],
        "urn:varoskapu:problem:cases:illegal-transition"
    );
    assert_eq!(problem["from"], "submitted");
    assert_eq!(problem["to"], "decision_drafted");
    let (status, _) = world
        .call(
            &citizen,
            Method::GET,
            &format!("/cases/{cert}/decision"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let after = world
        .ok(&citizen, Method::GET, &format!("/cases/{cert}"), None)
        .await;
    assert_eq!(after, submitted);
    world.server.stop().await.expect("stop");
}

#[tokio::test]
async fn every_case_route_is_in_the_openapi_document() {
    let world = World::start().await;
    let doc: Value = world
        .http
        .get(format!("{}/openapi.json", world.base))
        .send()
        .await
        .expect("openapi")
        .json()
        .await
        .expect("json");
    let paths: HashMap<String, Value> =
        serde_json::from_value(doc["paths"].clone()).expect("paths");
    for path in [
        "/case-types",
        "/cases",
        "/cases/{case_id}/submit",
        "/cases/{case_id}/uploads",
        "/cases/{case_id}/documents",
        "/cases/{case_id}/decision",
        "/cases/{case_id}/decision/download-certificate",
        "/backoffice/cases",
        "/backoffice/cases/diary",
        "/backoffice/cases/{case_id}/decision/approve",
        "/backoffice/cases/{case_id}/information-requests",
        "/backoffice/cases/{case_id}/documents/{document_id}",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} missing from /openapi.json"
        );
    }
    world.server.stop().await.expect("stop");
}

#[tokio::test]
async fn a_decision_on_an_unfiled_case_is_refused_with_problem_json_and_changes_nothing() {
    let world = World::start().await;
    let citizen = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    let clerk = world
        .sign_in_office(DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD)
        .await;
    let case = world
        .draft(&citizen, "official-certificate", certificate_form())
        .await;
    world.submit(&citizen, &case, None).await;
    let claimed = world
        .ok(
            &clerk,
            Method::POST,
            &format!("/backoffice/cases/{case}/claim"),
            None,
        )
        .await;
    let (status, problem) = world
        .call(
            &clerk,
            Method::POST,
            &format!("/backoffice/cases/{case}/decision"),
            Some(json!({"outcome": "approve", "reasoning": "megfelel"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["type"], "urn:varoskapu:problem:cases:not-filed");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("filed")),
        "{problem}"
    );
    let unchanged = world
        .ok(
            &clerk,
            Method::GET,
            &format!("/backoffice/cases/{case}"),
            None,
        )
        .await;
    assert_eq!(unchanged["status"], "in_review");
    assert_eq!(unchanged["history"], claimed["history"]);
    assert!(unchanged["decision"].is_null());
    // Filed, the same draft is issued.
    world
        .ok(
            &clerk,
            Method::POST,
            &format!("/backoffice/cases/{case}/file"),
            None,
        )
        .await;
    let decided = world
        .ok(
            &clerk,
            Method::POST,
            &format!("/backoffice/cases/{case}/decision"),
            Some(json!({"outcome": "approve", "reasoning": "megfelel"})),
        )
        .await;
    assert_eq!(decided["status"], "decided", "{decided}");
    world.server.stop().await.expect("stop");
}

/// The actions of a case's audit trail with the kind of actor, in order.
fn steps(audit: &Value) -> Vec<(String, String)> {
    audit
        .as_array()
        .expect("audit")
        .iter()
        .map(|e| {
            (
                e["action"].as_str().expect("action").to_owned(),
                e["actor"]["kind"].as_str().expect("kind").to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_audit_log_lists_every_citizen_and_office_step_in_order_and_documents_name_the_people()
{
    let world = World::start().await;
    let name = "Szentgyörgyvölgyi-Kovácsházy Őrs Ödön Boglárka";
    let citizen = world
        .new_person_named("orsodon@example.hu", name, "citizen")
        .await;
    let clerk = world
        .sign_in_office(DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD)
        .await;
    let case = world
        .draft(
            &citizen,
            "official-certificate",
            json!({"subject": "residence"}),
        )
        .await;
    world
        .ok(
            &citizen,
            Method::PUT,
            &format!("/cases/{case}/form"),
            Some(json!({"form": certificate_form()})),
        )
        .await;
    let (status, _) = world
        .attach(
            &citizen,
            &case,
            "supporting_document",
            PDF,
            "application/pdf",
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, submitted) = world.submit(&citizen, &case, None).await;
    assert_eq!(status, StatusCode::OK, "{submitted}");
    let receipt = world
        .bytes(&citizen, Method::GET, &format!("/cases/{case}/receipt"))
        .await;
    let text = pdf_text(world.dir.path(), "receipt.pdf", &receipt);
    assert!(text.contains(&format!("Kérelmező {name}")), "{text}");

    // The office opens the case: the applicant by name and contact.
    let opened = world
        .ok(
            &clerk,
            Method::GET,
            &format!("/backoffice/cases/{case}"),
            None,
        )
        .await;
    assert_eq!(opened["applicant"]["name"], name, "{opened}");
    assert_eq!(
        opened["applicant"]["family_name"],
        "Szentgyörgyvölgyi-Kovácsházy"
    );
    assert_eq!(opened["applicant"]["email"], "orsodon@example.hu");
    assert_eq!(opened["owner"], citizen.sub.as_str());
    for step in ["claim", "file"] {
        world
            .ok(
                &clerk,
                Method::POST,
                &format!("/backoffice/cases/{case}/{step}"),
                None,
            )
            .await;
    }
    world
        .ok(
            &clerk,
            Method::POST,
            &format!("/backoffice/cases/{case}/information-requests"),
            Some(json!({"text": "Kérjük a lakcímkártya másolatát."})),
        )
        .await;
    let (status, answer_doc) = world
        .attach(&citizen, &case, "missing_information", PNG, "image/png")
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer_doc}");
    world
        .ok(
            &citizen,
            Method::POST,
            &format!("/cases/{case}/answer"),
            Some(json!({"answer": "Csatoltam.", "documents": [answer_doc["id"]]})),
        )
        .await;
    let decided = world
        .ok(
            &clerk,
            Method::POST,
            &format!("/backoffice/cases/{case}/decision"),
            Some(json!({"outcome": "approve", "reasoning": "A nyilvántartás szerint a lakcím bejelentett."})),
        )
        .await;
    assert_eq!(decided["status"], "decided", "{decided}");
    let decision = world
        .bytes(&citizen, Method::GET, &format!("/cases/{case}/decision"))
        .await;
    world
        .bytes(&citizen, Method::GET, &format!("/cases/{case}/decision"))
        .await;
    let certificate = world
        .bytes(
            &citizen,
            Method::POST,
            &format!("/cases/{case}/decision/download-certificate"),
        )
        .await;
    let appeal = world
        .ok(
            &citizen,
            Method::POST,
            &format!("/cases/{case}/appeal"),
            Some(json!({"reasoning": "A bizonyítványt más célra is kérem."})),
        )
        .await;

    let filing = decided["filing_number"].as_str().expect("filing number");
    let text = pdf_text(world.dir.path(), "decision.pdf", &decision);
    for expected in [
        format!("Kérelmező {name}"),
        "Ügyintéző Nagy Éva".to_owned(),
        "Kiadmányozó Nagy Éva".to_owned(),
        format!("Iktatószám {filing}"),
        format!(
            "Érkeztetési szám {}",
            submitted["arrival_number"].as_str().expect("arrival")
        ),
        "Jogorvoslat: a döntés ellen".to_owned(),
        "A döntés kelte".to_owned(),
    ] {
        assert!(text.contains(&expected), "{expected:?} missing: {text}");
    }
    let text = pdf_text(world.dir.path(), "certificate.pdf", &certificate);
    assert!(text.contains(&format!("Kérelmező {name}")), "{text}");
    for group in
        varoskapu_core::documents::grouped_hex(&Sha256Digest::of(&decision).to_hex()).split(' ')
    {
        assert!(text.contains(group), "digest group {group} missing: {text}");
    }

    let audit = world
        .ok(
            &clerk,
            Method::GET,
            &format!("/backoffice/cases/{case}/audit"),
            None,
        )
        .await;
    let expected: Vec<(String, String)> = [
        ("create_draft", "citizen"),
        ("update_form", "citizen"),
        ("announce_upload", "citizen"),
        ("attach_document", "citizen"),
        ("submit", "citizen"),
        ("issue_receipt", "system"),
        ("read", "clerk"),
        ("assign", "clerk"),
        ("file", "clerk"),
        ("request_information", "clerk"),
        ("announce_upload", "citizen"),
        ("attach_document", "citizen"),
        ("answer_information_request", "citizen"),
        ("draft_decision", "clerk"),
        ("approve_decision", "clerk"),
        ("issue_decision", "system"),
        ("deliver", "citizen"),
        ("fetch_decision", "citizen"),
        ("request_download_certificate", "citizen"),
        ("appeal", "citizen"),
        ("read_audit", "clerk"),
    ]
    .iter()
    .map(|(a, k)| ((*a).to_owned(), (*k).to_owned()))
    .collect();
    assert_eq!(steps(&audit), expected, "{audit:#}");
    let entries = audit.as_array().expect("audit");
    for (i, entry) in entries.iter().enumerate() {
        assert_eq!(entry["stream"], format!("case/{case}"));
        assert_eq!(entry["seq"], i + 1);
        let previous = i.checked_sub(1).map(|p| entries[p]["hash"].clone());
        assert_eq!(entry["prev"], previous.unwrap_or(Value::Null), "{entry}");
        if entry["actor"]["kind"] == "citizen" {
            assert_eq!(entry["actor"]["id"], citizen.sub.as_str());
            assert_eq!(entry["origin"], "127.0.0.1");
        }
    }
    assert_eq!(entries[0]["hash"].as_str().map(str::len), Some(64));
    let appealed = world
        .ok(
            &clerk,
            Method::GET,
            &format!(
                "/backoffice/cases/{}/audit",
                appeal["id"].as_str().expect("id")
            ),
            None,
        )
        .await;
    assert_eq!(
        steps(&appealed)[0],
        ("submit_appeal".into(), "citizen".into())
    );

    // `varoskapu audit verify` on the data folder: intact, then anchored.
    let dir = world.dir.path();
    let report = varoskapu_local::cases::audit_verify(dir, None)
        .await
        .expect("verify");
    assert!(report.is_intact(), "{report}");
    let anchor = varoskapu_local::cases::audit_anchor(dir)
        .await
        .expect("anchor")
        .expect("an anchor is made");
    assert!(anchor.body.heads.len() >= 2, "{anchor:?}");
    let report = varoskapu_local::cases::audit_verify(dir, None)
        .await
        .expect("verify");
    assert!(report.is_intact() && report.anchors == 1, "{report}");
    assert!(report.to_string().starts_with("INTACT"), "{report}");
    world.server.stop().await.expect("stop");
}

#[tokio::test]
async fn audit_verify_names_the_entry_deleted_edited_or_moved_in_the_sqlite_table() {
    let world = World::start().await;
    let citizen = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    let clerk = world
        .sign_in_office(DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD)
        .await;
    // Four cases of six entries each: draft, submit, receipt, then three clerk reads.
    let mut cases = Vec::new();
    for _ in 0..4 {
        let case = world
            .draft(&citizen, "official-certificate", certificate_form())
            .await;
        world.submit(&citizen, &case, None).await;
        for _ in 0..3 {
            world
                .ok(
                    &clerk,
                    Method::GET,
                    &format!("/backoffice/cases/{case}"),
                    None,
                )
                .await;
        }
        cases.push(case);
    }
    let dir = world.dir.path().to_owned();
    varoskapu_local::cases::audit_anchor(&dir)
        .await
        .expect("anchor")
        .expect("made");
    world.server.stop().await.expect("stop");

    let ports = varoskapu_local::LocalPorts::open(&dir, "http://127.0.0.1:8080").expect("open");
    let table = ports.table.clone();
    let key = |case: &str, seq: u64| {
        varoskapu_core::Key::new(format!("AUDIT#case/{case}"), format!("{seq:012}"))
    };
    let overwrite = |key: varoskapu_core::Key, data: serde_json::Map<String, Value>| {
        let table = table.clone();
        async move {
            let item = table.get(&key).await.expect("get").expect("item");
            let mut write = varoskapu_core::ItemWrite::new(key, data);
            write.index_keys = item.index_keys;
            table
                .put(write, varoskapu_core::Condition::None)
                .await
                .expect("overwrite");
        }
    };
    // Deleted: entry 4 of the first case.
    table
        .delete(&key(&cases[0], 4), varoskapu_core::Condition::None)
        .await
        .expect("delete");
    // Edited: who read the second case (entry 5).
    let mut data = table
        .get(&key(&cases[1], 5))
        .await
        .expect("get")
        .expect("item")
        .data;
    data["actor"]["id"] = "someone-else".into();
    overwrite(key(&cases[1], 5), data).await;
    // Moved: entries 2 and 3 of the third case swapped.
    let two = table
        .get(&key(&cases[2], 2))
        .await
        .expect("get")
        .expect("item");
    let three = table
        .get(&key(&cases[2], 3))
        .await
        .expect("get")
        .expect("item");
    overwrite(key(&cases[2], 2), three.data).await;
    overwrite(key(&cases[2], 3), two.data).await;
    // Cut off behind the anchor: the newest entry of the fourth case.
    table
        .delete(&key(&cases[3], 6), varoskapu_core::Condition::None)
        .await
        .expect("delete");

    let report = varoskapu_local::cases::audit_verify(&dir, None)
        .await
        .expect("verify");
    assert!(!report.is_intact());
    let text = report.to_string();
    assert!(text.starts_with("BROKEN"), "{text}");
    for expected in [
        format!("stream case/{}, entry 4: is missing", cases[0]),
        format!("stream case/{}, entry 5: was altered", cases[1]),
        format!("stream case/{}, entry 2: holds entry 3", cases[2]),
        format!("stream case/{}, entry 6: is missing", cases[3]),
    ] {
        assert!(
            text.contains(&expected),
            "{expected:?} not named in:\n{text}"
        );
    }
    assert_eq!(report.broken.len(), 4, "{text}");
}
