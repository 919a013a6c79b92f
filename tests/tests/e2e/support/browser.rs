//! Headless Chromium for the end-to-end tests, driven over the W3C WebDriver protocol of
//! Debian's chromedriver, and the axe-core accessibility check run inside its pages.

use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// chromedriver on a free loopback port, stopped when dropped.
pub struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

pub async fn start_driver() -> Driver {
    let port = free_port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts (Debian package chromium-driver)");
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if reqwest::get(format!("{}/status", driver.url)).await.is_ok() {
            return driver;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not answer");
}

/// One WebDriver session of headless Chromium.
pub struct Browser {
    http: reqwest::Client,
    base: String,
}

impl Browser {
    pub async fn open(driver: &Driver) -> Self {
        let http = reqwest::Client::new();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
            }
        }}});
        let session: Value = http
            .post(format!("{}/session", driver.url))
            .json(&caps)
            .send()
            .await
            .expect("new session")
            .json()
            .await
            .expect("json");
        let id = session["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {session}"))
            .to_owned();
        Self {
            http,
            base: format!("{}/session/{id}", driver.url),
        }
    }

    pub async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        // chromedriver refuses a JSON `null` body on GET and DELETE.
        if !body.is_null() {
            request = request.json(&body);
        }
        let response: Value = request
            .send()
            .await
            .expect("webdriver call")
            .json()
            .await
            .expect("json");
        response["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", json!({"url": url}))
            .await;
    }

    pub async fn current_url(&self) -> String {
        let value = self.call(reqwest::Method::GET, "/url", Value::Null).await;
        value.as_str().unwrap_or_default().to_owned()
    }

    pub async fn element(&self, css: &str) -> String {
        let value = self
            .call(
                reqwest::Method::POST,
                "/element",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        value
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no element {css}: {value}"))
            .to_owned()
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/clear"),
            json!({}),
        )
        .await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            json!({"text": text}),
        )
        .await;
    }

    pub async fn click(&self, css: &str) {
        let id = self.element(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/click"),
            json!({}),
        )
        .await;
    }

    pub async fn close(self) {
        self.call(reqwest::Method::DELETE, "", Value::Null).await;
    }
}

