//! Time and identifiers as ports, so that tests decide what "now" is.

use jiff::{SignedDuration, Timestamp};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use uuid::Uuid;

/// The current time.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;

    /// The current time in whole Unix seconds (the unit of `ttl`).
    fn unix_seconds(&self) -> i64 {
        self.now().as_second()
    }
}

/// The machine's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that moves only when told to.
#[derive(Debug)]
pub struct ManualClock(Mutex<Timestamp>);

impl ManualClock {
    pub fn new(start: Timestamp) -> Self {
        Self(Mutex::new(start))
    }

    pub fn set(&self, now: Timestamp) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = now;
    }

    pub fn advance(&self, by: SignedDuration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now = now.saturating_add(by).unwrap_or(*now);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// New unique identifiers.
pub trait IdGenerator: Send + Sync + 'static {
    fn new_id(&self) -> Uuid;
}

/// UUID v7: time-ordered, so ids sort by creation.
#[derive(Debug, Default, Clone, Copy)]
pub struct UuidV7Ids;

impl IdGenerator for UuidV7Ids {
    fn new_id(&self) -> Uuid {
        Uuid::now_v7()
    }
}

/// Predictable ids for tests: 1, 2, 3… as UUIDs.
#[derive(Debug, Default)]
pub struct SequentialIds(AtomicU64);

impl IdGenerator for SequentialIds {
    fn new_id(&self) -> Uuid {
        Uuid::from_u128(u128::from(self.0.fetch_add(1, Ordering::Relaxed) + 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::new(Timestamp::from_second(1_000).unwrap());
        assert_eq!(clock.unix_seconds(), 1_000);
        clock.advance(SignedDuration::from_secs(60));
        assert_eq!(clock.unix_seconds(), 1_060);
    }

    #[test]
    fn uuid_v7_ids_are_time_ordered() {
        let a = UuidV7Ids.new_id();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = UuidV7Ids.new_id();
        assert_eq!(a.get_version_num(), 7);
        assert!(a < b);
    }
}
