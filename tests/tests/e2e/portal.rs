//! The citizen portal as a browser meets it: signing in through the provider's real login
//! page, the catalogue, a case form generated from its schema with its errors, a document,
//! submission (twice with one key: one case), the receipt, my cases, an answer to the
//! office's request, fees by card through the simulator and by transfer, notices; and the
//! refusals: forms without their CSRF token, another person's case, pages without a
//! session, the session cookie's attributes and what the table keeps of it.

use crate::support::nojs::{Browser, hidden_fields};
use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use varoskapu_core::Key;
use varoskapu_core::secrets::sha256_hex;
use varoskapu_local::identity::{
    DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD, DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD,
};

/// The case id in a `/my-cases/{id}/…` location.
fn case_in(location: &str) -> String {
    location
        .trim_start_matches("/my-cases/")
        .split(['/', '?'])
        .next()
        .expect("id")
        .to_owned()
}

async fn my_case_count(world: &World, citizen: &Person) -> usize {
    world
        .ok(citizen, Method::GET, "/cases", None)
        .await
        .as_array()
        .map_or(0, Vec::len)
}

#[tokio::test]
async fn a_citizen_applies_from_the_catalogue_to_the_receipt() {
    let world = World::start().await;
    let mut browser = Browser::new(&world);
    // Everyone sees the catalogue, with fees and deadlines.
    let catalogue = browser.get("/").await;
    assert_eq!(catalogue.status, StatusCode::OK);
    assert!(catalogue.body.contains("Közterület-használati engedély"));
    assert!(
        catalogue.body.contains("12\u{a0}000\u{a0}Ft"),
        "{}",
        catalogue.body
    );
    assert!(catalogue.body.contains("/assets/site.css"));
    let detail = browser.get("/catalogue/official-certificate").await;
    assert!(
        detail.body.contains("Alátámasztó irat")
            && detail.body.contains("/my-cases/new/official-certificate")
    );
    let english = browser.get("/catalogue/official-certificate?lang=en").await;
    assert!(
        english.body.contains("Supporting document"),
        "{}",
        english.body
    );
    browser.get("/?lang=hu").await;
    assert_eq!(
        browser.get("/catalogue/no-such-type").await.status,
        StatusCode::NOT_FOUND
    );

    // Starting an application needs a sign-in, which comes back to the form.
    let form = browser
        .sign_in(
            DEMO_CITIZEN_EMAIL,
            DEMO_CITIZEN_PASSWORD,
            "/my-cases/new/official-certificate",
        )
        .await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.body.contains("Kovács Anna"),
        "the person is named in the header"
    );
    // The enum of four options is radios; the long text a textarea.
    assert!(
        form.body
            .contains(r##"type="radio" id="f-subject-0" name="subject" value="residence""##),
        "{}",
        form.body
    );
    assert!(
        form.body
            .contains(r##"<textarea id="f-purpose" name="purpose""##),
        "{}",
        form.body
    );
    let csrf = field(&form.body, "csrf");
    let api = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;

    // Too short a purpose and no subject: the form comes back with both errors, nothing saved.
    let refused = browser
        .post(
            "/my-cases/new/official-certificate",
            &[("csrf", &csrf), ("purpose", "ab")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .body
            .contains(r##"<a href="#f-purpose">Legalább 3 karaktert adjon meg.</a>"##),
        "{}",
        refused.body
    );
    assert!(
        refused
            .body
            .contains(r##"<a href="#f-subject">Ez a mező kötelező.</a>"##),
        "{}",
        refused.body
    );
    assert!(
        refused
            .body
            .contains(r##"aria-invalid="true" aria-describedby="f-purpose-error""##)
    );
    assert!(
        refused.body.contains(">ab</textarea>"),
        "what was typed is kept"
    );
    assert_eq!(my_case_count(&world, &api).await, 0);

    // Corrected: a draft, then its documents.
    let saved = browser
        .post(
            "/my-cases/new/official-certificate",
            &[
                ("csrf", &csrf),
                ("subject", "residence"),
                ("purpose", "munkáltató részére"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let documents = saved.location.clone().expect("documents");
    let case = case_in(&documents);
    assert_eq!(documents, format!("/my-cases/{case}/documents"));
    let page = browser.get(&documents).await;
    assert_eq!(page.status, StatusCode::OK);
    // A file of a type the case type does not accept is refused on the field.
    let refused = browser
        .post_file(
            &documents,
            &[("csrf", &csrf), ("kind", "supporting_document")],
            b"plain text, not a scan",
            "application/pdf",
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains(r##"<a href="#file">"##),
        "{}",
        refused.body
    );
    let attached = browser
        .post_file(
            &documents,
            &[("csrf", &csrf), ("kind", "supporting_document")],
            PDF,
            "application/pdf",
        )
        .await;
    assert_eq!(attached.status, StatusCode::SEE_OTHER, "{}", attached.body);
    let page = browser.follow(attached).await;
    assert!(
        page.body.contains("A dokumentumot csatoltuk."),
        "{}",
        page.body
    );
    let draft = world
        .ok(&api, Method::GET, &format!("/cases/{case}"), None)
        .await;
    assert_eq!(draft["status"], "draft");
    assert_eq!(
        draft["form"],
        json!({"subject": "residence", "purpose": "munkáltató részére"})
    );
    assert_eq!(draft["documents"][0]["media_type"], "application/pdf");

    // Submitted twice with the form's key (a double click): one submission.
    let key = field(&page.body, "idempotency_key");
    let submit = format!("/my-cases/{case}/submit");
    let first = browser
        .post(&submit, &[("csrf", &csrf), ("idempotency_key", &key)])
        .await;
    let second = browser
        .post(&submit, &[("csrf", &csrf), ("idempotency_key", &key)])
        .await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    assert_eq!(first.location, second.location);
    assert_eq!(my_case_count(&world, &api).await, 1);
    let submitted = world
        .ok(&api, Method::GET, &format!("/cases/{case}"), None)
        .await;
    assert_eq!(submitted["status"], "submitted");
    let number = submitted["arrival_number"]
        .as_str()
        .expect("arrival number");
    let receipt_page = browser.follow(first).await;
    assert!(
        receipt_page.body.contains("Kérelmét benyújtotta"),
        "{}",
        receipt_page.body
    );
    assert!(receipt_page.body.contains(number));
    assert!(
        receipt_page
            .body
            .contains(&format!("/my-cases/{case}/receipt.pdf"))
    );
    let receipt = browser.get(&format!("/my-cases/{case}/receipt.pdf")).await;
    assert_eq!(receipt.status, StatusCode::OK);
    assert_eq!(receipt.content_type, "application/pdf");
    assert!(receipt.bytes.starts_with(b"%PDF"));
    world.assert_signed("portal-receipt", &receipt.bytes);

    // My cases: the case with its status and deadline; the notice of its arrival.
    let mine = browser.get("/my-cases").await;
    assert!(
        mine.body.contains(number) && mine.body.contains("Beérkezett"),
        "{}",
        mine.body
    );
    assert!(mine.body.contains("munkanap van hátra"), "{}", mine.body);
    let notices = browser.get("/notifications").await;
    assert_eq!(notices.status, StatusCode::OK);
    assert!(
        notices.body.contains("Kérelmét átvettük"),
        "{}",
        notices.body
    );

    // Signing out ends the session and goes to the provider's end-session endpoint.
    let csrf = field(&mine.body, "csrf");
    let out = browser.post("/auth/logout", &[("csrf", &csrf)]).await;
    let to = out.location.clone().expect("to the provider");
    assert!(
        to.starts_with(&format!("{}/oauth2/logout?", world.base)) && to.contains("id_token_hint="),
        "{to}"
    );
    assert!(to.contains("post_logout_redirect_uri="), "{to}");
    // The provider signs the person out (asking first unless the hint names the session)
    // and returns the browser to the portal's front page.
    let mut end = browser.follow(out).await;
    if end.body.contains(r#"action="/oauth2/logout""#) {
        let fields = hidden_fields(&end.body, "/oauth2/logout");
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let done = browser.post("/oauth2/logout", &pairs).await;
        end = browser.follow(done).await;
    }
    assert_eq!(end.status, StatusCode::OK);
    assert!(
        end.body.contains("<h1>Elektronikus ügyintézés</h1>") && end.body.contains("/auth/login"),
        "{}",
        end.body
    );
    let after = browser.get("/my-cases").await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn numbers_and_required_nested_fields_are_checked_on_their_fields() {
    let world = World::start().await;
    let mut browser = Browser::new(&world);
    let form = browser
        .sign_in(
            DEMO_CITIZEN_EMAIL,
            DEMO_CITIZEN_PASSWORD,
            "/my-cases/new/public-space-use-permit",
        )
        .await;
    let csrf = field(&form.body, "csrf");
    let refused = browser
        .post(
            "/my-cases/new/public-space-use-permit?lang=en",
            &[
                ("csrf", &csrf),
                ("purpose", "Kávézó terasz"),
                ("location", "Szent István tér 4."),
                ("area_m2", "twelve"),
                ("from", "2027-04-01"),
                ("to", "2027-09-30"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .body
            .contains(r##"<a href="#f-area_m2">Enter a number (for example 12.5).</a>"##),
        "{}",
        refused.body
    );
    // The nested form of the parking permit: every required field of a fieldset is named.
    let parking = browser.get("/my-cases/new/resident-parking-permit").await;
    assert!(
        parking.body.contains(r##"<fieldset id="f-address""##),
        "{}",
        parking.body
    );
    let refused = browser
        .post(
            "/my-cases/new/resident-parking-permit",
            &[
                ("csrf", &csrf),
                ("address.postcode", "10"),
                ("vehicle.keeper", "applicant"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    for id in [
        "f-address-postcode",
        "f-address-city",
        "f-address-street",
        "f-vehicle-plate",
    ] {
        assert!(
            refused.body.contains(&format!("href=\"#{id}\"")),
            "{id}: {}",
            refused.body
        );
    }
    let api = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    assert_eq!(my_case_count(&world, &api).await, 0);
    // With a comma as the decimal mark the area is a number.
    let saved = browser
        .post(
            "/my-cases/new/public-space-use-permit",
            &[
                ("csrf", &csrf),
                ("purpose", "Kávézó terasz"),
                ("location", "Szent István tér 4."),
                ("area_m2", "12,5"),
                ("from", "2027-04-01"),
                ("to", "2027-09-30"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let case = case_in(saved.location.as_deref().expect("location"));
    let draft = world
        .ok(&api, Method::GET, &format!("/cases/{case}"), None)
        .await;
    assert_eq!(draft["form"]["area_m2"], json!(12.5));
    // Submitting without the required site plan names the document.
    let page = browser.get(&format!("/my-cases/{case}/documents")).await;
    let key = field(&page.body, "idempotency_key");
    let refused = browser
        .post(
            &format!("/my-cases/{case}/submit"),
            &[("csrf", &csrf), ("idempotency_key", &key)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("href=\"#doc-site_plan\""),
        "{}",
        refused.body
    );
    let draft = world
        .ok(&api, Method::GET, &format!("/cases/{case}"), None)
        .await;
    assert_eq!(draft["status"], "draft");
    // The saved form is shown again to be changed.
    let edit = browser.get(&format!("/my-cases/{case}/form")).await;
    assert!(edit.body.contains(r##"value="12.5""##), "{}", edit.body);
}

#[tokio::test]
async fn an_information_request_is_answered_and_fees_are_paid_by_card_or_transfer() {
    let world = World::start().await;
    let api = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    let clerk = world
        .sign_in_office(DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD)
        .await;
    // A certificate case the office asks more about.
    let case = world
        .draft(&api, "official-certificate", certificate_form())
        .await;
    let (status, _) = world.submit(&api, &case, None).await;
    assert_eq!(status, StatusCode::OK);
    world
        .ok(
            &clerk,
            Method::POST,
            &format!("/backoffice/cases/{case}/claim"),
            None,
        )
        .await;
    world
        .ok(
            &clerk,
            Method::POST,
            &format!("/backoffice/cases/{case}/information-requests"),
            Some(json!({"text": "Kérjük, adja meg a lakcímkártya számát."})),
        )
        .await;
    let mut browser = Browser::new(&world);
    let path = format!("/my-cases/{case}");
    let page = browser
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD, &path)
        .await;
    assert!(
        page.body
            .contains("Kérjük, adja meg a lakcímkártya számát."),
        "{}",
        page.body
    );
    assert!(page.body.contains("Hiánypótlásra vár"));
    let csrf = field(&page.body, "csrf");
    let answer = format!("/my-cases/{case}/answer");
    // An empty answer is an error on its field.
    let empty = browser
        .post_multipart(&answer, &[("csrf", &csrf), ("answer", " ")], None)
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains(r##"<a href="#answer">"##));
    // A file of a type not accepted is refused on its field, and nothing is answered.
    let refused = browser
        .post_file(
            &answer,
            &[("csrf", &csrf), ("answer", "A kártya száma 123456AB.")],
            b"not a scan",
            "application/pdf",
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains(r##"<a href="#answer-file">"##),
        "{}",
        refused.body
    );
    let still = world
        .ok(&api, Method::GET, &format!("/cases/{case}"), None)
        .await;
    assert_eq!(still["status"], "waiting_for_citizen");
    let sent = browser
        .post_file(
            &answer,
            &[("csrf", &csrf), ("answer", "A kártya száma 123456AB.")],
            PNG,
            "image/png",
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    let shown = browser.follow(sent).await;
    assert!(
        shown.body.contains("A kártya száma 123456AB."),
        "{}",
        shown.body
    );
    let now = world
        .ok(&api, Method::GET, &format!("/cases/{case}"), None)
        .await;
    assert_eq!(now["status"], "in_review");
    assert_eq!(
        now["information_requests"][0]["answer_documents"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "{now}"
    );

    // A fee by card through the simulator, back to the portal.
    let fee_case = world.case_awaiting_payment(&api).await;
    let detail = browser.get(&format!("/my-cases/{fee_case}")).await;
    assert!(
        detail.body.contains("Díjfizetésre vár")
            && detail.body.contains(&format!("/my-cases/{fee_case}/pay"))
    );
    let pay = browser.get(&format!("/my-cases/{fee_case}/pay")).await;
    assert_eq!(pay.status, StatusCode::OK);
    let key = field(&pay.body, "idempotency_key");
    let started = browser
        .post(
            &format!("/my-cases/{fee_case}/pay"),
            &[
                ("csrf", &csrf),
                ("idempotency_key", &key),
                ("method", "card"),
            ],
        )
        .await;
    let provider = started.location.clone().expect("to the card provider");
    assert!(provider.contains("/simplepay-sim/pay/"), "{provider}");
    let sim = browser.get(&provider).await;
    assert!(sim.body.contains("SimplePay"));
    let chosen = browser.post(&provider, &[("outcome", "success")]).await;
    let back = chosen.location.clone().expect("back");
    assert!(
        back.starts_with(&format!("{}/my-cases/{fee_case}/card-return?", world.base)),
        "{back}"
    );
    let status_page = browser.follow(chosen).await;
    assert_eq!(status_page.status, StatusCode::OK);
    assert!(status_page.body.contains("Sikeres"), "{}", status_page.body);
    let paid = world
        .ok(&api, Method::GET, &format!("/cases/{fee_case}"), None)
        .await;
    assert_ne!(paid["status"], "awaiting_payment");
    let receipt_link = status_page
        .body
        .split("href=\"")
        .find_map(|s| s.split('"').next().filter(|l| l.ends_with("/receipt.pdf")))
        .expect("receipt link")
        .to_owned();
    // The case lists the payment with its receipt.
    let case_page = browser.get(&format!("/my-cases/{fee_case}")).await;
    assert!(case_page.body.contains(&receipt_link), "{}", case_page.body);
    let receipt = browser.get(&receipt_link).await;
    assert_eq!(receipt.status, StatusCode::OK);
    assert!(receipt.bytes.starts_with(b"%PDF"));

    // A fee by transfer shows the account and the reference.
    let transfer_case = world.case_awaiting_payment(&api).await;
    let pay = browser.get(&format!("/my-cases/{transfer_case}/pay")).await;
    let started = browser
        .post(
            &format!("/my-cases/{transfer_case}/pay"),
            &[
                ("csrf", &csrf),
                ("idempotency_key", "transfer-1"),
                ("method", "bank_transfer"),
            ],
        )
        .await;
    assert!(pay.status.is_success());
    let details = browser.follow(started).await;
    assert_eq!(details.status, StatusCode::OK);
    let payments: Value = world
        .http
        .get(format!("{}/cases/{transfer_case}", world.base))
        .bearer_auth(&api.token)
        .send()
        .await
        .expect("case")
        .json()
        .await
        .expect("json");
    assert_eq!(payments["status"], "awaiting_payment");
    assert!(
        details.body.contains("Közlemény") && details.body.contains("Számlaszám"),
        "{}",
        details.body
    );
}

#[tokio::test]
async fn forms_without_the_sessions_csrf_token_are_refused_and_change_nothing() {
    let world = World::start().await;
    let api = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    let draft = world
        .draft(&api, "official-certificate", certificate_form())
        .await;
    let waiting = world
        .draft(&api, "official-certificate", certificate_form())
        .await;
    world.submit(&api, &waiting, None).await;
    let clerk = world
        .sign_in_office(DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD)
        .await;
    world
        .ok(
            &clerk,
            Method::POST,
            &format!("/backoffice/cases/{waiting}/claim"),
            None,
        )
        .await;
    world
        .ok(
            &clerk,
            Method::POST,
            &format!("/backoffice/cases/{waiting}/information-requests"),
            Some(json!({"text": "Kérjük, pontosítson."})),
        )
        .await;
    let fee_case = world.case_awaiting_payment(&api).await;
    let mut browser = Browser::new(&world);
    browser
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD, "/my-cases")
        .await;
    let before = my_case_count(&world, &api).await;
    for bad in [None, Some("forged-token")] {
        let with = |mut form: Vec<(&'static str, String)>| {
            if let Some(token) = bad {
                form.push(("csrf", token.to_owned()));
            }
            form
        };
        let forms: Vec<(String, Vec<(&str, String)>)> = vec![
            (
                "/my-cases/new/official-certificate".into(),
                with(vec![
                    ("subject", "residence".into()),
                    ("purpose", "munkáltató részére".into()),
                ]),
            ),
            (
                format!("/my-cases/{draft}/form"),
                with(vec![
                    ("subject", "probate".into()),
                    ("purpose", "hagyaték".into()),
                ]),
            ),
            (
                format!("/my-cases/{draft}/submit"),
                with(vec![("idempotency_key", "k1".into())]),
            ),
            (
                format!("/my-cases/{waiting}/answer"),
                with(vec![("answer", "válasz".into())]),
            ),
            (
                format!("/my-cases/{fee_case}/pay"),
                with(vec![
                    ("method", "bank_transfer".into()),
                    ("idempotency_key", "k2".into()),
                ]),
            ),
            ("/auth/logout".into(), with(vec![])),
        ];
        for (path, form) in forms {
            let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let answer = if path.ends_with("/answer") {
                browser.post_multipart(&path, &pairs, None).await
            } else {
                browser.post(&path, &pairs).await
            };
            assert_eq!(answer.status, StatusCode::FORBIDDEN, "{path} with {bad:?}");
        }
        let mut fields = vec![("kind", "supporting_document")];
        if let Some(token) = bad {
            fields.push(("csrf", token));
        }
        let upload = browser
            .post_file(
                &format!("/my-cases/{draft}/documents"),
                &fields,
                PDF,
                "application/pdf",
            )
            .await;
        assert_eq!(upload.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(my_case_count(&world, &api).await, before);
    let draft_now = world
        .ok(&api, Method::GET, &format!("/cases/{draft}"), None)
        .await;
    assert_eq!(draft_now["status"], "draft");
    assert_eq!(draft_now["form"], certificate_form());
    assert_eq!(draft_now["documents"], json!([]));
    let waiting_now = world
        .ok(&api, Method::GET, &format!("/cases/{waiting}"), None)
        .await;
    assert_eq!(waiting_now["status"], "waiting_for_citizen");
    let fee_now = world
        .ok(&api, Method::GET, &format!("/cases/{fee_case}"), None)
        .await;
    assert_eq!(fee_now["status"], "awaiting_payment");
    // Still signed in: the refused sign-out did not sign out.
    assert_eq!(browser.get("/my-cases").await.status, StatusCode::OK);
}

#[tokio::test]
async fn another_citizens_case_is_not_found() {
    let world = World::start().await;
    let owner = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    let case = world.case_awaiting_payment(&owner).await;
    world.new_person("masik@example.hu", "citizen").await;
    let mut other = Browser::new(&world);
    let mine = other
        .sign_in("masik@example.hu", "Masik-polgar-2026!", "/my-cases")
        .await;
    assert!(!mine.body.contains(&case));
    let csrf = field(&mine.body, "csrf");
    for path in [
        format!("/my-cases/{case}"),
        format!("/my-cases/{case}/form"),
        format!("/my-cases/{case}/documents"),
        format!("/my-cases/{case}/receipt.pdf"),
        format!("/my-cases/{case}/decision.pdf"),
        format!("/my-cases/{case}/pay"),
        "/my-cases/not-a-uuid".to_owned(),
    ] {
        let answer = other.get(&path).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!answer.body.contains("Közterület"), "{path} shows the case");
    }
    let paid = other
        .post(
            &format!("/my-cases/{case}/pay"),
            &[
                ("csrf", &csrf),
                ("method", "card"),
                ("idempotency_key", "x"),
            ],
        )
        .await;
    assert_eq!(paid.status, StatusCode::NOT_FOUND);
    let answered = other
        .post_multipart(
            &format!("/my-cases/{case}/answer"),
            &[("csrf", &csrf), ("answer", "x")],
            None,
        )
        .await;
    assert_eq!(answered.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn pages_without_a_session_send_the_browser_to_sign_in() {
    let world = World::start().await;
    let mut browser = Browser::new(&world);
    let case = "0190c7e0-0000-7000-8000-000000000001";
    for path in [
        "/my-cases".to_owned(),
        "/my-cases/new/official-certificate".to_owned(),
        format!("/my-cases/{case}"),
        format!("/my-cases/{case}/documents"),
        format!("/my-cases/{case}/receipt.pdf"),
        format!("/my-cases/{case}/pay"),
        "/notifications".to_owned(),
    ] {
        let answer = browser.get(&path).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{path}");
        // A download comes back to its case's page after signing in.
        let back = path.trim_end_matches("/receipt.pdf");
        let encoded: String = url::form_urlencoded::byte_serialize(back.as_bytes()).collect();
        assert_eq!(
            answer.location.as_deref(),
            Some(format!("/auth/login?return_to={encoded}").as_str()),
            "{path}"
        );
    }
    // A posted form without a session does nothing either.
    let answer = browser
        .post(
            "/my-cases/new/official-certificate",
            &[("subject", "residence")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    // Only a path of the portal is a place to come back to.
    let start = browser
        .get("/auth/login?return_to=https%3A%2F%2Fevil.example%2F")
        .await;
    assert!(
        start
            .location
            .expect("to provider")
            .contains("/oauth2/authorize?")
    );
    // A callback this browser did not start is refused.
    let mut stranger = Browser::new(&world);
    let forged = stranger.get("/auth/callback?code=abc&state=def").await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_lax_and_the_table_keeps_only_its_digest() {
    let world = World::start().await;
    let mut browser = Browser::new(&world);
    browser
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD, "/my-cases")
        .await;
    // The cookie set by the callback (the last redirect before the page).
    let mut again = Browser::new(&world);
    let first = again.get("/my-cases").await;
    let start = again.get(first.location.as_deref().expect("login")).await;
    let pre = again
        .last_cookies
        .iter()
        .find(|c| c.starts_with("vk_portal="))
        .expect("pre-session cookie")
        .clone();
    assert!(
        pre.contains("HttpOnly") && pre.contains("SameSite=Lax") && pre.contains("Path=/"),
        "{pre}"
    );
    assert!(start.location.is_some());
    let secret = browser.session_secret();
    let key = Key::new(
        format!("WEBSESSION#portal#{}", sha256_hex(&secret)),
        "WEBSESSION",
    );
    let table = world.server.ports.table.clone();
    let item = table
        .get(&key)
        .await
        .expect("table")
        .expect("the session is stored");
    let stored = serde_json::to_string(&item.data).expect("json");
    assert!(
        !stored.contains(&secret),
        "the cookie's secret is in the table"
    );
    assert!(
        table
            .get(&Key::new(
                format!("WEBSESSION#portal#{secret}"),
                "WEBSESSION"
            ))
            .await
            .expect("table")
            .is_none()
    );
    // The pre-session of the sign-in is gone once signed in (its cookie is worth nothing).
    let pre_secret = pre
        .trim_start_matches("vk_portal=")
        .split(';')
        .next()
        .expect("value")
        .to_owned();
    assert_ne!(pre_secret, secret);
}

/// The values of the radio buttons named `name` on a page, in order.
fn radio_values(page: &str, name: &str) -> Vec<String> {
    let marker = format!(r#"name="{name}" value=""#);
    page.match_indices(&marker)
        .map(|(at, _)| {
            let rest = &page[at + marker.len()..];
            rest[..rest.find('"').expect("quote")].to_owned()
        })
        .collect()
}

#[tokio::test]
async fn an_appointment_is_booked_once_moved_cancelled_and_added_to_a_calendar() {
    let world = World::start().await;
    let api = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    let mut browser = Browser::new(&world);
    let list = browser
        .sign_in(
            DEMO_CITIZEN_EMAIL,
            DEMO_CITIZEN_PASSWORD,
            "/my-appointments",
        )
        .await;
    let service = "/my-appointments/new/szemelyi-igazolvany-fenykep";
    assert!(list.body.contains(service), "{}", list.body);
    let slots = browser.get(service).await;
    assert_eq!(slots.status, StatusCode::OK);
    let choices = radio_values(&slots.body, "slot");
    assert!(choices.len() >= 2, "{}", slots.body);
    let csrf = field(&slots.body, "csrf");
    let key = field(&slots.body, "idempotency_key");
    // No slot chosen: the error is on the slot list.
    let none = browser
        .post(service, &[("csrf", &csrf), ("idempotency_key", &key)])
        .await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        none.body.contains(r##"<a href="#slots">"##),
        "{}",
        none.body
    );
    // Booked with a double click: one booking.
    let form = [
        ("csrf", csrf.as_str()),
        ("idempotency_key", &key),
        ("slot", &choices[choices.len() - 1]),
    ];
    let first = browser.post(service, &form).await;
    let second = browser.post(service, &form).await;
    assert_eq!(first.location.as_deref(), Some("/my-appointments?booked=1"));
    assert_eq!(second.location, first.location);
    let bookings = world
        .ok(&api, Method::GET, "/appointments/bookings", None)
        .await;
    let bookings = bookings.as_array().expect("list").clone();
    assert_eq!(bookings.len(), 1, "{bookings:?}");
    let id = bookings[0]["id"].as_str().expect("id").to_owned();
    let listed = browser.follow(first).await;
    assert!(
        listed
            .body
            .contains(&format!("/my-appointments/{id}/calendar.ics")),
        "{}",
        listed.body
    );
    // The calendar entry.
    let ics = browser
        .get(&format!("/my-appointments/{id}/calendar.ics"))
        .await;
    assert_eq!(ics.status, StatusCode::OK);
    assert!(ics.content_type.starts_with("text/calendar"));
    for line in [
        "BEGIN:VCALENDAR",
        "BEGIN:VEVENT",
        "DTSTART",
        "END:VCALENDAR",
    ] {
        assert!(ics.body.contains(line), "{line}: {}", ics.body);
    }
    // Moved to another slot.
    let move_page = browser
        .get(&format!("/my-appointments/{id}/reschedule"))
        .await;
    let later = radio_values(&move_page.body, "slot")
        .into_iter()
        .rfind(|s| *s != choices[choices.len() - 1])
        .expect("another slot");
    let moved = browser
        .post(
            &format!("/my-appointments/{id}/reschedule"),
            &[("csrf", &csrf), ("slot", &later)],
        )
        .await;
    assert_eq!(
        moved.location.as_deref(),
        Some("/my-appointments?moved=1"),
        "{} {}",
        moved.status,
        moved.body
    );
    let booking = world
        .ok(
            &api,
            Method::GET,
            &format!("/appointments/bookings/{id}"),
            None,
        )
        .await;
    assert_eq!(booking["status"], "rescheduled", "{booking}");
    // A cancel without the session's token is refused; with it, the booking is cancelled.
    let cancel = format!("/my-appointments/{id}/cancel");
    let forged = browser.post(&cancel, &[("csrf", "forged")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let booking = world
        .ok(
            &api,
            Method::GET,
            &format!("/appointments/bookings/{id}"),
            None,
        )
        .await;
    assert_eq!(booking["status"], "rescheduled");
    let cancelled = browser.post(&cancel, &[("csrf", &csrf)]).await;
    assert_eq!(
        cancelled.location.as_deref(),
        Some("/my-appointments?cancelled=1")
    );
    let booking = world
        .ok(
            &api,
            Method::GET,
            &format!("/appointments/bookings/{id}"),
            None,
        )
        .await;
    assert_eq!(booking["status"], "cancelled");
    // The notices of each step.
    let notices = browser.get("/notifications").await;
    assert_eq!(notices.status, StatusCode::OK);
    assert!(
        notices.body.matches("<li class=\"card\">").count() >= 3,
        "{}",
        notices.body
    );
    // Another person's booking is not found.
    world.new_person("masik@example.hu", "citizen").await;
    let mut other = Browser::new(&world);
    other
        .sign_in("masik@example.hu", "Masik-polgar-2026!", "/my-appointments")
        .await;
    for path in [
        format!("/my-appointments/{id}/calendar.ics"),
        format!("/my-appointments/{id}/reschedule"),
    ] {
        assert_eq!(
            other.get(&path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}

#[tokio::test]
async fn an_expired_access_token_is_refreshed_and_a_refused_refresh_signs_in_again() {
    use varoskapu_core::{Condition, Update};
    let world = World::start().await;
    let mut browser = Browser::new(&world);
    browser
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD, "/my-cases")
        .await;
    let key = Key::new(
        format!(
            "WEBSESSION#portal#{}",
            sha256_hex(&browser.session_secret())
        ),
        "WEBSESSION",
    );
    let table = world.server.ports.table.clone();
    let stored = |item: varoskapu_core::Item| -> Value {
        serde_json::to_value(&item.data).expect("json")["data"].clone()
    };
    let data = stored(table.get(&key).await.expect("get").expect("session"));
    let old_token = data["tokens"]["access_token"].clone();
    assert!(data["tokens"]["refresh_token"].is_string(), "{data}");
    // The access token has expired: the page still shows, with a fresh token.
    let mut expired = data.clone();
    expired["tokens"]["expires_at"] = json!(0);
    table
        .update(
            &key,
            Update::default().set("data", expired.clone()),
            Condition::Exists,
        )
        .await
        .expect("update");
    assert_eq!(browser.get("/my-cases").await.status, StatusCode::OK);
    let data = stored(table.get(&key).await.expect("get").expect("session"));
    assert_ne!(data["tokens"]["access_token"], old_token);
    assert!(data["tokens"]["expires_at"].as_i64().expect("expiry") > 0);
    // Using the portal keeps the session alive: its lifetime starts again.
    let soon = jiff::Timestamp::now().as_second() + 10;
    let mut idle = data.clone();
    idle["touched_at"] = json!(0);
    table
        .update(
            &key,
            Update::default().set("data", idle).ttl(Some(soon)),
            Condition::Exists,
        )
        .await
        .expect("update");
    assert_eq!(browser.get("/my-cases").await.status, StatusCode::OK);
    let item = table.get(&key).await.expect("get").expect("session");
    assert!(item.ttl.expect("ttl") > soon + 600, "{:?}", item.ttl);
    let data = stored(item);
    // A refresh the provider refuses: sign in again.
    let mut refused = data.clone();
    refused["tokens"]["expires_at"] = json!(0);
    refused["tokens"]["refresh_token"] = json!("not-a-refresh-token");
    table
        .update(
            &key,
            Update::default().set("data", refused),
            Condition::Exists,
        )
        .await
        .expect("update");
    let answer = browser.get("/my-cases").await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert!(
        answer
            .location
            .expect("to sign-in")
            .starts_with("/auth/login")
    );
}

#[tokio::test]
async fn a_decision_is_downloaded_from_the_case_page_and_so_delivered() {
    let world = World::start().await;
    let api = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    // A parking permit the rule decides at once, for a citizen identified against the
    // registry.
    crate::registry::identify_demo_citizen(&world, &api).await;
    let case = world
        .draft(&api, "resident-parking-permit", parking_form("1051"))
        .await;
    let (status, _) = world
        .attach(&api, &case, "vehicle_registration", PDF, "application/pdf")
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, submitted) = world.submit(&api, &case, None).await;
    assert_eq!(submitted["status"], "decided", "{submitted}");
    let mut browser = Browser::new(&world);
    let page = browser
        .sign_in(
            DEMO_CITIZEN_EMAIL,
            DEMO_CITIZEN_PASSWORD,
            &format!("/my-cases/{case}"),
        )
        .await;
    assert!(page.body.contains("Jóváhagyva"), "{}", page.body);
    assert!(
        page.body
            .contains(&format!("/my-cases/{case}/decision.pdf"))
    );
    let decision = browser.get(&format!("/my-cases/{case}/decision.pdf")).await;
    assert_eq!(decision.status, StatusCode::OK);
    assert_eq!(decision.content_type, "application/pdf");
    world.assert_signed("portal-decision", &decision.bytes);
    let now = world
        .ok(&api, Method::GET, &format!("/cases/{case}"), None)
        .await;
    assert_eq!(now["status"], "delivered");
    let page = browser.get(&format!("/my-cases/{case}")).await;
    assert!(page.body.contains("Kézbesítve"), "{}", page.body);
}
