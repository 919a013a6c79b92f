//! Render + sign + timestamp per document: median, p99 and peak memory.
//!
//! `cargo bench -p varoskapu-documents --bench issue` (set `ISSUE_BENCH_N` to change the
//! number of documents; default 300). Uses the embedded signer and the in-process TSA.

use std::sync::Arc;
use std::time::{Duration, Instant};

use varoskapu_core::{Clock, SystemClock};
use varoskapu_documents::render::Municipality;
use varoskapu_documents::sample::sample_request;
use varoskapu_documents::{LocalKeys, render_and_sign};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// Peak resident set size of this process (Linux `VmHWM`), in KiB.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `cargo bench` passes `--bench`; any other filter argument is ignored.
    let n: usize = std::env::var("ISSUE_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let keys = LocalKeys::generate(clock.now())?;
    let signer = keys.signer()?;
    let tsa = keys.tsa(clock.clone());
    let municipality = Municipality::demo();
    let request = sample_request();
    let rss_before = peak_rss_kib();

    let mut times = Vec::with_capacity(n);
    let mut size = 0;
    for i in 0..n + 10 {
        let start = Instant::now();
        let document = runtime.block_on(render_and_sign(
            &municipality,
            &request,
            &signer,
            &tsa,
            clock.now(),
        ))?;
        let elapsed = start.elapsed();
        size = document.pdf.len();
        if i >= 10 {
            times.push(elapsed);
        }
    }
    times.sort_unstable();
    let mean = times.iter().sum::<Duration>() / n as u32;
    println!("issue (render + sign + timestamp), {n} documents of {size} bytes:");
    println!(
        "  median {:.2} ms   p99 {:.2} ms   mean {:.2} ms   min {:.2} ms   max {:.2} ms",
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3,
        mean.as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3,
    );
    match (rss_before, peak_rss_kib()) {
        (Some(before), Some(after)) => println!(
            "  peak RSS {:.1} MiB (before the first document: {:.1} MiB)",
            after as f64 / 1024.0,
            before as f64 / 1024.0
        ),
        _ => println!("  peak RSS unavailable (no /proc/self/status)"),
    }
    Ok(())
}
