//! The demo mailbox and the SMTP relay on the running local server: a newcomer registers
//! and follows the verification link from the mailbox page, a card payment settled through
//! the simulator mails the applicant, a hostile body is shown escaped with only the
//! server's own links clickable, the mailbox is absent outside demo mode, and the relay
//! delivers each message exactly once across a refusal and a restart.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use varoskapu_core::notify::{Attachment, Message, Notifier, OutboxNotifier};
use varoskapu_local::identity::*;
use varoskapu_local::relay::RelayConfig;
use varoskapu_local::{ServeConfig, serve_relaying};

/// The `href`s of a page's links, unescaped as a browser reads them.
fn links(page: &str) -> Vec<String> {
    page.split("<a href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|href| href.replace("&#38;", "&").replace("&amp;", "&"))
        .collect()
}

async fn page(world: &World, path: &str) -> (StatusCode, String) {
    let response = world
        .http
        .get(format!("{}{path}", world.base))
        .send()
        .await
        .expect("page");
    let status = response.status();
    (status, response.text().await.expect("html"))
}

/// Opens `address`'s mailbox and the newest message whose subject has `subject` in it.
async fn open_newest(world: &World, address: &str, subject: &str) -> String {
    let (status, list) = page(world, &format!("/mailbox/{address}")).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let row = list
        .split("<tr>")
        .find(|row| row.contains(subject))
        .unwrap_or_else(|| panic!("no message about {subject:?}: {list}"));
    let href = links(row)
        .into_iter()
        .next()
        .expect("a link to the message");
    let (status, message) = page(world, &href).await;
    assert_eq!(status, StatusCode::OK, "{message}");
    message
}

/// Fills a page's form as a browser does: its hidden fields (the CSRF token among them) as
/// they are, every password field with `password`, the page's cookies sent back.
async fn submit_form(world: &World, form_page: &str, cookies: &str, password: &str) -> StatusCode {
    let action = form_page
        .split("action=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a form")
        .replace("&#38;", "&");
    let mut fields = Vec::new();
    for input in form_page.split("<input").skip(1) {
        let tag = input.split('>').next().unwrap_or_default();
        let attr = |name: &str| {
            tag.split(&format!("{name}=\""))
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .map(str::to_owned)
        };
        let Some(name) = attr("name") else { continue };
        match attr("type").as_deref() {
            Some("password") => fields.push((name, password.to_owned())),
            Some("hidden") => fields.push((name, attr("value").unwrap_or_default())),
            _ => {}
        }
    }
    let url = if action.starts_with("http") {
        action
    } else {
        format!("{}{action}", world.base)
    };
    world
        .http
        .post(url)
        .header("cookie", cookies)
        .form(&fields)
        .send()
        .await
        .expect("form")
        .status()
}

#[tokio::test]
async fn a_newcomer_registers_and_verifies_through_the_link_in_the_mailbox() {
    let world = World::start().await;
    let email = "uj.lako@example.hu";
    let registered = world
        .http
        .post(format!("{}/register", world.base))
        .json(&json!({"email": email, "password": "first-long-password", "name": "Új Lakó"}))
        .send()
        .await
        .expect("register");
    assert_eq!(registered.status(), StatusCode::ACCEPTED);

    let (status, index) = page(&world, "/mailbox").await;
    assert_eq!(status, StatusCode::OK);
    assert!(index.contains("Bemutató postafiók"), "{index}");
    assert!(
        index.contains(&format!("href=\"/mailbox/{email}\"")),
        "{index}"
    );
    let (_, english) = page(&world, "/mailbox?lang=en").await;
    assert!(
        english.contains("Demo mailbox — in production these are sent by e-mail"),
        "{english}"
    );

    let message = open_newest(&world, email, "E-mail-cím megerősítése").await;
    let link = links(&message)
        .into_iter()
        .find(|href| href.contains("/register/verify?token="))
        .unwrap_or_else(|| panic!("no verification link on the page: {message}"));
    assert!(link.starts_with(&world.base), "{link}");
    let form = world.http.get(&link).send().await.expect("link");
    assert_eq!(form.status(), StatusCode::OK);
    let cookies = form
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
        .collect::<Vec<_>>()
        .join("; ");
    let form = form.text().await.expect("form");
    let status = submit_form(&world, &form, &cookies, "set-on-verifying-2026").await;
    assert!(status.is_success() || status.is_redirection(), "{status}");
    let signed_in = world
        .http
        .post(format!("{}/authenticate", world.base))
        .json(&json!({"email": email, "password": "set-on-verifying-2026"}))
        .send()
        .await
        .expect("authenticate");
    assert_eq!(signed_in.status(), StatusCode::OK);
    world.server.stop().await.expect("stop");
}

#[tokio::test]
async fn a_card_payment_settled_through_the_simulator_mails_the_applicant() {
    let world = World::start().await;
    let citizen = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    let case = world.case_awaiting_payment(&citizen).await;
    let started: Value = world
        .http
        .post(format!("{}/cases/{case}/payments", world.base))
        .bearer_auth(&citizen.token)
        .header("idempotency-key", "mailbox-card-1")
        .json(&json!({"method": "card"}))
        .send()
        .await
        .expect("start")
        .json()
        .await
        .expect("json");
    let pay_page = started["redirect_url"].as_str().expect("redirect url");
    let chosen = world
        .http
        .post(pay_page)
        .form(&[("outcome", "success")])
        .send()
        .await
        .expect("simulator");
    assert_eq!(chosen.status(), StatusCode::SEE_OTHER);

    let outbox = OutboxNotifier::messages_to(world.server.ports.table.as_ref(), &citizen.sub)
        .await
        .expect("outbox");
    let paid: Vec<_> = outbox
        .iter()
        .filter(|m| m.kind == "payment_settled")
        .collect();
    assert_eq!(paid.len(), 1, "one mail for one settlement: {outbox:?}");
    let case_link = format!("{}/my-cases/{case}", world.base);
    assert!(paid[0].body.contains(&case_link), "{}", paid[0].body);
    assert!(paid[0].body.contains("HUF"), "{}", paid[0].body);

    // The mail is in the citizen's mailbox, under her address, with the case linked.
    let message = open_newest(&world, DEMO_CITIZEN_EMAIL, "Befizetését megkaptuk").await;
    assert!(links(&message).contains(&case_link), "{message}");
    world.server.stop().await.expect("stop");
}

#[tokio::test]
async fn a_hostile_mail_body_is_shown_escaped_with_only_the_servers_own_links() {
    let world = World::start().await;
    let table = world.server.ports.table.clone();
    let outbox = OutboxNotifier::new(
        table,
        world.server.ports.clock.clone(),
        world.server.ports.ids.clone(),
    );
    let own = format!("{}/cases/123", world.base);
    outbox
        .send(Message {
            recipient: "mallory@example.hu".into(),
            kind: "case_decided".into(),
            subject: "<b>Döntés</b>".into(),
            body: format!(
                "<script>alert(document.cookie)</script>\n\
                 <a href=\"https://evil.example/x\">kattintson</a> https://evil.example/steal \
                 javascript:alert(1) {own}"
            ),
            attachments: vec![Attachment {
                filename: "evil\".html".into(),
                content_type: "text/html".into(),
                content: "<script>alert(1)</script>".into(),
            }],
        })
        .await
        .expect("queued");
    let response = world
        .http
        .get(format!("{}/mailbox/mallory@example.hu", world.base))
        .send()
        .await
        .expect("list");
    let list = response.text().await.expect("html");
    assert!(!list.contains("<b>Döntés</b>"), "{list}");
    let message = open_newest(&world, "mallory@example.hu", "Döntés").await;
    assert!(!message.contains("<script>"), "{message}");
    assert!(message.contains("&#60;script&#62;"), "{message}");
    let hrefs = links(&message);
    assert!(hrefs.contains(&own), "{message}");
    assert!(
        !hrefs
            .iter()
            .any(|h| h.contains("evil") || h.starts_with("javascript")),
        "{hrefs:?}"
    );
    assert!(
        message.contains("https://evil.example/steal"),
        "shown as text"
    );

    let download = hrefs
        .iter()
        .find(|h| h.contains("/attachments/0"))
        .expect("an attachment link");
    let file = world
        .http
        .get(format!("{}{download}", world.base))
        .send()
        .await
        .expect("download");
    assert_eq!(file.status(), StatusCode::OK);
    assert_eq!(file.headers()["content-type"], "application/octet-stream");
    let disposition = file.headers()["content-disposition"]
        .to_str()
        .expect("ascii");
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert_eq!(file.headers()["x-content-type-options"], "nosniff");

    // A message of someone else's mailbox, or none at all, is not found.
    let id = download.split('/').nth(3).expect("message id").to_owned();
    for path in [
        format!("/mailbox/{DEMO_CITIZEN_EMAIL}/{id}"),
        "/mailbox/mallory@example.hu/00000000-0000-0000-0000-000000000000".to_owned(),
        format!("/mailbox/mallory@example.hu/{id}/attachments/7"),
    ] {
        let (status, _) = page(&world, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    world.server.stop().await.expect("stop");
}

#[tokio::test]
async fn the_mailbox_is_not_served_outside_demo_mode() {
    use varoskapu_local::app::{CardPayments, Mode, build_router_in};
    let folder = tempfile::tempdir().expect("tempdir");
    let ports =
        varoskapu_local::LocalPorts::open(folder.path(), "http://127.0.0.1:9").expect("ports");
    let live = Mode {
        demo: false,
        card: CardPayments::SimplePay(varoskapu_pay_fee::config::SimplePaySettings {
            merchant: varoskapu_core::payments::simplepay::Merchant::new("VAROSKAPUHUF", "s"),
            api_url: "http://127.0.0.1:9/payment".into(),
        }),
        return_origins: varoskapu_core::payments::ReturnOrigins::of_base_url("http://127.0.0.1:9")
            .expect("origins"),
    };
    let router = build_router_in(&ports, &live).expect("router");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await;
    });
    let http = reqwest::Client::new();
    for path in ["/mailbox", "/mailbox/anna@example.hu", "/mailbox/a@b.hu/1"] {
        let response = http
            .get(format!("{base}{path}"))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

/// What a tiny SMTP server received: the raw text of each message.
type Received = Arc<Mutex<Vec<String>>>;

/// A mail catcher on a free port speaking just enough SMTP; it turns the first
/// `refusals` connections away with `421` (a transient refusal).
async fn mail_catcher(refusals: usize) -> (u16, Received) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let received: Received = Arc::default();
    let store = received.clone();
    tokio::spawn(async move {
        let mut refused = 0;
        while let Ok((socket, _)) = listener.accept().await {
            if refused < refusals {
                refused += 1;
                let mut socket = socket;
                let _ = socket.write_all(b"421 busy, try later\r\n").await;
                continue;
            }
            tokio::spawn(smtp_session(socket, store.clone()));
        }
    });
    (port, received)
}

async fn smtp_session(socket: tokio::net::TcpStream, store: Received) {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read);
    let _ = write.write_all(b"220 catcher ESMTP\r\n").await;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let verb = line.trim_end().to_ascii_uppercase();
        let answer: &[u8] = if verb.starts_with("EHLO") || verb.starts_with("HELO") {
            b"250 catcher\r\n"
        } else if verb.starts_with("DATA") {
            let _ = write.write_all(b"354 go ahead\r\n").await;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                    return;
                }
                if line == ".\r\n" {
                    break;
                }
                data.push_str(&line);
            }
            store.lock().expect("store").push(data);
            b"250 queued\r\n"
        } else if verb.starts_with("QUIT") {
            let _ = write.write_all(b"221 bye\r\n").await;
            return;
        } else {
            b"250 ok\r\n"
        };
        let _ = write.write_all(answer).await;
    }
}

