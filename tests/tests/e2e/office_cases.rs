//! The office's case screens (office_cases), as a browser meets them: a clerk works a
//! citizen's case from the queue to a signed decision by clicking through the pages, a
//! signatory returns a draft and approves the next after adding a second factor, and the
//! citizen answers in the portal and sees the decision there. Plus the refusals a clicking
//! browser cannot provoke: a citizen's session, and forms sent without their CSRF token.

use crate::support::browser::{self, start_driver, wait_for_url};
use crate::support::nojs;
use crate::support::{PDF, Person, World, certificate_form, space_form, totp_code};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;
use varoskapu_local::cases::{DEMO_SIGNATORY_EMAIL, DEMO_SIGNATORY_PASSWORD};
use varoskapu_local::identity::{
    DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD, DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD,
};

/// A citizen's public-space case with its site plan, submitted and its fee paid at the
/// desk: waiting for a clerk. Returns the case id and its document's id.
async fn arrived_case(world: &World) -> (String, String) {
    let citizen = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    let case = world
        .draft(&citizen, "public-space-use-permit", space_form())
        .await;
    let (status, attached) = world
        .attach(&citizen, &case, "site_plan", PDF, "application/pdf")
        .await;
    assert_eq!(status, StatusCode::CREATED, "{attached}");
    let (_, submitted) = world.submit(&citizen, &case, None).await;
    assert_eq!(submitted["status"], "awaiting_payment", "{submitted}");
    let clerk = office_clerk(world).await;
    let paid = world
        .ok(
            &clerk,
            Method::POST,
            &format!("/backoffice/cases/{case}/desk-payment"),
            Some(json!({"method": "cash", "receipt_number": "P-000042"})),
        )
        .await;
    assert_eq!(paid["status"], "succeeded", "{paid}");
    let document = submitted["documents"][0]["id"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| {
            attached["id"]
                .as_str()
                .expect("the attached document's id")
                .to_owned()
        });
    (case, document)
}

async fn office_clerk(world: &World) -> Person {
    world
        .sign_in_office(DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD)
        .await
}

/// The case as the JSON back-office route shows it.
async fn case_json(world: &World, clerk: &Person, case: &str) -> Value {
    world
        .ok(
            clerk,
            Method::GET,
            &format!("/backoffice/cases/{case}"),
            None,
        )
        .await
}