pub async fn wait_for_url(browser: &Browser, prefix: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let url = browser.current_url().await;
        if url.starts_with(prefix) || Instant::now() > deadline {
            return url;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Where `tests/run` installs axe-core from npm (`tests/a11y/package.json`).
const AXE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/a11y/node_modules/axe-core/axe.min.js"
);

/// The WCAG 2.1 A and AA rules of axe-core; nothing is left out.
const AXE_RUN: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
  .then(r => done(JSON.stringify(r.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' + n.failureSummary)})))))
  .catch(e => done('axe failed: ' + e));
"#;

impl Browser {
    /// Runs a script in the page and returns its value.
    pub async fn execute(&self, script: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            json!({"script": script, "args": []}),
        )
        .await
    }

    /// Waits until the page shown has loaded (after a redirect chain the address changes
    /// before the new document is there; after a form is sent, the old page stays until
    /// the answer replaces it), at most ten seconds.
    pub async fn wait_loaded(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let ready = self
                .execute(
                    "return document.readyState === 'complete' && document.title !== '' && !window.__leaving;",
                )
                .await;
            if ready.as_bool() == Some(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Sends the page's first form that the server validates (`novalidate`, with fields a
    /// person types into) with every such field emptied; whether there was one. Forms of a
    /// single button (cancel, withdraw, sign out) are never sent.
    pub async fn submit_empty_form(&self) -> bool {
        let sent = self
            .execute(
                "const typed = 'input:not([type=hidden]):not([type=checkbox]):not([type=radio]):not([type=file]), textarea';\
                 const form = [...document.querySelectorAll('form[novalidate]')]\
                   .find(f => f.querySelector(typed) && !/logout|sign-out|withdraw|cancel|off/.test(f.action));\
                 if (!form) return false;\
                 form.querySelectorAll(typed).forEach(i => i.value = '');\
                 window.__leaving = true; form.requestSubmit(); return true;",
            )
            .await;
        sent.as_bool() == Some(true)
    }

    /// The page's links to its own origin (no fragments), in document order.
    pub async fn links(&self) -> Vec<String> {
        let value = self
            .execute(
                "return [...document.querySelectorAll('a[href]')]\
                 .map(a => a.href.split('#')[0])\
                 .filter(h => h.startsWith(location.origin));",
            )
            .await;
        value
            .as_array()
            .map(|links| {
                links
                    .iter()
                    .filter_map(|l| l.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Sets the window's size (for the narrow-screen check).
    pub async fn resize(&self, width: u32, height: u32) {
        self.call(
            reqwest::Method::POST,
            "/window/rect",
            json!({"width": width, "height": height}),
        )
        .await;
    }

    /// axe-core's WCAG 2.1 AA violations on the page shown, one line each (empty when
    /// clean). axe-core must be installed (`tests/run` does it with npm).
    pub async fn accessibility_violations(&self) -> Vec<String> {
        let axe = std::fs::read_to_string(AXE).unwrap_or_else(|e| {
            panic!("axe-core is not installed at {AXE} ({e}); tests/run installs it with npm ci --prefix tests/a11y")
        });
        self.execute(&format!("{axe}\nreturn typeof axe;")).await;
        let value = self
            .call(
                reqwest::Method::POST,
                "/execute/async",
                json!({"script": AXE_RUN, "args": []}),
            )
            .await;
        let text = value.as_str().unwrap_or_default();
        let violations: Vec<Value> =
            serde_json::from_str(text).unwrap_or_else(|_| panic!("axe-core did not run: {value}"));
        violations
            .iter()
            .map(|v| {
                format!(
                    "{} ({}): {} at {}",
                    v["id"].as_str().unwrap_or_default(),
                    v["impact"].as_str().unwrap_or_default(),
                    v["help"].as_str().unwrap_or_default(),
                    v["nodes"]
                )
            })
            .collect()
    }

    /// The text of the page shown, as a person reads it.
    pub async fn page_text(&self) -> String {
        self.execute("return document.body.innerText;")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The markup of the page shown.
    pub async fn page_source(&self) -> String {
        self.execute("return document.documentElement.outerHTML;")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Whether the page shown has an element matching `css`.
    pub async fn has(&self, css: &str) -> bool {
        self.execute(&format!(
            "return document.querySelector({}) !== null;",
            json!(css)
        ))
        .await
        .as_bool()
            == Some(true)
    }

    /// Clicks `css` and waits for the page the click leads to (a posted form's answer may
    /// come back at the same address, so the old document is marked and waited out).
    pub async fn click_through(&self, css: &str) {
        self.execute("window.__leaving = true; return true;").await;
        self.click(css).await;
        self.wait_loaded().await;
    }

    /// Clicks the button of the form posting to `action` and waits for the answer.
    pub async fn send(&self, action: &str) {
        self.click_through(&format!("form[action='{action}'] button[type=submit]"))
            .await;
    }

    /// Fills in the provider's login form (whichever site sent the browser there) and
    /// sends it.
    pub async fn provider_login(&self, email: &str, password: &str) {
        self.wait_loaded().await;
        self.type_into("#email", email).await;
        self.type_into("#password", password).await;
        self.click_through("button[type=submit]").await;
    }

    /// The page shown as PNG bytes (the README's screenshots).
    pub async fn screenshot(&self) -> Vec<u8> {
        use base64::Engine;
        let value = self
            .call(reqwest::Method::GET, "/screenshot", Value::Null)
            .await;
        base64::engine::general_purpose::STANDARD
            .decode(value.as_str().expect("a screenshot"))
            .expect("the screenshot is base64")
    }

    /// Whether the page is wider than the window (content cut off or scrolled sideways).
    pub async fn scrolls_sideways(&self) -> bool {
        self.execute("return document.documentElement.scrollWidth > window.innerWidth + 1;")
            .await
            .as_bool()
            .unwrap_or(true)
    }
}

/// A new Chromium session opened on `start` (a page that needs a session: the portal's or
/// the office's), signed in there through the provider's login page as `email`.
pub async fn signed_in(
    driver: &Driver,
    base: &str,
    start: &str,
    email: &str,
    password: &str,
) -> Browser {
    let browser = Browser::open(driver).await;
    browser.goto(&format!("{base}{start}")).await;
    browser.provider_login(email, password).await;
    let landed = wait_for_url(&browser, &format!("{base}{start}")).await;
    assert!(
        landed.starts_with(&format!("{base}{start}")),
        "{email} signed in at {start}: {landed}"
    );
    browser.wait_loaded().await;
    browser
}

/// Like [`signed_in`], then shown in Hungarian whatever the browser's own language (the
/// choice is kept for the session's next pages).
pub async fn signed_in_hungarian(
    driver: &Driver,
    base: &str,
    start: &str,
    email: &str,
    password: &str,
) -> Browser {
    let browser = signed_in(driver, base, start, email, password).await;
    let separator = if start.contains('?') { '&' } else { '?' };
    browser
        .goto(&format!("{base}{start}{separator}lang=hu"))
        .await;
    browser.wait_loaded().await;
    browser
}
