//! The citizen records as the office and its attackers meet them: a clerk records a
//! person, finds her by a name typed without accents, by a phone number in 06 notation, by
//! an address and by an advanced search she saves; opens the record only with a purpose,
//! and the audit trail shows each read with it; merges a planted duplicate by clicking in
//! the office pages, where she also leaves a note and tries a desk identification; a bounce
//! notification stops all mail to an address; addresses are checked against the address
//! register, and a person at the desk is identified only on her own valid document. And
//! the refusals: no token, a citizen's token, a partner app's token, an export without
//! `crm:export`, a stale correction, a bad e-mail address or an address the register does
//! not know (named, nothing written), a replayed create or note, someone else's document.

use crate::support::browser::{self, Browser, Driver, start_driver, wait_for_url};
use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use varoskapu_local::identity::{
    DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD, DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD,
    DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD,
};

fn jozsef() -> Value {
    json!({
        "identity": {
            "family_name": "Kovács",
            "given_name": "József",
            "birth_date": "1961-03-14",
            "birth_place": "Budapest",
            "mother_birth_name": "Tóth Ilona"
        },
        "addresses": [{"kind": "permanent", "postcode": "1051", "city": "Budapest",
                       "street": "Nádor utca", "number": "12"}],
        "emails": ["kovacs.jozsef.teszt@citromail.hu"],
        "phones": ["06 30 123 4567"],
        "tags": ["idős"],
        "consent": {"newsletter": true}
    })
}

/// The same man recorded again at the desk, with a typo and another phone notation.
fn jozsef_again() -> Value {
    json!({
        "identity": {
            "family_name": "Kovacs",
            "given_name": "Jozsef",
            "birth_date": "1961-03-14",
            "mother_birth_name": "Toth Ilona"
        },
        "addresses": [{"kind": "permanent", "postcode": "1051", "city": "Budapest",
                       "street": "Nádor u.", "number": "12"}],
        "phones": ["+36 30 123 4567"]
    })
}

