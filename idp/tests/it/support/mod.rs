//! `spawn_app`: the provider's router on 127.0.0.1:0 over a fresh data folder, a seeded
//! partner client and citizen, and a minimal cookie-keeping browser.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use varoskapu_accounts::{Accounts, AccountsConfig, NewAccount, Role};
use varoskapu_core::{Clock, IdGenerator, SystemClock, Table, UuidV7Ids};
use varoskapu_embedded::SqliteTable;
use varoskapu_idp::{FileKeyStore, IdpConfig, NewClient, Provider};

pub const CLIENT_ID: &str = "meals";
pub const CLIENT_SECRET: &str = "meals-secret-0123456789abcdefghijklmnopqrstuv";
pub const REDIRECT_URI: &str = "http://127.0.0.1:9/meals/callback";
pub const POST_LOGOUT_URI: &str = "http://127.0.0.1:9/meals/bye";
pub const SECOND_CLIENT_ID: &str = "parking";
pub const SECOND_REDIRECT_URI: &str = "http://127.0.0.1:9/parking/callback";
pub const EMAIL: &str = "anna@example.hu";
pub const PASSWORD: &str = "correct horse battery";
/// The scopes the seeded confidential client is registered for (`appointments` is not).
pub const CLIENT_SCOPES: [&str; 7] = [
    "openid",
    "profile",
    "email",
    "offline_access",
    "cases",
    "payments",
    "backoffice",
];
/// A PKCE verifier for the helpers below; its S256 challenge goes into [`authorize_url`].
pub const VERIFIER: &str = "support-verifier-that-is-long-enough-for-rfc-7636-0123456";

pub struct App {
    pub issuer: String,
    pub provider: Provider,
    pub table: Arc<dyn Table>,
    pub dir: tempfile::TempDir,
}

pub async fn spawn_app() -> App {
    spawn_app_with(|config| config).await
}

/// `spawn_app` with the provider's configuration adjusted first.
pub async fn spawn_app_with(configure: impl FnOnce(IdpConfig) -> IdpConfig) -> App {
    let dir = tempfile::tempdir().expect("temp data folder");
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let ids: Arc<dyn IdGenerator> = Arc::new(UuidV7Ids);
    let table: Arc<dyn Table> = Arc::new(
        SqliteTable::open(&dir.path().join("varoskapu.sqlite"), clock.clone()).expect("table"),
    );
    let key_dir = dir.path().join("idp");
    std::fs::create_dir_all(&key_dir).expect("key folder");
    std::fs::write(key_dir.join("signing-keys.json"), key_file()).expect("key file");
    let keys = Arc::new(FileKeyStore::open(&key_dir).expect("keys"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let issuer = format!("http://{}", listener.local_addr().expect("addr"));
    let outbox = Arc::new(varoskapu_core::notify::OutboxNotifier::new(
        table.clone(),
        clock.clone(),
        ids.clone(),
    ));
    let accounts = Accounts::new(
        table.clone(),
        clock.clone(),
        ids,
        outbox,
        AccountsConfig::new(issuer.clone()),
    );
    let provider = Provider::new(
        table.clone(),
        clock,
        keys,
        accounts.clone(),
        configure(IdpConfig::new(issuer.clone())),
    );
    provider
        .clients
        .register(NewClient {
            name: "Iskolai étkezés".into(),
            client_id: Some(CLIENT_ID.into()),
            secret: Some(CLIENT_SECRET.into()),
            redirect_uris: vec![REDIRECT_URI.into()],
            post_logout_redirect_uris: vec![POST_LOGOUT_URI.into()],
            first_party: true,
            scopes: CLIENT_SCOPES.map(str::to_owned).to_vec(),
            ..NewClient::default()
        })
        .await
        .expect("client");
    provider
        .clients
        .register(NewClient {
            name: "Parkolási engedély".into(),
            client_id: Some(SECOND_CLIENT_ID.into()),
            redirect_uris: vec![SECOND_REDIRECT_URI.into()],
            public: true,
            first_party: true,
            ..NewClient::default()
        })
        .await
        .expect("public client");
    accounts
        .create(NewAccount {
            email: EMAIL.into(),
            password: PASSWORD.into(),
            name: "Kovács Anna".into(),
            roles: vec![Role::Citizen],
        })
        .await
        .expect("citizen");
    let app = varoskapu_idp::router(provider.clone());
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .expect("serves");
    });
    App {
        issuer,
        provider,
        table,
        dir,
    }
}

