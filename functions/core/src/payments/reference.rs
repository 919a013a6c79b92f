//! Payment references for bank transfers: `VK` and ten digits with two ISO 7064 MOD 97-10
//! check digits, so that a typo in the remittance information is caught instead of
//! matching someone else's payment. Reading is tolerant of what banks and payers do to
//! it: spaces, dashes, lower case, and text around it.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What every reference starts with, so it can be found inside free remittance text.
pub const PREFIX: &str = "VK";

/// Digits of the number part.
const NUMBER_DIGITS: usize = 10;

/// A payment reference such as `VK123456789003` (check digits last).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "VK012345678948")]
pub struct PaymentReference(String);

/// ISO 7064 MOD 97-10 check digits of a decimal string (as in IBAN and RF references).
fn check_digits(number: &str) -> u32 {
    let rem = format!("{number}00")
        .bytes()
        .fold(0u32, |acc, b| (acc * 10 + u32::from(b - b'0')) % 97);
    98 - rem
}

fn valid(digits: &str) -> bool {
    digits.len() == NUMBER_DIGITS + 2
        && digits.bytes().all(|b| b.is_ascii_digit())
        && digits[..NUMBER_DIGITS]
            .bytes()
            .chain(digits[NUMBER_DIGITS..].bytes())
            .fold(0u32, |acc, b| (acc * 10 + u32::from(b - b'0')) % 97)
            == 1
}

impl PaymentReference {
    /// The reference of a number; only its last ten decimal digits are used.
    pub fn from_number(number: u64) -> Self {
        let number = format!("{:010}", number % 10u64.pow(NUMBER_DIGITS as u32));
        let check = check_digits(&number);
        Self(format!("{PREFIX}{number}{check:02}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Grouped for people to copy: `VK 0123 4567 89 48`.
    pub fn grouped(&self) -> String {
        let d = &self.0[PREFIX.len()..];
        format!(
            "{PREFIX} {} {} {} {}",
            &d[..4],
            &d[4..8],
            &d[8..10],
            &d[10..]
        )
    }

    /// Parses a reference written on its own, tolerating spaces, dashes and lower case.
    pub fn parse(text: &str) -> Option<Self> {
        let compact = normalize(text);
        let digits = compact.strip_prefix(PREFIX)?;
        valid(digits).then_some(Self(compact))
    }

    /// Finds a reference inside remittance text (`Közlemény: vk 0123-4567-8948 díj`).
    /// A run of twelve digits with valid check digits counts even without the prefix,
    /// as some banks' forms drop letters.
    pub fn find_in(text: &str) -> Option<Self> {
        let compact = normalize(text);
        let bytes = compact.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if !bytes[i].is_ascii_digit() {
                i += 1;
                continue;
            }
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let run = &compact[start..i];
            if valid(run) {
                return Some(Self(format!("{PREFIX}{run}")));
            }
            // A longer run may carry the reference glued to other digits after the prefix.
            if compact[..start].ends_with(PREFIX) && run.len() > NUMBER_DIGITS + 2 {
                let head = &run[..NUMBER_DIGITS + 2];
                if valid(head) {
                    return Some(Self(format!("{PREFIX}{head}")));
                }
            }
        }
        None
    }
}

/// Upper case without the separators people and banks insert.
fn normalize(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '/' | '.' | '_'))
        .flat_map(char::to_uppercase)
        .collect()
}

impl fmt::Display for PaymentReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for PaymentReference {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value).ok_or_else(|| format!("{value:?} is not a payment reference"))
    }
}

impl From<PaymentReference> for String {
    fn from(value: PaymentReference) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_carry_valid_check_digits() {
        for n in [0, 1, 42, 123_456_789, 9_999_999_999, 12_345_678_901] {
            let r = PaymentReference::from_number(n);
            assert_eq!(r.as_str().len(), 14, "{r}");
            assert_eq!(PaymentReference::parse(r.as_str()), Some(r.clone()));
        }
    }

    #[test]
    fn a_single_typo_or_swap_is_caught() {
        let r = PaymentReference::from_number(1_234_567_890);
        let s = r.as_str();
        let typo = format!(
            "{}{}{}",
            &s[..5],
            if &s[5..6] == "3" { "4" } else { "3" },
            &s[6..]
        );
        assert_eq!(PaymentReference::parse(&typo), None);
        let mut swapped: Vec<char> = s.chars().collect();
        swapped.swap(3, 4);
        let swapped: String = swapped.into_iter().collect();
        if swapped != s {
            assert_eq!(PaymentReference::parse(&swapped), None);
        }
    }

    #[test]
    fn mangled_references_are_found_in_remittance_text() {
        let r = PaymentReference::from_number(1_234_567);
        let grouped = r.grouped();
        let lower = grouped.to_lowercase();
        let digits = &r.as_str()[2..];
        let dashed = format!("{}-{}-{}", &digits[..4], &digits[4..8], &digits[8..]);
        for text in [
            r.as_str().to_owned(),
            grouped.clone(),
            format!("Közlemény: {lower} eljárási díj"),
            format!("/ROC/{}", r.as_str()),
            format!("befizetes {dashed} Kovacs"),
            format!("{}HUF12000", r.as_str()),
        ] {
            assert_eq!(PaymentReference::find_in(&text), Some(r.clone()), "{text}");
        }
        assert_eq!(PaymentReference::find_in("Számla 2026/123 Kovács"), None);
        assert_eq!(PaymentReference::find_in(""), None);
    }
}
