//! Duplicate detection: which person records are probably the same person, for a clerk to
//! merge. Records are grouped into blocks by keys a duplicate is likely to share, only pairs
//! within a block are compared, and each pair is scored on its names and exact matches.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::crm::person::{PersonId, PersonRecord};
use crate::crm::quality::fold::fold_name;
use crate::crm::quality::phone::normalise_phone;

/// Two records that are probably the same person, the smaller id first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub a: PersonId,
    pub b: PersonId,
    /// 0..1; pairs at or above the threshold are candidates.
    pub score: f64,
    pub reasons: Vec<MatchReason>,
}

/// What the two records of a candidate have in common, for the clerk deciding the merge.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchReason {
    SameEmail,
    SamePhone,
    SameCard,
    SameBirthDate,
    /// The Jaro–Winkler similarity of the folded full names.
    SimilarName(f64),
    SameBirthName,
    SamePostcode,
    SameMother,
}

/// The score from which a pair is shown as a probable duplicate.
pub const DEFAULT_THRESHOLD: f64 = 0.7;

/// Blocks larger than this are split by birth year, and skipped if still larger: a key that
/// many records share (a company's switchboard, a very common name) tells little.
pub const MAX_BLOCK: usize = 50;

/// How the blocking went, for the log and the benchmark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BlockingStats {
    pub records: usize,
    pub blocks: usize,
    /// Blocks larger than [`MAX_BLOCK`] that were split by birth year.
    pub split_blocks: usize,
    /// Blocks (or parts of split ones) still larger than [`MAX_BLOCK`], left out.
    pub skipped_blocks: usize,
    /// Distinct pairs compared.
    pub pairs_scored: usize,
}

/// The comparable form of one record, computed once.
struct Prepared {
    id: PersonId,
    family: String,
    first_given: String,
    full: String,
    birth: Option<Date>,
    postcodes: Vec<String>,
    emails: Vec<String>,
    phones: Vec<String>,
    card: Option<String>,
    mother: Option<String>,
    birth_name: Option<String>,
}

