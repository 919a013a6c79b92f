//! The office's deadline diary and the administrator's settings, as a browser meets them:
//! the admin registers a partner app by clicking, sees its secret once and the app gets a
//! token with it, rotates it (the old one stops working) and removes the app; she changes a
//! case type from its JSON definition; a clerk finds a due case in the diary, under her
//! name and among her own. And the refusals: citizens and clerks may not see the settings,
//! citizens not the diary, and no settings form acts without its CSRF token. axe-core
//! checks every page on the way.

use crate::support::browser::{self, Browser, Driver, start_driver, wait_for_url};
use crate::support::nojs;
use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::collections::BTreeMap;
use varoskapu_idp::NewClient;
use varoskapu_local::identity::{
    DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD, DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD,
    DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD,
};

/// Signs a fresh Chromium in to the office screens as `email` through the provider's real
/// sign-in page.
async fn office_browser(driver: &Driver, base: &str, email: &str, password: &str) -> Browser {
    browser::signed_in(driver, base, "/office", email, password).await
}

async fn text_of(browser: &Browser, css: &str) -> String {
    let script = format!(
        "const e = document.querySelector({}); return e ? e.textContent.trim() : null;",
        Value::String(css.to_owned())
    );
    browser
        .execute(&script)
        .await
        .as_str()
        .unwrap_or_else(|| panic!("no {css} on the page"))
        .to_owned()
}

/// axe-core's findings on the page shown, kept under `name` when there are any.
async fn audit(browser: &Browser, name: &str, findings: &mut BTreeMap<String, Vec<String>>) {
    let violations = browser.accessibility_violations().await;
    if !violations.is_empty() {
        findings.insert(name.to_owned(), violations);
    }
}

