//! Bank account numbers as banks print them: Hungarian GIRO numbers (`8-8` or `8-8-8`
//! digits) and IBANs, compared by the IBAN they stand for, so that a statement naming the
//! collection account in either form is recognised and any other account is not.

/// The IBAN an account number stands for: an IBAN as given (spaces removed, upper case,
/// its check digits verified), a Hungarian GIRO number as its `HU` IBAN; `None` otherwise.
pub fn iban_of(account: &str) -> Option<String> {
    let compact: String = account
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .to_ascii_uppercase();
    if compact.len() > 34 || !compact.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    if compact.bytes().all(|b| b.is_ascii_digit()) {
        let bban = match compact.len() {
            16 => format!("{compact}00000000"),
            24 => compact,
            _ => return None,
        };
        let check = 98 - mod97(&format!("{bban}HU00"))?;
        return Some(format!("HU{check:02}{bban}"));
    }
    let (country, rest) = compact.split_at_checked(2)?;
    if !country.bytes().all(|b| b.is_ascii_uppercase())
        || rest.len() < 3
        || !rest[..2].bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    // ISO 13616: the country code and check digits moved to the end leave 1 (mod 97).
    (mod97(&format!("{}{}", &rest[2..], &compact[..4]))? == 1).then_some(compact)
}

/// Whether two account numbers name the same account.
pub fn same_account(a: &str, b: &str) -> bool {
    matches!((iban_of(a), iban_of(b)), (Some(a), Some(b)) if a == b)
}

/// The number ISO 13616 reads `text` as (letters are 10 to 35), modulo 97.
fn mod97(text: &str) -> Option<u32> {
    let mut rest = 0u32;
    for c in text.chars() {
        let value = c.to_digit(36)?;
        rest = if value < 10 {
            (rest * 10 + value) % 97
        } else {
            (rest * 100 + value) % 97
        };
    }
    Some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_giro_number_and_its_iban_are_the_same_account() {
        assert_eq!(
            iban_of("11784009-15735650-00000000").as_deref(),
            Some("HU39117840091573565000000000")
        );
        assert!(same_account(
            "11784009-15735650",
            "HU39 1178 4009 1573 5650 0000 0000"
        ));
        assert!(same_account(
            "hu39117840091573565000000000",
            "11784009-15735650-00000000"
        ));
    }

    #[test]
    fn other_accounts_and_bad_check_digits_are_not_the_same() {
        let other = iban_of("11773016-11111018-00000000").expect("a GIRO number");
        assert!(!same_account("11784009-15735650-00000000", &other));
        // One digit changed: the check digits no longer hold.
        assert_eq!(iban_of("HU39117840091573565000000001"), None);
        assert!(!same_account("", ""));
        assert!(!same_account("x", "x"));
        assert_eq!(
            iban_of("DE89370400440532013000").as_deref(),
            Some("DE89370400440532013000")
        );
    }
}
