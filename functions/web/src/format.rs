//! Figures as people read them on a page.

/// Money as people read it (`12 000 Ft`), grouped by thousands with no-break spaces.
pub fn money(amount: i64, currency: &str) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push('\u{a0}');
        }
        grouped.push(c);
    }
    let sign = if amount < 0 { "-" } else { "" };
    match currency {
        "HUF" => format!("{sign}{grouped}\u{a0}Ft"),
        other => format!("{sign}{grouped}\u{a0}{other}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn money_is_grouped_by_thousands() {
        assert_eq!(super::money(12_000, "HUF"), "12\u{a0}000\u{a0}Ft");
        assert_eq!(
            super::money(-1_234_567, "HUF"),
            "-1\u{a0}234\u{a0}567\u{a0}Ft"
        );
        assert_eq!(super::money(950, "EUR"), "950\u{a0}EUR");
    }
}
