//! Single sign-on in a real browser: headless Chromium (driven over the W3C WebDriver
//! protocol of Debian's chromedriver) signs a citizen in to one partner app through the
//! HTML pages, then reaches a second partner app without typing credentials again.

use crate::support::browser::{Browser, start_driver, wait_for_url};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use varoskapu_idp::NewClient;
use varoskapu_local::identity::{DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD};
use varoskapu_local::{ServeConfig, serve};

/// The callbacks partner apps received: which app, with which query.
type Seen = Arc<Mutex<Vec<(String, HashMap<String, String>)>>>;

/// Two partner apps' callback pages on one loopback server; records what arrives.
async fn partner_apps() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let record = |app: &'static str, seen: Seen| {
        move |axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>| {
            let seen = seen.clone();
            async move {
                if let Ok(mut seen) = seen.lock() {
                    seen.push((app.to_owned(), q));
                }
                axum::response::Html(format!("<h1>{app}</h1>"))
            }
        }
    };
    let router = axum::Router::new()
        .route(
            "/meals/callback",
            axum::routing::get(record("meals", seen.clone())),
        )
        .route(
            "/parking/callback",
            axum::routing::get(record("parking", seen.clone())),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, router).await });
    (base, seen)
}

fn param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[tokio::test]
async fn a_citizen_signs_in_once_in_chromium_and_reaches_a_second_partner_app_without_a_password() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = serve(ServeConfig {
        data_dir: dir.path().to_owned(),
        addr: "127.0.0.1:0".parse().expect("addr"),
    })
    .await
    .expect("server starts");
    let (apps, seen) = partner_apps().await;
    let provider = varoskapu_local::identity::provider(&server.ports).expect("provider");
    for (id, path) in [
        ("chromium-meals", "/meals/callback"),
        ("chromium-parking", "/parking/callback"),
    ] {
        provider
            .clients
            .register(NewClient {
                name: id.into(),
                client_id: Some(id.into()),
                redirect_uris: vec![format!("{apps}{path}")],
                public: true,
                first_party: true,
                ..NewClient::default()
            })
            .await
            .expect("partner app");
    }
    let authorize = |client: &str, path: &str| {
        format!(
            "{}/oauth2/authorize?response_type=code&client_id={client}&redirect_uri={}&scope=openid%20profile&state=st-{client}&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
            server.url(),
            url::form_urlencoded::byte_serialize(format!("{apps}{path}").as_bytes())
                .collect::<String>()
        )
    };

    let driver = start_driver().await;
    let browser = Browser::open(&driver).await;
    browser
        .goto(&authorize("chromium-meals", "/meals/callback"))
        .await;
    browser.type_into("#email", DEMO_CITIZEN_EMAIL).await;
    browser.type_into("#password", DEMO_CITIZEN_PASSWORD).await;
    browser.click("button[type=submit]").await;
    let landed = wait_for_url(&browser, &format!("{apps}/meals/callback")).await;
    assert!(
        param(&landed, "code").is_some(),
        "first app got a code: {landed}"
    );
    assert_eq!(
        param(&landed, "state").as_deref(),
        Some("st-chromium-meals")
    );

    browser
        .goto(&authorize("chromium-parking", "/parking/callback"))
        .await;
    let landed = wait_for_url(&browser, &format!("{apps}/parking/callback")).await;
    assert!(
        param(&landed, "code").is_some(),
        "second app without a password: {landed}"
    );
    browser.close().await;

    let seen = seen.lock().expect("lock").clone();
    let apps_seen: Vec<&str> = seen.iter().map(|(app, _)| app.as_str()).collect();
    assert_eq!(apps_seen, ["meals", "parking"]);
    server.stop().await.expect("stop");
}