/// A TOTP code of a step the account has not used yet (a code is accepted once per step).
async fn fresh_code(secret: &str, used: &str) -> String {
    loop {
        let code = totp_code(secret);
        if code != used {
            return code;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test]
async fn a_clerk_and_a_signatory_work_a_case_to_a_signed_decision_the_citizen_sees() {
    let world = World::start().await;
    let (case, _) = arrived_case(&world).await;
    let case_page = format!("/office/cases/{case}");
    let driver = start_driver().await;

    // The clerk finds the case in the queue and opens it.
    let clerk = browser::signed_in_hungarian(
        &driver,
        &world.base,
        "/office/cases",
        DEMO_CLERK_EMAIL,
        DEMO_CLERK_PASSWORD,
    )
    .await;
    clerk.execute("window.__leaving = true; return true;").await;
    clerk.click(&format!("a[href='{case_page}']")).await;
    clerk.wait_loaded().await;
    let text = clerk.page_text().await;
    assert!(
        text.contains("Szent István tér 4.") && text.contains("Helyszínrajz"),
        "the form and documents are shown: {text}"
    );

    clerk.send(&format!("{case_page}/claim")).await;
    assert!(clerk.page_text().await.contains("Átvette az ügyet."));
    clerk.send(&format!("{case_page}/file")).await;
    assert!(clerk.page_text().await.contains("IK-"), "a filing number");

    // Missing information, with a day to answer by.
    let answer_by = jiff::Zoned::now()
        .date()
        .checked_add(jiff::Span::new().days(15))
        .expect("a day");
    clerk
        .type_into(
            "#info_message",
            "Kérjük, csatolja a tulajdonosi hozzájárulást.",
        )
        .await;
    clerk
        .execute(&format!(
            "document.querySelector('#info_due').value = '{answer_by}'; return true;"
        ))
        .await;
    clerk
        .send(&format!("{case_page}/information-request"))
        .await;
    let text = clerk.page_text().await;
    assert!(text.contains("Hiánypótlásra vár"), "{text}");
    assert!(text.contains(&answer_by.to_string()), "{text}");

    // The citizen answers in the portal.
    let citizen = browser::signed_in_hungarian(
        &driver,
        &world.base,
        &format!("/my-cases/{case}"),
        DEMO_CITIZEN_EMAIL,
        DEMO_CITIZEN_PASSWORD,
    )
    .await;
    assert!(
        citizen
            .page_text()
            .await
            .contains("tulajdonosi hozzájárulást")
    );
    citizen
        .type_into("#answer", "A tulajdonos hozzájárult, a levelét csatoltam.")
        .await;
    citizen.send(&format!("/my-cases/{case}/answer")).await;

    // The clerk drafts the decision from the prefilled reasoning.
    clerk.goto(&format!("{}{case_page}", world.base)).await;
    clerk.wait_loaded().await;
    let text = clerk.page_text().await;
    assert!(text.contains("A tulajdonos hozzájárult"), "{text}");
    let prefilled = clerk
        .execute("return document.querySelector('#reasoning').value;")
        .await;
    assert!(
        prefilled
            .as_str()
            .is_some_and(|r| r.contains("megvizsgálta")),
        "{prefilled}"
    );
    clerk.click("#outcome-approve").await;
    clerk.send(&format!("{case_page}/decision")).await;
    assert!(clerk.page_text().await.contains("Döntéstervezet kész"));

    // The signatory sends it back once.
    let signatory = browser::signed_in_hungarian(
        &driver,
        &world.base,
        &case_page,
        DEMO_SIGNATORY_EMAIL,
        DEMO_SIGNATORY_PASSWORD,
    )
    .await;
    signatory
        .type_into("#remark", "Kérem, nevezze meg a tulajdonost is.")
        .await;
    signatory
        .send(&format!("{case_page}/decision/return"))
        .await;
    assert!(
        signatory
            .page_text()
            .await
            .contains("átdolgozásra visszaküldte")
    );

    // The clerk drafts again, seeing the remark.
    clerk.goto(&format!("{}{case_page}", world.base)).await;
    clerk.wait_loaded().await;
    assert!(
        clerk
            .page_text()
            .await
            .contains("Kérem, nevezze meg a tulajdonost is.")
    );
    clerk
        .type_into(
            "#reasoning",
            "A kérelem a benyújtott adatok és a tulajdonos, Kovács Béla hozzájárulása alapján megalapozott.",
        )
        .await;
    clerk.send(&format!("{case_page}/decision")).await;
    assert!(clerk.page_text().await.contains("Döntéstervezet kész"));

    // Approving needs a second factor: the signatory adds one in her account first.
    signatory.goto(&format!("{}{case_page}", world.base)).await;
    signatory.wait_loaded().await;
    signatory
        .send(&format!("{case_page}/decision/approve"))
        .await;
    assert!(
        signatory
            .page_text()
            .await
            .contains("Második lépcsős azonosítás szükséges")
    );
    signatory
        .execute("window.__leaving = true; return true;")
        .await;
    signatory.click("a[href$='/account/second-factor']").await;
    signatory.wait_loaded().await;
    if signatory.has("#password").await {
        signatory
            .provider_login(DEMO_SIGNATORY_EMAIL, DEMO_SIGNATORY_PASSWORD)
            .await;
    }
    signatory.send("/account/second-factor").await;
    let secret = signatory
        .execute("return document.querySelector('#secret').textContent;")
        .await
        .as_str()
        .expect("the secret key")
        .replace(' ', "");
    let enrolled_with = totp_code(&secret);
    signatory.type_into("#code", &enrolled_with).await;
    signatory.send("/account/second-factor/confirm").await;

    // Back at the case, the step-up sign-in asks for the code.
    signatory.goto(&format!("{}{case_page}", world.base)).await;
    signatory.wait_loaded().await;
    signatory
        .send(&format!("{case_page}/decision/approve"))
        .await;
    signatory
        .execute("window.__leaving = true; return true;")
        .await;
    signatory.click("a[href*='step_up=1']").await;
    signatory.wait_loaded().await;
    if signatory.has("#password").await {
        signatory
            .provider_login(DEMO_SIGNATORY_EMAIL, DEMO_SIGNATORY_PASSWORD)
            .await;
    }
    assert!(
        signatory.has("#code").await,
        "{}",
        signatory.page_text().await
    );
    let code = fresh_code(&secret, &enrolled_with).await;
    signatory.type_into("#code", &code).await;
    signatory.send("/oauth2/second-factor").await;
    let landed = wait_for_url(&signatory, &format!("{}{case_page}", world.base)).await;
    assert!(
        landed.starts_with(&format!("{}{case_page}", world.base)),
        "{landed}"
    );
    signatory.wait_loaded().await;
    signatory
        .send(&format!("{case_page}/decision/approve"))
        .await;
    let text = signatory.page_text().await;
    assert!(text.contains("A döntést kiadmányozta"), "{text}");
    assert!(text.contains("Döntés kiadva"), "issued: {text}");

    // The citizen sees the decision in the portal.
    citizen
        .goto(&format!("{}/my-cases/{case}", world.base))
        .await;
    citizen.wait_loaded().await;
    assert!(
        citizen
            .has(&format!("a[href='/my-cases/{case}/decision.pdf']"))
            .await
    );

    for b in [clerk, signatory, citizen] {
        b.close().await;
    }
    let json = case_json(&world, &office_clerk(&world).await, &case).await;
    assert_eq!(json["status"], "decided", "{json}");
    assert_eq!(json["info_requests"][0]["answer_by"], answer_by.to_string());
}

/// Every page and form of a case, as paths.
fn case_pages(case: &str, document: &str) -> (Vec<String>, Vec<String>) {
    let base = format!("/office/cases/{case}");
    let pages = vec![
        "/office/cases".to_owned(),
        base.clone(),
        format!("{base}/audit"),
        format!("{base}/documents/{document}"),
    ];
    let forms = [
        "claim",
        "assign",
        "file",
        "notes",
        "information-request",
        "decision",
        "decision/return",
        "decision/approve",
        "decision/issue",
        "appeal-forwarding",
    ]
    .iter()
    .map(|a| format!("{base}/{a}"))
    .collect();
    (pages, forms)
}

/// What each form would fill in, so that a refusal is not just a form left empty.
fn filled(action: &str) -> Vec<(&'static str, &'static str)> {
    let tail = action.rsplit('/').next().unwrap_or_default();
    match tail {
        "assign" => vec![("colleague", DEMO_CLERK_EMAIL)],
        "notes" => vec![("note", "belső feljegyzés")],
        "information-request" => vec![("info_message", "Kérjük a meghatalmazást.")],
        "decision" => vec![("outcome", "approve"), ("reasoning", "Megalapozott.")],
        "return" => vec![("remark", "Átdolgozandó.")],
        "appeal-forwarding" => vec![
            ("received_on", "2026-01-02"),
            ("authority", "Budapest Főváros Kormányhivatala"),
            ("forwarded_on", "2026-01-05"),
        ],
        _ => vec![],
    }
}

#[tokio::test]
async fn a_citizens_session_is_refused_on_every_case_page_and_form() {
    let world = World::start().await;
    let (case, document) = arrived_case(&world).await;
    let mut citizen = nojs::Browser::new(&world);
    let start = citizen
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD, "/office/cases")
        .await;
    assert_eq!(start.status, StatusCode::FORBIDDEN, "{}", start.body);
    let (pages, forms) = case_pages(&case, &document);
    for page in &pages {
        let answer = citizen.get(page).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{page}");
        assert!(!answer.body.contains("Szent István tér"), "{page}");
    }
    for form in &forms {
        let mut fields = filled(form);
        fields.push(("csrf", "not-the-token"));
        let answer = citizen.post(form, &fields).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{form}");
    }
    let json = case_json(&world, &office_clerk(&world).await, &case).await;
    // Paid at the desk, the case waits in review for a clerk to take it.
    assert_eq!(json["status"], "in_review", "{json}");
    assert!(
        json["assignee"].is_null() && json["filing_number"].is_null(),
        "{json}"
    );
    assert!(
        json["info_requests"].as_array().is_some_and(Vec::is_empty),
        "{json}"
    );
}

#[tokio::test]
async fn each_case_form_without_its_csrf_token_is_refused_and_changes_nothing() {
    let world = World::start().await;
    let (case, document) = arrived_case(&world).await;
    let mut clerk = nojs::Browser::new(&world);
    clerk
        .sign_in(DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD, "/office/cases")
        .await;
    let api = office_clerk(&world).await;
    let notes_path = format!("/backoffice/cases/{case}/notes");
    let before = case_json(&world, &api, &case).await;
    let notes_before = world.ok(&api, Method::GET, &notes_path, None).await;
    let (_, forms) = case_pages(&case, &document);
    for form in &forms {
        let without = clerk.post(form, &filled(form)).await;
        assert_eq!(
            without.status,
            StatusCode::FORBIDDEN,
            "{form} without a token"
        );
        let mut wrong = filled(form);
        wrong.push(("csrf", "forged"));
        let forged = clerk.post(form, &wrong).await;
        assert_eq!(
            forged.status,
            StatusCode::FORBIDDEN,
            "{form} with a forged token"
        );
    }
    let after = case_json(&world, &api, &case).await;
    for field in [
        "status",
        "assignee",
        "filing_number",
        "info_requests",
        "decision",
        "history",
        "appeal_forwarding",
    ] {
        assert_eq!(before[field], after[field], "{field} changed");
    }
    assert_eq!(
        notes_before,
        world.ok(&api, Method::GET, &notes_path, None).await
    );

    // The same form with its token does act: the refusal was the token's.
    let page = clerk.get(&format!("/office/cases/{case}")).await;
    let csrf = nojs::hidden_fields(&page.body, &format!("/office/cases/{case}/claim"))
        .into_iter()
        .find(|(n, _)| n == "csrf")
        .map(|(_, v)| v)
        .expect("the form's token");
    let claimed = clerk
        .post(&format!("/office/cases/{case}/claim"), &[("csrf", &csrf)])
        .await;
    assert_eq!(claimed.status, StatusCode::SEE_OTHER, "{}", claimed.body);
    assert_eq!(case_json(&world, &api, &case).await["status"], "in_review");
}

#[tokio::test]
async fn a_document_is_shown_sandboxed_as_its_sniffed_type_and_downloaded_on_request() {
    let world = World::start().await;
    let (case, document) = arrived_case(&world).await;
    let mut clerk = nojs::Browser::new(&world);
    clerk
        .sign_in(DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD, "/office/cases")
        .await;
    let path = format!("/office/cases/{case}/documents/{document}");
    let response = world
        .http
        .get(format!("{}{path}", world.base))
        .header("cookie", clerk.cookie_header())
        .send()
        .await
        .expect("document");
    assert_eq!(response.status(), StatusCode::OK);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(header("content-type"), "application/pdf");
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert!(header("content-security-policy").starts_with("sandbox"));
    assert!(header("content-disposition").starts_with("inline"));
    assert_eq!(response.bytes().await.expect("bytes").as_ref(), PDF);
    let download = clerk.get(&format!("{path}?download=1")).await;
    assert_eq!(download.status, StatusCode::OK);
    let audit = clerk.get(&format!("/office/cases/{case}/audit")).await;
    assert!(audit.body.contains("read_document"), "the read is audited");
    let nothing = clerk
        .get(&format!("/office/cases/{case}/documents/{case}"))
        .await;
    assert_eq!(nothing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_queue_filters_sorts_and_pages_with_its_cursor() {
    let world = World::start().await;
    let (first, _) = arrived_case(&world).await;
    let (second, _) = arrived_case(&world).await;
    let (third, _) = arrived_case(&world).await;
    let api = office_clerk(&world).await;
    world
        .ok(
            &api,
            Method::POST,
            &format!("/backoffice/cases/{second}/claim"),
            None,
        )
        .await;
    let mut clerk = nojs::Browser::new(&world);
    clerk
        .sign_in(DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD, "/office/cases")
        .await;
    let mine = clerk.get("/office/cases?assignee=mine").await;
    assert!(
        mine.body.contains(&second) && !mine.body.contains(&first),
        "mine"
    );
    let unassigned = clerk
        .get("/office/cases?assignee=unassigned&case_type=public-space-use-permit&sort=arrival")
        .await;
    assert!(unassigned.body.contains(&first) && unassigned.body.contains(&third));
    assert!(!unassigned.body.contains(&second));
    assert!(
        unassigned.body.find(&first) < unassigned.body.find(&third),
        "earliest arrival first"
    );
    let bad = clerk.get("/office/cases?arrived_from=tegnap").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.body.contains(r##"href="#arrived_from""##),
        "the summary links the field"
    );

    // The domain's pages: one line each, the cursor leading on without repeats.
    let cases = varoskapu_local::cases::state(&world.server.ports)
        .expect("the case use cases")
        .cases;
    let filter = varoskapu_core::cases::QueueFilter {
        case_type: Some("public-space-use-permit".into()),
        ..Default::default()
    };
    let order = varoskapu_core::cases::QueueOrder::Arrival;
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = cases
            .queue_page(&filter, order, after.as_deref(), 1)
            .await
            .expect("a page");
        assert_eq!(page.total, 3);
        seen.extend(page.cases.iter().map(|c| c.id.to_string()));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, vec![first.clone(), second.clone(), third.clone()]);
    let link = clerk.get("/office/cases?after=not-a-cursor").await;
    assert_eq!(
        link.status,
        StatusCode::SEE_OTHER,
        "an unknown cursor starts over"
    );
}

#[tokio::test]
async fn an_appeals_forwarding_is_recorded_once_in_its_history_and_audit_trail() {
    let world = World::start().await;
    let citizen = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    let api = office_clerk(&world).await;
    let original = world
        .draft(&citizen, "official-certificate", certificate_form())
        .await;
    let (_, submitted) = world.submit(&citizen, &original, None).await;
    assert_eq!(submitted["status"], "submitted", "{submitted}");
    for step in ["claim", "file"] {
        world
            .ok(
                &api,
                Method::POST,
                &format!("/backoffice/cases/{original}/{step}"),
                None,
            )
            .await;
    }
    let decided = world
        .ok(
            &api,
            Method::POST,
            &format!("/backoffice/cases/{original}/decision"),
            Some(json!({"outcome": "reject", "reasoning": "A nyilvántartás nem tartalmazza."})),
        )
        .await;
    assert_eq!(decided["status"], "decided", "{decided}");
    world
        .bytes(
            &citizen,
            Method::GET,
            &format!("/cases/{original}/decision"),
        )
        .await;
    let appeal = world
        .ok(
            &citizen,
            Method::POST,
            &format!("/cases/{original}/appeal"),
            Some(json!({"reasoning": "A lakcímem 2019 óta bejelentett."})),
        )
        .await;
    let appeal = appeal["id"].as_str().expect("the appeal's id").to_owned();

    // The original decision is no appeal: the JSON route refuses to forward it.
    let (status, refused) = world
        .call(
            &api,
            Method::POST,
            &format!("/backoffice/cases/{original}/appeal-forwarding"),
            Some(json!({"received_on": "2026-01-02", "authority": "Kormányhivatal", "forwarded_on": "2026-01-05"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["type"], "urn:varoskapu:problem:cases:not-an-appeal");

    let mut clerk = nojs::Browser::new(&world);
    let page_path = format!("/office/cases/{appeal}");
    clerk
        .sign_in(DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD, &page_path)
        .await;
    let page = clerk.get(&format!("{page_path}?lang=hu")).await;
    let action = format!("{page_path}/appeal-forwarding");
    let mut form = nojs::hidden_fields(&page.body, &action);
    let today = jiff::Zoned::now().date().to_string();
    let typed = [
        ("received_on", today.as_str()),
        ("authority", "Budapest Főváros Kormányhivatala"),
        ("forwarded_on", today.as_str()),
    ];
    form.extend(
        typed
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let sent = clerk.post(&action, &fields).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let shown = clerk.follow(sent).await;
    assert!(
        shown.body.contains("Budapest Főváros Kormányhivatala"),
        "{}",
        shown.body
    );
    assert!(
        !shown.body.contains(&format!(r#"action="{action}""#)),
        "recorded once"
    );
    let again = clerk.post(&action, &fields).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert!(again.body.contains("már rögzítették"), "{}", again.body);

    let json = case_json(&world, &api, &appeal).await;
    assert_eq!(
        json["appeal_forwarding"]["authority"],
        "Budapest Főváros Kormányhivatala"
    );
    let history = json["history"].as_array().expect("history");
    assert!(
        history
            .last()
            .and_then(|h| h["remark"].as_str())
            .is_some_and(|r| r.contains("felterjesztve")),
        "{json}"
    );
    let audit = world
        .ok(
            &api,
            Method::GET,
            &format!("/backoffice/cases/{appeal}/audit"),
            None,
        )
        .await;
    let forwarded = audit
        .as_array()
        .expect("audit")
        .iter()
        .filter(|e| e["action"] == "forward_appeal")
        .count();
    assert_eq!(forwarded, 1);
}

#[tokio::test]
async fn axe_core_finds_nothing_on_the_queue_the_case_and_its_audit_trail() {
    let world = World::start().await;
    let (case, _) = arrived_case(&world).await;
    let driver = start_driver().await;
    let clerk = browser::signed_in_hungarian(
        &driver,
        &world.base,
        "/office/cases",
        DEMO_CLERK_EMAIL,
        DEMO_CLERK_PASSWORD,
    )
    .await;
    let case_page = format!("/office/cases/{case}");
    for page in [
        "/office/cases".to_owned(),
        "/office/cases?lang=en".to_owned(),
        case_page.clone(),
        format!("{case_page}/audit"),
    ] {
        clerk.goto(&format!("{}{page}", world.base)).await;
        clerk.wait_loaded().await;
        let found = clerk.accessibility_violations().await;
        assert!(found.is_empty(), "{page}: {found:#?}");
    }
    // A refused form: the error summary and the field's message.
    clerk
        .goto(&format!("{}{case_page}?lang=hu", world.base))
        .await;
    clerk.wait_loaded().await;
    clerk.send(&format!("{case_page}/notes")).await;
    let text = clerk.page_text().await;
    assert!(text.contains("Írja be a feljegyzés szövegét."), "{text}");
    let found = clerk.accessibility_violations().await;
    assert!(found.is_empty(), "a refused note: {found:#?}");
    clerk.close().await;
}