async fn create(world: &World, clerk: &Person, body: Value, key: &str) -> (StatusCode, Value) {
    let response = world
        .http
        .post(format!("{}/crm/persons", world.base))
        .bearer_auth(&clerk.token)
        .header("Idempotency-Key", key)
        .json(&body)
        .send()
        .await
        .expect("request");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn ids_of(results: &Value) -> Vec<String> {
    results["persons"]
        .as_array()
        .map(|p| {
            p.iter()
                .filter_map(|p| p["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

async fn quick(world: &World, clerk: &Person, q: &str) -> Vec<String> {
    let q: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
    let found = world
        .ok(
            clerk,
            Method::GET,
            &format!("/crm/persons?q={q}&limit=200"),
            None,
        )
        .await;
    ids_of(&found)
}

#[tokio::test]
async fn a_clerk_records_finds_and_corrects_a_person_and_every_read_is_audited_with_its_purpose() {
    let world = World::start().await;
    let clerk = world
        .sign_in_office(DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD)
        .await;

    // A bad e-mail address is named and nothing is written.
    let mut bad = jozsef();
    bad["emails"] = json!(["kovacs@gmial.com"]);
    bad["phones"] = json!(["06 30 123 4567", "12"]);
    let (status, problem) = create(&world, &clerk, bad, "bad-1").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let pointers: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["pointer"].as_str())
        .collect();
    assert_eq!(pointers, ["/emails/0", "/phones/1"], "{problem}");
    assert!(quick(&world, &clerk, "06 30 123 4567").await.is_empty());

    // A retried create answers with the record the first one made.
    let (status, first) = create(&world, &clerk, jozsef(), "create-jozsef").await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (_, again) = create(&world, &clerk, jozsef(), "create-jozsef").await;
    let id = first["person"]["id"].as_str().expect("id").to_owned();
    assert_eq!(again["person"]["id"], first["person"]["id"]);
    assert_eq!(first["person"]["phones"][0]["number"], "+36301234567");
    assert_eq!(first["person"]["gender"]["source"], "inferred");
    // The same key for another body is refused.
    let (status, _) = create(&world, &clerk, jozsef_again(), "create-jozsef").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Found by a name without accents, a typo, a prefix, the phone, the address, the e-mail.
    for q in [
        "kovacs jozsef",
        "KOVÁCS József",
        "kovasc jozsef",
        "kovacs jozs",
        "06 30 123 4567",
        "06-30/123-4567",
        "Nádor utca 12",
        "kovacs.jozsef.teszt@citromail.hu",
    ] {
        assert!(
            quick(&world, &clerk, q).await.contains(&id),
            "{q} finds him"
        );
    }
    assert!(!quick(&world, &clerk, "nagy bela").await.contains(&id));

    // An advanced search with five conditions.
    let criteria = json!({"all": [
        {"is": {"field": "age", "min": 60, "max": 70}},
        {"is": {"field": "postcode", "value": "1051"}},
        {"is": {"field": "consent", "value": "newsletter"}},
        {"is": {"field": "tag", "value": "idős"}},
        {"not": {"is": {"field": "gender", "value": "female"}}}
    ]});
    let found = world
        .ok(
            &clerk,
            Method::POST,
            "/crm/search",
            Some(json!({"criteria": criteria})),
        )
        .await;
    assert!(ids_of(&found).contains(&id), "{found}");
    let saved = world
        .ok(
            &clerk,
            Method::POST,
            "/crm/searches",
            Some(json!({"name": "Idős hírlevél-olvasók", "criteria": criteria})),
        )
        .await;
    let live = world
        .ok(
            &clerk,
            Method::GET,
            &format!("/crm/searches/{}", saved["id"].as_str().expect("id")),
            None,
        )
        .await;
    assert!(ids_of(&live["results"]).contains(&id));

    // Opening the record needs a purpose, and the read is audited with it.
    let (status, _) = world
        .call(&clerk, Method::GET, &format!("/crm/persons/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let read = world
        .ok(
            &clerk,
            Method::GET,
            &format!("/crm/persons/{id}?purpose=customer_service"),
            None,
        )
        .await;
    let version = read["version"].as_u64().expect("version");

    // A correction at an old version is refused and changes nothing.
    let mut corrected = jozsef();
    corrected["phones"] = json!(["06 1 234 5678"]);
    let body = json!({"version": version, "person": corrected});
    let updated = world
        .ok(
            &clerk,
            Method::PUT,
            &format!("/crm/persons/{id}"),
            Some(body.clone()),
        )
        .await;
    assert_eq!(updated["person"]["phones"][0]["number"], "+3612345678");
    let (status, problem) = world
        .call(
            &clerk,
            Method::PUT,
            &format!("/crm/persons/{id}"),
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(quick(&world, &clerk, "06 1 234 5678").await.contains(&id));
    assert!(!quick(&world, &clerk, "06 30 123 4567").await.contains(&id));

    let trail = world
        .ok(
            &clerk,
            Method::GET,
            &format!("/crm/persons/{id}/audit"),
            None,
        )
        .await;
    let actions: Vec<(String, String)> = trail
        .as_array()
        .expect("trail")
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or_default().to_owned(),
                e["object"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("create".to_owned(), String::new()),
            ("read".to_owned(), "purpose/customer_service".to_owned()),
            ("update".to_owned(), String::new()),
        ],
        "{trail}"
    );
}

/// Kovács Anna as the population register holds her (SZL-0001 of the demo registry),
/// recorded at the desk without an account.
fn anna_at_the_desk() -> Value {
    json!({
        "identity": {
            "family_name": "Kovács",
            "given_name": "Anna",
            "birth_date": "1985-04-12",
            "birth_place": "Budapest",
            "mother_birth_name": "Szabó Mária"
        },
        "addresses": [{"kind": "permanent", "postcode": "1051", "city": "Budapest",
                       "street": "Október 6. u.", "number": "12."}]
    })
}

fn pointers(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["pointer"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn addresses_are_checked_against_the_register_and_clerks_note_resolve_and_identify_at_the_desk()
 {
    let world = World::start().await;
    let clerk = world
        .sign_in_office(DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD)
        .await;

    // An address the register does not know is named, and nothing is written.
    let mut nowhere = jozsef();
    nowhere["addresses"][0]["street"] = json!("Nincsilyen utca");
    let (status, problem) = create(&world, &clerk, nowhere, "nowhere").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(pointers(&problem), ["/addresses/0/street"], "{problem}");
    let mut too_far = jozsef();
    too_far["addresses"][0]["number"] = json!("99");
    let (status, problem) = create(&world, &clerk, too_far, "too-far").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(pointers(&problem), ["/addresses/0/number"], "{problem}");
    assert!(quick(&world, &clerk, "06 30 123 4567").await.is_empty());

    // A known one gets its district, typed with the street type abbreviated or not.
    let (status, jozsef) = create(&world, &clerk, jozsef_again(), "jozsef").await;
    assert_eq!(status, StatusCode::CREATED, "{jozsef}");
    assert_eq!(
        jozsef["person"]["addresses"][0]["district"], "V",
        "{jozsef}"
    );
    let mut hegyvidek = jozsef_again();
    hegyvidek["identity"]["given_name"] = json!("Béla");
    hegyvidek["addresses"] = json!([{"kind": "permanent", "postcode": "1123",
        "city": "Budapest", "street": "Alkotás utca", "number": "7/B"}]);
    let (status, bela) = create(&world, &clerk, hegyvidek, "bela").await;
    assert_eq!(status, StatusCode::CREATED, "{bela}");
    assert_eq!(bela["person"]["addresses"][0]["district"], "XII", "{bela}");
    let id = jozsef["person"]["id"].as_str().expect("id").to_owned();

    // A note sent twice with its Idempotency-Key is kept once; an empty one is named.
    let note = |key: &'static str, text: &'static str| {
        let (world, clerk, id) = (&world, &clerk, id.clone());
        async move {
            let response = world
                .http
                .post(format!("{}/crm/persons/{id}/notes", world.base))
                .bearer_auth(&clerk.token)
                .header("Idempotency-Key", key)
                .json(&json!({"text": text}))
                .send()
                .await
                .expect("request");
            let status = response.status();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let (status, first) = note("note-1", "Hallókészüléket használ, lassan beszéljünk.").await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, again) = note("note-1", "Hallókészüléket használ, lassan beszéljünk.").await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(again["person"]["notes"].as_array().map(Vec::len), Some(1));
    let (status, problem) = note("note-2", "   ").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(pointers(&problem), ["/text"], "{problem}");
    let read = world
        .ok(
            &clerk,
            Method::GET,
            &format!("/crm/persons/{id}?purpose=customer_service"),
            None,
        )
        .await;
    assert_eq!(read["person"]["notes"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        read["person"]["notes"][0]["text"],
        "Hallókészüléket használ, lassan beszéljünk."
    );
    let version = read["version"].as_u64().expect("version");

    // A flag the record does not carry, or a stale version, is refused.
    let resolutions = format!("/crm/persons/{id}/flag-resolutions");
    let resolve = |version: u64| {
        world.call(
            &clerk,
            Method::POST,
            &resolutions,
            Some(json!({"version": version, "flag": "moved"})),
        )
    };
    let (status, problem) = resolve(version).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(pointers(&problem), ["/flag"], "{problem}");
    let (status, problem) = resolve(version - 1).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");

    // At the desk: a withdrawn, expired, unknown or someone else's document is refused;
    // the person's own valid one identifies a record that has no account.
    let (status, anna) = create(&world, &clerk, anna_at_the_desk(), "anna").await;
    assert_eq!(status, StatusCode::CREATED, "{anna}");
    let anna = anna["person"]["id"].as_str().expect("id").to_owned();
    let desk = |kind: &'static str, number: &'static str, who: String| {
        let (world, clerk) = (&world, &clerk);
        async move {
            world
                .call(
                    clerk,
                    Method::POST,
                    &format!("/crm/persons/{who}/identification"),
                    Some(json!({"document": {"kind": kind, "number": number}})),
                )
                .await
        }
    };
    for number in ["272829AA", "234567AA", "999999ZZ", "456789AA"] {
        let (status, problem) = desk("identity_card", number, anna.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{number}: {problem}"
        );
        assert_eq!(pointers(&problem), ["/document/number"], "{problem}");
    }
    let (status, problem) = desk("identity_card", "", anna.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let unidentified = world
        .ok(
            &clerk,
            Method::GET,
            &format!("/crm/persons/{anna}?purpose=customer_service"),
            None,
        )
        .await;
    assert!(
        unidentified["person"]["identified"].is_null(),
        "{unidentified}"
    );

    let (status, answer) = desk("identity_card", "123456AA", anna.clone()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["result"], "identified", "{answer}");
    let identified = world
        .ok(
            &clerk,
            Method::GET,
            &format!("/crm/persons/{anna}?purpose=customer_service"),
            None,
        )
        .await;
    assert_eq!(
        identified["person"]["identified"]["channel"], "desk",
        "{identified}"
    );
    // József is not in the population register: a valid document does not make him so.
    let (status, answer) = desk("passport", "BE1234567", id.clone()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["result"], "no_match", "{answer}");
}

#[tokio::test]
async fn the_records_refuse_strangers_citizens_partner_apps_and_exports_without_the_grant() {
    let world = World::start().await;
    let anonymous = world
        .http
        .get(format!("{}/crm/persons?q=kovacs", world.base))
        .send()
        .await
        .expect("request");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    let citizen = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    let (status, _) = world
        .call(&citizen, Method::GET, "/crm/persons?q=kovacs", None)
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a citizen's portal token opens no record"
    );
    let partner = world
        .sign_in_through(
            &PARTNER,
            DEMO_CITIZEN_EMAIL,
            DEMO_CITIZEN_PASSWORD,
            None,
            "",
        )
        .await;
    let (status, _) = world
        .call(&partner, Method::GET, "/crm/persons?q=kovacs", None)
        .await;
    assert!(
        matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN),
        "a partner app's token opens no record: {status}"
    );

    // The admin may search but not export: export is for clerks granted crm:export.
    let admin = world
        .sign_in_office(DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD)
        .await;
    let (status, _) = world
        .call(&admin, Method::GET, "/crm/persons?q=kovacs", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let criteria = json!({"criteria": {"all": [{"is": {"field": "postcode", "value": "1051"}}]}});
    let (status, _) = world
        .call(&admin, Method::POST, "/crm/exports", Some(criteria.clone()))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A clerk exports; the CSV defuses formulas and every exported record is audited.
    let clerk = world
        .sign_in_office(DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD)
        .await;
    let mut formula = jozsef();
    formula["identity"]["family_name"] = json!("=HYPERLINK(\"http://evil\")");
    let (status, made) = create(&world, &clerk, formula, "formula").await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let csv = world
        .http
        .post(format!("{}/crm/exports", world.base))
        .bearer_auth(&clerk.token)
        .json(&criteria)
        .send()
        .await
        .expect("export");
    assert_eq!(csv.status(), StatusCode::OK);
    let text = csv.text().await.expect("csv");
    assert!(text.starts_with("id,family_name"), "{text}");
    assert!(
        text.contains("\"'=HYPERLINK(\"\"http://evil\"\")\""),
        "a formula is defused: {text}"
    );
    let id = made["person"]["id"].as_str().expect("id");
    let trail = world
        .ok(
            &clerk,
            Method::GET,
            &format!("/crm/persons/{id}/audit"),
            None,
        )
        .await;
    assert!(
        trail
            .as_array()
            .expect("trail")
            .iter()
            .any(|e| e["action"] == "export")
    );
}

const DSN: &str = "From: MAILER-DAEMON@mail.example.hu\r
To: noreply@varoskapu.example.hu\r
Subject: Undelivered Mail Returned to Sender\r
MIME-Version: 1.0\r
Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r
\r
--B\r
Content-Type: text/plain\r
\r
The mail system could not deliver your message.\r
--B\r
Content-Type: message/delivery-status\r
\r
Reporting-MTA: dns; mail.example.hu\r
\r
Final-Recipient: rfc822; kovacs.jozsef.teszt@citromail.hu\r
Action: failed\r
Status: 5.1.1\r
Diagnostic-Code: smtp; 550 5.1.1 user unknown\r
--B--\r
";

#[tokio::test]
async fn a_bounce_marks_the_address_on_the_record_and_stops_mail_to_it() {
    let world = World::start().await;
    let clerk = world
        .sign_in_office(DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD)
        .await;
    let (_, made) = create(&world, &clerk, jozsef(), "bounce").await;
    let id = made["person"]["id"].as_str().expect("id").to_owned();

    // Only an administrator feeds bounces.
    let refused = world
        .http
        .post(format!("{}/crm/bounces", world.base))
        .bearer_auth(&clerk.token)
        .header("content-type", "message/rfc822")
        .body(DSN)
        .send()
        .await
        .expect("bounce");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let admin = world
        .sign_in_office(DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD)
        .await;
    let garbage = world
        .http
        .post(format!("{}/crm/bounces", world.base))
        .bearer_auth(&admin.token)
        .header("content-type", "message/rfc822")
        .body("Subject: hello\r\n\r\njust a letter\r\n")
        .send()
        .await
        .expect("bounce");
    assert_eq!(garbage.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let applied = world
        .http
        .post(format!("{}/crm/bounces", world.base))
        .bearer_auth(&admin.token)
        .header("content-type", "message/rfc822")
        .body(DSN)
        .send()
        .await
        .expect("bounce");
    assert_eq!(applied.status(), StatusCode::OK);
    let report: Value = applied.json().await.expect("report");
    assert_eq!(report["records"], 1, "{report}");
    assert_eq!(report["suppressed"], 1, "{report}");

    let read = world
        .ok(
            &clerk,
            Method::GET,
            &format!("/crm/persons/{id}?purpose=data_quality"),
            None,
        )
        .await;
    assert_eq!(read["person"]["emails"][0]["state"], "hard_bounced");
    // The mail senders ask the suppression list before each message.
    let outbox = varoskapu_core::notify::outbox::Outbox::new(
        world.server.ports.table.clone(),
        world.server.ports.clock.clone(),
    );
    assert!(
        outbox
            .suppressions()
            .get("Kovacs.Jozsef.Teszt@citromail.hu")
            .await
            .expect("list")
            .is_some(),
        "no more mail goes to the address"
    );
    assert!(
        outbox
            .suppressions()
            .get("nagy.eva@citromail.hu")
            .await
            .expect("list")
            .is_none()
    );
}

async fn office_browser(driver: &Driver, base: &str) -> Browser {
    browser::signed_in(
        driver,
        base,
        "/office",
        DEMO_CLERK_EMAIL,
        DEMO_CLERK_PASSWORD,
    )
    .await
}

#[tokio::test]
async fn a_clerk_finds_a_person_saves_a_search_and_merges_a_planted_duplicate_in_the_office() {
    let world = World::start().await;
    let clerk = world
        .sign_in_office(DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD)
        .await;
    let (_, first) = create(&world, &clerk, jozsef(), "browser-1").await;
    let (_, second) = create(&world, &clerk, jozsef_again(), "browser-2").await;
    let first = first["person"]["id"].as_str().expect("id").to_owned();
    let second = second["person"]["id"].as_str().expect("id").to_owned();
    world
        .ok(&clerk, Method::POST, "/crm/duplicates/scan", None)
        .await;

    let driver = start_driver().await;
    let base = world.base.clone();
    let browser = office_browser(&driver, &base).await;
    browser.click_through("a[href='/office/people']").await;
    wait_for_url(&browser, &format!("{base}/office/people")).await;
    assert!(browser.accessibility_violations().await.is_empty());

    // By name without accents, then by phone in 06 notation.
    browser.type_into("#q", "kovacs jozsef").await;
    browser.send("/office/people").await;
    let results = browser.page_source().await;
    assert!(
        results.contains(&format!("/office/people/{first}")),
        "{results}"
    );
    browser.goto(&format!("{base}/office/people")).await;
    browser.wait_loaded().await;
    browser.type_into("#q", "06 30 123 4567").await;
    browser.send("/office/people").await;
    assert!(
        browser
            .page_source()
            .await
            .contains(&format!("/office/people/{first}"))
    );

    // Opening asks why; the record then shows, and its trail has the read with the purpose.
    browser
        .click_through(&format!("a[href='/office/people/{first}']"))
        .await;
    assert!(browser.has("#purpose-customer_service").await);
    assert!(browser.accessibility_violations().await.is_empty());
    browser
        .click_through(&format!(
            "form[action='/office/people/{first}'] button[type=submit]"
        ))
        .await;
    let record = browser.page_text().await;
    assert!(
        record.contains("Tóth Ilona") && record.contains("+36301234567"),
        "{record}"
    );
    assert!(browser.accessibility_violations().await.is_empty());

    // A note for colleagues shows on the record.
    browser
        .type_into("#note-text", "Délelőtt telefonon érhető el.")
        .await;
    browser
        .click_through(&format!(
            "form[action='/office/people/{first}/notes'] button[type=submit]"
        ))
        .await;
    let record = browser.page_text().await;
    assert!(record.contains("Délelőtt telefonon érhető el."), "{record}");

    // He is not in the population register, whatever document he shows.
    browser
        .execute("document.querySelector('#document').value = 'passport'; return true;")
        .await;
    browser.type_into("#number", "BE1234567").await;
    browser
        .click_through(&format!(
            "form[action='/office/people/{first}/identification'] button[type=submit]"
        ))
        .await;
    let answer = browser.page_text().await;
    assert!(
        answer.contains("knows nobody") || answer.contains("nem ismer senkit"),
        "{answer}"
    );
    assert!(browser.accessibility_violations().await.is_empty());
    browser
        .click_through(&format!(
            "a[href='/office/people/{first}?purpose=customer_service']"
        ))
        .await;
    browser
        .click_through(&format!("a[href='/office/people/{first}/audit']"))
        .await;
    let trail = browser.page_text().await;
    assert!(
        trail.contains("purpose: customer service") || trail.contains("cél: ügyfélszolgálat"),
        "{trail}"
    );

    // An advanced search, saved under a name, shows him on its own page.
    browser.goto(&format!("{base}/office/people/search")).await;
    browser.wait_loaded().await;
    assert!(browser.accessibility_violations().await.is_empty());
    for (i, (field, value)) in [
        ("postcode", "1051"),
        ("age", "60-70"),
        ("tag", "idős"),
        ("consent", "hírlevél"),
        ("street", "Nádor"),
    ]
    .iter()
    .enumerate()
    {
        browser
            .execute(&format!(
                "document.querySelector('#field{i}').value = '{field}'; return true;"
            ))
            .await;
        browser.type_into(&format!("#value{i}"), value).await;
    }
    browser
        .click_through("form[action='/office/people/search'] button[type=submit]")
        .await;
    assert!(
        browser
            .page_source()
            .await
            .contains(&format!("/office/people/{first}"))
    );
    browser.type_into("#name", "Nádor utcai idősek").await;
    browser.send("/office/people/searches").await;
    let saved = browser.page_text().await;
    assert!(saved.contains("Nádor utcai idősek"), "{saved}");
    assert!(
        browser
            .page_source()
            .await
            .contains(&format!("/office/people/{first}"))
    );

    // The planted duplicate waits for review; merged into the first, it is gone from search.
    browser
        .goto(&format!("{base}/office/people/duplicates"))
        .await;
    browser.wait_loaded().await;
    let queue = browser.page_source().await;
    assert!(queue.contains(&first) && queue.contains(&second), "{queue}");
    assert!(browser.accessibility_violations().await.is_empty());
    browser
        .click(&format!("input[name='survivor'][value='{first}']"))
        .await;
    browser
        .click_through("form[action$='/merge'] button[type=submit]")
        .await;
    let survivor = browser.page_text().await;
    assert!(
        survivor.contains(&second),
        "the survivor names the merged record: {survivor}"
    );
    let found = quick(&world, &clerk, "kovacs jozsef").await;
    assert!(
        found.contains(&first) && !found.contains(&second),
        "{found:?}"
    );
    let trail = world
        .ok(
            &clerk,
            Method::GET,
            &format!("/crm/persons/{second}/audit"),
            None,
        )
        .await;
    assert!(
        trail
            .as_array()
            .expect("trail")
            .iter()
            .any(|e| e["action"] == "merged_into")
    );
    assert!(
        trail
            .as_array()
            .expect("trail")
            .iter()
            .any(|e| e["object"] == "purpose/duplicate_review"),
        "showing the pair was a read for duplicate review: {trail}"
    );
    browser.close().await;
}

#[tokio::test]
async fn a_citizen_sees_and_downloads_what_the_municipality_holds_about_her() {
    let world = World::start().await;
    let citizen = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    let before = world.ok(&citizen, Method::GET, "/me/record", None).await;
    assert!(before["record"].is_null(), "{before}");
    let identified = world
        .ok(
            &citizen,
            Method::POST,
            "/me/identification",
            Some(
                json!({"family_name": "Kovács", "given_name": "Anna", "birth_date": "1985-04-12",
                        "birth_place": "Budapest", "mother_birth_name": "Szabó Mária"}),
            ),
        )
        .await;
    assert_eq!(identified["result"], "identified", "{identified}");
    let after = world.ok(&citizen, Method::GET, "/me/record", None).await;
    assert_eq!(
        after["record"]["identity"]["family_name"], "Kovács",
        "{after}"
    );
    assert!(after["record"]["identified"]["at"].is_string());
    // Another citizen sees nothing of hers.
    let other = world.new_person("masik.polgar@example.hu", "citizen").await;
    let theirs = world.ok(&other, Method::GET, "/me/record", None).await;
    assert!(theirs["record"].is_null());
}
