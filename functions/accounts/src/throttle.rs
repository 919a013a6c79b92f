//! Slowing guessers down without locking owners out (OWASP ASVS 2.2).
//!
//! Every attempt of a subject (an account from one client address, or one address across
//! accounts) takes a numbered slot with one conditional write, and a slot past the free
//! ones may be taken only after a delay that doubles with each further attempt. Because
//! taking the slot *is* the reservation, N parallel guesses check at most as many
//! passwords as there are slots open; a lost race is a refusal, never an unchecked or
//! uncounted attempt. Slots are forgotten after `memory_seconds`.

use serde::{Deserialize, Serialize};
use std::sync::Arc;
use varoskapu_core::{Clock, Condition, ItemWrite, Key, Query, Table, TableError};

/// How fast a subject may try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleLimits {
    /// Attempts without any delay.
    pub free_attempts: u32,
    /// The wait before the first attempt past the free ones; it doubles with each more.
    pub first_delay_seconds: i64,
    /// The longest wait between two attempts.
    pub max_delay_seconds: i64,
    /// How long an attempt is remembered.
    pub memory_seconds: i64,
}

impl ThrottleLimits {
    /// The wait required before the attempt that follows `taken` remembered ones.
    fn delay_after(&self, taken: u32) -> i64 {
        if taken < self.free_attempts {
            return 0;
        }
        let doublings = (taken - self.free_attempts).min(30);
        self.first_delay_seconds
            .saturating_mul(1i64 << doublings)
            .min(self.max_delay_seconds)
    }
}

/// One attempt's slot.
#[derive(Debug, Serialize, Deserialize)]
struct Slot {
    index: u64,
    at: i64,
}

/// Attempt slots on the table.
pub struct Throttle {
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
}

/// How often a lost race for a slot is retried before the attempt is refused.
const RACES: usize = 8;

impl Throttle {
    pub fn new(table: Arc<dyn Table>, clock: Arc<dyn Clock>) -> Self {
        Self { table, clock }
    }

    fn partition(subject: &str) -> String {
        format!("THROTTLE#{subject}")
    }

    async fn slots(&self, subject: &str) -> Result<Vec<Slot>, TableError> {
        let mut slots = Vec::new();
        let mut cursor = None;
        loop {
            let page = self
                .table
                .query(Query::partition(Self::partition(subject)).after(cursor))
                .await?;
            for item in &page.items {
                slots.push(item.parse::<Slot>()?);
            }
            cursor = page.cursor;
            if cursor.is_none() {
                return Ok(slots);
            }
        }
    }

    /// When the subject's next attempt may start (Unix seconds), and that slot's index.
    fn next(slots: &[Slot], limits: ThrottleLimits) -> (i64, u64) {
        let taken = u32::try_from(slots.len()).unwrap_or(u32::MAX);
        let last = slots.iter().max_by_key(|s| s.index);
        let not_before = last.map_or(i64::MIN, |s| s.at + limits.delay_after(taken));
        (not_before, last.map_or(0, |s| s.index + 1))
    }

    /// Seconds until the subject may try again, or `None` if it may try now.
    pub async fn blocked_for(
        &self,
        subject: &str,
        limits: ThrottleLimits,
    ) -> Result<Option<i64>, TableError> {
        let (not_before, _) = Self::next(&self.slots(subject).await?, limits);
        let now = self.clock.unix_seconds();
        Ok((now < not_before).then(|| not_before - now))
    }

