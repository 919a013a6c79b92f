//! How the CRM's search index holds up at the municipality's size:
//! `cargo bench -p varoskapu-search --bench search -- [--persons N]` (default 100,000).
//!
//! Generates the persons (`crm::generate`, 3 % planted duplicates), gives about two in
//! three of them some cases, payments and bookings, rebuilds an index in a folder, and
//! prints a markdown table: rebuild time, size on disk, quick and advanced search
//! latencies (p50/p99) and the process's peak memory.

use jiff::ToSpan;
use jiff::civil::{Date, date};
use std::path::Path;
use std::time::{Duration, Instant};
use varoskapu_core::crm::generate::generate;
use varoskapu_core::crm::person::{Gender, PersonRecord};
use varoskapu_core::crm::search::{
    Activity, ConsentKind, Criteria, Criterion, PageRequest, PersonDoc, PersonIndex,
};
use varoskapu_search::TantivyIndex;

const TODAY: Date = date(2026, 6, 15);
const CASE_TYPES: &[&str] = &[
    "building_permit",
    "parking_permit",
    "tax_certificate",
    "business_licence",
    "social_aid",
];
const METHODS: &[&str] = &["card", "transfer", "cash", "terminal"];
const OFFICES: &[&str] = &["ugyfelszolgalat", "okmanyiroda", "adoiroda"];

/// A small deterministic generator (xorshift), so the runs compare.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    fn day(&mut self) -> Date {
        TODAY
            .checked_sub((self.below(3 * 365) as i64).days())
            .unwrap_or(TODAY)
    }
}

fn activity(dice: &mut Dice) -> Vec<Activity> {
    if dice.below(3) == 0 {
        return Vec::new();
    }
    (0..1 + dice.below(4))
        .map(|_| match dice.below(3) {
            0 => Activity::Case {
                case_type: dice.pick(CASE_TYPES).to_owned(),
                on: dice.day(),
            },
            1 => Activity::Payment {
                method: dice.pick(METHODS).to_owned(),
                on: dice.day(),
            },
            _ => Activity::Booking {
                office: dice.pick(OFFICES).to_owned(),
                on: dice.day(),
            },
        })
        .collect()
}

/// A Hungarian word without its accents, as people type when in a hurry.
fn unaccented(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'á' => 'a',
            'é' => 'e',
            'í' => 'i',
            'ó' | 'ö' | 'ő' => 'o',
            'ú' | 'ü' | 'ű' => 'u',
            'Á' => 'A',
            'É' => 'E',
            'Í' => 'I',
            'Ó' | 'Ö' | 'Ő' => 'O',
            'Ú' | 'Ü' | 'Ű' => 'U',
            c => c,
        })
        .collect()
}

/// Two neighbouring letters swapped, somewhere after the first.
fn typo(word: &str, dice: &mut Dice) -> String {
    let mut chars: Vec<char> = word.chars().collect();
    if chars.len() >= 5 {
        let at = 1 + dice.below(chars.len() - 2);
        chars.swap(at, at + 1);
    }
    chars.into_iter().collect()
}

/// `+36301234567` as `06 30 123 4567`.
fn domestic(e164: &str) -> String {
    let national = e164.trim_start_matches("+36");
    let (area, rest) = if national.starts_with('1') {
        national.split_at(1)
    } else {
        national.split_at(2.min(national.len()))
    };
    let (a, b) = rest.split_at(3.min(rest.len()));
    format!("06 {area} {a} {b}")
}

fn quick_queries(records: &[PersonRecord], dice: &mut Dice, n: usize) -> Vec<String> {
    let mut queries = Vec::with_capacity(n);
    while queries.len() < n {
        let r = &records[dice.below(records.len())];
        let (family, given) = (&r.identity.family_name, &r.identity.given_name);
        let first_given = given.split_whitespace().next().unwrap_or(given);
        let query = match queries.len() % 6 {
            0 => unaccented(&format!("{family} {given}")).to_lowercase(),
            1 => format!("{} {first_given}", typo(family, dice)),
            2 => format!(
                "{family} {}",
                first_given.chars().take(3).collect::<String>()
            ),
            3 => match r.phones.first() {
                Some(phone) => domestic(&phone.number),
                None => continue,
            },
            4 => match r.emails.first() {
                Some(email) => email.address.clone(),
                None => continue,
            },
            _ => match r.addresses.first() {
                Some(a) => format!("{} {}", a.street, a.number),
                None => continue,
            },
        };
        queries.push(query);
    }
    queries
}

