//! Fee payments end to end on the running local server with real tokens: card payments through the
//! SimplePay simulator and its signed IPN, forged and replayed IPNs, retried starts, bank transfers
//! matched from camt.053 files, the matching queue, desk payments, signed receipts and NAV XML.

use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use std::path::Path;
use std::process::Command;

use varoskapu_local::identity::*;

/// The merchant secret the simulator used to sign before it was made per data folder.
const PUBLISHED_SECRET: &str = "varoskapu-local-simplepay-secret";

impl World {
    /// The simulator's merchant secret of this server's data folder.
    fn merchant_secret(&self) -> String {
        let path = varoskapu_local::app::demo_merchant_secret_path(self.dir.path());
        std::fs::read_to_string(path)
            .expect("the data folder's merchant secret")
            .trim()
            .to_owned()
    }

    /// A notification signed with the data folder's own secret, as only the provider (or
    /// someone who stole the secret) could.
    async fn signed_ipn(&self, body: &Value) -> (StatusCode, Value) {
        let response = self.ipn(&body.to_string(), &self.merchant_secret()).await;
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn start_payment(
        &self,
        who: &Person,
        case: &str,
        key: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!("{}/cases/{case}/payments", self.base))
            .bearer_auth(&who.token)
            .header("idempotency-key", key)
            .json(&body)
            .send()
            .await
            .expect("start");
        (
            response.status(),
            response.json().await.unwrap_or(Value::Null),
        )
    }

    /// Picks an outcome on the simulator's page; returns the back-redirect's location.
    async fn simulate(&self, redirect_url: &str, outcome: &str) -> String {
        let page = self.http.get(redirect_url).send().await.expect("page");
        assert!(page.text().await.expect("html").contains("SimplePay"));
        let response = self
            .http
            .post(redirect_url)
            .form(&[("outcome", outcome)])
            .send()
            .await
            .expect("choose");
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        response.headers()["location"]
            .to_str()
            .expect("ascii")
            .to_owned()
    }

    async fn ipn(&self, body: &str, secret: &str) -> reqwest::Response {
        let merchant = varoskapu_core::payments::simplepay::Merchant::new("VAROSKAPUHUF", secret);
        self.http
            .post(format!("{}/payments/simplepay/ipn", self.base))
            .header("Signature", merchant.sign(body.as_bytes()))
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .expect("ipn")
    }

    async fn import(&self, clerk: &Person, xml: &str) -> Value {
        let response = self
            .http
            .post(format!("{}/backoffice/payments/statements", self.base))
            .bearer_auth(&clerk.token)
            .header("content-type", "application/xml")
            .body(xml.to_owned())
            .send()
            .await
            .expect("import");
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("json")
    }
}

fn camt053(id: &str, entries: &[(&str, i64, &str, &str)]) -> String {
    let mut xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<GrpHdr><MsgId>MSG-{id}</MsgId><CreDtTm>2026-11-24T18:00:00</CreDtTm></GrpHdr>
<Stmt><Id>{id}</Id><ElctrncSeqNb>1</ElctrncSeqNb><Acct><Id><IBAN>HU39117840091573565000000000</IBAN></Id><Ccy>HUF</Ccy></Acct>
<Ntry><Amt Ccy="HUF">-15000.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-11-24</Dt></BookgDt><AcctSvcrRef>{id}-FEE</AcctSvcrRef></Ntry>
"#
    );
    for (r, amount, payer, remittance) in entries {
        xml.push_str(&format!(
            r#"<Ntry><Amt Ccy="HUF">{amount}.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-11-24</Dt></BookgDt><ValDt><Dt>2026-11-24</Dt></ValDt><AcctSvcrRef>{r}</AcctSvcrRef>
<BkTxCd><Prtry><Cd>GIRO</Cd></Prtry></BkTxCd><NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
<RltdPties><Dbtr><Nm>{payer}</Nm></Dbtr><DbtrAcct><Id><Othr><Id>1177300500000000</Id></Othr></Id></DbtrAcct></RltdPties>
<RmtInf><Ustrd>{remittance}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
"#
        ));
    }
    xml.push_str("</Stmt></BkToCstmrStmt></Document>\n");
    xml
}