/// One key file per test binary, copied into each app's data folder: generating its RSA keys
/// takes a while, and no test depends on apps having different keys.
fn key_file() -> &'static [u8] {
    static FILE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    FILE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp key folder");
        FileKeyStore::open(dir.path()).expect("keys");
        std::fs::read(dir.path().join("signing-keys.json")).expect("key file")
    })
}

/// A browser that keeps cookies and never follows redirects, so tests see each hop.
pub struct Browser {
    pub http: reqwest::Client,
    pub cookies: HashMap<String, String>,
}

/// What a page or hop answered.
pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

impl Browser {
    pub fn new() -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            cookies: HashMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn answer(&mut self, response: reqwest::Response) -> Answer {
        for value in response.headers().get_all("set-cookie") {
            let text = value.to_str().expect("ascii cookie");
            let pair = text.split(';').next().expect("pair");
            if let Some((k, v)) = pair.split_once('=') {
                if v.is_empty() {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_owned(), v.to_owned());
                }
            }
        }
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .map(|v| v.to_str().expect("ascii").to_owned());
        Answer {
            status,
            location,
            body: response.text().await.expect("body"),
        }
    }

    pub async fn get(&mut self, url: &str) -> Answer {
        let response = self
            .http
            .get(url)
            .header("cookie", self.cookie_header())
            .send()
            .await
            .expect("GET");
        self.answer(response).await
    }

    pub async fn post_form(&mut self, url: &str, form: &[(&str, &str)]) -> Answer {
        let response = self
            .http
            .post(url)
            .header("cookie", self.cookie_header())
            .form(form)
            .send()
            .await
            .expect("POST");
        self.answer(response).await
    }

    /// Submits the login page's form with these credentials.
    pub async fn submit_login(
        &mut self,
        issuer: &str,
        page: &str,
        email: &str,
        password: &str,
    ) -> Answer {
        let request_id = hidden(page, "request_id");
        let csrf = hidden(page, "csrf");
        self.post_form(
            &format!("{issuer}/oauth2/login"),
            &[
                ("request_id", &request_id),
                ("csrf", &csrf),
                ("email", email),
                ("password", password),
            ],
        )
        .await
    }
}