fn advanced_queries(records: &[PersonRecord], dice: &mut Dice, n: usize) -> Vec<Criteria> {
    (0..n)
        .map(|_| {
            let r = &records[dice.below(records.len())];
            let postcode = r
                .addresses
                .first()
                .map_or("1122".to_owned(), |a| a.postcode.clone());
            let min = 18 + dice.below(40) as u32;
            let criteria = Criteria::All(vec![
                Criteria::Is(Criterion::Age {
                    min: Some(min),
                    max: Some(min + 20),
                }),
                Criteria::Is(Criterion::Gender {
                    value: if dice.below(2) == 0 {
                        Gender::Female
                    } else {
                        Gender::Male
                    },
                }),
                Criteria::Any(vec![
                    Criteria::Is(Criterion::Postcode { value: postcode }),
                    Criteria::Is(Criterion::HadCase {
                        case_type: dice.pick(CASE_TYPES).to_owned(),
                        from: Some(TODAY.checked_sub(365.days()).unwrap_or(TODAY)),
                        to: None,
                    }),
                ]),
                Criteria::Not(Box::new(Criteria::Is(Criterion::Consent {
                    value: ConsentKind::Newsletter,
                }))),
            ]);
            debug_assert_eq!(criteria.conditions(), 5);
            criteria
        })
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn folder_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn persons_arg() -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--persons")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.replace('_', "").parse().ok())
        .unwrap_or(100_000)
}

fn main() {
    let persons = persons_arg();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(persons));
}

async fn run(persons: usize) {
    let generated = generate(persons, 20_260_615, 0.03, TODAY);
    let mut dice = Dice(0x9E37_79B9_7F4A_7C15);
    let docs: Vec<PersonDoc> = generated
        .records
        .iter()
        .map(|r| PersonDoc::from_record(r, activity(&mut dice)))
        .collect();
    let dir = tempfile::tempdir().expect("temp dir");
    let index = TantivyIndex::open_in(dir.path()).expect("index");

    let started = Instant::now();
    index.rebuild(docs).await.expect("rebuild");
    let rebuild = started.elapsed();
    // Let background merges settle before measuring the folder.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let size_mb = folder_size(dir.path()) as f64 / 1_048_576.0;
    let size_per_100k = size_mb * 100_000.0 / persons as f64;

    let mut quick = Vec::new();
    let mut quick_found = 0;
    for text in quick_queries(&generated.records, &mut dice, 1_000) {
        let started = Instant::now();
        let page = index
            .quick(&text, PageRequest::default())
            .await
            .expect("quick");
        quick.push(started.elapsed());
        quick_found += usize::from(page.total > 0);
    }
    quick.sort();

    let mut advanced = Vec::new();
    let mut advanced_total = 0;
    for criteria in advanced_queries(&generated.records, &mut dice, 200) {
        let started = Instant::now();
        let page = index
            .advanced(&criteria, TODAY, PageRequest::default())
            .await
            .expect("advanced");
        advanced.push(started.elapsed());
        advanced_total += page.total;
    }
    advanced.sort();

    println!("\nCRM search index, {persons} persons (tantivy, in a folder)\n");
    println!("| measure | result | target |");
    println!("|---|---|---|");
    println!("| full rebuild | {:.2} s | < 30 s |", rebuild.as_secs_f64());
    println!("| index size on disk per 100k persons | {size_per_100k:.1} MB | |");
    println!(
        "| quick search p50 / p99 (1,000 mixed queries, {quick_found} found someone) | {} / {} | p99 < 20 ms |",
        ms(percentile(&quick, 0.5)),
        ms(percentile(&quick, 0.99))
    );
    println!(
        "| advanced search, 5 conditions, p50 / p99 (200 queries, {} matches on average) | {} / {} | p99 < 200 ms |",
        advanced_total / advanced.len().max(1),
        ms(percentile(&advanced, 0.5)),
        ms(percentile(&advanced, 0.99))
    );
    println!("| peak RSS (VmHWM) | {:.0} MB | < 500 MB |", peak_rss_mb());
    println!(
        "| persons in the index | {} | |",
        index.len().await.expect("len")
    );
}
