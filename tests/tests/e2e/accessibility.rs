//! Every page a person can reach, checked in headless Chromium with axe-core against WCAG
//! 2.1 A and AA, on a 360 px wide screen: a walk that follows every same-origin link from
//! the start page, first as a stranger, then signed in as the demo citizen through the
//! provider's real sign-in page. A page added later is checked as soon as something links
//! to it. Each page's form is also sent back empty, so the refusal with its error summary
//! is checked as well. The office screens get the same walk as the demo clerk, signatory
//! and administrator (and give the README its screenshots).

use crate::support::browser::{Browser, start_driver, wait_for_url};
use crate::support::{World, parking_form};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use varoskapu_local::identity::{DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD};

/// At most this many pages per identity, so a page that links to endless variants of
/// itself cannot make the walk endless.
const MAX_PAGES: usize = 80;

/// Links the walk does not follow: downloads and machine documents are no pages, and
/// following a sign-out link would end the walk's session.
fn followed(url: &str) -> bool {
    // The office's view of an attached document serves the document itself (sandboxed).
    if url.contains("/office/cases/") && url.contains("/documents/") {
        return false;
    }
    const SKIPPED: [&str; 11] = [
        "logout",
        "sign-out",
        "signout",
        ".pdf",
        ".ics",
        "/download",
        "lang=",
        "/assets/",
        "/openapi.json",
        "/docs",
        "/oauth2/jwks",
    ];
    !SKIPPED.iter().any(|s| url.contains(s))
}

/// Visits every page reachable from `start`, recording each page's findings.
async fn walk(
    browser: &Browser,
    start: &[String],
    who: &str,
    findings: &mut BTreeMap<String, Vec<String>>,
) -> usize {
    let mut queue: VecDeque<String> = start.iter().cloned().collect();
    let mut seen: BTreeSet<String> = queue.iter().cloned().collect();
    let mut visited = 0;
    while let Some(url) = queue.pop_front() {
        if visited == MAX_PAGES {
            break;
        }
        browser.goto(&url).await;
        browser.wait_loaded().await;
        visited += 1;
        let mut found = browser.accessibility_violations().await;
        if browser.scrolls_sideways().await {
            found.push("the page is wider than a 360 px screen".to_owned());
        }
        if !found.is_empty() {
            findings.insert(format!("{who} {url}"), found);
        }
        for link in browser.links().await {
            if followed(&link) && seen.insert(link.clone()) {
                queue.push_back(link);
            }
        }
        // The page's form sent back with its fields empty: the answer with the error
        // summary and the fields' own messages is checked too.
        if browser.submit_empty_form().await {
            browser.wait_loaded().await;
            let found = browser.accessibility_violations().await;
            if !found.is_empty() {
                findings.insert(format!("{who} {url} (its form refused)"), found);
            }
        }
    }
    visited
}

