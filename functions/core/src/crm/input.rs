//! What the office (or an import) gives to create or correct a record, and its checks:
//! every problem is named by its field, and nothing is written while any remains.

use super::error::{CrmError, FieldError};
use super::person::{
    Address, Company, Consent, ContactState, EmailContact, Gender, NaturalIdentity, PhoneContact,
};
use super::quality::email::check_email;
use super::quality::phone::normalise_phone;
use serde::Deserialize;

/// Most e-mail addresses or phones one record keeps: enough for real people, and what keeps
/// a record's write inside one transaction with its look-ups.
pub const MAX_CONTACTS: usize = 5;
/// Most addresses one record keeps.
pub const MAX_ADDRESSES: usize = 6;
/// Most tags or groups.
pub const MAX_LABELS: usize = 30;
const MAX_TEXT: usize = 200;

/// A record's editable data, as the office sends it.
#[derive(Debug, Clone, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonInput {
    pub identity: NaturalIdentity,
    #[serde(default)]
    pub addresses: Vec<Address>,
    /// E-mail addresses; a known one keeps its delivery state.
    #[serde(default)]
    pub emails: Vec<String>,
    /// Phone numbers in any common notation; stored as E.164.
    #[serde(default)]
    pub phones: Vec<String>,
    #[serde(default)]
    pub card_number: Option<String>,
    /// A gender the person declared; without it one may be inferred from the given name.
    #[serde(default)]
    pub gender: Option<Gender>,
    #[serde(default)]
    pub consent: Consent,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub company: Option<Company>,
}

/// The input once checked: contacts normalised, labels trimmed and unique.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedInput {
    pub identity: NaturalIdentity,
    pub addresses: Vec<Address>,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub card_number: Option<String>,
    pub gender: Option<Gender>,
    pub consent: Consent,
    pub tags: Vec<String>,
    pub groups: Vec<String>,
    pub company: Option<Company>,
}

fn text(errors: &mut Vec<FieldError>, pointer: &str, value: &str, required: bool) -> String {
    let value = value.trim();
    if required && value.is_empty() {
        errors.push(FieldError::new(pointer, "is required"));
    } else if value.chars().count() > MAX_TEXT {
        errors.push(FieldError::new(
            pointer,
            format!("is longer than {MAX_TEXT} characters"),
        ));
    } else if value.chars().any(char::is_control) {
        errors.push(FieldError::new(pointer, "contains control characters"));
    }
    value.to_owned()
}

fn optional(errors: &mut Vec<FieldError>, pointer: &str, value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(|v| text(errors, pointer, v, false))
        .filter(|v| !v.is_empty())
}

/// A lakcímkártya number: six digits and two letters (`123456AB`).
pub fn normalise_card_number(text: &str) -> Option<String> {
    let card: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect();
    let (digits, letters) = card.split_at_checked(6)?;
    (digits.chars().all(|c| c.is_ascii_digit())
        && letters.len() == 2
        && letters.chars().all(|c| c.is_ascii_uppercase()))
    .then_some(card)
}

