//! JSON read the way JSON Schema reads it, where serde is stricter.

use serde::{Deserialize, Deserializer, de::Error as _};

/// A non-negative whole number, also when a client writes it with a zero fraction
/// (`2048.0`): JSON Schema's `integer` admits both, and JavaScript clients send either.
pub fn whole_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    let number = serde_json::Number::deserialize(deserializer)?;
    if let Some(n) = number.as_u64() {
        return Ok(n);
    }
    match number.as_f64() {
        // 2^64 is exactly representable; anything at or past it does not fit.
        Some(f) if f >= 0.0 && f.fract() == 0.0 && f < 18_446_744_073_709_551_616.0 => Ok(f as u64),
        _ => Err(D::Error::custom("must be a whole number of at least 0")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Sized {
        #[serde(deserialize_with = "whole_number")]
        size: u64,
    }

    fn size(json: &str) -> Result<u64, serde_json::Error> {
        serde_json::from_str::<Sized>(json).map(|s| s.size)
    }

    #[test]
    fn reads_whole_numbers_with_or_without_a_zero_fraction() {
        assert_eq!(size(r#"{"size": 2048}"#).unwrap(), 2048);
        assert_eq!(size(r#"{"size": 2048.0}"#).unwrap(), 2048);
        assert_eq!(size(r#"{"size": 2.1e12}"#).unwrap(), 2_100_000_000_000);
    }

    #[test]
    fn refuses_fractions_negatives_strings_and_overflow() {
        for json in [
            r#"{"size": 1.5}"#,
            r#"{"size": -1}"#,
            r#"{"size": "12"}"#,
            r#"{"size": 1e20}"#,
        ] {
            assert!(size(json).is_err(), "{json} was accepted");
        }
    }
}
