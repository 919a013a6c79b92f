//! The advanced search form: rows of one condition each (a field, a value, "not"), joined
//! by all or any, read from and written back to the query string so that a search is a
//! link to bookmark and the form works without JavaScript.

use jiff::civil::Date;
use std::collections::BTreeMap;
use varoskapu_core::crm::Gender;
use varoskapu_core::crm::search::{ConsentKind, Criteria, Criterion};
use varoskapu_web::{FieldErrors, Lang};

/// Rows shown at least; more with `rows=`.
pub const MIN_ROWS: usize = 5;
pub const MAX_ROWS: usize = 12;

/// The fields a row may test, with their labels.
pub const FIELDS: [(&str, &str, &str); 12] = [
    (
        "age",
        "Életkor (pl. 30-40, 65-, -18)",
        "Age (e.g. 30-40, 65-, -18)",
    ),
    ("gender", "Nem (nő / férfi)", "Gender (female / male)"),
    ("postcode", "Irányítószám", "Postcode"),
    ("district", "Kerület", "District"),
    ("street", "Utca", "Street"),
    ("tag", "Címke", "Tag"),
    ("group", "Csoport", "Group"),
    (
        "consent",
        "Hozzájárulás (hírlevél / sms)",
        "Consent (newsletter / sms)",
    ),
    ("had_case", "Volt ügye (ügytípus)", "Had a case (case type)"),
    (
        "paid_by",
        "Fizetett (card, bank_transfer, cash, pos)",
        "Paid by (card, bank_transfer, cash, pos)",
    ),
    (
        "booked_at",
        "Időpontot foglalt (hivatal)",
        "Booked at (office)",
    ),
    (
        "no_activity_since",
        "Nem volt aktivitása ettől a naptól",
        "No activity since the day",
    ),
];

/// One row as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Row {
    pub index: usize,
    pub field: String,
    pub value: String,
    /// For `had_case`: the period.
    pub from: String,
    pub to: String,
    pub negate: bool,
}

/// The whole form as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchForm {
    /// `all` or `any`.
    pub join: String,
    pub rows: Vec<Row>,
}

impl SearchForm {
    /// Reads the form from query or body pairs (`join`, `field0`, `value0`, `from0`, `to0`,
    /// `not0`…).
    pub fn read(pairs: &[(String, String)]) -> Self {
        let map: BTreeMap<&str, &str> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let wanted = map
            .get("rows")
            .and_then(|r| r.parse::<usize>().ok())
            .unwrap_or(MIN_ROWS)
            .clamp(MIN_ROWS, MAX_ROWS);
        let get = |name: String| {
            map.get(name.as_str())
                .map(|v| v.trim().to_owned())
                .unwrap_or_default()
        };
        let rows = (0..wanted)
            .map(|i| Row {
                index: i,
                field: get(format!("field{i}")),
                value: get(format!("value{i}")),
                from: get(format!("from{i}")),
                to: get(format!("to{i}")),
                negate: map.contains_key(format!("not{i}").as_str()),
            })
            .collect();
        Self {
            join: if map.get("join") == Some(&"any") {
                "any".into()
            } else {
                "all".into()
            },
            rows,
        }
    }

    /// Whether any row names a field (a search to run).
    pub fn is_empty(&self) -> bool {
        self.rows.iter().all(|r| r.field.is_empty())
    }

    /// The query string that reproduces the form.
    pub fn query(&self) -> String {
        let mut parts = vec![format!("join={}", self.join)];
        for r in self.rows.iter().filter(|r| !r.field.is_empty()) {
            let i = r.index;
            parts.push(format!("field{i}={}", encode(&r.field)));
            parts.push(format!("value{i}={}", encode(&r.value)));
            if !r.from.is_empty() {
                parts.push(format!("from{i}={}", encode(&r.from)));
            }
            if !r.to.is_empty() {
                parts.push(format!("to{i}={}", encode(&r.to)));
            }
            if r.negate {
                parts.push(format!("not{i}=on"));
            }
        }
        if self.rows.len() > MIN_ROWS {
            parts.push(format!("rows={}", self.rows.len()));
        }
        parts.join("&")
    }