/// The value of a hidden form field on a page.
pub fn hidden(page: &str, name: &str) -> String {
    let marker = format!(r#"name="{name}" value=""#);
    let start = page.find(&marker).expect("field on page") + marker.len();
    let end = page[start..].find('"').expect("end of value") + start;
    page[start..end].to_owned()
}

/// A query parameter of a redirect location.
pub fn query_param(location: &str, name: &str) -> Option<String> {
    url::Url::parse(location)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

pub fn enc(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// An authorization URL with PKCE (the S256 of [`VERIFIER`]), state and nonce; `extra` is
/// appended as it is (`&prompt=none`).
pub fn authorize_url(
    app: &App,
    client_id: &str,
    redirect: &str,
    scope: &str,
    extra: &str,
) -> String {
    format!(
        "{}/oauth2/authorize?response_type=code&client_id={client_id}&redirect_uri={}&scope={}&state=st&nonce=nn&code_challenge={}&code_challenge_method=S256{extra}",
        app.issuer,
        enc(redirect),
        enc(scope),
        varoskapu_idp::pkce::s256(VERIFIER)
    )
}

/// Opens an authorization URL, signs in as the citizen if the login page comes, and returns
/// the code from the redirect.
pub async fn code_from(app: &App, browser: &mut Browser, url: &str) -> String {
    let mut hop = browser.get(url).await;
    if hop.status == 200 && hop.body.contains(r#"name="password""#) {
        hop = browser
            .submit_login(&app.issuer, &hop.body, EMAIL, PASSWORD)
            .await;
    }
    assert_eq!(hop.status, 303, "redirect back: {}", hop.body);
    let location = hop.location.expect("location");
    query_param(&location, "code").unwrap_or_else(|| panic!("no code in {location}"))
}

/// A POST to one of the provider's endpoints as a client (`secret: None` for a public one).
pub async fn client_post(
    app: &App,
    path: &str,
    client: (&str, Option<&str>),
    form: &[(&str, &str)],
) -> (u16, serde_json::Value) {
    let (id, secret) = client;
    let request = reqwest::Client::new().post(format!("{}{path}", app.issuer));
    let request = match secret {
        Some(secret) => request.basic_auth(id, Some(secret)),
        None => request,
    };
    let mut form = form.to_vec();
    if secret.is_none() {
        form.push(("client_id", id));
    }
    let response = request.form(&form).send().await.expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
    )
}

/// The seeded confidential client, for [`client_post`].
pub const MEALS: (&str, Option<&str>) = (CLIENT_ID, Some(CLIENT_SECRET));

/// Redeems a code (with [`VERIFIER`]) for the seeded confidential client.
pub async fn redeem(app: &App, code: &str, extra: &[(&str, &str)]) -> (u16, serde_json::Value) {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", VERIFIER),
    ];
    form.extend_from_slice(extra);
    client_post(app, "/oauth2/token", MEALS, &form).await
}

/// Signs the citizen in to the seeded client with these scopes and returns its tokens.
pub async fn tokens_for(app: &App, browser: &mut Browser, scope: &str) -> serde_json::Value {
    let code = code_from(
        app,
        browser,
        &authorize_url(app, CLIENT_ID, REDIRECT_URI, scope, ""),
    )
    .await;
    let (status, tokens) = redeem(app, &code, &[]).await;
    assert_eq!(status, 200, "{tokens}");
    tokens
}

/// The verified header and claims of a token the provider signed with ES256.
pub async fn verified(app: &App, token: &str) -> (varoskapu_jose::JwsHeader, serde_json::Value) {
    let jwks = app.provider.jwks().await.expect("jwks");
    varoskapu_jose::verify_es256(token, &jwks).expect("verifies")
}

/// `tokens[name]` as a string.
pub fn field<'a>(tokens: &'a serde_json::Value, name: &str) -> &'a str {
    tokens[name]
        .as_str()
        .unwrap_or_else(|| panic!("no {name} in {tokens}"))
}

/// The status and `WWW-Authenticate` of a UserInfo request with this bearer token.
pub async fn userinfo_with(
    app: &App,
    token: Option<&str>,
) -> (u16, Option<String>, serde_json::Value) {
    let request = reqwest::Client::new().get(format!("{}/oauth2/userinfo", app.issuer));
    let request = match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    };
    let response = request.send().await.expect("userinfo");
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().expect("ascii").to_owned());
    let text = response.text().await.expect("body");
    (
        status,
        challenge,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
    )
}

/// A partner that receives back-channel logout tokens; returns its URL and the tokens.
pub async fn backchannel_receiver() -> (String, tokio::sync::mpsc::Receiver<String>) {
    let (tx, rx) = tokio::sync::mpsc::channel::<String>(8);
    let partner = axum::Router::new().route(
        "/backchannel",
        axum::routing::post(
            move |axum::Form(form): axum::Form<HashMap<String, String>>| {
                let tx = tx.clone();
                async move {
                    let _ = tx
                        .send(form.get("logout_token").cloned().unwrap_or_default())
                        .await;
                    "ok"
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, partner).await });
    (format!("http://{addr}/backchannel"), rx)
}

/// The seeded citizen's account id.
pub async fn citizen_id(app: &App) -> uuid::Uuid {
    app.provider
        .accounts
        .find_by_email(EMAIL)
        .await
        .expect("reads")
        .expect("the seeded citizen")
        .id
}