fn assert_clean(findings: &BTreeMap<String, Vec<String>>) {
    assert!(
        findings.is_empty(),
        "axe-core found violations:\n{}",
        findings
            .iter()
            .map(|(page, v)| format!("{page}:\n  {}", v.join("\n  ")))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The status of a `client_credentials` token request of `client_id` with `secret`.
async fn token_status(world: &World, client_id: &str, secret: &str) -> StatusCode {
    world
        .http
        .post(format!("{}/oauth2/token", world.base))
        .basic_auth(client_id, Some(secret))
        .form(&[("grant_type", "client_credentials"), ("scope", "cases")])
        .send()
        .await
        .expect("token request")
        .status()
}

#[tokio::test]
async fn the_admin_registers_a_partner_app_sees_its_secret_once_rotates_it_and_removes_it() {
    let world = World::start().await;
    let driver = start_driver().await;
    let base = world.base.clone();
    let browser = office_browser(&driver, &base, DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD).await;
    let mut findings = BTreeMap::new();

    browser.click("a[href='/office/admin']").await;
    wait_for_url(&browser, &format!("{base}/office/admin")).await;
    browser.wait_loaded().await;
    audit(&browser, "settings", &mut findings).await;
    browser
        .click_through("a[href='/office/admin/clients']")
        .await;
    audit(&browser, "partner apps", &mut findings).await;

    // A registration without a redirect URI is refused on its field, with what was typed.
    browser.type_into("#name", "Iskolai étkezés").await;
    browser
        .click_through("form[action='/office/admin/clients'] button[type=submit]")
        .await;
    let refused = browser.page_source().await;
    assert!(
        refused.contains("id=\"redirect_uris-error\"") && refused.contains("Iskolai étkezés"),
        "{refused}"
    );
    audit(&browser, "partner apps with an error", &mut findings).await;

    browser
        .type_into("#redirect_uris", "https://etkezes.example/callback")
        .await;
    browser.click("#scope-cases").await;
    browser
        .click_through("form[action='/office/admin/clients'] button[type=submit]")
        .await;
    let client_id = text_of(&browser, "#client-id").await;
    let secret = text_of(&browser, "#client-secret").await;
    assert!(secret.len() >= 43, "a strong secret: {secret}");
    audit(&browser, "the secret, once", &mut findings).await;
    assert_eq!(
        token_status(&world, &client_id, &secret).await,
        StatusCode::OK
    );

    // The secret is never shown again: not in the list, not on the app's page.
    browser
        .click_through("a[href='/office/admin/clients']")
        .await;
    let list = browser.page_source().await;
    assert!(list.contains(&client_id) && !list.contains(&secret));
    browser
        .click_through(&format!("a[href='/office/admin/clients/{client_id}']"))
        .await;
    let app = browser.page_source().await;
    assert!(app.contains("etkezes.example") && !app.contains(&secret));
    audit(&browser, "a partner app", &mut findings).await;

    browser
        .click_through("form[action$='/rotate'] button")
        .await;
    let rotated = text_of(&browser, "#client-secret").await;
    assert_ne!(rotated, secret);
    assert_eq!(
        token_status(&world, &client_id, &secret).await,
        StatusCode::UNAUTHORIZED,
        "the old secret stopped working"
    );
    assert_eq!(
        token_status(&world, &client_id, &rotated).await,
        StatusCode::OK
    );

    browser
        .click_through(&format!("a[href='/office/admin/clients/{client_id}']"))
        .await;
    browser
        .click_through("form[action$='/remove'] button")
        .await;
    assert!(
        browser
            .current_url()
            .await
            .starts_with(&format!("{base}/office/admin/clients?removed=")),
    );
    let after = browser.page_source().await;
    assert!(!after.contains(&format!("/office/admin/clients/{client_id}\"")));
    assert_eq!(
        token_status(&world, &client_id, &rotated).await,
        StatusCode::UNAUTHORIZED,
        "a removed app gets no token"
    );
    audit(&browser, "partner apps after removal", &mut findings).await;

    // The case types: the list, one type's definition, and a refused definition.
    browser
        .goto(&format!("{base}/office/admin/case-types"))
        .await;
    browser.wait_loaded().await;
    audit(&browser, "case types", &mut findings).await;
    browser
        .click_through("a[href='/office/admin/case-types/official-certificate']")
        .await;
    assert!(
        browser
            .page_source()
            .await
            .contains("deadline_working_days")
    );
    audit(&browser, "a case type", &mut findings).await;
    browser
        .type_into("#definition", "[{\"id\": \"Bad Id\"}]")
        .await;
    browser
        .click_through("form[action='/office/admin/case-types'] button")
        .await;
    assert!(
        browser
            .page_source()
            .await
            .contains("id=\"definition-error\"")
    );
    audit(&browser, "case types with an error", &mut findings).await;
    browser
        .goto(&format!("{base}/office/admin/clients?lang=en"))
        .await;
    browser.wait_loaded().await;
    assert!(
        browser
            .page_source()
            .await
            .contains("Register a partner app")
    );
    audit(&browser, "partner apps in English", &mut findings).await;
    browser.close().await;
    assert_clean(&findings);
}

#[tokio::test]
async fn the_clerk_finds_a_due_case_in_the_diary_under_her_name() {
    let world = World::start().await;
    let citizen = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    let case = world
        .draft(&citizen, "official-certificate", certificate_form())
        .await;
    let (status, submitted) = world.submit(&citizen, &case, None).await;
    assert_eq!(status, StatusCode::OK, "{submitted}");
    let number = submitted["arrival_number"]
        .as_str()
        .expect("an arrival number")
        .to_owned();
    let clerk = world
        .sign_in_office(DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD)
        .await;
    world
        .ok(
            &clerk,
            Method::POST,
            &format!("/backoffice/cases/{case}/claim"),
            None,
        )
        .await;

    let driver = start_driver().await;
    let base = world.base.clone();
    let browser = office_browser(&driver, &base, DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD).await;
    let mut findings = BTreeMap::new();
    browser.click_through("a[href='/office/diary']").await;
    let diary = browser.page_source().await;
    assert!(diary.contains(&number), "{diary}");
    assert!(diary.contains(&format!("/office/cases/{case}")));
    assert!(
        diary.contains("id=\"calendar\"") && diary.contains("aria-current=\"date\""),
        "{diary}"
    );
    audit(&browser, "diary", &mut findings).await;
    browser
        .click_through("a[href='/office/diary?clerk=mine']")
        .await;
    let mine = browser.page_source().await;
    assert!(
        mine.contains(&number),
        "the claimed case is the clerk's own"
    );
    browser
        .click_through("a[href='/office/diary?clerk=none']")
        .await;
    assert!(
        !browser.page_source().await.contains(&number),
        "a claimed case is not among the unassigned"
    );
    browser.goto(&format!("{base}/office/diary?lang=hu")).await;
    browser.wait_loaded().await;
    assert!(browser.page_source().await.contains("Munkanaptár"));
    audit(&browser, "diary in Hungarian", &mut findings).await;
    browser.close().await;
    assert_clean(&findings);
}

/// Every page of the settings, for a registered app `client_id`.
fn admin_pages(client_id: &str) -> Vec<String> {
    vec![
        "/office/admin".to_owned(),
        "/office/admin/case-types".to_owned(),
        "/office/admin/case-types/official-certificate".to_owned(),
        "/office/admin/clients".to_owned(),
        format!("/office/admin/clients/{client_id}"),
    ]
}

fn partner(client_id: &str, secret: &str) -> NewClient {
    NewClient {
        name: "Kerület mobil".into(),
        client_id: Some(client_id.into()),
        secret: Some(secret.into()),
        redirect_uris: vec!["https://mobil.example/cb".into()],
        scopes: vec!["openid".into(), "cases".into()],
        ..NewClient::default()
    }
}

#[tokio::test]
async fn citizens_and_clerks_are_refused_the_settings_and_citizens_the_diary() {
    let world = World::start().await;
    world
        .register_client(partner("vk-mobil", "mobil-secret"))
        .await;
    let mut citizen = nojs::Browser::new(&world);
    let first = citizen
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD, "/office/diary")
        .await;
    assert_eq!(first.status, StatusCode::FORBIDDEN, "a citizen's diary");
    let mut clerk = nojs::Browser::new(&world);
    let diary = clerk
        .sign_in(DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD, "/office/diary")
        .await;
    assert_eq!(diary.status, StatusCode::OK, "the clerk's diary");
    for page in admin_pages("vk-mobil") {
        for (who, browser) in [("citizen", &mut citizen), ("clerk", &mut clerk)] {
            let answer = browser.get(&page).await;
            assert_eq!(answer.status, StatusCode::FORBIDDEN, "{who} on {page}");
        }
    }
    // Nor do their posts act; the clerk's carry her own session's token.
    let clerk_csrf = nojs::hidden_fields(&diary.body, "/office/auth/logout")
        .into_iter()
        .find(|(n, _)| n == "csrf")
        .map(|(_, v)| v)
        .expect("the sign-out form's token");
    for (who, browser, csrf) in [
        ("citizen", &mut citizen, ""),
        ("clerk", &mut clerk, clerk_csrf.as_str()),
    ] {
        for (path, form) in [
            ("/office/admin/clients/vk-mobil/remove", vec![]),
            ("/office/admin/clients/vk-mobil/rotate", vec![]),
            (
                "/office/admin/clients",
                vec![("name", "X"), ("redirect_uris", "https://x.example/cb")],
            ),
        ] {
            let mut fields = vec![("csrf", csrf)];
            fields.extend(form);
            let answer = browser.post(path, &fields).await;
            assert_eq!(answer.status, StatusCode::FORBIDDEN, "{who} posting {path}");
        }
    }
    assert_eq!(
        token_status(&world, "vk-mobil", "mobil-secret").await,
        StatusCode::OK,
        "the app is untouched"
    );
}

#[tokio::test]
async fn no_settings_form_acts_without_its_csrf_token() {
    let world = World::start().await;
    world
        .register_client(partner("vk-mobil", "mobil-secret"))
        .await;
    let mut admin = nojs::Browser::new(&world);
    let start = admin
        .sign_in(DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD, "/office/admin")
        .await;
    assert_eq!(start.status, StatusCode::OK);
    let types = admin
        .get("/office/admin/case-types/official-certificate")
        .await;
    let definition = field_text(&types.body, "definition");
    let mut parsed: Value = serde_json::from_str(&definition).expect("a JSON definition");
    let deadline = parsed[0]["deadline_working_days"]
        .as_u64()
        .expect("a deadline")
        + 7;
    parsed[0]["deadline_working_days"] = deadline.into();
    let changed = parsed.to_string();
    let clients_before = admin.get("/office/admin/clients").await.body;

    for csrf in [None, Some("not-the-token")] {
        let with = |mut form: Vec<(&'static str, String)>| {
            if let Some(token) = csrf {
                form.push(("csrf", token.to_owned()));
            }
            form
        };
        for (path, form) in [
            (
                "/office/admin/case-types",
                with(vec![("definition", changed.clone())]),
            ),
            (
                "/office/admin/clients",
                with(vec![
                    ("name", "Betolakodó".to_owned()),
                    ("redirect_uris", "https://x.example/cb".to_owned()),
                ]),
            ),
            ("/office/admin/clients/vk-mobil/rotate", with(vec![])),
            ("/office/admin/clients/vk-mobil/remove", with(vec![])),
        ] {
            let fields: Vec<(&str, &str)> = form.iter().map(|(n, v)| (*n, v.as_str())).collect();
            let answer = admin.post(path, &fields).await;
            assert_eq!(answer.status, StatusCode::FORBIDDEN, "{path} with {csrf:?}");
        }
    }
    let after = admin
        .get("/office/admin/case-types/official-certificate")
        .await;
    assert_eq!(field_text(&after.body, "definition"), definition);
    assert_eq!(
        admin.get("/office/admin/clients").await.body,
        clients_before
    );
    assert_eq!(
        token_status(&world, "vk-mobil", "mobil-secret").await,
        StatusCode::OK
    );

    // With its token the same change is made, and reported as the operators' import is.
    let csrf = nojs::hidden_fields(&types.body, "/office/admin/case-types")
        .into_iter()
        .find(|(n, _)| n == "csrf")
        .map(|(_, v)| v)
        .expect("the form's token");
    let imported = admin
        .post(
            "/office/admin/case-types",
            &[("csrf", &csrf), ("definition", &changed)],
        )
        .await;
    assert_eq!(imported.status, StatusCode::SEE_OTHER);
    let report = admin.follow(imported).await;
    assert!(
        report.body.contains("Módosítva: official-certificate."),
        "{}",
        report.body
    );
    let catalogue: Value = world
        .http
        .get(format!("{}/case-types/official-certificate", world.base))
        .send()
        .await
        .expect("catalogue")
        .json()
        .await
        .expect("json");
    assert_eq!(catalogue["deadline_working_days"], deadline, "{catalogue}");
}

/// The unescaped text of the textarea `id` on a page.
fn field_text(page: &str, id: &str) -> String {
    let open = page
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no {id}: {page}"));
    let start = open + page[open..].find('>').expect("tag end") + 1;
    let end = start + page[start..].find("</textarea>").expect("textarea end");
    page[start..end]
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

/// The ids of the cases a queue or diary answer lists.
fn listed(lines: &Value) -> Vec<String> {
    lines
        .as_array()
        .expect("a list")
        .iter()
        .map(|l| l["case_id"].as_str().expect("a case id").to_owned())
        .collect()
}

#[tokio::test]
async fn a_clerks_post_limits_her_queue_diary_and_start_page_to_its_case_types() {
    use varoskapu_local::identity_cli::{UsersCommand, users};
    let world = World::start().await;
    let citizen = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    let certificate = world
        .draft(&citizen, "official-certificate", certificate_form())
        .await;
    world.submit(&citizen, &certificate, None).await;
    // A space permit paid at the desk: in review, with a deadline, of another case type.
    let permit = world.case_awaiting_payment(&citizen).await;
    let clerk = world
        .sign_in_office(DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD)
        .await;
    world
        .ok(
            &clerk,
            Method::POST,
            &format!("/backoffice/cases/{permit}/desk-payment"),
            Some(serde_json::json!({"method": "cash", "receipt_number": "P-7"})),
        )
        .await;
    let everything = world
        .ok(&clerk, Method::GET, "/backoffice/cases", None)
        .await;
    assert!(
        listed(&everything).contains(&permit) && listed(&everything).contains(&certificate),
        "without a post the clerk sees every case type: {everything}"
    );

    // Her post is the certificates: an unknown case type is refused by name first.
    let post = |case_types: &[&str]| UsersCommand::Post {
        email: DEMO_CLERK_EMAIL.into(),
        case_types: case_types.iter().map(|t| (*t).to_owned()).collect(),
    };
    let refused = users(world.dir.path(), post(&["no-such-type"]))
        .await
        .expect_err("an unknown case type is refused");
    assert!(refused.to_string().contains("no-such-type"), "{refused}");
    users(world.dir.path(), post(&["official-certificate"]))
        .await
        .expect("the post is set");
    let clerk = world
        .sign_in_office(DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD)
        .await;
    let queue = world
        .ok(&clerk, Method::GET, "/backoffice/cases", None)
        .await;
    assert_eq!(
        listed(&queue),
        std::slice::from_ref(&certificate),
        "{queue}"
    );
    let diary = world
        .ok(&clerk, Method::GET, "/backoffice/cases/diary", None)
        .await;
    assert!(
        listed(&diary).contains(&certificate) && !listed(&diary).contains(&permit),
        "{diary}"
    );
    let mut browser = nojs::Browser::new(&world);
    let page = browser
        .sign_in(DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD, "/office/cases")
        .await;
    assert!(page.body.contains(&format!("/office/cases/{certificate}")));
    assert!(!page.body.contains(&format!("/office/cases/{permit}")));
    let diary = browser.get("/office/diary").await;
    assert!(!diary.body.contains(&format!("/office/cases/{permit}")));

    // Without a post again, at her next sign-in she sees every case type.
    users(world.dir.path(), post(&[]))
        .await
        .expect("the post is cleared");
    let clerk = world
        .sign_in_office(DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD)
        .await;
    let queue = world
        .ok(&clerk, Method::GET, "/backoffice/cases", None)
        .await;
    assert!(listed(&queue).contains(&permit), "{queue}");
}

#[tokio::test]
async fn the_admin_sets_a_clerks_post_on_the_staff_page_and_only_with_her_csrf_token() {
    let world = World::start().await;
    let mut admin = nojs::Browser::new(&world);
    let page = admin
        .sign_in(DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD, "/office/admin/staff")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let found = admin
        .get(&format!("/office/admin/staff?email={DEMO_CLERK_EMAIL}"))
        .await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    assert!(found.body.contains("Nagy Éva"), "{}", found.body);
    let csrf = field(&found.body, "csrf");
    let post = [
        ("email", DEMO_CLERK_EMAIL),
        ("case_type", "official-certificate"),
        ("case_type", "resident-parking-permit"),
    ];
    // Without the session's token nothing is saved.
    let refused = admin.post("/office/admin/staff", &post).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let accounts = varoskapu_local::identity::accounts(&world.server.ports);
    let clerk_post = || async {
        accounts
            .find_by_email(DEMO_CLERK_EMAIL)
            .await
            .expect("lookup")
            .expect("the clerk")
            .case_types
    };
    assert!(clerk_post().await.is_empty());
    let mut with_token = vec![("csrf", csrf.as_str())];
    with_token.extend(post);
    let saved = admin.post("/office/admin/staff", &with_token).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let shown = admin.follow(saved).await;
    assert!(
        shown.body.contains("resident-parking-permit"),
        "{}",
        shown.body
    );
    assert_eq!(
        clerk_post().await,
        ["official-certificate", "resident-parking-permit"]
    );
    // A citizen is no staff: refused on the field, nothing saved.
    let citizen = admin
        .post(
            "/office/admin/staff",
            &[("csrf", csrf.as_str()), ("email", DEMO_CITIZEN_EMAIL)],
        )
        .await;
    assert_eq!(citizen.status, StatusCode::BAD_REQUEST);
    assert!(
        citizen.body.contains("id=\"email-error\""),
        "{}",
        citizen.body
    );

    // The clerk herself may not open the page.
    let mut clerk = nojs::Browser::new(&world);
    let first = clerk.get("/office/admin/staff").await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    let refused = clerk
        .sign_in(DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD, "/office/admin/staff")
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}
