//! The office screens (office_payments), as a browser meets them: a bank statement read
//! in the office settles what it can and leaves the rest for the clerk to link from the
//! queue; the fee paid at the desk with its signed receipt; overpayments refunded; none of
//! it for a citizen, none of it without the form's CSRF token, and every page clean for
//! axe-core.

use crate::support::browser::{self, start_driver};
use crate::support::nojs::{Browser, hidden_fields};
use crate::support::{Person, World};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use varoskapu_local::identity::{
    DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD, DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD,
};

/// A camt.053 statement of the collection account with one credit entry per
/// `(bank reference, amount, payer, remittance)`.
fn camt053(id: &str, entries: &[(&str, i64, &str, &str)]) -> String {
    let mut xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<GrpHdr><MsgId>MSG-{id}</MsgId><CreDtTm>2026-11-24T18:00:00</CreDtTm></GrpHdr>
<Stmt><Id>{id}</Id><ElctrncSeqNb>1</ElctrncSeqNb><Acct><Id><IBAN>HU39117840091573565000000000</IBAN></Id><Ccy>HUF</Ccy></Acct>
"#
    );
    for (r, amount, payer, remittance) in entries {
        xml.push_str(&format!(
            r#"<Ntry><Amt Ccy="HUF">{amount}.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-11-24</Dt></BookgDt><AcctSvcrRef>{r}</AcctSvcrRef>
<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>{payer}</Nm></Dbtr></RltdPties>
<RmtInf><Ustrd>{remittance}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
"#
        ));
    }
    xml.push_str("</Stmt></BkToCstmrStmt></Document>\n");
    xml
}

/// The payment reference the citizen transfers with, after starting a bank transfer.
async fn transfer_reference(world: &World, citizen: &Person, case: &str) -> String {
    let response = world
        .http
        .post(format!("{}/cases/{case}/payments", world.base))
        .bearer_auth(&citizen.token)
        .header("idempotency-key", format!("transfer-{case}"))
        .json(&json!({"method": "bank_transfer"}))
        .send()
        .await
        .expect("start");
    assert!(response.status().is_success(), "{}", response.status());
    let payment: Value = response.json().await.expect("json");
    payment["reference"].as_str().expect("reference").to_owned()
}

async fn case_status(world: &World, citizen: &Person, case: &str) -> String {
    let case = world
        .ok(citizen, Method::GET, &format!("/cases/{case}"), None)
        .await;
    case["status"].as_str().expect("status").to_owned()
}

async fn queue_len(world: &World, clerk: &Person) -> usize {
    let queue = world
        .ok(clerk, Method::GET, "/backoffice/payments/queue", None)
        .await;
    queue.as_array().map_or(0, Vec::len)
}

async fn import(world: &World, clerk: &Person, xml: &str) -> Value {
    let response = world
        .http
        .post(format!("{}/backoffice/payments/statements", world.base))
        .bearer_auth(&clerk.token)
        .header("content-type", "application/xml")
        .body(xml.to_owned())
        .send()
        .await
        .expect("import");
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("json")
}

/// Chromium signed in to the office as the demo clerk, on `start`, in Hungarian.
pub(crate) async fn clerk_in_chromium(
    world: &World,
    driver: &browser::Driver,
    start: &str,
) -> browser::Browser {
    browser::signed_in_hungarian(
        driver,
        &world.base,
        start,
        DEMO_CLERK_EMAIL,
        DEMO_CLERK_PASSWORD,
    )
    .await
}

/// axe-core finds nothing on the page shown.
pub(crate) async fn assert_accessible(chromium: &browser::Browser, page: &str) {
    let found = chromium.accessibility_violations().await;
    assert!(found.is_empty(), "{page}: {found:#?}");
}

