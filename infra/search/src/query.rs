//! What the office types, turned into tantivy queries.

use crate::schema::{
    Fields, NEVER_ACTIVE, booked_term, case_term, day_number, folded_words, keyword, paid_term,
};
use jiff::ToSpan;
use jiff::civil::Date;
use std::ops::Bound;
use tantivy::Term;
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, DisjunctionMaxQuery, EmptyQuery, FuzzyTermQuery,
    Occur, PhraseQuery, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use varoskapu_core::crm::search::{ConsentKind, Criteria, Criterion};

/// Scores of one word's match: the whole word, its beginning, one or two letters off.
const EXACT: f32 = 3.0;
const PREFIX: f32 = 2.0;
const FUZZY: f32 = 1.0;

/// What the one search box was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum QuickText {
    Email(String),
    /// E.164 digits without `+`.
    Phone(String),
    Card(String),
    Postcode(String),
    Words(Vec<String>),
}

/// Decides what the text is.
pub(crate) fn classify(text: &str) -> QuickText {
    let text = text.trim();
    if text.contains('@') {
        return QuickText::Email(text.to_lowercase());
    }
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let digits = compact.chars().filter(char::is_ascii_digit).count();
    let phone_like = compact
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '/' | '(' | ')' | '.'));
    if phone_like && digits >= 7 {
        return QuickText::Phone(phone_number(&compact));
    }
    let bytes = compact.as_bytes();
    if bytes.len() == 8
        && bytes[..6].iter().all(u8::is_ascii_digit)
        && bytes[6..].iter().all(u8::is_ascii_alphabetic)
    {
        return QuickText::Card(compact.to_uppercase());
    }
    if bytes.len() == 4 && bytes.iter().all(u8::is_ascii_digit) && !text.contains(' ') {
        return QuickText::Postcode(compact);
    }
    QuickText::Words(folded_words(text))
}

/// A phone in any Hungarian notation as the digits of its E.164 form.
pub(crate) fn phone_number(text: &str) -> String {
    let plus = text.trim_start().starts_with('+');
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    if plus {
        return digits;
    }
    if let Some(rest) = digits.strip_prefix("00") {
        return rest.to_owned();
    }
    if let Some(rest) = digits.strip_prefix("06") {
        return format!("36{rest}");
    }
    let mobile = ["20", "30", "31", "50", "70"]
        .iter()
        .any(|p| digits.starts_with(p))
        && digits.len() == 9;
    let budapest = digits.starts_with('1') && digits.len() == 8;
    if mobile || budapest {
        return format!("36{digits}");
    }
    digits
}

fn term(field: Field, value: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, value),
        IndexRecordOption::Basic,
    ))
}

fn scored(query: Box<dyn Query>, score: f32) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(query, score))
}

/// The quick search's query; `None` when the text holds nothing to search for.
pub(crate) fn quick_query(f: &Fields, text: &str) -> Option<Box<dyn Query>> {
    let query = match classify(text) {
        QuickText::Email(email) => scored(term(f.email, &email), EXACT),
        QuickText::Phone(digits) => scored(term(f.phone, &digits), EXACT),
        QuickText::Card(card) => scored(term(f.card, &card), EXACT),
        QuickText::Postcode(postcode) => scored(term(f.postcode, &postcode), EXACT),
        QuickText::Words(words) => {
            if words.is_empty() {
                return None;
            }
            let last = words.len() - 1;
            let clauses = words
                .iter()
                .enumerate()
                .map(|(i, word)| (Occur::Must, word_query(f, word, i == last)))
                .collect();
            Box::new(BooleanQuery::new(clauses))
        }
    };
    Some(without_merged(f, query))
}

