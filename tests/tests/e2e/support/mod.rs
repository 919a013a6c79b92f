//! What the end-to-end tests of the running local server share: a server over a fresh
//! data folder, people signed in through its provider with real tokens, HTTP calls that
//! expect problem+json on refusal, and checks of signed documents by pyHanko and by the
//! project's own verifier.

#![allow(dead_code)]

pub mod browser;
pub mod nojs;

use openidconnect::PkceCodeChallenge;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use varoskapu_core::Sha256Digest;
use varoskapu_documents::LocalKeys;
use varoskapu_local::identity::*;
use varoskapu_local::identity_cli::{UsersCommand, users};
use varoskapu_local::{RunningServer, ServeConfig, serve};

/// A tiny but real PDF header: enough for the media type to be sniffed as PDF.
pub const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
/// A PNG signature and header chunk.
pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0\x90wS\xde";

pub struct World {
    pub server: RunningServer,
    pub dir: tempfile::TempDir,
    pub http: reqwest::Client,
    pub base: String,
}

/// A signed-in person: their tokens and the `sub` the client they signed in through sees.
#[derive(Clone)]
pub struct Person {
    pub token: String,
    pub sub: String,
    pub id_token: Option<String>,
    pub refresh_token: Option<String>,
    /// The cookies of the browser that signed in (the provider's session among them).
    pub cookies: String,
}

/// An app the tests sign people in through.
pub struct TestClient {
    pub id: &'static str,
    /// `None` for a public client (PKCE only).
    pub secret: Option<&'static str>,
    pub redirect: &'static str,
    pub scope: &'static str,
}

/// The municipality's citizen portal: cases, payments, appointments.
pub const PORTAL: TestClient = TestClient {
    id: DEMO_PORTAL_ID,
    secret: Some(DEMO_PORTAL_SECRET),
    redirect: DEMO_PORTAL_REDIRECT,
    scope: "openid profile email offline_access cases payments appointments",
};

/// The municipality's office screens: the back office and approval.
pub const OFFICE: TestClient = TestClient {
    id: DEMO_OFFICE_ID,
    secret: Some(DEMO_OFFICE_SECRET),
    redirect: DEMO_OFFICE_REDIRECT,
    scope: "openid profile email offline_access backoffice backoffice:approve crm crm:export",
};

/// The school-meal partner app: sign-in and profile only.
pub const PARTNER: TestClient = TestClient {
    id: DEMO_PARTNER_ID,
    secret: Some(DEMO_PARTNER_SECRET),
    redirect: DEMO_PARTNER_REDIRECT,
    scope: "openid profile",
};

