//! The provider's account pages as a browser meets them: sign-up, the mailed link, signing
//! in to the account, a password reset from the page, an e-mail change, the authenticator
//! app with its recovery codes, the apps with access, and every form refusing a post that
//! did not come from its page.

use crate::support::{TestClient, World, totp_code};
use reqwest::StatusCode;
use varoskapu_core::notify::OutboxNotifier;
use varoskapu_idp::NewClient;

/// A browser: its cookies, kept as a cookie header.
#[derive(Default)]
struct Browser {
    jar: Vec<(String, String)>,
}

impl Browser {
    fn header(&self) -> String {
        self.jar
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all("set-cookie") {
            let Some(pair) = value.to_str().ok().and_then(|v| v.split(';').next()) else {
                continue;
            };
            if let Some((name, value)) = pair.split_once('=') {
                self.jar.retain(|(n, _)| n != name);
                if !value.is_empty() {
                    self.jar.push((name.to_owned(), value.to_owned()));
                }
            }
        }
    }

    async fn get(&mut self, w: &World, path: &str) -> (StatusCode, String, String) {
        let response = w
            .http
            .get(format!("{}{path}", w.base))
            .header("cookie", self.header())
            .send()
            .await
            .expect("get");
        self.keep(&response);
        let location = location(&response);
        (
            response.status(),
            location,
            response.text().await.expect("body"),
        )
    }

