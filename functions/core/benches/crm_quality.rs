//! Duplicate detection at the scale of a district's records: generated people with planted
//! duplicates, `candidate_pairs` over them, and how many of the planted it found.
//!
//! `cargo bench -p varoskapu-core --bench crm_quality -- [--persons N] [--seed S]`

use std::collections::HashSet;
use std::time::{Duration, Instant};

use varoskapu_core::crm::duplicates::{DEFAULT_THRESHOLD, candidate_pairs_with_stats};
use varoskapu_core::crm::generate::generate;
use varoskapu_core::crm::quality::fold::fold;
use varoskapu_core::crm::quality::gender::infer_gender;

/// The peak resident memory of this process, from the kernel (VmHWM), in MB.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn flag(args: &[String], name: &str) -> Option<u64> {
    let at = args.iter().position(|a| a == name)?;
    match args.get(at + 1).map(|v| v.parse()) {
        Some(Ok(value)) => Some(value),
        _ => {
            eprintln!("{name} needs a whole number");
            std::process::exit(2);
        }
    }
}

/// Milliseconds per 100,000 calls.
fn per_100k(elapsed: Duration, calls: usize) -> f64 {
    elapsed.as_secs_f64() * 1000.0 * 100_000.0 / calls.max(1) as f64
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let persons = flag(&args, "--persons").unwrap_or(100_000) as usize;
    let seed = flag(&args, "--seed").unwrap_or(2026);
    let today = jiff::civil::date(2026, 12, 2);

    let started = Instant::now();
    let generated = generate(persons, seed, 0.03, today);
    let generating = started.elapsed();

    let started = Instant::now();
    let (candidates, stats) = candidate_pairs_with_stats(&generated.records, DEFAULT_THRESHOLD);
    let detecting = started.elapsed();

    let planted: HashSet<_> = generated.planted.iter().copied().collect();
    let found = candidates
        .iter()
        .filter(|c| planted.contains(&(c.a, c.b)))
        .count();
    let false_candidates = candidates.len() - found;
    let recall = 100.0 * found as f64 / planted.len().max(1) as f64;
    let false_share = 100.0 * false_candidates as f64 / candidates.len().max(1) as f64;

    let names: Vec<String> = generated
        .records
        .iter()
        .map(|r| r.identity.full_name())
        .collect();
    let started = Instant::now();
    let folded: usize = names.iter().map(|n| fold(n).len()).sum();
    let folding = started.elapsed();
    let started = Instant::now();
    let inferred = generated
        .records
        .iter()
        .filter(|r| infer_gender(&r.identity.given_name).is_some())
        .count();
    let inferring = started.elapsed();

    println!("| measure | value | target |");
    println!("| --- | ---: | --- |");
    println!("| persons | {persons} | |");
    println!("| planted pairs | {} | |", planted.len());
    println!(
        "| candidates (score ≥ {DEFAULT_THRESHOLD}) | {} | |",
        candidates.len()
    );
    println!("| planted found | {found} ({recall:.1} %) | ≥ 95 % |");
    println!("| false candidates | {false_candidates} ({false_share:.1} %) | ≤ 5 % |");
    println!("| pairs scored | {} | |", stats.pairs_scored);
    println!(
        "| blocks (split / skipped) | {} ({} / {}) | |",
        stats.blocks, stats.split_blocks, stats.skipped_blocks
    );
    println!("| generating | {:.2} s | |", generating.as_secs_f64());
    println!(
        "| candidate_pairs | {:.2} s | < 60 s |",
        detecting.as_secs_f64()
    );
    match peak_rss_mb() {
        Some(mb) => println!("| peak RSS | {mb:.0} MB | < 500 MB |"),
        None => println!("| peak RSS | unknown | < 500 MB |"),
    }
    println!(
        "| fold, per 100k names | {:.1} ms | |",
        per_100k(folding, names.len())
    );
    println!(
        "| infer_gender, per 100k names | {:.1} ms ({inferred} inferred) | |",
        per_100k(inferring, generated.records.len())
    );
    // Keeps the folding from being optimised away.
    assert!(folded > 0 || names.is_empty());
}