/// One word in names or addresses: whole, as a beginning (the last word, still being
/// typed), or with a letter (two in long words) wrong.
fn word_query(f: &Fields, word: &str, last: bool) -> Box<dyn Query> {
    let letters = word.chars().count();
    let mut alternatives: Vec<Box<dyn Query>> = Vec::new();
    for field in [f.name, f.address] {
        let t = Term::from_field_text(field, word);
        alternatives.push(scored(
            Box::new(TermQuery::new(t.clone(), IndexRecordOption::Basic)),
            EXACT,
        ));
        if last {
            alternatives.push(scored(
                Box::new(FuzzyTermQuery::new_prefix(t.clone(), 0, true)),
                PREFIX,
            ));
        }
        let distance = match letters {
            0..5 => 0,
            5..9 => 1,
            _ => 2,
        };
        if distance > 0 {
            alternatives.push(scored(
                Box::new(FuzzyTermQuery::new(t, distance, true)),
                FUZZY,
            ));
        }
    }
    Box::new(DisjunctionMaxQuery::new(alternatives))
}

/// Keeps merged records out of every result.
pub(crate) fn without_merged(f: &Fields, query: Box<dyn Query>) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(vec![
        (Occur::Must, query),
        (Occur::MustNot, term(f.merged, crate::schema::MERGED)),
    ]))
}

/// The advanced search's query for `criteria`, ages counted on `today`.
pub(crate) fn criteria_query(f: &Fields, criteria: &Criteria, today: Date) -> Box<dyn Query> {
    without_merged(f, tree(f, criteria, today))
}

fn tree(f: &Fields, criteria: &Criteria, today: Date) -> Box<dyn Query> {
    match criteria {
        Criteria::All(parts) if parts.is_empty() => Box::new(AllQuery),
        Criteria::All(parts) => Box::new(BooleanQuery::new(
            parts
                .iter()
                .map(|p| (Occur::Must, tree(f, p, today)))
                .collect(),
        )),
        Criteria::Any(parts) if parts.is_empty() => Box::new(EmptyQuery),
        Criteria::Any(parts) => Box::new(BooleanQuery::with_minimum_required_clauses(
            parts
                .iter()
                .map(|p| (Occur::Should, tree(f, p, today)))
                .collect(),
            1,
        )),
        Criteria::Not(inner) => Box::new(BooleanQuery::new(vec![
            (Occur::Must, Box::new(AllQuery)),
            (Occur::MustNot, tree(f, inner, today)),
        ])),
        Criteria::Is(criterion) => condition(f, criterion, today),
    }
}

fn i64_range(field: Field, lower: Bound<i64>, upper: Bound<i64>) -> Box<dyn Query> {
    let map = |b: Bound<i64>| match b {
        Bound::Included(v) => Bound::Included(Term::from_field_i64(field, v)),
        Bound::Excluded(v) => Bound::Excluded(Term::from_field_i64(field, v)),
        Bound::Unbounded => Bound::Unbounded,
    };
    match (&lower, &upper) {
        (Bound::Unbounded, Bound::Unbounded) => Box::new(RangeQuery::new(
            Bound::Included(Term::from_field_i64(field, i64::MIN)),
            Bound::Unbounded,
        )),
        _ => Box::new(RangeQuery::new(map(lower), map(upper))),
    }
}