    /// Takes the subject's next slot, or says how long to wait. Taking it counts the
    /// attempt, whatever its outcome; a success may [`clear`](Self::clear) it afterwards.
    pub async fn reserve(
        &self,
        subject: &str,
        limits: ThrottleLimits,
    ) -> Result<Reservation, TableError> {
        for _ in 0..RACES {
            let (not_before, index) = Self::next(&self.slots(subject).await?, limits);
            let now = self.clock.unix_seconds();
            if now < not_before {
                return Ok(Reservation::Wait(not_before - now));
            }
            let slot = Slot { index, at: now };
            let key = Key::new(Self::partition(subject), format!("{index:020}"));
            let item = ItemWrite::from_serde(key, &slot)?.expires_at(now + limits.memory_seconds);
            match self.table.put(item, Condition::NotExists).await {
                Ok(_) => return Ok(Reservation::Taken),
                // Another attempt took this slot first: look again.
                Err(e) if e.is_condition_failure() || e == TableError::Conflict => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(Reservation::Wait(1))
    }

    /// Counts one attempt that has already happened (a failure seen afterwards).
    pub async fn record(&self, subject: &str, limits: ThrottleLimits) -> Result<(), TableError> {
        for _ in 0..RACES {
            let (_, index) = Self::next(&self.slots(subject).await?, limits);
            let now = self.clock.unix_seconds();
            let key = Key::new(Self::partition(subject), format!("{index:020}"));
            let item = ItemWrite::from_serde(key, &Slot { index, at: now })?
                .expires_at(now + limits.memory_seconds);
            match self.table.put(item, Condition::NotExists).await {
                Err(e) if e.is_condition_failure() || e == TableError::Conflict => continue,
                other => return other.map(drop),
            }
        }
        Err(TableError::Conflict)
    }

    /// Forgets a subject's attempts (after a success).
    pub async fn clear(&self, subject: &str) -> Result<(), TableError> {
        let partition = Self::partition(subject);
        for slot in self.slots(subject).await? {
            let key = Key::new(partition.clone(), format!("{:020}", slot.index));
            self.table.delete(&key, Condition::None).await?;
        }
        Ok(())
    }
}

/// The outcome of [`Throttle::reserve`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// The attempt may go ahead.
    Taken,
    /// Not before this many seconds.
    Wait(i64),
}

#[cfg(test)]
mod tests {
    use super::*;
    use varoskapu_core::ManualClock;
    use varoskapu_embedded::SqliteTable;

    const LIMITS: ThrottleLimits = ThrottleLimits {
        free_attempts: 3,
        first_delay_seconds: 10,
        max_delay_seconds: 60,
        memory_seconds: 3600,
    };

    fn throttle() -> (Arc<Throttle>, Arc<ManualClock>) {
        let clock = Arc::new(ManualClock::new(
            jiff::Timestamp::from_second(1_800_000_000).expect("ts"),
        ));
        let table = Arc::new(SqliteTable::in_memory(clock.clone()).expect("sqlite"));
        (Arc::new(Throttle::new(table, clock.clone())), clock)
    }

    #[test]
    fn delays_double_after_the_free_attempts_up_to_the_cap() {
        let delays: Vec<i64> = (0..8).map(|n| LIMITS.delay_after(n)).collect();
        assert_eq!(delays, [0, 0, 0, 10, 20, 40, 60, 60]);
    }

    #[tokio::test]
    async fn attempts_past_the_free_ones_wait_progressively_longer() {
        let (throttle, clock) = throttle();
        for _ in 0..3 {
            assert_eq!(throttle.reserve("s", LIMITS).await, Ok(Reservation::Taken));
        }
        assert_eq!(
            throttle.reserve("s", LIMITS).await,
            Ok(Reservation::Wait(10))
        );
        clock.advance(jiff::SignedDuration::from_secs(10));
        assert_eq!(throttle.reserve("s", LIMITS).await, Ok(Reservation::Taken));
        assert_eq!(
            throttle.reserve("s", LIMITS).await,
            Ok(Reservation::Wait(20))
        );
        assert_eq!(throttle.blocked_for("s", LIMITS).await, Ok(Some(20)));
        assert_eq!(throttle.blocked_for("other", LIMITS).await, Ok(None));
        throttle.clear("s").await.expect("clear");
        assert_eq!(throttle.reserve("s", LIMITS).await, Ok(Reservation::Taken));
    }

    #[tokio::test]
    async fn forty_parallel_attempts_take_only_the_free_slots() {
        let (throttle, _) = throttle();
        let attempts = (0..40).map(|_| {
            let throttle = throttle.clone();
            tokio::spawn(async move { throttle.reserve("victim", LIMITS).await })
        });
        let mut taken = 0;
        for attempt in attempts {
            if attempt.await.expect("task") == Ok(Reservation::Taken) {
                taken += 1;
            }
        }
        assert_eq!(taken, 3);
    }

    #[tokio::test]
    async fn attempts_are_forgotten_after_the_memory_window() {
        let (throttle, clock) = throttle();
        for _ in 0..4 {
            throttle.record("s", LIMITS).await.expect("record");
        }
        assert!(
            throttle
                .blocked_for("s", LIMITS)
                .await
                .expect("read")
                .is_some()
        );
        clock.advance(jiff::SignedDuration::from_secs(3601));
        assert_eq!(throttle.blocked_for("s", LIMITS).await, Ok(None));
    }
}