#[tokio::test]
async fn a_statement_read_in_the_office_settles_one_fee_and_the_clerk_links_the_other_from_the_queue()
 {
    let world = World::start().await;
    let citizen = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    let referenced = world.case_awaiting_payment(&citizen).await;
    let reference = transfer_reference(&world, &citizen, &referenced).await;
    let unreferenced = world.case_awaiting_payment(&citizen).await;
    let statement = camt053(
        "OFFICE-STMT-1",
        &[
            ("OB-1", 12_000, "MINTA POLGAR", &format!("dij {reference}")),
            ("OB-2", 12_000, "NAGY ERZSEBET", "kozterulet dij"),
        ],
    );
    let file = world.dir.path().join("statement.xml");
    std::fs::write(&file, &statement).expect("statement written");

    let driver = start_driver().await;
    let chromium = clerk_in_chromium(&world, &driver, "/office/payments").await;
    assert_accessible(&chromium, "the empty queue").await;
    chromium
        .type_into("#statement", file.to_str().expect("utf-8 path"))
        .await;
    chromium
        .click_through(r#"form[action="/office/payments/statements"] button[type=submit]"#)
        .await;
    let read = chromium.page_text().await;
    assert!(
        read.contains("1 befizetést rendezett, 1 kézi párosításra vár"),
        "{read}"
    );
    assert!(read.contains("NAGY ERZSEBET"), "{read}");
    assert_eq!(
        case_status(&world, &citizen, &referenced).await,
        "in_review"
    );
    assert_eq!(
        case_status(&world, &citizen, &unreferenced).await,
        "awaiting_payment"
    );
    assert_accessible(&chromium, "the queue with an entry").await;

    chromium
        .click(&format!(r#"option[value="{unreferenced}"]"#))
        .await;
    chromium
        .click_through(r#"form[action="/office/payments/link"] button[type=submit]"#)
        .await;
    let linked = chromium.page_text().await;
    assert!(
        linked.contains("A banki tételt az ügyhöz kapcsoltuk"),
        "{linked}"
    );
    assert!(
        linked.contains("Nincs párosításra váró banki tétel"),
        "{linked}"
    );
    assert_eq!(
        case_status(&world, &citizen, &unreferenced).await,
        "in_review"
    );
    chromium.close().await;
}

#[tokio::test]
async fn the_desk_records_a_cash_payment_and_prints_its_signed_receipt() {
    let world = World::start().await;
    let citizen = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    let case = world.case_awaiting_payment(&citizen).await;
    let desk = format!("/office/cases/{case}/desk-payment");

    let driver = start_driver().await;
    let chromium = clerk_in_chromium(&world, &driver, &desk).await;
    assert_accessible(&chromium, "the desk payment form").await;
    // Sent without a method or a slip number: both fields are named in the summary.
    chromium
        .click_through(r#"form[action$="/desk-payment"] button[type=submit]"#)
        .await;
    let refused = chromium.page_text().await;
    assert!(
        refused.contains("Válassza ki, hogyan fizetett"),
        "{refused}"
    );
    assert_accessible(&chromium, "the desk payment form with its errors").await;
    chromium.click("#method-cash").await;
    chromium.type_into("#receipt_number", "P-2026-0042").await;
    chromium
        .click_through(r#"form[action$="/desk-payment"] button[type=submit]"#)
        .await;
    let paid = chromium.page_text().await;
    assert!(paid.contains("A befizetést rögzítettük"), "{paid}");
    assert!(paid.contains("Készpénz"), "{paid}");
    assert_accessible(&chromium, "the payment with its receipt").await;
    let payment_url = chromium.current_url().await;
    chromium.close().await;
    assert_eq!(case_status(&world, &citizen, &case).await, "in_review");

    let mut clerk = Browser::new(&world);
    let payment_path = payment_url
        .trim_start_matches(&world.base)
        .split('?')
        .next()
        .expect("path")
        .to_owned();
    clerk
        .sign_in(DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD, &payment_path)
        .await;
    let receipt = clerk.get(&format!("{payment_path}/receipt.pdf")).await;
    assert_eq!(receipt.status, StatusCode::OK);
    assert_eq!(receipt.content_type, "application/pdf");
    world.assert_signed("desk-receipt", &receipt.bytes);
    // The case has no fee due any more: a second desk payment is refused, not recorded.
    let again = clerk.get(&desk).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
}

#[tokio::test]
async fn an_overpayment_is_refunded_from_its_page() {
    let world = World::start().await;
    let citizen = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    let api_clerk = world
        .sign_in_office(DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD)
        .await;
    let case = world.case_awaiting_payment(&citizen).await;
    let reference = transfer_reference(&world, &citizen, &case).await;
    let twice = camt053(
        "OFFICE-STMT-TWICE",
        &[
            ("OT-1", 12_000, "MINTA POLGAR", &reference),
            ("OT-2", 12_000, "MINTA POLGAR", &reference),
        ],
    );
    let summary = import(&world, &api_clerk, &twice).await;
    assert_eq!(summary["overpaid"], 1, "{summary}");

    let driver = start_driver().await;
    let chromium = clerk_in_chromium(&world, &driver, "/office/payments/overpayments").await;
    assert_accessible(&chromium, "the overpayments").await;
    chromium
        .click_through(r#"form[action$="/refunds"] button[type=submit]"#)
        .await;
    assert_accessible(&chromium, "the refund form with its error").await;
    chromium
        .type_into(
            r#"form[action$="/refunds"] input[name=reference]"#,
            "VISSZA-2026-7",
        )
        .await;
    chromium
        .click_through(r#"form[action$="/refunds"] button[type=submit]"#)
        .await;
    let done = chromium.page_text().await;
    assert!(done.contains("A visszatérítést rögzítettük"), "{done}");
    assert!(
        done.contains("Nincs túlfizetés"),
        "refunded money leaves the list: {done}"
    );
    chromium.close().await;
    let overpayments = world
        .ok(
            &api_clerk,
            Method::GET,
            "/backoffice/payments/overpayments",
            None,
        )
        .await;
    assert_eq!(overpayments, json!([]), "nothing is left to refund");
}

#[tokio::test]
async fn a_citizen_is_refused_every_payments_page_and_form() {
    let world = World::start().await;
    let citizen_api = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    let case = world.case_awaiting_payment(&citizen_api).await;
    let mut citizen = Browser::new(&world);
    let first = citizen
        .sign_in(
            DEMO_CITIZEN_EMAIL,
            DEMO_CITIZEN_PASSWORD,
            "/office/payments",
        )
        .await;
    assert_eq!(first.status, StatusCode::FORBIDDEN);
    let payment = "0192f0c8-1f2e-7000-8000-00000000beef";
    for page in [
        "/office/payments".to_owned(),
        "/office/payments/overpayments".to_owned(),
        format!("/office/payments/{payment}"),
        format!("/office/payments/{payment}/receipt.pdf"),
        format!("/office/cases/{case}/desk-payment"),
    ] {
        let answer = citizen.get(&page).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{page}");
    }
    for form in [
        "/office/payments/link".to_owned(),
        "/office/payments/unlink".to_owned(),
        format!("/office/payments/{payment}/refunds"),
        format!("/office/cases/{case}/desk-payment"),
    ] {
        let answer = citizen
            .post(&form, &[("method", "cash"), ("receipt_number", "P-1")])
            .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{form}");
    }
    let upload = citizen
        .post_file(
            "/office/payments/statements",
            &[],
            camt053("CITIZEN", &[("C-1", 12_000, "X", "y")]).as_bytes(),
            "application/xml",
        )
        .await;
    assert_eq!(upload.status, StatusCode::FORBIDDEN);
    assert_eq!(
        case_status(&world, &citizen_api, &case).await,
        "awaiting_payment"
    );
}

#[tokio::test]
async fn payments_forms_without_their_csrf_token_change_nothing() {
    let world = World::start().await;
    let citizen = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    let api_clerk = world
        .sign_in_office(DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD)
        .await;
    let paid = world.case_awaiting_payment(&citizen).await;
    let reference = transfer_reference(&world, &citizen, &paid).await;
    let waiting = world.case_awaiting_payment(&citizen).await;
    import(
        &world,
        &api_clerk,
        &camt053(
            "OFFICE-STMT-CSRF",
            &[
                ("OC-1", 12_000, "MINTA POLGAR", &reference),
                ("OC-2", 12_000, "MINTA POLGAR", &reference),
                ("OC-3", 7_000, "ISMERETLEN", "adomany"),
            ],
        ),
    )
    .await;
    assert_eq!(queue_len(&world, &api_clerk).await, 1);

    let mut clerk = Browser::new(&world);
    let queue = clerk
        .sign_in(DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD, "/office/payments")
        .await;
    assert_eq!(queue.status, StatusCode::OK);
    let link = hidden_fields(&queue.body, "/office/payments/link");
    let entry = link
        .iter()
        .find(|(n, _)| n == "entry_id")
        .map(|(_, v)| v.clone())
        .expect("an entry's link form");
    let overpayments = clerk.get("/office/payments/overpayments").await;
    let refund_action = overpayments
        .body
        .split(r#"action=""#)
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .find(|a| a.ends_with("/refunds"))
        .expect("a refund form")
        .to_owned();
    let source = hidden_fields(&overpayments.body, &refund_action)
        .into_iter()
        .find(|(n, _)| n == "source")
        .map(|(_, v)| v)
        .expect("the overpayment's source");

    for csrf in [None, Some("not-the-session-token")] {
        let with = |mut fields: Vec<(&'static str, String)>| {
            if let Some(token) = csrf {
                fields.push(("csrf", token.to_owned()));
            }
            fields
        };
        let posts = [
            (
                "/office/payments/link".to_owned(),
                with(vec![
                    ("entry_id", entry.clone()),
                    ("case_id", waiting.clone()),
                ]),
            ),
            (
                "/office/payments/unlink".to_owned(),
                with(vec![
                    ("entry_id", entry.clone()),
                    ("remark", "adomány".into()),
                ]),
            ),
            (
                refund_action.clone(),
                with(vec![
                    ("source", source.clone()),
                    ("reference", "R-1".into()),
                ]),
            ),
            (
                format!("/office/cases/{waiting}/desk-payment"),
                with(vec![
                    ("method", "cash".into()),
                    ("receipt_number", "P-9".into()),
                ]),
            ),
        ];
        for (action, fields) in &posts {
            let form: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (*n, v.as_str())).collect();
            let answer = clerk.post(action, &form).await;
            assert_eq!(answer.status, StatusCode::FORBIDDEN, "{action}");
            assert!(answer.body.contains("Az űrlap lejárt"), "{action}");
        }
        let upload_fields: Vec<(&str, &str)> = csrf.iter().map(|t| ("csrf", *t)).collect();
        let upload = clerk
            .post_file(
                "/office/payments/statements",
                &upload_fields,
                camt053("OFFICE-STMT-FORGED", &[("OF-1", 3_000, "X", "y")]).as_bytes(),
                "application/xml",
            )
            .await;
        assert_eq!(upload.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(
        queue_len(&world, &api_clerk).await,
        1,
        "nothing linked, unlinked or imported"
    );
    assert_eq!(
        case_status(&world, &citizen, &waiting).await,
        "awaiting_payment"
    );
    let overpayments = world
        .ok(
            &api_clerk,
            Method::GET,
            "/backoffice/payments/overpayments",
            None,
        )
        .await;
    assert_eq!(overpayments[0]["refunded"], false, "{overpayments}");
}
