//! Phone numbers as Hungarians write them (`06 30 123 4567`, `+36 30 123 4567`,
//! `(1) 234 5678`), stored in one form (E.164) so that the same number is found and matched
//! however it was typed.

use phonenumber::Mode;
use phonenumber::country::Id;

/// Why a phone number is refused; the `Display` text is the field error citizens see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PhoneProblem {
    /// Letters or signs that have no place in a phone number, or no number at all.
    #[error("A telefonszám csak számjegyeket, szóközt és a + - / ( ) jeleket tartalmazhatja.")]
    Syntax,
    /// Digits that are no phone number in use (wrong length, unused prefix).
    #[error("Ez nem érvényes telefonszám (például: 06 30 123 4567 vagy +36 1 234 5678).")]
    Invalid,
}

impl PhoneProblem {
    /// The same message in English, for the English pages.
    pub fn message_en(&self) -> &'static str {
        match self {
            PhoneProblem::Syntax => {
                "A phone number may contain only digits, spaces and the signs + - / ( )."
            }
            PhoneProblem::Invalid => {
                "This is not a valid phone number (for example: +36 30 123 4567 or +36 1 234 5678)."
            }
        }
    }
}

/// The number in E.164 (`+36301234567`), Hungary being the default country, or why it is
/// refused. Numbers of other countries need their `+` (or `00`) prefix.
pub fn normalise_phone(text: &str) -> Result<String, PhoneProblem> {
    let text = text.trim();
    let digits = text.chars().filter(char::is_ascii_digit).count();
    let allowed = |c: char| c.is_ascii_digit() || " +-/().".contains(c);
    // The parser is lenient (it finds numbers in sentences and reads `ext.`): only
    // what people write in a phone field reaches it.
    if digits == 0 || !text.chars().all(allowed) || text.len() > 32 {
        return Err(PhoneProblem::Syntax);
    }
    if text.chars().skip(1).any(|c| c == '+') {
        return Err(PhoneProblem::Syntax);
    }
    let number = phonenumber::parse(Some(Id::HU), text).map_err(|_| PhoneProblem::Invalid)?;
    if !phonenumber::is_valid(&number) {
        return Err(PhoneProblem::Invalid);
    }
    Ok(number.format().mode(Mode::E164).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_common_hungarian_notation_gives_the_same_number() {
        for written in [
            "06 30 123 4567",
            "06-30/123-4567",
            "+36 30 123 4567",
            "+36301234567",
            "0036301234567",
            "30/123-4567",
            "(30) 123-4567",
            " 06 30 123 45 67 ",
        ] {
            assert_eq!(
                normalise_phone(written).as_deref(),
                Ok("+36301234567"),
                "{written:?}"
            );
        }
    }

    #[test]
    fn budapest_and_country_landlines_are_accepted() {
        assert_eq!(
            normalise_phone("(1) 234 5678").as_deref(),
            Ok("+3612345678")
        );
        assert_eq!(
            normalise_phone("06 1 234 5678").as_deref(),
            Ok("+3612345678")
        );
        assert_eq!(
            normalise_phone("+36 1 234 5678").as_deref(),
            Ok("+3612345678")
        );
        // Debrecen.
        assert_eq!(
            normalise_phone("06 52 123 456").as_deref(),
            Ok("+3652123456")
        );
    }

    #[test]
    fn a_valid_foreign_number_with_its_prefix_is_accepted() {
        assert_eq!(
            normalise_phone("+49 30 901820").as_deref(),
            Ok("+4930901820")
        );
        assert_eq!(
            normalise_phone("+43 664 1234567").as_deref(),
            Ok("+436641234567")
        );
    }

    #[test]
    fn numbers_that_are_not_in_use_are_refused() {
        for bad in [
            "123",
            "06 30 123",
            "06 30 123 4567 890",
            "06 99 123 4567",
            "+36 30 123 45",
            "0000000000",
            "+999 123 456 789",
        ] {
            assert_eq!(normalise_phone(bad), Err(PhoneProblem::Invalid), "{bad:?}");
        }
        assert!(PhoneProblem::Invalid.to_string().contains("nem érvényes"));
        assert!(PhoneProblem::Invalid.message_en().contains("not a valid"));
    }

    #[test]
    fn text_that_is_no_phone_number_is_refused() {
        for bad in [
            "",
            "   ",
            "hívjon: 06301234567",
            "06 30 123 4567 ext. 12",
            "+36 30 123 4567; DROP TABLE",
            "tel:+36-30-123-4567",
            "+36+30 123 4567",
            "06 30 １２３ 4567",
        ] {
            assert_eq!(normalise_phone(bad), Err(PhoneProblem::Syntax), "{bad:?}");
        }
        assert!(PhoneProblem::Syntax.to_string().contains("számjegyeket"));
        assert!(PhoneProblem::Syntax.message_en().contains("only digits"));
    }
}