    async fn post(
        &mut self,
        w: &World,
        path: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, String, String) {
        let response = w
            .http
            .post(format!("{}{path}", w.base))
            .header("cookie", self.header())
            .form(form)
            .send()
            .await
            .expect("post");
        self.keep(&response);
        let location = location(&response);
        (
            response.status(),
            location,
            response.text().await.expect("body"),
        )
    }
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The value of a hidden field inside the form that posts to `action`.
fn form_field(page: &str, action: &str, name: &str) -> String {
    let start = page
        .find(&format!(r#"action="{action}""#))
        .unwrap_or_else(|| panic!("no form to {action} in {page}"));
    let form = &page[start..];
    let form = &form[..form.find("</form>").expect("form end")];
    let marker = format!(r#"name="{name}" value=""#);
    let at = form
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {form}"))
        + marker.len();
    form[at..][..form[at..].find('"').expect("quote")].to_owned()
}

/// Every message that reaches an address (sent to it, or to the account holding it).
async fn mailbox(w: &World, email: &str) -> Vec<varoskapu_core::notify::Message> {
    let table = w.server.ports.table.clone();
    OutboxNotifier::messages_to_address(
        table.as_ref(),
        &varoskapu_accounts::AccountAddresses::new(table.clone()),
        email,
    )
    .await
    .expect("outbox")
}

async fn mail_to(w: &World, email: &str, kind: &str) -> String {
    let mail = mailbox(w, email).await;
    mail.iter()
        .rev()
        .find(|m| m.kind == kind)
        .unwrap_or_else(|| panic!("no {kind} mail to {email}: {mail:?}"))
        .body
        .clone()
}

fn link_path(body: &str, w: &World) -> String {
    let start = body.find(&w.base).expect("a link to this server") + w.base.len();
    body[start..]
        .split_whitespace()
        .next()
        .expect("link")
        .to_owned()
}

/// Signs up through the pages and confirms the address from the mailbox.
async fn registered(w: &World, email: &str, password: &str) {
    let mut b = Browser::default();
    let (status, _, page) = b.get(w, "/account/register").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(r#"<label for="password">"#), "{page}");
    let csrf = form_field(&page, "/account/register", "csrf");
    let (status, location, _) = b
        .post(
            w,
            "/account/register",
            &[
                ("csrf", &csrf),
                ("name", "Kovács Anna"),
                ("email", email),
                ("password", password),
            ],
        )
        .await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/account/check-email")
    );
    let (status, _, _) = b.get(w, "/account/check-email").await;
    assert_eq!(status, StatusCode::OK);
    let link = link_path(&mail_to(w, email, "verify_email").await, w);
    let (status, _, page) = b.get(w, &link).await;
    assert_eq!(status, StatusCode::OK);
    let token = form_field(&page, "/register/verify", "token");
    let csrf = form_field(&page, "/register/verify", "csrf");
    let (status, _, _) = b
        .post(
            w,
            "/register/verify",
            &[("csrf", &csrf), ("token", &token), ("password", password)],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

/// Signs in to the account pages; returns the browser with its session.
async fn signed_in(w: &World, email: &str, password: &str, totp: Option<&str>) -> Browser {
    let mut b = Browser::default();
    let (status, location, _) = b.get(w, "/account/apps").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/account/sign-in?return_to=%2Faccount%2Fapps");
    let (_, _, page) = b.get(w, &location).await;
    assert!(
        page.contains(r#"href="/account/register""#)
            && page.contains(r#"href="/account/password-reset""#)
    );
    let csrf = form_field(&page, "/account/sign-in", "csrf");
    let return_to = form_field(&page, "/account/sign-in", "return_to");
    let (status, location, page) = b
        .post(
            w,
            "/account/sign-in",
            &[
                ("csrf", &csrf),
                ("return_to", &return_to),
                ("email", email),
                ("password", password),
            ],
        )
        .await;
    let (status, location) = if let Some(secret) = totp {
        assert_eq!(status, StatusCode::OK, "{page}");
        let step = form_field(&page, "/account/sign-in/second-factor", "step");
        let code = if secret.contains('-') {
            secret.to_owned()
        } else {
            totp_code(secret)
        };
        let (status, location, page) = b
            .post(
                w,
                "/account/sign-in/second-factor",
                &[("csrf", &csrf), ("step", &step), ("code", &code)],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
        (status, location)
    } else {
        (status, location)
    };
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/account/apps"),
        "{page}"
    );
    b
}

#[tokio::test]
async fn a_citizen_registers_confirms_from_the_mailbox_and_signs_in_through_the_pages() {
    let w = World::start().await;
    // A common password is refused with the reason, and nothing is mailed.
    let mut b = Browser::default();
    let (_, _, page) = b.get(&w, "/account/register").await;
    let csrf = form_field(&page, "/account/register", "csrf");
    let (status, _, page) = b
        .post(
            &w,
            "/account/register",
            &[
                ("csrf", &csrf),
                ("name", "Kovács Anna"),
                ("email", "anna@example.hu"),
                ("password", "Password123"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains(r#"aria-invalid="true""#) && page.contains(r##"href="#password""##),
        "{page}"
    );
    assert!(mailbox(&w, "anna@example.hu").await.is_empty());
    registered(&w, "anna@example.hu", "Lovas-kert-2026").await;
    let mut b = signed_in(&w, "anna@example.hu", "Lovas-kert-2026", None).await;
    let (status, _, page) = b.get(&w, "/account").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Kovács Anna") && page.contains("anna@example.hu"));
    // Registering a taken address answers alike and tells its owner instead.
    let mut other = Browser::default();
    let (_, _, page) = other.get(&w, "/account/register").await;
    let csrf = form_field(&page, "/account/register", "csrf");
    let (status, location, _) = other
        .post(
            &w,
            "/account/register",
            &[
                ("csrf", &csrf),
                ("name", "Valaki"),
                ("email", "anna@example.hu"),
                ("password", "Egy-masik-jelszo-1"),
            ],
        )
        .await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/account/check-email")
    );
    mail_to(&w, "anna@example.hu", "already_registered").await;
}

#[tokio::test]
async fn a_forgotten_password_is_reset_from_the_page_and_the_mailed_link_opens_a_form() {
    let w = World::start().await;
    registered(&w, "bela@example.hu", "Lovas-kert-2026").await;
    let mut b = Browser::default();
    let (_, _, page) = b.get(&w, "/account/password-reset").await;
    let csrf = form_field(&page, "/account/password-reset", "csrf");
    let (status, location, _) = b
        .post(
            &w,
            "/account/password-reset",
            &[("csrf", &csrf), ("email", "bela@example.hu")],
        )
        .await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/account/check-email")
    );
    let link = link_path(&mail_to(&w, "bela@example.hu", "password_reset").await, &w);
    let (status, _, page) = b.get(&w, &link).await;
    assert_eq!(status, StatusCode::OK, "the mailed link opens a page");
    let token = form_field(&page, "/password-reset/confirm", "token");
    let csrf = form_field(&page, "/password-reset/confirm", "csrf");
    // The mailed link's form refuses a post that is not from its page, and changes nothing.
    let (status, _, _) = Browser::default()
        .post(
            &w,
            "/password-reset/confirm",
            &[
                ("csrf", &csrf),
                ("token", &token),
                ("password", "Tolvaj-jelszo-99"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = b
        .post(
            &w,
            "/password-reset/confirm",
            &[
                ("csrf", &csrf),
                ("token", &token),
                ("password", "Uj-jelszo-kert-77"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    signed_in(&w, "bela@example.hu", "Uj-jelszo-kert-77", None).await;
}

#[tokio::test]
async fn a_new_address_counts_once_confirmed_and_the_old_one_is_told() {
    let w = World::start().await;
    registered(&w, "cili@example.hu", "Lovas-kert-2026").await;
    let mut b = signed_in(&w, "cili@example.hu", "Lovas-kert-2026", None).await;
    let (_, _, page) = b.get(&w, "/account/email").await;
    let csrf = form_field(&page, "/account/email", "csrf");
    let (status, _, page) = b
        .post(
            &w,
            "/account/email",
            &[("csrf", &csrf), ("email", "not an address")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    let (status, location, _) = b
        .post(
            &w,
            "/account/email",
            &[("csrf", &csrf), ("email", "cili@uj.hu")],
        )
        .await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/account?done=email-sent")
    );
    mail_to(&w, "cili@example.hu", "email_change_requested").await;
    let link = link_path(&mail_to(&w, "cili@uj.hu", "email_change_confirm").await, &w);
    let (status, _, page) = b.get(&w, &link).await;
    assert_eq!(status, StatusCode::OK);
    let token = form_field(&page, "/account/email/confirm", "token");
    let form_csrf = form_field(&page, "/account/email/confirm", "csrf");
    let (status, _, _) = b
        .post(
            &w,
            "/account/email/confirm",
            &[("csrf", &form_csrf), ("token", &token)],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = b.get(&w, "/account").await;
    assert!(page.contains("cili@uj.hu"), "{page}");
    // The link works once.
    let (status, _, _) = b
        .post(
            &w,
            "/account/email/confirm",
            &[("csrf", &form_csrf), ("token", &token)],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_authenticator_is_enrolled_from_the_qr_secret_and_a_recovery_code_works_once() {
    let w = World::start().await;
    registered(&w, "dora@example.hu", "Lovas-kert-2026").await;
    let mut b = signed_in(&w, "dora@example.hu", "Lovas-kert-2026", None).await;
    let (_, _, page) = b.get(&w, "/account/second-factor").await;
    let csrf = form_field(&page, "/account/second-factor", "csrf");
    let (status, _, _) = b
        .post(&w, "/account/second-factor", &[("csrf", &csrf)])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = b.get(&w, "/account/second-factor").await;
    assert!(page.contains("<svg"), "an SVG QR code: {page}");
    let start = page.find(r#"<code id="secret">"#).expect("secret") + r#"<code id="secret">"#.len();
    let secret: String = page[start..][..page[start..].find('<').expect("end")].replace(' ', "");
    let (status, _, page) = b
        .post(
            &w,
            "/account/second-factor/confirm",
            &[("csrf", &csrf), ("code", "000000")],
        )
        .await;
    if status != StatusCode::OK {
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    }
    let (status, _, page) = b
        .post(
            &w,
            "/account/second-factor/confirm",
            &[("csrf", &csrf), ("code", &totp_code(&secret))],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let codes: Vec<String> = page
        .split("<li><code>")
        .skip(1)
        .map(|s| s[..s.find('<').expect("end")].to_owned())
        .collect();
    assert_eq!(codes.len(), 10, "{page}");
    let stored = varoskapu_local::identity::accounts(&w.server.ports)
        .find_by_email("dora@example.hu")
        .await
        .expect("reads")
        .expect("there");
    assert!(
        codes.iter().all(|c| !stored.recovery_codes.contains(c)),
        "the codes are stored hashed"
    );
    // A new sign-in asks for the second factor; a recovery code works once.
    signed_in(&w, "dora@example.hu", "Lovas-kert-2026", Some(&codes[0])).await;
    let mut again = Browser::default();
    let (_, location, _) = again.get(&w, "/account").await;
    let (_, _, page) = again.get(&w, &location).await;
    let form_csrf = form_field(&page, "/account/sign-in", "csrf");
    let (_, _, page) = again
        .post(
            &w,
            "/account/sign-in",
            &[
                ("csrf", &form_csrf),
                ("return_to", "/account"),
                ("email", "dora@example.hu"),
                ("password", "Lovas-kert-2026"),
            ],
        )
        .await;
    let step = form_field(&page, "/account/sign-in/second-factor", "step");
    let (status, _, _) = again
        .post(
            &w,
            "/account/sign-in/second-factor",
            &[("csrf", &form_csrf), ("step", &step), ("code", &codes[0])],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a used recovery code is refused"
    );
    // The code that proved the enrolment was spent there; another recovery code still works.
    signed_in(&w, "dora@example.hu", "Lovas-kert-2026", Some(&codes[1])).await;
}

#[tokio::test]
async fn withdrawing_consent_revokes_the_partners_refresh_token() {
    let w = World::start().await;
    registered(&w, "erno@example.hu", "Lovas-kert-2026").await;
    w.register_client(NewClient {
        name: "Sportjegy (teszt)".into(),
        client_id: Some("test-sportjegy".into()),
        secret: Some("test-sportjegy-secret-0123456789abcdef0123".into()),
        redirect_uris: vec!["http://127.0.0.1:8099/callback".into()],
        scopes: vec!["openid".into(), "profile".into(), "offline_access".into()],
        ..NewClient::default()
    })
    .await;
    const PARTNER: TestClient = TestClient {
        id: "test-sportjegy",
        secret: Some("test-sportjegy-secret-0123456789abcdef0123"),
        redirect: "http://127.0.0.1:8099/callback",
        scope: "openid profile offline_access",
    };
    let person = w
        .sign_in_through(
            &PARTNER,
            "erno@example.hu",
            "Lovas-kert-2026",
            None,
            "&prompt=consent",
        )
        .await;
    let refresh = person.refresh_token.clone().expect("a refresh token");
    let mut b = signed_in(&w, "erno@example.hu", "Lovas-kert-2026", None).await;
    let (_, _, page) = b.get(&w, "/account/apps").await;
    assert!(page.contains("Sportjegy (teszt)"), "{page}");
    let csrf = form_field(&page, "/account/apps/withdraw", "csrf");
    // A forged form changes nothing.
    let (status, _, _) = b
        .post(
            &w,
            "/account/apps/withdraw",
            &[("csrf", "forged"), ("client_id", "test-sportjegy")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = b
        .post(
            &w,
            "/account/apps/withdraw",
            &[("csrf", &csrf), ("client_id", "test-sportjegy")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let answer: serde_json::Value = w
        .http
        .post(format!("{}/oauth2/token", w.base))
        .basic_auth(PARTNER.id, PARTNER.secret)
        .form(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    assert_eq!(answer["error"], "invalid_grant", "{answer}");
    let (_, _, page) = b.get(&w, "/account/apps").await;
    assert!(!page.contains("Sportjegy (teszt)"));
}

#[tokio::test]
async fn every_form_refuses_a_post_without_its_token_and_changes_nothing() {
    let w = World::start().await;
    registered(&w, "feri@example.hu", "Lovas-kert-2026").await;
    // Before sign-in: the double-submit cookie must match.
    let mut stranger = Browser::default();
    for (path, form) in [
        (
            "/account/register",
            vec![
                ("name", "X"),
                ("email", "x@example.hu"),
                ("password", "Lovas-kert-2026"),
            ],
        ),
        (
            "/account/password-reset",
            vec![("email", "feri@example.hu")],
        ),
        ("/account/email/confirm", vec![("token", "x")]),
        (
            "/account/sign-in/second-factor",
            vec![("step", "x"), ("code", "123456")],
        ),
        (
            "/register/verify",
            vec![("token", "x"), ("password", "Lovas-kert-2026")],
        ),
        (
            "/account/sign-in",
            vec![
                ("email", "feri@example.hu"),
                ("password", "Lovas-kert-2026"),
            ],
        ),
    ] {
        let mut with = form.clone();
        with.push(("csrf", "guessed"));
        let (status, _, _) = stranger.post(&w, path, &with).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    assert!(mailbox(&w, "x@example.hu").await.is_empty());
    // Signed in: the session's token must match.
    let mut b = signed_in(&w, "feri@example.hu", "Lovas-kert-2026", None).await;
    for (path, form) in [
        ("/account/name", vec![("name", "Tolvaj Tibor")]),
        ("/account/email", vec![("email", "tolvaj@example.hu")]),
        (
            "/account/password",
            vec![
                ("current_password", "Lovas-kert-2026"),
                ("new_password", "Tolvaj-jelszo-99"),
            ],
        ),
        ("/account/second-factor", vec![]),
        (
            "/account/second-factor/off",
            vec![("password", "Lovas-kert-2026")],
        ),
        ("/account/second-factor/recovery-codes", vec![]),
        ("/account/apps/withdraw", vec![("client_id", "x")]),
        ("/account/second-factor/confirm", vec![("code", "123456")]),
    ] {
        let (status, _, _) = b.post(&w, path, &form).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path} without a token");
    }
    let (_, _, page) = b.get(&w, "/account").await;
    assert!(
        page.contains("Kovács Anna") && page.contains("feri@example.hu"),
        "nothing changed: {page}"
    );
    signed_in(&w, "feri@example.hu", "Lovas-kert-2026", None).await;
}

#[tokio::test]
async fn the_account_pages_are_described_in_the_api_document() {
    let w = World::start().await;
    let doc: serde_json::Value = w
        .http
        .get(format!("{}/openapi.json", w.base))
        .send()
        .await
        .expect("document")
        .json()
        .await
        .expect("json");
    for (method, path) in [
        ("get", "/account"),
        ("get", "/account/sign-in"),
        ("post", "/account/register"),
        ("post", "/account/password-reset"),
        ("post", "/account/email/confirm"),
        ("post", "/account/second-factor/confirm"),
        ("post", "/account/apps/withdraw"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{method} {path}");
    }
    let withdraw = &doc["paths"]["/account/apps/withdraw"]["post"]["responses"];
    assert!(withdraw["403"].is_object() && withdraw["303"]["headers"]["Location"].is_object());
}

#[tokio::test]
async fn a_password_change_needs_the_current_one_ends_the_session_and_is_mailed() {
    let w = World::start().await;
    registered(&w, "gizi@example.hu", "Lovas-kert-2026").await;
    let mut b = signed_in(&w, "gizi@example.hu", "Lovas-kert-2026", None).await;
    let (_, _, page) = b.get(&w, "/account/password").await;
    let csrf = form_field(&page, "/account/password", "csrf");
    let (status, _, page) = b
        .post(
            &w,
            "/account/password",
            &[
                ("csrf", &csrf),
                ("current_password", "not the password"),
                ("new_password", "Uj-jelszo-kert-77"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains(r##"href="#current_password""##), "{page}");
    let (status, _, page) = b
        .post(
            &w,
            "/account/password",
            &[
                ("csrf", &csrf),
                ("current_password", "Lovas-kert-2026"),
                ("new_password", "jelszo1234"),
            ],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a common password"
    );
    assert!(page.contains(r##"href="#new_password""##), "{page}");
    let (status, _, _) = b
        .post(
            &w,
            "/account/password",
            &[
                ("csrf", &csrf),
                ("current_password", "Lovas-kert-2026"),
                ("new_password", "Uj-jelszo-kert-77"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, location, _) = b.get(&w, "/account").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "signed out");
    assert!(location.starts_with("/account/sign-in"));
    mail_to(&w, "gizi@example.hu", "password_changed").await;
    signed_in(&w, "gizi@example.hu", "Uj-jelszo-kert-77", None).await;
}

#[tokio::test]
async fn the_header_sign_out_button_ends_the_session() {
    let w = World::start().await;
    registered(&w, "hedi@example.hu", "Lovas-kert-2026").await;
    let mut b = signed_in(&w, "hedi@example.hu", "Lovas-kert-2026", None).await;
    let (_, _, page) = b.get(&w, "/account").await;
    let csrf = form_field(&page, "/oauth2/logout", "csrf");
    let (status, _, page) = b.post(&w, "/oauth2/logout", &[("csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let (status, location, _) = b.get(&w, "/account").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.starts_with("/account/sign-in"));
}
