//! Loopback throughput of the provider: the token endpoint (`client_credentials`) and
//! UserInfo, served by the real router over SQLite in a temp folder.
//!
//! `cargo bench -p varoskapu-idp --bench loopback` prints requests/s and latency
//! percentiles. Each run is bounded: a fixed number of requests and at most 30 s per case.

#[path = "../tests/it/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};
use support::*;

const REQUESTS: usize = 2_000;
const CONCURRENCY: usize = 16;
const TIME_LIMIT: Duration = Duration::from_secs(30);

struct Report {
    done: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Report {
    fn print(&self, name: &str) {
        let mut l = self.latencies.clone();
        l.sort();
        let pct = |p: f64| {
            l.get(((l.len() as f64 * p).ceil() as usize).saturating_sub(1))
                .copied()
                .unwrap_or_default()
        };
        println!(
            "{name}: {} requests in {:.2} s = {:.0} req/s; p50 {:.2} ms, p99 {:.2} ms (concurrency {CONCURRENCY})",
            self.done,
            self.elapsed.as_secs_f64(),
            self.done as f64 / self.elapsed.as_secs_f64(),
            pct(0.50).as_secs_f64() * 1e3,
            pct(0.99).as_secs_f64() * 1e3,
        );
    }
}

/// Runs `request` REQUESTS times over CONCURRENCY workers, each call timed.
async fn run<F, Fut>(request: F) -> Report
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let request = Arc::new(request);
    let started = Instant::now();
    let mut workers = Vec::new();
    for w in 0..CONCURRENCY {
        let request = request.clone();
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut i = w;
            while i < REQUESTS && started.elapsed() < TIME_LIMIT {
                let t = Instant::now();
                assert!(request().await, "request failed");
                latencies.push(t.elapsed());
                i += CONCURRENCY;
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.await.expect("worker"));
    }
    Report {
        done: latencies.len(),
        elapsed: started.elapsed(),
        latencies,
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let app = spawn_app().await;
        let http = reqwest::Client::new();

        let token_url = format!("{}/oauth2/token", app.issuer);
        let client = http.clone();
        let report = run(move || {
            let client = client.clone();
            let url = token_url.clone();
            async move {
                client
                    .post(&url)
                    .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
                    .form(&[("grant_type", "client_credentials")])
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success())
            }
        })
        .await;
        report.print("token endpoint (client_credentials)");

        let access = person_access_token(&app).await;
        let userinfo_url = format!("{}/oauth2/userinfo", app.issuer);
        let client = http.clone();
        let report = run(move || {
            let client = client.clone();
            let url = userinfo_url.clone();
            let access = access.clone();
            async move {
                client
                    .get(&url)
                    .bearer_auth(&access)
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success())
            }
        })
        .await;
        report.print("userinfo");
    });
}

/// Signs the seeded citizen in through the pages and returns an access token.
async fn person_access_token(app: &App) -> String {
    let verifier = "bench-verifier-that-is-long-enough-for-rfc-7636-0123456789";
    let url = format!(
        "{}/oauth2/authorize?response_type=code&client_id={CLIENT_ID}&redirect_uri={}&scope=openid%20profile%20email&code_challenge={}&code_challenge_method=S256",
        app.issuer,
        url::form_urlencoded::byte_serialize(REDIRECT_URI.as_bytes()).collect::<String>(),
        varoskapu_idp::pkce::s256(verifier)
    );
    let mut browser = Browser::new();
    let page = browser.get(&url).await;
    let hop = browser
        .submit_login(&app.issuer, &page.body, EMAIL, PASSWORD)
        .await;
    let code = query_param(&hop.location.expect("location"), "code").expect("code");
    let tokens: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/oauth2/token", app.issuer))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    tokens["access_token"]
        .as_str()
        .expect("access token")
        .to_owned()
}