pub fn field(page: &str, name: &str) -> String {
    let marker = format!(r#"name="{name}" value=""#);
    let start = page.find(&marker).expect("field") + marker.len();
    page[start..][..page[start..].find('"').expect("quote")].to_owned()
}

/// The `name=value` pairs a response sets, merged into a browser's cookie header.
fn remember_cookies(jar: &mut Vec<(String, String)>, response: &reqwest::Response) {
    for value in response.headers().get_all("set-cookie") {
        let Some(pair) = value.to_str().ok().and_then(|v| v.split(';').next()) else {
            continue;
        };
        if let Some((name, value)) = pair.split_once('=') {
            jar.retain(|(n, _)| n != name);
            if !value.is_empty() {
                jar.push((name.to_owned(), value.to_owned()));
            }
        }
    }
}

fn cookie_header(jar: &[(String, String)]) -> String {
    jar.iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The current authenticator code of a base32 TOTP secret.
pub fn totp_code(secret_base32: &str) -> String {
    let secret = varoskapu_accounts::totp::base32_decode(secret_base32).expect("base32 secret");
    let step = (jiff::Timestamp::now().as_second() / 30) as u64;
    format!("{:06}", varoskapu_accounts::totp::code_at(&secret, step))
}

impl World {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let server = serve(ServeConfig {
            data_dir: dir.path().to_owned(),
            addr: "127.0.0.1:0".parse().expect("addr"),
        })
        .await
        .expect("server starts");
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let base = server.url();
        Self {
            server,
            dir,
            http,
            base,
        }
    }

    /// Signs in to the citizen portal (code + PKCE).
    pub async fn sign_in(&self, email: &str, password: &str) -> Person {
        self.sign_in_through(&PORTAL, email, password, None, "")
            .await
    }

    /// Signs in to the office screens with a password only.
    pub async fn sign_in_office(&self, email: &str, password: &str) -> Person {
        self.sign_in_through(&OFFICE, email, password, None, "")
            .await
    }

    /// Turns the authenticator app on for the account and signs in to the office screens
    /// with a password and a code.
    pub async fn sign_in_office_with_second_factor(&self, email: &str, password: &str) -> Person {
        let secret = self.enable_totp(email).await;
        self.sign_in_through(&OFFICE, email, password, Some(&secret), "")
            .await
    }

    /// Enrols the account's authenticator app and returns its secret (base32).
    pub async fn enable_totp(&self, email: &str) -> String {
        let accounts = varoskapu_local::identity::accounts(&self.server.ports);
        let account = accounts
            .find_by_email(email)
            .await
            .expect("lookup")
            .expect("account");
        accounts.enable_totp(account.id).await.expect("totp")
    }

    /// The authorization URL of `client` with a PKCE challenge, plus `extra` parameters.
    pub fn authorize_url(&self, client: &TestClient, challenge: &str, extra: &str) -> String {
        let encode =
            |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        format!(
            "{}/oauth2/authorize?response_type=code&client_id={}&redirect_uri={}&scope={}&code_challenge={challenge}&code_challenge_method=S256{extra}",
            self.base,
            client.id,
            encode(client.redirect),
            encode(client.scope),
        )
    }

    /// Signs in through `client` as a browser would (login page, second factor if given,
    /// consent if asked), then redeems the code at the token endpoint.
    pub async fn sign_in_through(
        &self,
        client: &TestClient,
        email: &str,
        password: &str,
        totp_secret: Option<&str>,
        extra: &str,
    ) -> Person {
        let base = &self.base;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut jar = Vec::new();
        let page = self
            .http
            .get(self.authorize_url(client, challenge.as_str(), extra))
            .send()
            .await
            .expect("authorize");
        remember_cookies(&mut jar, &page);
        let page = page.text().await.expect("login page");
        let form = [
            ("request_id", field(&page, "request_id")),
            ("csrf", field(&page, "csrf")),
            ("email", email.to_owned()),
            ("password", password.to_owned()),
        ];
        let mut response = self
            .http
            .post(format!("{base}/oauth2/login"))
            .header("cookie", cookie_header(&jar))
            .form(&form)
            .send()
            .await
            .expect("login");
        remember_cookies(&mut jar, &response);
        // The second factor, then the consent page, each answered when shown.
        while response.status() == StatusCode::OK {
            let page = response.text().await.expect("page");
            let (path, form) = if page.contains(r#"action="/oauth2/second-factor""#) {
                let code = totp_code(totp_secret.expect("the account asks for a second factor"));
                ("second-factor", vec![("code", code)])
            } else if page.contains(r#"action="/oauth2/consent""#) {
                ("consent", vec![("decision", "allow".to_owned())])
            } else {
                panic!("unexpected page after signing in {email}: {page}");
            };
            let mut form = form;
            form.push(("request_id", field(&page, "request_id")));
            form.push(("csrf", field(&page, "csrf")));
            response = self
                .http
                .post(format!("{base}/oauth2/{path}"))
                .header("cookie", cookie_header(&jar))
                .form(&form)
                .send()
                .await
                .expect(path);
            remember_cookies(&mut jar, &response);
        }
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "login of {email}");
        let location = response.headers()["location"].to_str().expect("ascii");
        let code = url::Url::parse(location)
            .expect("url")
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("no code in {location}"));
        let mut request = self.http.post(format!("{base}/oauth2/token"));
        let mut form = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code),
            ("redirect_uri", client.redirect.to_owned()),
            ("code_verifier", verifier.secret().clone()),
        ];
        match client.secret {
            Some(secret) => request = request.basic_auth(client.id, Some(secret)),
            None => form.push(("client_id", client.id.to_owned())),
        }
        let tokens: Value = request
            .form(&form)
            .send()
            .await
            .expect("token")
            .json()
            .await
            .expect("json");
        let token = tokens["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no access token: {tokens}"))
            .to_owned();
        let info: Value = self
            .http
            .get(format!("{base}/oauth2/userinfo"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("userinfo")
            .json()
            .await
            .expect("json");
        Person {
            token,
            sub: info["sub"].as_str().expect("sub").to_owned(),
            id_token: tokens["id_token"].as_str().map(str::to_owned),
            refresh_token: tokens["refresh_token"].as_str().map(str::to_owned),
            cookies: cookie_header(&jar),
        }
    }

    /// A submitted public-space case (fee 12 000 HUF) waiting for payment.
    pub async fn case_awaiting_payment(&self, citizen: &Person) -> String {
        let case = self
            .draft(citizen, "public-space-use-permit", space_form())
            .await;
        let (status, _) = self
            .attach(citizen, &case, "site_plan", PDF, "application/pdf")
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let (_, submitted) = self.submit(citizen, &case, None).await;
        assert_eq!(submitted["status"], "awaiting_payment");
        case
    }

    /// Registers an app as an operator would.
    pub async fn register_client(&self, client: varoskapu_idp::NewClient) {
        varoskapu_local::identity::provider(&self.server.ports)
            .expect("provider")
            .clients
            .register(client)
            .await
            .expect("client registered");
    }

    /// Creates an account with the admin command and signs it in.
    pub async fn new_person(&self, email: &str, role: &str) -> Person {
        self.new_person_named(email, "Teszt Elek", role).await
    }

    /// Creates an account of `name` (family name first) and signs it in.
    pub async fn new_person_named(&self, email: &str, name: &str, role: &str) -> Person {
        let password = "Masik-polgar-2026!";
        users(
            self.dir.path(),
            UsersCommand::Add {
                email: email.into(),
                password: Some(password.into()),
                password_stdin: false,
                name: name.into(),
                roles: vec![role.into()],
                json: false,
            },
        )
        .await
        .expect("account created");
        if role == "citizen" {
            self.sign_in(email, password).await
        } else {
            self.sign_in_office(email, password).await
        }
    }

    pub async fn call(
        &self,
        who: &Person,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&who.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let problem = response
            .headers()
            .get("content-type")
            .is_some_and(|v| v.as_bytes() == b"application/problem+json");
        let value: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            assert!(problem, "{path}: {status} without problem+json: {value}");
        }
        (status, value)
    }

    pub async fn ok(&self, who: &Person, method: Method, path: &str, body: Option<Value>) -> Value {
        let (status, value) = self.call(who, method.clone(), path, body).await;
        assert!(status.is_success(), "{method} {path}: {status} {value}");
        value
    }

    pub async fn bytes(&self, who: &Person, method: Method, path: &str) -> Vec<u8> {
        let response = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&who.token)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(response.headers()["content-type"], "application/pdf");
        response.bytes().await.expect("bytes").to_vec()
    }

    pub async fn draft(&self, who: &Person, case_type: &str, form: Value) -> String {
        let case = self
            .ok(
                who,
                Method::POST,
                "/cases",
                Some(json!({"case_type": case_type, "form": form})),
            )
            .await;
        assert_eq!(case["status"], "draft");
        case["id"].as_str().expect("id").to_owned()
    }

    /// Announces, uploads (to the one-time URL) and attaches a document.
    pub async fn attach(
        &self,
        who: &Person,
        case: &str,
        kind: &str,
        bytes: &[u8],
        media_type: &str,
    ) -> (StatusCode, Value) {
        self.attach_announcing(who, case, kind, bytes, media_type, bytes.len())
            .await
    }

    /// Like `attach`, announcing `size` whatever the bytes' real size; an upload the URL
    /// refuses (bytes of another size) is answered with the upload's refusal.
    pub async fn attach_announcing(
        &self,
        who: &Person,
        case: &str,
        kind: &str,
        bytes: &[u8],
        media_type: &str,
        size: usize,
    ) -> (StatusCode, Value) {
        let ticket = self
            .ok(
                who,
                Method::POST,
                &format!("/cases/{case}/uploads"),
                Some(json!({
                    "kind": kind,
                    "sha256": Sha256Digest::of(bytes).to_hex(),
                    "size": size,
                    "media_type": media_type,
                })),
            )
            .await;
        let mut put = self
            .http
            .put(ticket["url"].as_str().expect("url"))
            .body(bytes.to_vec());
        for pair in ticket["headers"].as_array().expect("headers") {
            put = put.header(
                pair[0].as_str().expect("name"),
                pair[1].as_str().expect("value"),
            );
        }
        let uploaded = put.send().await.expect("upload");
        if !uploaded.status().is_success() && size != bytes.len() {
            let status = uploaded.status();
            return (status, uploaded.json().await.unwrap_or(Value::Null));
        }
        assert!(
            uploaded.status().is_success(),
            "upload {}",
            uploaded.status()
        );
        self.call(
            who,
            Method::POST,
            &format!("/cases/{case}/documents"),
            Some(json!({"upload_id": ticket["upload_id"]})),
        )
        .await
    }

    pub async fn submit(&self, who: &Person, case: &str, key: Option<&str>) -> (StatusCode, Value) {
        let mut request = self
            .http
            .post(format!("{}/cases/{case}/submit", self.base))
            .bearer_auth(&who.token)
            .json(&json!({}));
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        let response = request.send().await.expect("submit");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub fn root(&self) -> PathBuf {
        LocalKeys::root_pem_path(self.dir.path())
    }

    /// pyHanko and the project's verifier both accept the signed PDF.
    pub fn assert_signed(&self, name: &str, pdf: &[u8]) {
        let path = self.dir.path().join(name);
        std::fs::write(&path, pdf).expect("write");
        let roots = varoskapu_documents::verify::load_roots(&self.root()).expect("roots");
        let verdict = varoskapu_documents::verify_pdf(pdf, &roots);
        assert!(verdict.is_valid(), "{name}: {verdict}");
        pyhanko_accepts(&self.root(), &path);
    }
}