#[tokio::test]
async fn every_page_passes_axe_core_at_wcag_2_1_aa_on_a_narrow_screen() {
    let world = World::start().await;
    // The citizen has a case waiting for its fee and one decided, so that the pages of a
    // case, its payment and its decision are reached too.
    let citizen = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    world.case_awaiting_payment(&citizen).await;
    let decided = world
        .draft(&citizen, "resident-parking-permit", parking_form("1054"))
        .await;
    world.submit(&citizen, &decided, None).await;
    let base = world.base.clone();
    let driver = start_driver().await;
    let browser = Browser::open(&driver).await;
    browser.resize(360, 800).await;
    browser.goto(&format!("{base}/")).await;
    let width = browser.execute("return window.innerWidth;").await;
    assert!(
        width.as_u64().is_some_and(|w| w <= 400),
        "the window is narrow: {width}"
    );

    let mut findings = BTreeMap::new();
    let stranger = walk(&browser, &[format!("{base}/")], "stranger", &mut findings).await;

    // A page of the portal that needs a session sends the browser to the provider's
    // sign-in page, and back once signed in.
    browser.goto(&format!("{base}/my-cases")).await;
    wait_for_url(&browser, &format!("{base}/oauth2/authorize")).await;
    browser.wait_loaded().await;
    let mut sign_in = browser.accessibility_violations().await;
    browser.type_into("#email", DEMO_CITIZEN_EMAIL).await;
    browser.type_into("#password", DEMO_CITIZEN_PASSWORD).await;
    browser.click("button[type=submit]").await;
    let landed = wait_for_url(&browser, &format!("{base}/my-cases")).await;
    assert!(
        landed.starts_with(&format!("{base}/my-cases")),
        "signed in: {landed}"
    );
    if !sign_in.is_empty() {
        sign_in.sort();
        findings.insert("sign-in page".to_owned(), sign_in);
    }
    let citizen = walk(
        &browser,
        &[
            format!("{base}/"),
            format!("{base}/my-cases"),
            format!("{base}/account"),
            format!("{base}/mailbox"),
        ],
        "citizen",
        &mut findings,
    )
    .await;
    browser.close().await;
    eprintln!("pages checked: {stranger} as a stranger, {citizen} signed in");

    assert!(
        stranger >= 5 && citizen >= 10,
        "the walk reached the pages: {stranger} as a stranger, {citizen} signed in"
    );
    assert!(
        findings.is_empty(),
        "accessibility findings:\n{}",
        findings
            .iter()
            .map(|(page, found)| format!("{page}\n  {}", found.join("\n  ")))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The office's pages for the README, at a desktop width, when `VAROSKAPU_SCREENSHOTS`
/// names a folder: `<folder>/office-<name>.png`.
async fn screenshots(browser: &Browser, base: &str, pages: &[(&str, &str)]) {
    let Some(dir) = std::env::var_os("VAROSKAPU_SCREENSHOTS") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    browser.resize(1280, 900).await;
    for (name, path) in pages {
        browser.goto(&format!("{base}{path}")).await;
        browser.wait_loaded().await;
        let png = browser.screenshot().await;
        std::fs::write(dir.join(format!("office-{name}.png")), png).expect("screenshot written");
    }
    browser.resize(360, 800).await;
}

#[tokio::test]
async fn every_office_page_passes_axe_core_at_wcag_2_1_aa_on_a_narrow_screen() {
    use varoskapu_local::cases::{DEMO_SIGNATORY_EMAIL, DEMO_SIGNATORY_PASSWORD};
    use varoskapu_local::identity::{
        DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD, DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD,
    };
    let world = World::start().await;
    // Cases in the states the office works on: one waiting for its fee, one submitted and
    // unassigned, one paid at the desk, claimed by the clerk and with a drafted decision
    // that waits for the signatory.
    let citizen = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    world.case_awaiting_payment(&citizen).await;
    let waiting = world
        .draft(
            &citizen,
            "official-certificate",
            crate::support::certificate_form(),
        )
        .await;
    world.submit(&citizen, &waiting, None).await;
    let drafted = world.case_awaiting_payment(&citizen).await;
    let clerk = world
        .sign_in_office(DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD)
        .await;
    let office = |action: &str| format!("/backoffice/cases/{drafted}/{action}");
    let post = reqwest::Method::POST;
    world
        .ok(
            &clerk,
            post.clone(),
            &office("desk-payment"),
            Some(serde_json::json!({"method": "cash", "receipt_number": "P-0001"})),
        )
        .await;
    world
        .call(&clerk, post.clone(), &office("claim"), None)
        .await;
    world.ok(&clerk, post.clone(), &office("file"), None).await;
    let draft = world
        .ok(
            &clerk,
            post,
            &office("decision"),
            Some(serde_json::json!({"outcome": "approve", "reasoning": "A kérelem megfelel."})),
        )
        .await;
    assert_eq!(draft["status"], "decision_drafted", "{draft}");

    let base = world.base.clone();
    let driver = start_driver().await;
    let mut findings = BTreeMap::new();
    let mut visited = Vec::new();
    let staff = [
        ("clerk", DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD),
        ("signatory", DEMO_SIGNATORY_EMAIL, DEMO_SIGNATORY_PASSWORD),
        ("admin", DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD),
    ];
    for (who, email, password) in staff {
        let browser =
            crate::support::browser::signed_in(&driver, &base, "/office", email, password).await;
        browser.resize(360, 800).await;
        let count = walk(&browser, &[format!("{base}/office")], who, &mut findings).await;
        visited.push((who, count));
        if who == "clerk" {
            screenshots(
                &browser,
                &base,
                &[
                    ("start", "/office"),
                    ("queue", "/office/cases"),
                    ("case", &format!("/office/cases/{drafted}")),
                    ("diary", "/office/diary"),
                    ("payments", "/office/payments"),
                    ("appointments", "/office/appointments"),
                ],
            )
            .await;
        }
        if who == "admin" {
            screenshots(&browser, &base, &[("admin", "/office/admin")]).await;
        }
        browser.close().await;
    }
    eprintln!("office pages checked: {visited:?}");
    let reached = |who: &str| {
        visited
            .iter()
            .find(|(w, _)| *w == who)
            .map_or(0, |(_, n)| *n)
    };
    assert!(
        reached("clerk") >= 8 && reached("signatory") >= 3 && reached("admin") >= 2,
        "the walk reached the office's pages: {visited:?}"
    );
    assert!(
        findings.is_empty(),
        "accessibility findings:\n{}",
        findings
            .iter()
            .map(|(page, found)| format!("{page}\n  {}", found.join("\n  ")))
            .collect::<Vec<_>>()
            .join("\n")
    );
}
