//! What the end-to-end tests of the running local server share: a server over a fresh
//! data folder, people signed in through its provider with real tokens, HTTP calls that
//! expect problem+json on refusal, and checks of signed documents by pyHanko and by the
//! project's own verifier.

#![allow(dead_code)]

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

/// A signed-in person: their access token and account id.
#[derive(Clone)]
pub struct Person {
    pub token: String,
    pub sub: String,
}

pub fn field(page: &str, name: &str) -> String {
    let marker = format!(r#"name="{name}" value=""#);
    let start = page.find(&marker).expect("field") + marker.len();
    page[start..][..page[start..].find('"').expect("quote")].to_owned()
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

    /// Signs in through the provider (code + PKCE with the demo partner app).
    pub async fn sign_in(&self, email: &str, password: &str) -> Person {
        let base = &self.base;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let redirect: String =
            url::form_urlencoded::byte_serialize(DEMO_PARTNER_REDIRECT.as_bytes()).collect();
        let url = format!(
            "{base}/oauth2/authorize?response_type=code&client_id={DEMO_PARTNER_ID}&redirect_uri={redirect}&scope=openid%20roles&code_challenge={}&code_challenge_method=S256",
            challenge.as_str()
        );
        let page = self.http.get(&url).send().await.expect("authorize");
        let cookies: Vec<String> = page
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
            .collect();
        let page = page.text().await.expect("login page");
        let form = [
            ("request_id", field(&page, "request_id")),
            ("csrf", field(&page, "csrf")),
            ("email", email.to_owned()),
            ("password", password.to_owned()),
        ];
        let response = self
            .http
            .post(format!("{base}/oauth2/login"))
            .header("cookie", cookies.join("; "))
            .form(&form)
            .send()
            .await
            .expect("login");
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "login of {email}");
        let location = response.headers()["location"].to_str().expect("ascii");
        let code = url::Url::parse(location)
            .expect("url")
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .expect("code");
        let tokens: Value = self
            .http
            .post(format!("{base}/oauth2/token"))
            .basic_auth(DEMO_PARTNER_ID, Some(DEMO_PARTNER_SECRET))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", DEMO_PARTNER_REDIRECT),
                ("code_verifier", verifier.secret()),
            ])
            .send()
            .await
            .expect("token")
            .json()
            .await
            .expect("json");
        let token = tokens["access_token"]
            .as_str()
            .expect("access token")
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
        }
    }

    /// Creates an account with the admin command and signs it in.
    pub async fn new_person(&self, email: &str, role: &str) -> Person {
        let password = "Masik-polgar-2026!";
        users(
            self.dir.path(),
            UsersCommand::Add {
                email: email.into(),
                password: password.into(),
                name: "Teszt Elek".into(),
                roles: vec![role.into()],
                json: false,
            },
        )
        .await
        .expect("account created");
        self.sign_in(email, password).await
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

    /// Like `attach`, announcing `size` whatever the bytes' real size.
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