    /// The criteria, or the rows' errors (field names `value<i>`, `from<i>`, `to<i>`).
    pub fn criteria(&self, lang: Lang) -> Result<Criteria, FieldErrors> {
        let mut errors = FieldErrors::default();
        let mut parts = Vec::new();
        for r in self.rows.iter().filter(|r| !r.field.is_empty()) {
            match r.criterion(lang) {
                Ok(c) => parts.push(if r.negate {
                    Criteria::Not(Box::new(Criteria::Is(c)))
                } else {
                    Criteria::Is(c)
                }),
                Err((field, message)) => errors.add(field, message),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(if self.join == "any" {
            Criteria::Any(parts)
        } else {
            Criteria::All(parts)
        })
    }

    /// The form of saved criteria (one level of all/any, each part a condition or its
    /// negation, as this form writes them).
    pub fn of(criteria: &Criteria) -> Self {
        let (join, parts): (&str, &[Criteria]) = match criteria {
            Criteria::Any(p) => ("any", p),
            Criteria::All(p) => ("all", p),
            other => ("all", std::slice::from_ref(other)),
        };
        let mut rows: Vec<Row> = parts
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let (negate, c) = match c {
                    Criteria::Not(inner) => (true, inner.as_ref()),
                    c => (false, c),
                };
                let Criteria::Is(c) = c else { return None };
                Some(Row {
                    index: i,
                    negate,
                    ..Row::of(c)
                })
            })
            .collect();
        while rows.len() < MIN_ROWS {
            rows.push(Row {
                index: rows.len(),
                ..Row::default()
            });
        }
        Self {
            join: join.into(),
            rows,
        }
    }
}

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn day(text: &str) -> Option<Date> {
    text.trim()
        .trim_end_matches('.')
        .replace(". ", "-")
        .replace('.', "-")
        .parse()
        .ok()
}

impl Row {
    fn criterion(&self, lang: Lang) -> Result<Criterion, (String, String)> {
        let i = self.index;
        let value = self.value.trim();
        let bad =
            |what: &str, hu: &str, en: &str| Err((format!("{what}{i}"), lang.t(hu, en).to_owned()));
        if value.is_empty() && self.field != "had_case" {
            return bad(
                "value",
                "Adja meg a feltétel értékét.",
                "Enter the condition's value.",
            );
        }
        Ok(match self.field.as_str() {
            "age" => {
                let (min, max) = value.split_once('-').unwrap_or((value, value));
                let parse = |t: &str| -> Result<Option<u32>, ()> {
                    match t.trim() {
                        "" => Ok(None),
                        t => t.parse::<u32>().map(Some).map_err(|_| ()),
                    }
                };
                match (parse(min), parse(max)) {
                    (Ok(min), Ok(max))
                        if (min.is_some() || max.is_some())
                            && min.unwrap_or(0) <= max.unwrap_or(u32::MAX) =>
                    {
                        Criterion::Age { min, max }
                    }
                    _ => {
                        return bad(
                            "value",
                            "Az életkort így adja meg: 30-40, 65- vagy -18.",
                            "Write the age as 30-40, 65- or -18.",
                        );
                    }
                }
            }
            "gender" => match value.to_lowercase().as_str() {
                "nő" | "no" | "female" | "f" => Criterion::Gender {
                    value: Gender::Female,
                },
                "férfi" | "ferfi" | "male" | "m" => Criterion::Gender {
                    value: Gender::Male,
                },
                _ => return bad("value", "A nem: nő vagy férfi.", "Gender: female or male."),
            },
            "postcode" => {
                if value.len() != 4 || !value.chars().all(|c| c.is_ascii_digit()) {
                    return bad(
                        "value",
                        "Az irányítószám négy számjegy.",
                        "A postcode is four digits.",
                    );
                }
                Criterion::Postcode {
                    value: value.into(),
                }
            }
            "district" => Criterion::District {
                value: value.to_uppercase().trim_end_matches('.').into(),
            },
            "street" => Criterion::Street {
                value: value.into(),
            },
            "tag" => Criterion::Tag {
                value: value.into(),
            },
            "group" => Criterion::Group {
                value: value.into(),
            },
            "consent" => match value.to_lowercase().as_str() {
                "hírlevél" | "hirlevel" | "newsletter" => Criterion::Consent {
                    value: ConsentKind::Newsletter,
                },
                "sms" => Criterion::Consent {
                    value: ConsentKind::Sms,
                },
                _ => {
                    return bad(
                        "value",
                        "A hozzájárulás: hírlevél vagy sms.",
                        "Consent: newsletter or sms.",
                    );
                }
            },
            "had_case" => {
                if value.is_empty() {
                    return bad("value", "Adja meg az ügytípust.", "Enter the case type.");
                }
                let from = match self.from.trim() {
                    "" => None,
                    t => match day(t) {
                        Some(d) => Some(d),
                        None => {
                            return bad(
                                "from",
                                "A dátum így: 2026-01-31.",
                                "Write the date as 2026-01-31.",
                            );
                        }
                    },
                };
                let to = match self.to.trim() {
                    "" => None,
                    t => match day(t) {
                        Some(d) => Some(d),
                        None => {
                            return bad(
                                "to",
                                "A dátum így: 2026-01-31.",
                                "Write the date as 2026-01-31.",
                            );
                        }
                    },
                };
                if let (Some(f), Some(t)) = (from, to)
                    && t < f
                {
                    return bad(
                        "to",
                        "Az időszak vége nem lehet a kezdete előtt.",
                        "The period cannot end before it starts.",
                    );
                }
                Criterion::HadCase {
                    case_type: value.into(),
                    from,
                    to,
                }
            }
            "paid_by" => Criterion::PaidBy {
                method: value.to_lowercase(),
            },
            "booked_at" => Criterion::BookedAt {
                office: value.into(),
            },
            "no_activity_since" => match day(value) {
                Some(since) => Criterion::NoActivitySince { since },
                None => {
                    return bad(
                        "value",
                        "A dátum így: 2026-01-31.",
                        "Write the date as 2026-01-31.",
                    );
                }
            },
            _ => return bad("field", "Válasszon a listából.", "Choose from the list."),
        })
    }