/// The `Message-ID`s the catcher received, one per message received.
fn message_ids(received: &Received) -> Vec<String> {
    received
        .lock()
        .expect("store")
        .iter()
        .filter_map(|raw| {
            raw.lines()
                .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
                .map(|l| l[11..].trim().to_owned())
        })
        .collect()
}

/// Waits until the catcher holds `count` messages (or a minute passes).
async fn wait_for(received: &Received, count: usize) {
    for _ in 0..600 {
        if received.lock().expect("store").len() >= count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// How many messages the server's outbox holds.
async fn outbox_len(server: &varoskapu_local::RunningServer) -> usize {
    varoskapu_core::notify::Outbox::new(server.ports.table.clone(), server.ports.clock.clone())
        .newest(10_000)
        .await
        .expect("outbox")
        .len()
}

async fn register(base: &str, email: &str) {
    let response = reqwest::Client::new()
        .post(format!("{base}/register"))
        .json(&json!({"email": email, "password": "a-long-password-2026", "name": "Relé Réka"}))
        .send()
        .await
        .expect("register");
    assert_eq!(response.status(), StatusCode::ACCEPTED);
}

#[tokio::test]
async fn the_relay_delivers_each_message_exactly_once_across_a_refusal_and_a_restart() {
    let (port, received) = mail_catcher(1).await;
    let relay = || RelayConfig::parse(&format!("smtp://127.0.0.1:{port}"), None).expect("relay");
    let folder = tempfile::tempdir().expect("tempdir");
    let config = || ServeConfig {
        data_dir: folder.path().to_owned(),
        addr: "127.0.0.1:0".parse().expect("addr"),
    };
    let server = serve_relaying(config(), true, Some(relay()))
        .await
        .expect("starts");
    register(&server.url(), "rele.elso@example.hu").await;
    // The first attempt is refused (421); the retry delivers it.
    let queued = outbox_len(&server).await;
    assert!(queued >= 1);
    wait_for(&received, queued).await;
    let first = message_ids(&received);
    assert_eq!(first.len(), queued, "{first:?}");
    assert!(
        received
            .lock()
            .expect("store")
            .iter()
            .any(|raw| raw.contains("To: rele.elso@example.hu")),
        "the verification mail went to the person's address"
    );
    server.stop().await.expect("stop");

    // After a restart nothing delivered is sent again; what is new is sent once.
    let server = serve_relaying(config(), true, Some(relay()))
        .await
        .expect("restarts");
    register(&server.url(), "rele.masodik@example.hu").await;
    let queued = outbox_len(&server).await;
    assert!(queued > first.len());
    wait_for(&received, queued).await;
    // Time for a wrong second copy to show up, if the relay were to send one.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let ids = message_ids(&received);
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(ids.len(), queued, "one copy of each message: {ids:?}");
    assert_eq!(unique.len(), queued, "no message twice: {ids:?}");

    // The mailbox shows both as relayed.
    let (status, list) = {
        let response = reqwest::get(format!("{}/mailbox/rele.elso@example.hu", server.url()))
            .await
            .expect("mailbox");
        (response.status(), response.text().await.expect("html"))
    };
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("továbbítva SMTP-n"), "{list}");
    server.stop().await.expect("stop");
}
