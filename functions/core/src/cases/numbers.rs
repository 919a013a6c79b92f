//! Arrival numbers (`2026/000123`) and filing numbers (iktatószám, `IK-000045/2026`): one
//! counter item per series and year, bumped with a version condition in the same
//! transaction as the write that uses the number, so a number is used exactly once and
//! none is skipped: a lost race or a failed write consumes nothing.

use crate::table::{Condition, ItemWrite, Key, Table, TableError, TxOp};
use serde_json::json;

/// A numbered series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Series {
    /// Érkeztetési szám: every submitted case.
    Arrival,
    /// Iktatószám: every filed case.
    Filing,
}

impl Series {
    fn name(self) -> &'static str {
        match self {
            Series::Arrival => "arrival",
            Series::Filing => "filing",
        }
    }

    /// How the `n`th number of `year` is written.
    pub fn format(self, year: i16, n: u64) -> String {
        match self {
            Series::Arrival => format!("{year}/{n:06}"),
            Series::Filing => format!("IK-{n:06}/{year}"),
        }
    }
}

/// The counter item of a series and year.
pub fn counter_key(series: Series, year: i16) -> Key {
    Key::new(format!("COUNTER#{}#{year}", series.name()), "COUNTER")
}

/// The next number of a series, and the transaction operation that claims it.
#[derive(Debug, Clone, PartialEq)]
pub struct NextNumber {
    pub number: String,
    pub claim: TxOp,
}

/// Reads the counter and prepares the claim of the next number; the claim fails (and with
/// it the transaction) if anyone claimed a number in between.
pub async fn next_number(
    table: &dyn Table,
    series: Series,
    year: i16,
) -> Result<NextNumber, TableError> {
    let key = counter_key(series, year);
    let current = table.get(&key).await?;
    let (last, condition) = match &current {
        Some(item) => (
            item.data.get("last").and_then(|v| v.as_u64()).unwrap_or(0),
            Condition::Version(item.version),
        ),
        None => (0, Condition::NotExists),
    };
    let n = last + 1;
    let data = json!({"last": n, "series": series.name(), "year": year});
    let item = ItemWrite::new(key, data.as_object().cloned().unwrap_or_default());
    Ok(NextNumber {
        number: series.format(year, n),
        claim: TxOp::Put { item, condition },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_zero_padded_per_year() {
        assert_eq!(Series::Arrival.format(2026, 123), "2026/000123");
        assert_eq!(Series::Filing.format(2026, 45), "IK-000045/2026");
        assert_ne!(
            counter_key(Series::Arrival, 2026),
            counter_key(Series::Arrival, 2027)
        );
    }
}