    fn of(c: &Criterion) -> Self {
        let (field, value, from, to) = match c {
            Criterion::Age { min, max } => (
                "age",
                format!(
                    "{}-{}",
                    min.map(|m| m.to_string()).unwrap_or_default(),
                    max.map(|m| m.to_string()).unwrap_or_default()
                ),
                None,
                None,
            ),
            Criterion::Gender { value } => ("gender", value.as_str().to_owned(), None, None),
            Criterion::Postcode { value } => ("postcode", value.clone(), None, None),
            Criterion::District { value } => ("district", value.clone(), None, None),
            Criterion::Street { value } => ("street", value.clone(), None, None),
            Criterion::Tag { value } => ("tag", value.clone(), None, None),
            Criterion::Group { value } => ("group", value.clone(), None, None),
            Criterion::Consent { value } => (
                "consent",
                match value {
                    ConsentKind::Newsletter => "newsletter".to_owned(),
                    ConsentKind::Sms => "sms".to_owned(),
                },
                None,
                None,
            ),
            Criterion::HadCase {
                case_type,
                from,
                to,
            } => ("had_case", case_type.clone(), *from, *to),
            Criterion::PaidBy { method } => ("paid_by", method.clone(), None, None),
            Criterion::BookedAt { office } => ("booked_at", office.clone(), None, None),
            Criterion::NoActivitySince { since } => {
                ("no_activity_since", since.to_string(), None, None)
            }
        };
        Row {
            index: 0,
            field: field.into(),
            value,
            from: from.map(|d| d.to_string()).unwrap_or_default(),
            to: to.map(|d| d.to_string()).unwrap_or_default(),
            negate: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    #[test]
    fn five_rows_become_the_criteria_and_come_back_the_same() {
        let form = SearchForm::read(&pairs(&[
            ("join", "all"),
            ("field0", "age"),
            ("value0", "30-45"),
            ("field1", "postcode"),
            ("value1", "1051"),
            ("field2", "consent"),
            ("value2", "hírlevél"),
            ("field3", "had_case"),
            ("value3", "resident-parking-permit"),
            ("from3", "2026-01-01"),
            ("field4", "tag"),
            ("value4", "idős"),
            ("not4", "on"),
        ]));
        let criteria = form.criteria(Lang::Hu).expect("valid");
        assert_eq!(criteria.conditions(), 5);
        let again = SearchForm::of(&criteria);
        assert_eq!(again.criteria(Lang::Hu).expect("valid"), criteria);
    }

    #[test]
    fn a_bad_row_names_its_own_field() {
        let form = SearchForm::read(&pairs(&[("field2", "postcode"), ("value2", "10")]));
        let errors = form.criteria(Lang::En).expect_err("refused");
        assert!(errors.has("value2"));
        let form = SearchForm::read(&pairs(&[
            ("field0", "had_case"),
            ("value0", "x"),
            ("from0", "2026-05-01"),
            ("to0", "2026-01-01"),
        ]));
        assert!(form.criteria(Lang::En).expect_err("refused").has("to0"));
    }
}
