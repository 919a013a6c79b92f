//! Arrival numbers (`2026/000123`) and filing numbers (iktatószám, `IK-000045/2026`): one
//! counter item per series and year, bumped with a version condition in the same
//! transaction as the write that uses the number, so a number is used exactly once and
//! none is skipped: a lost race or a failed write consumes nothing.
//!
//! Within one process, the claims of a series take turns: a second claim read while the
//! first is still being written would only lose its race and make its use case do all its
//! work again. Claims from other processes (other Lambda instances) still race, and the
//! loser retries.

use crate::table::{Condition, ItemWrite, Key, Table, TableError, TxOp};
use serde_json::json;
use tokio::sync::{Mutex, MutexGuard};

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

/// This process's turn to claim a number of a series; the next claim waits until it is
/// dropped.
pub type Turn = MutexGuard<'static, ()>;

// tokio's lock hands turns out in the order they were asked for; with a lock that lets a
// newcomer barge in, a submission at 16 concurrent clients waited over a second for its turn.
static ARRIVAL_TURNS: Mutex<()> = Mutex::const_new(());
static FILING_TURNS: Mutex<()> = Mutex::const_new(());

/// The next number of a series, and the transaction operation that claims it.
#[derive(Debug)]
pub struct NextNumber {
    pub number: String,
    pub claim: TxOp,
    /// Keep it until the transaction with `claim` has been committed or has failed.
    pub turn: Turn,
}

/// Waits for this process's turn at the series, then reads the counter and prepares the
/// claim of the next number; the claim fails (and with it the transaction) if anyone
/// claimed a number in between.
pub async fn next_number(
    table: &dyn Table,
    series: Series,
    year: i16,
) -> Result<NextNumber, TableError> {
    let turns = match series {
        Series::Arrival => &ARRIVAL_TURNS,
        Series::Filing => &FILING_TURNS,
    };
    let turn = turns.lock().await;
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
        turn,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryTable;
    use crate::clock::SystemClock;
    use futures::FutureExt;
    use std::sync::Arc;

    #[test]
    fn a_claim_read_while_another_is_written_gets_the_next_number() {
        futures::executor::block_on(async {
            let table = MemoryTable::new(Arc::new(SystemClock));
            let first = next_number(&table, Series::Filing, 2031).await.unwrap();
            let mut second = Box::pin(next_number(&table, Series::Filing, 2031));
            assert!(
                second.as_mut().now_or_never().is_none(),
                "the second claim must wait for the first to be written"
            );
            table.transact(vec![first.claim]).await.unwrap();
            drop(first.turn);
            let second = second.await.unwrap();
            assert_eq!(first.number, "IK-000001/2031");
            assert_eq!(second.number, "IK-000002/2031");
            table.transact(vec![second.claim]).await.unwrap();
        });
    }

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