fn labels(errors: &mut Vec<FieldError>, pointer: &str, values: &[String]) -> Vec<String> {
    if values.len() > MAX_LABELS {
        errors.push(FieldError::new(
            pointer,
            format!("has more than {MAX_LABELS} entries"),
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for (i, value) in values.iter().enumerate() {
        let value = text(errors, &format!("{pointer}/{i}"), value, true);
        if !value.is_empty() && !out.iter().any(|v| v.eq_ignore_ascii_case(&value)) {
            out.push(value);
        }
    }
    out
}

impl PersonInput {
    /// Checks every field; the error lists each problem with its pointer.
    pub fn check(&self, today: jiff::civil::Date) -> Result<CheckedInput, CrmError> {
        let mut errors = Vec::new();
        let id = &self.identity;
        let identity = NaturalIdentity {
            family_name: text(&mut errors, "/identity/family_name", &id.family_name, true),
            given_name: text(&mut errors, "/identity/given_name", &id.given_name, true),
            birth_name: optional(&mut errors, "/identity/birth_name", &id.birth_name),
            birth_place: optional(&mut errors, "/identity/birth_place", &id.birth_place),
            birth_date: id.birth_date,
            mother_birth_name: optional(
                &mut errors,
                "/identity/mother_birth_name",
                &id.mother_birth_name,
            ),
        };
        if let Some(born) = id.birth_date
            && (born > today || born.year() < 1890)
        {
            errors.push(FieldError::new(
                "/identity/birth_date",
                "is not a possible birth date",
            ));
        }
        if self.addresses.len() > MAX_ADDRESSES {
            errors.push(FieldError::new(
                "/addresses",
                format!("has more than {MAX_ADDRESSES} addresses"),
            ));
        }
        let mut addresses = Vec::new();
        for (i, a) in self.addresses.iter().enumerate() {
            let at = |f: &str| format!("/addresses/{i}/{f}");
            let postcode = a.postcode.trim().to_owned();
            if postcode.len() != 4 || !postcode.chars().all(|c| c.is_ascii_digit()) {
                errors.push(FieldError::new(at("postcode"), "must be four digits"));
            }
            if let (Some(from), Some(until)) = (a.valid_from, a.valid_until)
                && until < from
            {
                errors.push(FieldError::new(at("valid_until"), "is before valid_from"));
            }
            addresses.push(Address {
                postcode,
                city: text(&mut errors, &at("city"), &a.city, true),
                street: text(&mut errors, &at("street"), &a.street, true),
                number: text(&mut errors, &at("number"), &a.number, true),
                district: None,
                verified_at: None,
                ..a.clone()
            });
        }
        for kind in [
            super::person::AddressKind::Permanent,
            super::person::AddressKind::Temporary,
        ] {
            let current = addresses
                .iter()
                .filter(|a| a.kind == kind && a.valid_on(today))
                .count();
            if current > 1 {
                errors.push(FieldError::new(
                    "/addresses",
                    format!("has more than one {kind:?} address in force today").to_lowercase(),
                ));
            }
        }
        if self.emails.len() > MAX_CONTACTS {
            errors.push(FieldError::new(
                "/emails",
                format!("has more than {MAX_CONTACTS} addresses"),
            ));
        }
        let mut emails: Vec<String> = Vec::new();
        for (i, email) in self.emails.iter().enumerate() {
            match check_email(email) {
                Ok(email) if !emails.iter().any(|e| e.eq_ignore_ascii_case(&email)) => {
                    emails.push(email)
                }
                Ok(_) => {}
                Err(problem) => {
                    errors.push(FieldError::new(format!("/emails/{i}"), problem.to_string()))
                }
            }
        }
        if self.phones.len() > MAX_CONTACTS {
            errors.push(FieldError::new(
                "/phones",
                format!("has more than {MAX_CONTACTS} numbers"),
            ));
        }
        let mut phones: Vec<String> = Vec::new();
        for (i, phone) in self.phones.iter().enumerate() {
            match normalise_phone(phone) {
                Ok(number) if !phones.contains(&number) => phones.push(number),
                Ok(_) => {}
                Err(problem) => {
                    errors.push(FieldError::new(format!("/phones/{i}"), problem.to_string()))
                }
            }
        }
        let card_number = match self.card_number.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(card) => match normalise_card_number(card) {
                Some(card) => Some(card),
                None => {
                    errors.push(FieldError::new(
                        "/card_number",
                        "must be six digits and two letters (123456AB)",
                    ));
                    None
                }
            },
        };
        let tags = labels(&mut errors, "/tags", &self.tags);
        let groups = labels(&mut errors, "/groups", &self.groups);
        let company = self.company.as_ref().map(|c| Company {
            name: text(&mut errors, "/company/name", &c.name, true),
            ..c.clone()
        });
        if !errors.is_empty() {
            return Err(CrmError::Invalid(errors));
        }
        Ok(CheckedInput {
            identity,
            addresses,
            emails,
            phones,
            card_number,
            gender: self.gender,
            consent: self.consent,
            tags,
            groups,
            company,
        })
    }
}

impl CheckedInput {
    /// The e-mail contacts, keeping the delivery state of addresses already known.
    pub fn email_contacts(&self, known: &[EmailContact]) -> Vec<EmailContact> {
        self.emails
            .iter()
            .map(|address| {
                known
                    .iter()
                    .find(|k| k.address.eq_ignore_ascii_case(address))
                    .cloned()
                    .unwrap_or_else(|| EmailContact {
                        address: address.clone(),
                        state: ContactState::Unverified,
                        state_at: None,
                    })
            })
            .collect()
    }

    /// The phone contacts, keeping the state of numbers already known.
    pub fn phone_contacts(&self, known: &[PhoneContact]) -> Vec<PhoneContact> {
        self.phones
            .iter()
            .map(|number| {
                known
                    .iter()
                    .find(|k| &k.number == number)
                    .cloned()
                    .unwrap_or_else(|| PhoneContact {
                        number: number.clone(),
                        state: ContactState::Unverified,
                    })
            })
            .collect()
    }
}
