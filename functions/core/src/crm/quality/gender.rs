//! The gender a given name implies, from the bundled lists of registrable Hungarian given
//! names: filled in only where nobody declared one, and never over a declared one.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::fold::fold_name;
use crate::crm::person::{Gender, GenderSource, PersonRecord, RecordedGender};

const FEMALE: &str = include_str!("data/given-names-female.txt");
const MALE: &str = include_str!("data/given-names-male.txt");

fn names(list: &'static str) -> impl Iterator<Item = &'static str> {
    list.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
}

static FEMALE_NAMES: LazyLock<Vec<&'static str>> = LazyLock::new(|| names(FEMALE).collect());
static MALE_NAMES: LazyLock<Vec<&'static str>> = LazyLock::new(|| names(MALE).collect());

/// Folded name → its gender; `None` for a name on both lists.
static BY_NAME: LazyLock<HashMap<String, Option<Gender>>> = LazyLock::new(|| {
    let mut map = HashMap::new();
    for (list, gender) in [(FEMALE, Gender::Female), (MALE, Gender::Male)] {
        for name in names(list) {
            map.entry(fold_name(name))
                .and_modify(|known: &mut Option<Gender>| {
                    if *known != Some(gender) {
                        *known = None;
                    }
                })
                .or_insert(Some(gender));
        }
    }
    map
});

/// The registrable given names of one sex, as the list spells them (with accents).
pub fn given_names(gender: Gender) -> &'static [&'static str] {
    match gender {
        Gender::Female => &FEMALE_NAMES,
        Gender::Male => &MALE_NAMES,
    }
}

/// The gender the first given name implies (`"Anna Mária"` → female), compared without
/// accents; `None` for a name not on the lists or on both.
pub fn infer_gender(given_name: &str) -> Option<Gender> {
    let folded = fold_name(given_name);
    let first = folded.split(' ').next()?;
    BY_NAME.get(first).copied().flatten()
}

/// Records the gender the record's given name implies, unless one was declared; returns
/// whether the record changed. An inferred gender the name no longer supports is removed.
pub fn fill_inferred_gender(record: &mut PersonRecord) -> bool {
    if record
        .gender
        .is_some_and(|g| g.source == GenderSource::Declared)
    {
        return false;
    }
    let inferred = infer_gender(&record.identity.given_name).map(|value| RecordedGender {
        value,
        source: GenderSource::Inferred,
    });
    if record.gender == inferred {
        return false;
    }
    record.gender = inferred;
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crm::generate::generate;

    fn record(given_name: &str, gender: Option<RecordedGender>) -> PersonRecord {
        let day = jiff::civil::date(2026, 12, 2);
        let mut record = generate(1, 7, 0.0, day).records.remove(0);
        record.identity.given_name = given_name.to_owned();
        record.gender = gender;
        record
    }

    #[test]
    fn the_lists_are_large_and_well_formed() {
        assert!(given_names(Gender::Female).len() >= 600);
        assert!(given_names(Gender::Male).len() >= 600);
        for name in given_names(Gender::Female)
            .iter()
            .chain(given_names(Gender::Male))
        {
            assert!(name.chars().all(char::is_alphabetic), "{name:?}");
            assert!(
                name.chars().next().is_some_and(char::is_uppercase),
                "{name:?}"
            );
        }
    }

    #[test]
    fn common_names_with_accents_give_their_gender() {
        for name in [
            "Zsófia",
            "Dorottya",
            "Réka",
            "Éva",
            "Ágnes",
            "Erzsébet",
            "Katalin",
            "Anikó",
            "Júlia",
            "Tünde",
            "Andrea",
        ] {
            assert_eq!(infer_gender(name), Some(Gender::Female), "{name}");
        }
        for name in [
            "László", "József", "István", "Gergő", "Bálint", "Ádám", "Péter", "Zoltán", "Örs",
            "Ödön", "Béla",
        ] {
            assert_eq!(infer_gender(name), Some(Gender::Male), "{name}");
        }
    }

    #[test]
    fn the_first_given_name_counts_and_accents_and_case_do_not() {
        assert_eq!(infer_gender("Anna Mária"), Some(Gender::Female));
        assert_eq!(infer_gender("  jozsef  Mária"), Some(Gender::Male));
        assert_eq!(infer_gender("ZSOFIA"), Some(Gender::Female));
        assert_eq!(infer_gender("dr. Kovács Ödön"), None);
        assert_eq!(infer_gender("Dr. Ödön"), Some(Gender::Male));
    }

    #[test]
    fn unknown_empty_and_ambiguous_names_infer_nothing() {
        for name in [
            "",
            "   ",
            "Xyzzy",
            "Kim",
            "Ariel",
            "Mika",
            "1234",
            "'); DROP TABLE persons; --",
        ] {
            assert_eq!(infer_gender(name), None, "{name:?}");
        }
    }

    #[test]
    fn an_inferred_gender_is_filled_where_none_was_recorded() {
        let mut person = record("Zsófia Anna", None);
        assert!(fill_inferred_gender(&mut person));
        assert_eq!(
            person.gender,
            Some(RecordedGender {
                value: Gender::Female,
                source: GenderSource::Inferred
            })
        );
        // A second run changes nothing.
        assert!(!fill_inferred_gender(&mut person));
    }

    #[test]
    fn inferred_gender_never_overwrites_a_declared_one() {
        let declared = Some(RecordedGender {
            value: Gender::Female,
            source: GenderSource::Declared,
        });
        let mut person = record("László", declared);
        assert!(!fill_inferred_gender(&mut person));
        assert_eq!(person.gender, declared);
        let mut nameless = record("", declared);
        assert!(!fill_inferred_gender(&mut nameless));
        assert_eq!(nameless.gender, declared);
    }

    #[test]
    fn an_earlier_inference_follows_a_changed_name() {
        let inferred = |value| {
            Some(RecordedGender {
                value,
                source: GenderSource::Inferred,
            })
        };
        let mut person = record("Péter", inferred(Gender::Female));
        assert!(fill_inferred_gender(&mut person));
        assert_eq!(person.gender, inferred(Gender::Male));
        let mut renamed = record("Kim", inferred(Gender::Male));
        assert!(fill_inferred_gender(&mut renamed));
        assert_eq!(renamed.gender, None);
    }
}
