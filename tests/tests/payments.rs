//! Fee payments end to end on the running local server with real tokens: card payments through the
//! SimplePay simulator and its signed IPN, forged and replayed IPNs, retried starts, bank transfers
//! matched from camt.053 files, the matching queue, desk payments, signed receipts and NAV XML.

mod support;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::*;

use std::path::Path;
use std::process::Command;

use varoskapu_local::identity::*;

const SECRET: &str = varoskapu_local::app::DEMO_MERCHANT_SECRET;

impl World {
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
    assert_eq!(status, StatusCode::CONFLICT);
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
    let ack = world.ipn(&replay, SECRET).await;
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