impl Prepared {
    fn new(record: &PersonRecord) -> Prepared {
        let identity = &record.identity;
        let family = fold_name(&identity.family_name);
        let given = fold_name(&identity.given_name);
        let first_given = given.split(' ').next().unwrap_or("").to_owned();
        let full = match (family.is_empty(), given.is_empty()) {
            (false, false) => format!("{family} {given}"),
            _ => format!("{family}{given}"),
        };
        let mut postcodes: Vec<String> = record
            .addresses
            .iter()
            .map(|a| a.postcode.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect();
        postcodes.sort();
        postcodes.dedup();
        let mut emails: Vec<String> = record
            .emails
            .iter()
            .map(|e| e.address.trim().to_lowercase())
            .filter(|e| !e.is_empty())
            .collect();
        emails.sort();
        emails.dedup();
        let mut phones: Vec<String> = record
            .phones
            .iter()
            .map(|p| phone_key(&p.number))
            .filter(|p| !p.is_empty())
            .collect();
        phones.sort();
        phones.dedup();
        let card = record
            .card_number
            .as_deref()
            .map(|c| {
                c.chars()
                    .filter(char::is_ascii_alphanumeric)
                    .collect::<String>()
                    .to_ascii_uppercase()
            })
            .filter(|c| !c.is_empty());
        let non_empty = |s: String| (!s.is_empty()).then_some(s);
        Prepared {
            id: record.id,
            family,
            first_given,
            full,
            birth: identity.birth_date,
            postcodes,
            emails,
            phones,
            card,
            mother: identity
                .mother_birth_name
                .as_deref()
                .map(fold_name)
                .and_then(non_empty),
            birth_name: identity
                .birth_name
                .as_deref()
                .map(fold_name)
                .and_then(non_empty),
        }
    }
}

/// The number in E.164 however it was typed; digits only when it is no valid number.
fn phone_key(number: &str) -> String {
    let number = number.trim();
    let already = number.len() > 4
        && number.starts_with('+')
        && number[1..].bytes().all(|b| b.is_ascii_digit());
    if already {
        return number.to_owned();
    }
    normalise_phone(number)
        .unwrap_or_else(|_| number.chars().filter(char::is_ascii_digit).collect())
}

fn key(parts: &[&str]) -> u64 {
    let mut hasher = DefaultHasher::new();
    parts.hash(&mut hasher);
    hasher.finish()
}

/// The blocks one record falls into.
fn block_keys(p: &Prepared, out: &mut Vec<u64>) {
    out.clear();
    let birth = p.birth.map(|d| d.to_string());
    if let Some(birth) = &birth {
        for postcode in &p.postcodes {
            out.push(key(&["birth+postcode", birth, postcode]));
        }
        if !p.first_given.is_empty() {
            out.push(key(&["birth+given", birth, &p.first_given]));
        }
        if !p.family.is_empty() {
            out.push(key(&["birth+family", birth, &p.family]));
        }
    }
    if !p.family.is_empty() && !p.first_given.is_empty() {
        out.push(key(&["name", &p.family, &p.first_given]));
    }
    for email in &p.emails {
        out.push(key(&["email", email]));
    }
    for phone in &p.phones {
        out.push(key(&["phone", phone]));
    }
    if let Some(card) = &p.card {
        out.push(key(&["card", card]));
    }
}

/// The probable duplicates among `records` scoring at least `threshold`, best first (then by
/// ids); merged records are left out.
pub fn candidate_pairs(records: &[PersonRecord], threshold: f64) -> Vec<Candidate> {
    candidate_pairs_with_stats(records, threshold).0
}

/// [`candidate_pairs`] with how the blocking went.
pub fn candidate_pairs_with_stats(
    records: &[PersonRecord],
    threshold: f64,
) -> (Vec<Candidate>, BlockingStats) {
    let prepared: Vec<Prepared> = records
        .iter()
        .filter(|r| r.merged_into.is_none())
        .map(Prepared::new)
        .collect();
    let mut stats = BlockingStats {
        records: prepared.len(),
        ..BlockingStats::default()
    };
    // (block key, record) sorted by key: each run of one key is a block.
    let mut entries: Vec<(u64, u32)> = Vec::with_capacity(prepared.len() * 6);
    let mut keys = Vec::new();
    for (i, p) in prepared.iter().enumerate() {
        block_keys(p, &mut keys);
        keys.sort_unstable();
        keys.dedup();
        entries.extend(keys.iter().map(|&k| (k, i as u32)));
    }
    entries.sort_unstable();
    let push_pairs = |members: &[u32], pairs: &mut Vec<(u32, u32)>| {
        for (n, &x) in members.iter().enumerate() {
            for &y in &members[n + 1..] {
                pairs.push((x.min(y), x.max(y)));
            }
        }
    };
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    let mut members: Vec<u32> = Vec::new();
    for block in entries.chunk_by(|x, y| x.0 == y.0) {
        stats.blocks += 1;
        if block.len() < 2 {
            continue;
        }
        members.clear();
        members.extend(block.iter().map(|&(_, m)| m));
        if members.len() <= MAX_BLOCK {
            push_pairs(&members, &mut pairs);
            continue;
        }
        stats.split_blocks += 1;
        let mut by_year: HashMap<Option<i16>, Vec<u32>> = HashMap::new();
        for &m in &members {
            let year = prepared[m as usize].birth.map(|d| d.year());
            by_year.entry(year).or_default().push(m);
        }
        for part in by_year.values() {
            if part.len() > MAX_BLOCK {
                stats.skipped_blocks += 1;
            } else {
                push_pairs(part, &mut pairs);
            }
        }
    }
    drop(entries);
    pairs.sort_unstable();
    pairs.dedup();
    stats.pairs_scored = pairs.len();
    if stats.skipped_blocks > 0 {
        tracing::info!(
            skipped = stats.skipped_blocks,
            "duplicate detection left out blocks too large to compare"
        );
    }
    let mut candidates: Vec<Candidate> = pairs
        .into_iter()
        .map(|(x, y)| compare(&prepared[x as usize], &prepared[y as usize]))
        .filter(|c| c.score >= threshold)
        .collect();
    candidates.sort_by(|x, y| {
        y.score
            .total_cmp(&x.score)
            .then_with(|| x.a.cmp(&y.a))
            .then_with(|| x.b.cmp(&y.b))
    });
    (candidates, stats)
}

/// One pair scored again (after an edit, before a merge): the candidate when it reaches
/// [`DEFAULT_THRESHOLD`], `None` otherwise or when the two are one record or one is merged.
pub fn score_pair(a: &PersonRecord, b: &PersonRecord) -> Option<Candidate> {
    if a.id == b.id || a.merged_into.is_some() || b.merged_into.is_some() {
        return None;
    }
    let candidate = compare(&Prepared::new(a), &Prepared::new(b));
    (candidate.score >= DEFAULT_THRESHOLD).then_some(candidate)
}

fn shares(x: &[String], y: &[String]) -> bool {
    x.iter().any(|v| y.contains(v))
}

/// The score: half of it from the names' similarity (nothing below 0.75 Jaro–Winkler),
/// the rest from exact matches; a differing birth date or mother's name counts against.
fn compare(x: &Prepared, y: &Prepared) -> Candidate {
    let mut reasons = Vec::new();
    let similarity = strsim::jaro_winkler(&x.full, &y.full);
    let mut score = ((similarity - 0.75) / 0.25).clamp(0.0, 1.0) * 0.5;
    if similarity >= 0.85 {
        reasons.push(MatchReason::SimilarName(
            (similarity * 1000.0).round() / 1000.0,
        ));
    }
    match (x.birth, y.birth) {
        (Some(bx), Some(by)) if bx == by => {
            score += 0.35;
            reasons.push(MatchReason::SameBirthDate);
        }
        (Some(_), Some(_)) => score -= 0.3,
        _ => {}
    }
    if shares(&x.emails, &y.emails) {
        score += 0.3;
        reasons.push(MatchReason::SameEmail);
    }
    if shares(&x.phones, &y.phones) {
        score += 0.3;
        reasons.push(MatchReason::SamePhone);
    }
    if x.card.is_some() && x.card == y.card {
        score += 0.35;
        reasons.push(MatchReason::SameCard);
    }
    match (&x.mother, &y.mother) {
        (Some(mx), Some(my)) if mx == my => {
            score += 0.15;
            reasons.push(MatchReason::SameMother);
        }
        (Some(mx), Some(my)) if strsim::jaro_winkler(mx, my) < 0.9 => score -= 0.1,
        _ => {}
    }
    if x.birth_name.is_some() && x.birth_name == y.birth_name {
        score += 0.1;
        reasons.push(MatchReason::SameBirthName);
    }
    if shares(&x.postcodes, &y.postcodes) {
        score += 0.08;
        reasons.push(MatchReason::SamePostcode);
    }
    let (a, b) = if x.id <= y.id {
        (x.id, y.id)
    } else {
        (y.id, x.id)
    };
    Candidate {
        a,
        b,
        score: score.clamp(0.0, 1.0),
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crm::generate::generate;
    use crate::crm::person::PhoneContact;

    fn people(n: usize, seed: u64) -> Vec<PersonRecord> {
        generate(n, seed, 0.0, jiff::civil::date(2026, 12, 2)).records
    }

    #[test]
    fn a_planted_typo_pair_is_found() {
        let mut records = people(200, 11);
        let mut copy = records[17].clone();
        copy.id = PersonId(uuid::Uuid::from_u128(1));
        copy.identity.family_name = "Kovasc".to_owned();
        records[17].identity.family_name = "Kovács".to_owned();
        copy.emails.clear();
        copy.phones.clear();
        copy.card_number = None;
        records.push(copy.clone());
        let candidates = candidate_pairs(&records, DEFAULT_THRESHOLD);
        let found = candidates
            .iter()
            .find(|c| {
                c.a == copy.id && c.b == records[17].id || c.b == copy.id && c.a == records[17].id
            })
            .expect("the typo pair is a candidate");
        assert!(found.reasons.contains(&MatchReason::SameBirthDate));
        assert!(
            found
                .reasons
                .iter()
                .any(|r| matches!(r, MatchReason::SimilarName(s) if *s > 0.9))
        );
        assert!(found.a < found.b);
    }

    #[test]
    fn two_people_sharing_only_a_family_name_and_postcode_are_not_candidates() {
        let mut records = people(2, 12);
        let (first, second) = records.split_at_mut(1);
        let (x, y) = (&mut first[0], &mut second[0]);
        x.identity.family_name = "Nagy".to_owned();
        y.identity.family_name = "Nagy".to_owned();
        x.identity.given_name = "László".to_owned();
        y.identity.given_name = "Erzsébet".to_owned();
        y.addresses = x.addresses.clone();
        x.identity.birth_date = Some(jiff::civil::date(1961, 3, 14));
        y.identity.birth_date = Some(jiff::civil::date(1988, 9, 2));
        x.identity.mother_birth_name = None;
        y.identity.mother_birth_name = None;
        for r in [&mut *x, &mut *y] {
            r.emails.clear();
            r.phones.clear();
            r.card_number = None;
        }
        assert!(candidate_pairs(&records, DEFAULT_THRESHOLD).is_empty());
        assert_eq!(score_pair(&records[0], &records[1]), None);
    }

    #[test]
    fn namesakes_born_on_different_days_are_not_the_same_person() {
        let mut records = people(2, 13);
        let original = records[0].clone();
        let y = &mut records[1];
        y.identity = original.identity.clone();
        y.identity.birth_date = original
            .identity
            .birth_date
            .map(|d| d.saturating_add(jiff::Span::new().years(25)));
        y.identity.mother_birth_name = Some("Teszt Ilona".to_owned());
        y.addresses = original.addresses.clone();
        y.emails.clear();
        y.card_number = None;
        assert_eq!(score_pair(&records[0], &records[1]), None);
    }

    #[test]
    fn the_same_phone_written_differently_and_the_same_email_match() {
        let mut records = people(2, 14);
        let mut copy = records[0].clone();
        copy.id = PersonId(uuid::Uuid::from_u128(2));
        copy.identity.birth_date = None;
        copy.identity.given_name = format!("{}x", copy.identity.given_name);
        copy.phones = vec![PhoneContact {
            number: "06 30 123 4567".to_owned(),
            state: Default::default(),
        }];
        records[0].phones = vec![PhoneContact {
            number: "+36301234567".to_owned(),
            state: Default::default(),
        }];
        records[0].emails = copy.emails.clone();
        for e in &mut copy.emails {
            e.address = e.address.to_uppercase();
        }
        let candidate = score_pair(&records[0], &copy).expect("a candidate");
        assert!(candidate.reasons.contains(&MatchReason::SamePhone));
        if !copy.emails.is_empty() {
            assert!(candidate.reasons.contains(&MatchReason::SameEmail));
        }
    }

    #[test]
    fn merged_records_and_a_record_with_itself_are_never_candidates() {
        let mut records = people(2, 15);
        let mut copy = records[0].clone();
        copy.id = PersonId(uuid::Uuid::from_u128(3));
        assert!(score_pair(&records[0], &copy).is_some());
        assert_eq!(score_pair(&records[0], &records[0]), None);
        copy.merged_into = Some(records[0].id);
        assert_eq!(score_pair(&records[0], &copy), None);
        records.push(copy);
        assert!(candidate_pairs(&records, DEFAULT_THRESHOLD).is_empty());
    }

    #[test]
    fn candidates_come_best_first_and_reasons_serialise_in_snake_case() {
        let generated = generate(3000, 21, 0.05, jiff::civil::date(2026, 12, 2));
        let (candidates, stats) = candidate_pairs_with_stats(&generated.records, 0.5);
        assert_eq!(stats.records, 3000);
        assert!(candidates.windows(2).all(|w| w[0].score >= w[1].score));
        assert!(candidates.iter().all(|c| c.a < c.b));
        let again = candidate_pairs(&generated.records, 0.5);
        assert_eq!(candidates, again);
        let json = serde_json::to_string(&MatchReason::SimilarName(0.95)).unwrap();
        assert_eq!(json, r#"{"similar_name":0.95}"#);
        assert_eq!(
            serde_json::to_string(&MatchReason::SameBirthDate).unwrap(),
            r#""same_birth_date""#
        );
    }

    #[test]
    fn most_planted_duplicates_are_found_and_few_others() {
        let generated = generate(5000, 3, 0.03, jiff::civil::date(2026, 12, 2));
        let candidates = candidate_pairs(&generated.records, DEFAULT_THRESHOLD);
        let planted: std::collections::HashSet<_> = generated.planted.iter().copied().collect();
        let found = candidates
            .iter()
            .filter(|c| planted.contains(&(c.a, c.b)))
            .count();
        assert!(
            found * 100 >= planted.len() * 90,
            "{found} of {}",
            planted.len()
        );
        let false_candidates = candidates.len() - found;
        assert!(
            false_candidates * 100 <= candidates.len() * 10,
            "{false_candidates}"
        );
    }
}