fn condition(f: &Fields, criterion: &Criterion, today: Date) -> Box<dyn Query> {
    match criterion {
        Criterion::Age { min, max } => {
            // Age ≥ min: born on or before the last birth day that is `min` years old today.
            let lower = match max {
                Some(max) => match latest_birth_for_age(today, max.saturating_add(1)) {
                    Some(day) => Bound::Excluded(day_number(day)),
                    None => Bound::Unbounded,
                },
                None => Bound::Unbounded,
            };
            let upper = match min {
                Some(min) => match latest_birth_for_age(today, *min) {
                    Some(day) => Bound::Included(day_number(day)),
                    None => return Box::new(EmptyQuery),
                },
                None => Bound::Unbounded,
            };
            i64_range(f.birth, lower, upper)
        }
        Criterion::Gender { value } => term(f.gender, value.as_str()),
        Criterion::Postcode { value } => term(f.postcode, value.trim()),
        Criterion::District { value } => term(f.district, &keyword(value)),
        Criterion::Street { value } => {
            let words = folded_words(value);
            match words.len() {
                0 => Box::new(EmptyQuery),
                1 => term(f.street, &words[0]),
                _ => Box::new(PhraseQuery::new(
                    words
                        .iter()
                        .map(|w| Term::from_field_text(f.street, w))
                        .collect(),
                )),
            }
        }
        Criterion::Tag { value } => term(f.tag, &keyword(value)),
        Criterion::Group { value } => term(f.group, &keyword(value)),
        Criterion::Consent { value } => term(
            f.consent,
            match value {
                ConsentKind::Newsletter => "newsletter",
                ConsentKind::Sms => "sms",
            },
        ),
        Criterion::HadCase {
            case_type,
            from,
            to,
        } => {
            let from = from.map_or("00000000".to_owned(), |d| format!("{:08}", day_number(d)));
            let to = to.map_or("99999999".to_owned(), |d| format!("{:08}", day_number(d)));
            if from > to {
                return Box::new(EmptyQuery);
            }
            Box::new(RangeQuery::new(
                Bound::Included(Term::from_field_text(
                    f.activity,
                    &case_term(case_type, &from),
                )),
                Bound::Included(Term::from_field_text(
                    f.activity,
                    &case_term(case_type, &to),
                )),
            ))
        }
        Criterion::PaidBy { method } => term(f.activity, &paid_term(method)),
        Criterion::BookedAt { office } => term(f.activity, &booked_term(office)),
        Criterion::NoActivitySince { since } => i64_range(
            f.last_active,
            Bound::Included(NEVER_ACTIVE),
            Bound::Excluded(day_number(*since)),
        ),
    }
}

/// The latest birth day of a person who is at least `years` old on `today` (a birthday
/// on 29 February falls on 28 February in other years); `None` before the calendar.
pub(crate) fn latest_birth_for_age(today: Date, years: u32) -> Option<Date> {
    let years = i16::try_from(years).ok()?;
    let reaches = |born: Date| {
        born.checked_add(i64::from(years).years())
            .is_ok_and(|day| day <= today)
    };
    let candidate = today.checked_sub(i64::from(years).years()).ok()?;
    let next = candidate.tomorrow().ok();
    match next {
        Some(next) if reaches(next) => Some(next),
        _ if reaches(candidate) => Some(candidate),
        _ => candidate.yesterday().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn hungarian_phone_notations_become_one_number() {
        for text in [
            "06 30 123 4567",
            "+36 30 123 4567",
            "0036301234567",
            "30/123-4567",
            "(06-30) 123-45-67",
        ] {
            assert_eq!(
                classify(text),
                QuickText::Phone("36301234567".into()),
                "{text}"
            );
        }
        assert_eq!(
            classify("1 234 5678"),
            QuickText::Phone("3612345678".into())
        );
    }

    #[test]
    fn the_box_tells_cards_postcodes_emails_and_words_apart() {
        assert_eq!(classify("123456ab"), QuickText::Card("123456AB".into()));
        assert_eq!(classify("1122"), QuickText::Postcode("1122".into()));
        assert_eq!(
            classify(" Kiss.Anna@Example.HU "),
            QuickText::Email("kiss.anna@example.hu".into())
        );
        assert_eq!(
            classify("Kovács Józsefné"),
            QuickText::Words(vec!["kovacs".into(), "jozsefne".into()])
        );
        assert_eq!(
            classify("Alkotás utca 12"),
            QuickText::Words(vec!["alkotas".into(), "utca".into(), "12".into()])
        );
    }

    #[test]
    fn a_leap_day_birthday_comes_on_the_last_day_of_february() {
        // Born 2004-02-29: 18 on 2022-02-28 (Hungarian reckoning), not on 2022-02-27.
        assert_eq!(
            latest_birth_for_age(date(2022, 2, 28), 18),
            Some(date(2004, 2, 29))
        );
        assert_eq!(
            latest_birth_for_age(date(2022, 2, 27), 18),
            Some(date(2004, 2, 27))
        );
        assert_eq!(
            latest_birth_for_age(date(2026, 6, 15), 40),
            Some(date(1986, 6, 15))
        );
    }
}
