//! Load on the local server over loopback: slot searches and bookings per second, with
//! p50/p99 latency. It starts the real local server (`varoskapu_local::serve`, embedded
//! SQLite in a fresh data folder), signs access tokens with the server's own provider key,
//! and drives it with concurrent HTTP clients.
//!
//! `cargo bench -p varoskapu-tests --bench appointments`
//! (`BENCH_CONCURRENCY`, `BENCH_SEARCHES` and `BENCH_BOOKINGS` override the defaults.)

use futures::future::join_all;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use varoskapu_book_appointment::demo::{
    ADDRESS_CARD_SERVICE_ID, CONTRACT_SERVICE_ID, PHOTO_SERVICE_ID,
};

#[path = "../tests/e2e/local_server/local_token.rs"]
mod local_token;

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Report {
    name: &'static str,
    latencies: Vec<Duration>,
    elapsed: Duration,
    failures: usize,
}

impl Report {
    fn print(mut self) {
        self.latencies.sort();
        let pick = |q: f64| {
            let i = ((self.latencies.len() as f64 - 1.0) * q).round() as usize;
            self.latencies.get(i).copied().unwrap_or_default()
        };
        println!(
            "{:<12} {:>6} requests  {:>8.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  failures {}",
            self.name,
            self.latencies.len(),
            self.latencies.len() as f64 / self.elapsed.as_secs_f64(),
            pick(0.50).as_secs_f64() * 1e3,
            pick(0.99).as_secs_f64() * 1e3,
            self.failures,
        );
    }
}

/// Runs `jobs` requests with `concurrency` workers taking the next job in turn.
async fn drive<F, Fut>(name: &'static str, jobs: usize, concurrency: usize, request: F) -> Report
where
    F: Fn(usize) -> Fut + Sync,
    Fut: Future<Output = bool>,
{
    let next = AtomicUsize::new(0);
    let failures = AtomicUsize::new(0);
    let started = Instant::now();
    let workers = (0..concurrency).map(|_| async {
        let mut latencies = Vec::new();
        loop {
            let job = next.fetch_add(1, Ordering::Relaxed);
            if job >= jobs {
                return latencies;
            }
            let t = Instant::now();
            if !request(job).await {
                failures.fetch_add(1, Ordering::Relaxed);
            }
            latencies.push(t.elapsed());
        }
    });
    let latencies = join_all(workers).await.into_iter().flatten().collect();
    Report {
        name,
        latencies,
        elapsed: started.elapsed(),
        failures: failures.into_inner(),
    }
}

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let concurrency = setting("BENCH_CONCURRENCY", 16);
    let searches = setting("BENCH_SEARCHES", 3000);
    let bookings = setting("BENCH_BOOKINGS", 1500);
    let dir = tempfile::tempdir()?;
    let server = varoskapu_local::serve(varoskapu_local::ServeConfig {
        data_dir: dir.path().to_owned(),
        addr: "127.0.0.1:0".parse()?,
    })
    .await?;
    let base = server.url();
    let key = local_token::provider_key(dir.path()).await?;
    let token = |sub: &str| local_token::access_token(&key, &base, sub, &["citizen"]);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency * 2)
        .build()?;
    let today = jiff::Zoned::now().date();
    let day = |n: i64| {
        today
            .checked_add(jiff::Span::new().days(n))
            .unwrap_or(today)
    };
    println!("local server {base}, {concurrency} concurrent clients");

    // Slot search: a week of the photo service, from a different day each time.
    let search = drive("slot search", searches, concurrency, |i| {
        let url = format!(
            "{base}/appointments/services/{PHOTO_SERVICE_ID}/slots?from={}&to={}&limit=50",
            day(1 + (i % 30) as i64),
            day(7 + (i % 30) as i64)
        );
        let http = &http;
        async move { http.get(url).send().await.is_ok_and(|r| r.status() == 200) }
    })
    .await;

    // Booking: every request takes a different free slot for a different citizen.
    let mut free: Vec<(String, String)> = Vec::new();
    for service in [
        PHOTO_SERVICE_ID,
        CONTRACT_SERVICE_ID,
        ADDRESS_CARD_SERVICE_ID,
    ] {
        for week in 0..12 {
            let url = format!(
                "{base}/appointments/services/{service}/slots?from={}&to={}&limit=200",
                day(1 + week * 7),
                day(7 + week * 7)
            );
            let mut cursor: Option<String> = None;
            loop {
                let page_url = match &cursor {
                    Some(c) => format!("{url}&cursor={c}"),
                    None => url.clone(),
                };
                let page: Value = http.get(page_url).send().await?.json().await?;
                for slot in page["items"].as_array().into_iter().flatten() {
                    for _ in 0..slot["remaining"].as_u64().unwrap_or(0) {
                        free.push((
                            service.to_owned(),
                            slot["start"].as_str().unwrap_or_default().to_owned(),
                        ));
                    }
                }
                match page["next_cursor"].as_str() {
                    Some(c) => cursor = Some(c.to_owned()),
                    None => break,
                }
            }
        }
    }
    let bookings = bookings.min(free.len());
    let tokens: Arc<Vec<String>> = Arc::new(
        (0..bookings)
            .map(|i| token(&format!("0190c7e0-0000-7000-8000-{i:012}")))
            .collect(),
    );
    let book = drive("booking", bookings, concurrency, |i| {
        let (service, start) = free[i].clone();
        let url = format!("{base}/appointments/bookings");
        let (http, tokens) = (&http, tokens.clone());
        async move {
            http.post(url)
                .bearer_auth(&tokens[i])
                .header("Idempotency-Key", format!("bench-{i}"))
                .json(&json!({ "service_id": service, "start": start }))
                .send()
                .await
                .is_ok_and(|r| r.status() == 201)
        }
    })
    .await;
    search.print();
    book.print();
    server.stop().await?;
    Ok(())
}
