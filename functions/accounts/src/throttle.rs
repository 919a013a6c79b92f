//! Counting failures per subject (an account, a client address) in a fixed window, so that
//! password guessing slows to a crawl. Counters are updated with optimistic locking.

use serde::{Deserialize, Serialize};
use std::sync::Arc;
use varoskapu_core::{Clock, Condition, ItemWrite, Key, Table, TableError, Update};

/// How many failures a subject may have in a window before it is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleLimits {
    pub max_failures: u32,
    pub window_seconds: i64,
}

/// Failure counters on the table.
pub struct Throttle {
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Counter {
    failures: u32,
    window_start: i64,
}

const RETRIES: usize = 5;

impl Throttle {
    pub fn new(table: Arc<dyn Table>, clock: Arc<dyn Clock>) -> Self {
        Self { table, clock }
    }

    fn key(subject: &str) -> Key {
        Key::new(format!("THROTTLE#{subject}"), "THROTTLE")
    }

    /// Seconds until the subject may try again, or `None` if it may try now.
    pub async fn blocked_for(
        &self,
        subject: &str,
        limits: ThrottleLimits,
    ) -> Result<Option<i64>, TableError> {
        let Some(item) = self.table.get(&Self::key(subject)).await? else {
            return Ok(None);
        };
        let counter: Counter = item.parse()?;
        let now = self.clock.unix_seconds();
        let ends = counter.window_start + limits.window_seconds;
        Ok((counter.failures >= limits.max_failures && now < ends).then_some(ends - now))
    }

    /// Counts one failure of the subject.
    pub async fn record_failure(
        &self,
        subject: &str,
        limits: ThrottleLimits,
    ) -> Result<(), TableError> {
        let key = Self::key(subject);
        for _ in 0..RETRIES {
            let now = self.clock.unix_seconds();
            let fresh = Counter {
                failures: 1,
                window_start: now,
            };
            let result = match self.table.get(&key).await? {
                None => {
                    let item = ItemWrite::from_serde(key.clone(), &fresh)?
                        .expires_at(now + limits.window_seconds);
                    self.table.put(item, Condition::NotExists).await.map(drop)
                }
                Some(item) => {
                    let counter: Counter = item.parse()?;
                    let update = if now >= counter.window_start + limits.window_seconds {
                        Update::default()
                            .set("failures", 1)
                            .set("window_start", now)
                            .ttl(Some(now + limits.window_seconds))
                    } else {
                        Update::default().set("failures", counter.failures.saturating_add(1))
                    };
                    self.table
                        .update(&key, update, Condition::Version(item.version))
                        .await
                        .map(drop)
                }
            };
            match result {
                Err(e) if e.is_condition_failure() || e == TableError::Conflict => continue,
                other => return other,
            }
        }
        Err(TableError::Conflict)
    }

    /// Forgets a subject's failures (after a success).
    pub async fn clear(&self, subject: &str) -> Result<(), TableError> {
        self.table
            .delete(&Self::key(subject), Condition::None)
            .await
    }
}