#[tokio::test]
async fn fees_are_paid_by_card_transfer_and_cash_once_each_with_signed_receipts() {
    let world = World::start().await;
    let citizen = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    let clerk = world
        .sign_in_office(DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD)
        .await;

    // Card: a retried start with one key is one payment.
    let case = world.case_awaiting_payment(&citizen).await;
    let (status, first) = world
        .start_payment(&citizen, &case, "k-card-1", json!({"method": "card"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (_, again) = world
        .start_payment(&citizen, &case, "k-card-1", json!({"method": "card"}))
        .await;
    assert_eq!(first["id"], again["id"]);
    assert_eq!(first["redirect_url"], again["redirect_url"]);
    let (status, _) = world
        .start_payment(
            &citizen,
            &case,
            "k-card-1",
            json!({"method": "bank_transfer"}),
        )
        .await;
    // A key reused with another body is 422 across the API.
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = world
        .http
        .post(format!("{}/cases/{case}/payments", world.base))
        .bearer_auth(&citizen.token)
        .json(&json!({"method": "card"}))
        .send()
        .await
        .map(|r| (r.status(), ()))
        .expect("no key");
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // A second payment started in another tab.
    let (_, second) = world
        .start_payment(&citizen, &case, "k-card-2", json!({"method": "card"}))
        .await;
    assert_ne!(first["id"], second["id"]);
    let payment = first["id"].as_str().expect("id");

    // A forged IPN is refused and changes nothing.
    let forged =
        json!({"salt": "x", "orderRef": payment, "method": "CARD", "merchant": "VAROSKAPUHUF",
        "transactionId": 1, "status": "FINISHED"})
        .to_string();
    assert_eq!(
        world.ipn(&forged, "guessed-secret").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let view = world
        .ok(&citizen, Method::GET, &format!("/payments/{payment}"), None)
        .await;
    assert_eq!(view["status"], "pending");

    // Success through the simulator: the back-redirect only shows the recorded status.
    let back = world
        .simulate(first["redirect_url"].as_str().expect("url"), "success")
        .await;
    let shown: Value = world
        .http
        .get(&back)
        .send()
        .await
        .expect("back")
        .json()
        .await
        .expect("json");
    assert_eq!(shown["provider_event"], "SUCCESS");
    assert_eq!(shown["status"], "succeeded");
    let case_view = world
        .ok(&citizen, Method::GET, &format!("/cases/{case}"), None)
        .await;
    assert_eq!(case_view["status"], "in_review", "{case_view}");
    let pdf = world
        .bytes(
            &citizen,
            Method::GET,
            &format!("/payments/{payment}/receipt"),
        )
        .await;
    world.assert_signed("card-receipt.pdf", &pdf);

    // NAV InvoiceData validates against NAV's schemas.
    let xml = world
        .http
        .get(format!("{}/payments/{payment}/invoice-data", world.base))
        .bearer_auth(&citizen.token)
        .send()
        .await
        .expect("xml")
        .text()
        .await
        .expect("text");
    nav_schema_accepts(world.dir.path(), &xml);

    // A replayed IPN is acknowledged and changes nothing; a correctly signed IPN with our
    // secret for the same transaction is the same replay.
    let replay =
        json!({"salt": "y", "orderRef": payment, "method": "CARD", "merchant": "VAROSKAPUHUF",
        "transactionId": first_tx(&world, &citizen, payment).await, "status": "FINISHED"})
        .to_string();
    let ack = world.ipn(&replay, &world.merchant_secret()).await;
    assert_eq!(ack.status(), StatusCode::OK);
    let after = world
        .ok(&citizen, Method::GET, &format!("/payments/{payment}"), None)
        .await;
    assert_eq!(
        after["history"].as_array().map(Vec::len),
        view["history"].as_array().map(|h| h.len() + 1)
    );

    // The second tab's success is an overpayment, not a second payment.
    world
        .simulate(second["redirect_url"].as_str().expect("url"), "success")
        .await;
    let over = world
        .ok(
            &clerk,
            Method::GET,
            "/backoffice/payments/overpayments",
            None,
        )
        .await;
    assert_eq!(over.as_array().map(Vec::len), Some(1), "{over}");
    assert_eq!(over[0]["payment_id"], second["id"]);

    // The clerk pays it back: it leaves the list, and the same money is not refunded twice.
    let refund_path = format!(
        "/backoffice/payments/{}/refunds",
        over[0]["payment_id"].as_str().expect("id")
    );
    let body = json!({"source": over[0]["source"], "reference": "UTALAS-2026-1124-77"});
    let (status, _) = world
        .call(&citizen, Method::POST, &refund_path, Some(body.clone()))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only the office refunds");
    let refunded = world
        .ok(&clerk, Method::POST, &refund_path, Some(body.clone()))
        .await;
    assert_eq!(refunded["refunded"], true, "{refunded}");
    assert_eq!(refunded["refund"]["reference"], "UTALAS-2026-1124-77");
    let over = world
        .ok(
            &clerk,
            Method::GET,
            "/backoffice/payments/overpayments",
            None,
        )
        .await;
    assert_eq!(over.as_array().map(Vec::len), Some(0), "{over}");
    let (status, problem) = world
        .call(&clerk, Method::POST, &refund_path, Some(body))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(
        problem["type"],
        "urn:varoskapu:problem:payments:already-refunded"
    );

    // A declined card leaves the case waiting.
    let declined_case = world.case_awaiting_payment(&citizen).await;
    let (_, declined) = world
        .start_payment(&citizen, &declined_case, "k-d", json!({"method": "card"}))
        .await;
    world
        .simulate(declined["redirect_url"].as_str().expect("url"), "fail")
        .await;
    let view = world
        .ok(
            &citizen,
            Method::GET,
            &format!("/payments/{}", declined["id"].as_str().expect("id")),
            None,
        )
        .await;
    assert_eq!(view["status"], "failed");
    let still = world
        .ok(
            &citizen,
            Method::GET,
            &format!("/cases/{declined_case}"),
            None,
        )
        .await;
    assert_eq!(still["status"], "awaiting_payment");

    // Bank transfers: one with a mangled reference, two ambiguous by amount.
    let transfer_case = world.case_awaiting_payment(&citizen).await;
    let (_, transfer) = world
        .start_payment(
            &citizen,
            &transfer_case,
            "k-t",
            json!({"method": "bank_transfer", "payer_name": "Minta Polgár"}),
        )
        .await;
    assert!(transfer["bank_account"].is_string());
    let reference = transfer["reference"].as_str().expect("reference");
    let mangled = format!(
        "kozlemeny: {} dij",
        reference[..8].to_lowercase() + " " + &reference[8..]
    );
    let amb1 = world.case_awaiting_payment(&citizen).await;
    let amb2 = world.case_awaiting_payment(&citizen).await;
    let (_, p1) = world
        .start_payment(
            &citizen,
            &amb1,
            "k-a1",
            json!({"method": "bank_transfer", "payer_name": "Kovács János"}),
        )
        .await;
    let (_, _p2) = world
        .start_payment(
            &citizen,
            &amb2,
            "k-a2",
            json!({"method": "bank_transfer", "payer_name": "Kovács Jánosné"}),
        )
        .await;
    let statement = camt053(
        "STMT-2026-328",
        &[
            ("B-1", 12_000, "MINTA POLGAR", &mangled),
            ("B-2", 12_000, "KOVACS J", "eljarasi dij"),
        ],
    );
    let summary = world.import(&clerk, &statement).await;
    assert_eq!(summary["settled"], 1, "{summary}");
    assert_eq!(summary["queued"], 1, "{summary}");
    let paid = world
        .ok(
            &citizen,
            Method::GET,
            &format!("/cases/{transfer_case}"),
            None,
        )
        .await;
    assert_eq!(paid["status"], "in_review");
    // Re-importing changes nothing.
    let again = world.import(&clerk, &statement).await;
    assert_eq!(again["already_imported"], 1, "{again}");
    assert_eq!(again["settled"], 0);

    // The clerk links the ambiguous entry by hand.
    let queue = world
        .ok(&clerk, Method::GET, "/backoffice/payments/queue", None)
        .await;
    assert_eq!(queue.as_array().map(Vec::len), Some(1), "{queue}");
    let entry_id = queue[0]["entry"]["entry_id"].as_str().expect("entry");
    let linked = world
        .ok(
            &clerk,
            Method::POST,
            "/backoffice/payments/link",
            Some(json!({"entry_id": entry_id, "payment_id": p1["id"]})),
        )
        .await;
    assert_eq!(linked["outcome"], "settled");
    let amb = world
        .ok(&citizen, Method::GET, &format!("/cases/{amb1}"), None)
        .await;
    assert_eq!(amb["status"], "in_review");
    let queue = world
        .ok(&clerk, Method::GET, "/backoffice/payments/queue", None)
        .await;
    assert_eq!(queue.as_array().map(Vec::len), Some(0));

    // Cash at the desk.
    let cash_case = world.case_awaiting_payment(&citizen).await;
    let cash = world
        .ok(
            &clerk,
            Method::POST,
            &format!("/backoffice/cases/{cash_case}/desk-payment"),
            Some(json!({"method": "cash", "receipt_number": "P-000123"})),
        )
        .await;
    assert_eq!(cash["status"], "succeeded");
    let pdf = world
        .bytes(
            &citizen,
            Method::GET,
            &format!("/payments/{}/receipt", cash["id"].as_str().expect("id")),
        )
        .await;
    world.assert_signed("cash-receipt.pdf", &pdf);

    // The routes are described.
    let doc: Value = world
        .http
        .get(format!("{}/openapi.json", world.base))
        .send()
        .await
        .expect("doc")
        .json()
        .await
        .expect("json");
    for path in [
        "/cases/{case_id}/payments",
        "/payments/simplepay/ipn",
        "/backoffice/payments/statements",
        "/backoffice/payments/link",
    ] {
        assert!(doc["paths"][path].is_object(), "{path}");
    }

    // Reads of many payers' data are on record, with the clerk who read them, and so is
    // the citizen starting a payment, on her case.
    world
        .ok(
            &clerk,
            Method::GET,
            "/backoffice/payments/overpayments",
            None,
        )
        .await;
    world
        .ok(
            &clerk,
            Method::GET,
            &format!("/backoffice/payments/{}", p1["id"].as_str().expect("id")),
            None,
        )
        .await;
    let log = varoskapu_core::audit::AuditLog::new(
        world.server.ports.table.clone(),
        world.server.ports.clock.clone(),
        world.server.ports.ids.clone(),
    );
    let register = log
        .trail(&varoskapu_core::audit::AuditStream::register("payments"))
        .await
        .expect("trail");
    let by_clerk: Vec<&str> = register
        .iter()
        .filter(|e| e.actor == varoskapu_core::cases::Actor::Clerk(clerk.sub.clone()))
        .map(|e| e.action.as_str())
        .collect();
    for action in [
        "import_statement",
        "read_matching_queue",
        "read_overpayments",
    ] {
        assert!(by_clerk.contains(&action), "{action} in {by_clerk:?}");
    }
    let case_log = world
        .ok(
            &clerk,
            Method::GET,
            &format!("/backoffice/cases/{amb1}/audit"),
            None,
        )
        .await;
    let actions: Vec<&str> = case_log
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(actions.contains(&"start_payment"), "{actions:?}");
    assert!(actions.contains(&"read_payment"), "{actions:?}");
    world.server.stop().await.expect("stop");
}

async fn first_tx(world: &World, who: &Person, payment: &str) -> u64 {
    let view = world
        .ok(who, Method::GET, &format!("/payments/{payment}"), None)
        .await;
    let history = view["history"].as_array().cloned().unwrap_or_default();
    let remark = history
        .iter()
        .rev()
        .find_map(|h| {
            h["remark"]
                .as_str()
                .and_then(|r| r.strip_prefix("provider:"))
        })
        .expect("settled by the provider");
    remark.parse().expect("numeric transaction")
}

/// NAV's XSDs (copied under tests/fixtures/nav-online-invoice) accept the XML.
fn nav_schema_accepts(dir: &Path, xml: &str) {
    let file = dir.join("invoice.xml");
    std::fs::write(&file, xml).expect("write");
    let xsd = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/nav-online-invoice/xsd/invoiceData-all.xsd");
    let script = "import sys, xmlschema\nxmlschema.XMLSchema(sys.argv[1]).validate(sys.argv[2])\n";
    let output = Command::new("python3")
        .args(["-c", script])
        .arg(&xsd)
        .arg(&file)
        .output()
        .expect("python3 with xmlschema (tests/requirements.txt)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The transaction the card provider registered at start (the payment URL ends in it).
fn registered_tx(payment: &Value) -> String {
    payment["redirect_url"]
        .as_str()
        .and_then(|url| url.rsplit('/').next())
        .expect("a payment URL")
        .to_owned()
}

fn notification(order_ref: &Value, tx: Value, merchant: &str, status: &str) -> Value {
    json!({"salt": "c1ca1d0e9fc2323b3dda7cf145e36f5e", "orderRef": order_ref, "method": "CARD",
           "merchant": merchant, "finishDate": "2026-11-24T10:00:00+00:00",
           "paymentDate": "2026-11-24T09:59:00+00:00", "transactionId": tx, "status": status})
}

#[tokio::test]
async fn a_back_url_off_the_configured_origins_is_refused() {
    let world = World::start().await;
    let citizen = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    let case = world.case_awaiting_payment(&citizen).await;
    let attacks = [
        "https://evil.example/fizetes".to_owned(),
        "https://127.0.0.1.evil.example/".to_owned(),
        format!("{}@evil.example/", world.base),
        format!("{}.evil.example/", world.base),
        "//evil.example/".to_owned(),
        "/payments/return".to_owned(),
        "javascript:alert(document.cookie)".to_owned(),
        world.base.replace("http://", "https://"),
    ];
    for (i, back_url) in attacks.iter().enumerate() {
        let (status, problem) = world
            .start_payment(
                &citizen,
                &case,
                &format!("k-evil-{i}"),
                json!({"method": "card", "back_url": back_url}),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{back_url}: {problem}"
        );
        assert_eq!(
            problem["type"],
            "urn:varoskapu:problem:payments:back-url-not-allowed"
        );
        assert_eq!(problem["allowed_origins"], json!([world.base]));
    }
    // On a configured origin (by default this server's): the payer comes back there.
    let back = format!("{}/payments/return?from=portal", world.base);
    let (status, payment) = world
        .start_payment(
            &citizen,
            &case,
            "k-own",
            json!({"method": "card", "back_url": back}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{payment}");
    let location = world
        .simulate(payment["redirect_url"].as_str().expect("url"), "cancel")
        .await;
    assert!(location.starts_with(&back), "{location}");
    world.server.stop().await.expect("stop");
}

#[tokio::test]
async fn a_correctly_signed_notification_for_other_money_is_refused_and_settles_nothing() {
    let world = World::start().await;
    let citizen = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    let case = world.case_awaiting_payment(&citizen).await;
    let (_, payment) = world
        .start_payment(&citizen, &case, "k-ipn", json!({"method": "card"}))
        .await;
    let id = &payment["id"];
    let tx: u64 = registered_tx(&payment)
        .parse()
        .expect("numeric transaction");
    let mismatch = "urn:varoskapu:problem:payments:notification-mismatch";

    // A made-up transaction id (the attack that used to settle the fee).
    let (status, problem) = world
        .signed_ipn(&notification(id, json!(12345), "VAROSKAPUHUF", "FINISHED"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["type"], mismatch);
    // Another merchant account's notification.
    let (status, problem) = world
        .signed_ipn(&notification(id, json!(tx), "MASIKHUF", "FINISHED"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["type"], mismatch);
    // The registered transaction with another amount.
    let mut cheaper = notification(id, json!(tx), "VAROSKAPUHUF", "FINISHED");
    cheaper["total"] = json!(1);
    cheaper["currency"] = json!("HUF");
    let (status, problem) = world.signed_ipn(&cheaper).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["type"], mismatch);
    // Nor can a made-up transaction cancel the payment.
    let (status, _) = world
        .signed_ipn(&notification(id, json!(777), "VAROSKAPUHUF", "CANCELLED"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // A payment that does not exist.
    let (status, problem) = world
        .signed_ipn(&notification(
            &json!(uuid_like()),
            json!(tx),
            "VAROSKAPUHUF",
            "FINISHED",
        ))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");

    let view = world
        .ok(
            &citizen,
            Method::GET,
            &format!("/payments/{}", id.as_str().expect("id")),
            None,
        )
        .await;
    assert_eq!(view["status"], "pending", "{view}");
    let still = world
        .ok(&citizen, Method::GET, &format!("/cases/{case}"), None)
        .await;
    assert_eq!(still["status"], "awaiting_payment");

    // The notification of the registered transaction, with the right amount, settles.
    let mut right = notification(id, json!(tx), "VAROSKAPUHUF", "FINISHED");
    right["total"] = payment["amount"]["amount"].clone();
    right["currency"] = payment["amount"]["currency"].clone();
    let (status, ack) = world.signed_ipn(&right).await;
    assert_eq!(status, StatusCode::OK, "{ack}");
    let paid = world
        .ok(&citizen, Method::GET, &format!("/cases/{case}"), None)
        .await;
    assert_eq!(paid["status"], "in_review");
    world.server.stop().await.expect("stop");
}

fn uuid_like() -> String {
    "0190b7e2-5f5d-7a3e-9f00-00000000dead".to_owned()
}

#[tokio::test]
async fn the_simulator_signs_with_a_secret_of_its_own_data_folder() {
    use std::os::unix::fs::PermissionsExt;
    let world = World::start().await;
    let citizen = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    let path = varoskapu_local::app::demo_merchant_secret_path(world.dir.path());
    let mode = std::fs::metadata(&path)
        .expect("secret file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "only the folder's owner reads it");
    let secret = world.merchant_secret();
    assert_eq!(secret.len(), 64);
    assert!(secret.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_ne!(secret, PUBLISHED_SECRET);
    // Another data folder has another secret.
    let other = tempfile::tempdir().expect("tempdir");
    let other_merchant = varoskapu_local::app::demo_merchant(other.path()).expect("merchant");
    assert_ne!(
        std::fs::read_to_string(varoskapu_local::app::demo_merchant_secret_path(
            other.path()
        ))
        .expect("secret"),
        secret
    );
    assert_eq!(other_merchant.id, "VAROSKAPUHUF");

    // A notification signed with the once-published constant is refused.
    let case = world.case_awaiting_payment(&citizen).await;
    let (_, payment) = world
        .start_payment(&citizen, &case, "k-pub", json!({"method": "card"}))
        .await;
    let tx: u64 = registered_tx(&payment).parse().expect("numeric");
    let forged = notification(&payment["id"], json!(tx), "VAROSKAPUHUF", "FINISHED");
    let response = world.ipn(&forged.to_string(), PUBLISHED_SECRET).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // A restart keeps the folder's secret.
    let before = world.merchant_secret();
    varoskapu_local::app::demo_merchant(world.dir.path()).expect("reread");
    assert_eq!(world.merchant_secret(), before);
    world.server.stop().await.expect("stop");
}

/// Serves `router` on a free loopback port; returns its base URL.
async fn serve_router(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await;
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn the_simulator_is_mounted_only_in_demo_mode() {
    use varoskapu_local::app::{CardPayments, Mode, build_router_in};
    let http = reqwest::Client::new();
    // A newcomer's first start on a new folder, with nothing configured, is a demo.
    let newcomer = tempfile::tempdir().expect("tempdir");
    let demo = varoskapu_local::serve_with(
        varoskapu_local::ServeConfig {
            data_dir: newcomer.path().to_owned(),
            addr: "127.0.0.1:0".parse().expect("addr"),
        },
        false,
    )
    .await
    .expect("a demo starts");
    let start = http
        .post(format!("{}/simplepay-sim/payment/v2/start", demo.url()))
        .body("{}")
        .send()
        .await
        .expect("simulator");
    assert_ne!(
        start.status(),
        StatusCode::NOT_FOUND,
        "the demo has its simulator"
    );
    let catalogue: Value = http
        .get(format!("{}/case-types", demo.url()))
        .send()
        .await
        .expect("catalogue")
        .json()
        .await
        .expect("json");
    assert_eq!(
        catalogue.as_array().map(Vec::len),
        Some(3),
        "demo data is seeded"
    );
    demo.stop().await.expect("stop");
    // A municipality's folder without --demo (not new, not seeded): no demo data, and
    // without SimplePay's settings the server does not start, naming what is missing.
    let fresh = tempfile::tempdir().expect("tempdir");
    drop(varoskapu_local::LocalPorts::open(fresh.path(), "http://127.0.0.1:9").expect("folder"));
    let refused = varoskapu_local::serve_with(
        varoskapu_local::ServeConfig {
            data_dir: fresh.path().to_owned(),
            addr: "127.0.0.1:0".parse().expect("addr"),
        },
        false,
    )
    .await;
    let message = refused.err().expect("refused").to_string();
    assert!(
        message.contains("VAROSKAPU_SIMPLEPAY_MERCHANT"),
        "{message}"
    );
    assert!(message.contains("--demo"), "{message}");

    // With SimplePay configured: the payment routes are there, the simulator is not.
    let ports =
        varoskapu_local::LocalPorts::open(fresh.path(), "http://127.0.0.1:9").expect("ports");
    let live = Mode {
        demo: false,
        card: CardPayments::SimplePay(varoskapu_pay_fee::config::SimplePaySettings {
            merchant: varoskapu_core::payments::simplepay::Merchant::new("VAROSKAPUHUF", "s"),
            api_url: "http://127.0.0.1:9/payment".into(),
        }),
        return_origins: varoskapu_core::payments::ReturnOrigins::of_base_url("http://127.0.0.1:9")
            .expect("origins"),
    };
    let base = serve_router(build_router_in(&ports, &live).expect("router")).await;
    for (method, path) in [
        (Method::GET, "/simplepay-sim/pay/500000001"),
        (Method::POST, "/simplepay-sim/pay/500000001"),
        (Method::POST, "/simplepay-sim/payment/v2/start"),
    ] {
        let response = http
            .request(method.clone(), format!("{base}{path}"))
            .body("outcome=success")
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{method} {path}");
        let problem: Value = response.json().await.expect("problem");
        assert_eq!(problem["detail"], "no such route");
    }
    let ipn = http
        .post(format!("{base}/payments/simplepay/ipn"))
        .body("{}")
        .send()
        .await
        .expect("ipn");
    assert_eq!(
        ipn.status(),
        StatusCode::UNAUTHORIZED,
        "the IPN route is served"
    );

    // A folder seeded as a demo stays a demo without --demo.
    let world = World::start().await;
    let dir = world.dir.path().to_owned();
    let World {
        server, dir: keep, ..
    } = world;
    server.stop().await.expect("stop");
    let again = varoskapu_local::serve_with(
        varoskapu_local::ServeConfig {
            data_dir: dir,
            addr: "127.0.0.1:0".parse().expect("addr"),
        },
        false,
    )
    .await
    .expect("the demo folder starts");
    let page = http
        .get(format!("{}/simplepay-sim/pay/1", again.url()))
        .send()
        .await
        .expect("simulator");
    assert_eq!(page.text().await.expect("text"), "no such transaction");
    again.stop().await.expect("stop");
    drop(keep);
}

#[tokio::test]
async fn a_statement_of_another_account_settles_nothing() {
    let world = World::start().await;
    let citizen = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    let clerk = world
        .sign_in_office(DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD)
        .await;
    let case = world.case_awaiting_payment(&citizen).await;
    let (_, transfer) = world
        .start_payment(
            &citizen,
            &case,
            "k-foreign",
            json!({"method": "bank_transfer", "payer_name": "Minta Polgár"}),
        )
        .await;
    let reference = transfer["reference"].as_str().expect("reference");
    // The attacker's own account, credited with a transfer naming the victim's reference.
    let other = varoskapu_core::payments::account::iban_of("11773016-11111018-00000000")
        .expect("an account number");
    let foreign = camt053(
        "STMT-FOREIGN",
        &[("F-1", 12_000, "MINTA POLGAR", reference)],
    )
    .replace("HU39117840091573565000000000", &other);
    let summary = world.import(&clerk, &foreign).await;
    assert_eq!(summary["settled"], 0, "{summary}");
    assert_eq!(summary["entries"], 0, "{summary}");
    let refused = summary["refused"].as_array().expect("refused");
    assert_eq!(refused.len(), 1, "{summary}");
    assert_eq!(refused[0]["account"], other);
    assert!(
        refused[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("not of the collection account")),
        "{summary}"
    );
    // No account at all is refused too.
    let nameless = camt053(
        "STMT-NAMELESS",
        &[("N-1", 12_000, "MINTA POLGAR", reference)],
    )
    .replace("<IBAN>HU39117840091573565000000000</IBAN>", "");
    let summary = world.import(&clerk, &nameless).await;
    assert_eq!(
        summary["refused"].as_array().map(Vec::len),
        Some(1),
        "{summary}"
    );
    let still = world
        .ok(&citizen, Method::GET, &format!("/cases/{case}"), None)
        .await;
    assert_eq!(still["status"], "awaiting_payment");
    let queue = world
        .ok(&clerk, Method::GET, "/backoffice/payments/queue", None)
        .await;
    assert_eq!(queue, json!([]), "nothing of it waits for a clerk either");

    // The very same transfer on the collection account's statement settles.
    let own = camt053("STMT-OWN", &[("O-1", 12_000, "MINTA POLGAR", reference)]);
    let summary = world.import(&clerk, &own).await;
    assert_eq!(summary["settled"], 1, "{summary}");
    assert_eq!(summary["refused"], json!([]));
    world.server.stop().await.expect("stop");
}

#[tokio::test]
async fn a_statement_nested_thousands_deep_is_refused_and_the_server_keeps_serving() {
    let world = World::start().await;
    let clerk = world
        .sign_in_office(DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD)
        .await;
    let post = |xml: Vec<u8>| {
        world
            .http
            .post(format!("{}/backoffice/payments/statements", world.base))
            .bearer_auth(&clerk.token)
            .header("content-type", "application/xml")
            .body(xml)
            .send()
    };
    let crasher =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/camt/nested-5000-deep.xml"))
            .expect("corpus");
    let deeper = format!("<Document>{}", "<a>".repeat(1_000_000)).into_bytes();
    for xml in [crasher, deeper] {
        let response = post(xml).await.expect("import");
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .is_ok_and(|t| t.starts_with("application/problem+json"))
        );
        let problem: Value = response.json().await.expect("problem");
        assert_eq!(
            problem["type"],
            "urn:varoskapu:problem:payments:bad-statement"
        );
        assert!(
            problem["detail"]
                .as_str()
                .is_some_and(|d| d.contains("64 levels")),
            "{problem}"
        );
    }
    // Larger than a statement may be.
    let huge = vec![b' '; 17 * 1024 * 1024];
    let response = post(huge).await.expect("import");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let problem: Value = response.json().await.expect("problem");
    assert_eq!(
        problem["type"],
        "urn:varoskapu:problem:payments:statement-too-large"
    );
    // Still serving.
    let health = world
        .http
        .get(format!("{}/healthz", world.base))
        .send()
        .await
        .expect("health");
    assert_eq!(health.status(), StatusCode::OK);
    world.server.stop().await.expect("stop");
}

#[tokio::test]
async fn invoice_data_and_receipts_are_attachments_never_sniffed() {
    let world = World::start().await;
    let citizen = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    let clerk = world
        .sign_in_office(DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD)
        .await;
    let case = world.case_awaiting_payment(&citizen).await;
    let paid = world
        .ok(
            &clerk,
            Method::POST,
            &format!("/backoffice/cases/{case}/desk-payment"),
            Some(json!({"method": "cash", "receipt_number": "P-000777"})),
        )
        .await;
    let id = paid["id"].as_str().expect("id");
    for (path, content_type, name) in [
        (
            format!("/payments/{id}/receipt"),
            "application/pdf",
            format!("nyugta-{id}.pdf"),
        ),
        (
            format!("/payments/{id}/invoice-data"),
            "application/xml",
            format!("szamla-{id}.xml"),
        ),
    ] {
        let response = world
            .http
            .get(format!("{}{path}", world.base))
            .bearer_auth(&citizen.token)
            .send()
            .await
            .expect("document");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let h = response.headers();
        assert_eq!(h["content-type"], content_type, "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(
            h["content-disposition"],
            format!("attachment; filename=\"{name}\"").as_str(),
            "{path}"
        );
    }
    world.server.stop().await.expect("stop");
}