/// The text of a PDF as poppler's `pdftotext -layout` extracts it (a table's row stays on
/// one line), whitespace collapsed to single spaces.
pub fn pdf_text(dir: &Path, name: &str, pdf: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, pdf).expect("write");
    let output = Command::new("pdftotext")
        .arg("-layout")
        .arg(&path)
        .arg("-")
        .output()
        .unwrap_or_else(|e| panic!("`pdftotext` (poppler-utils, tests/run installs it): {e}"));
    assert!(output.status.success(), "pdftotext {name}");
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn pyhanko_accepts(root: &Path, pdf: &Path) {
    let tool = std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("pyhanko"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("`pyhanko` is not on PATH: install pyhanko and pyhanko-cli (tests/run does)")
        });
    let output = Command::new(tool)
        .args(["sign", "validate", "--trust"])
        .arg(root)
        .args(["--trust-replace", "--pretty-print"])
        .arg(pdf)
        .output()
        .expect("run pyhanko");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{}: {text}", pdf.display());
    for expected in [
        "The signature is cryptographically sound.",
        "This timestamp is backed by a time stamping authority.",
        "The signature is judged VALID.",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

pub fn parking_form(postcode: &str) -> Value {
    json!({
        "address": {"postcode": postcode, "city": "Budapest", "street": "Október 6. utca 12."},
        "vehicle": {"plate": "ABC-123", "keeper": "applicant"}
    })
}

pub fn space_form() -> Value {
    json!({
        "purpose": "Kávézó terasz kihelyezése",
        "location": "Szent István tér 4. előtti járda",
        "area_m2": 12.5,
        "from": "2027-04-01",
        "to": "2027-09-30"
    })
}

pub fn certificate_form() -> Value {
    json!({"subject": "residence", "purpose": "munkáltató részére"})
}
