//! Requests to rebuild the search index from the table, where the index's one writer is
//! not the operator's process (on AWS: the indexer function, fed by the change stream).
//!
//! An operator who rebuilt the index herself would be a second writer racing the indexer.
//! Instead she writes a request into the table (`varoskapu-aws crm reindex`): its insertion
//! reaches the indexer through the same change stream as the records' changes, the indexer
//! rebuilds the index from the table, publishes it, and writes the outcome into the
//! request, which the command waits for. A request is answered once: a batch delivered
//! again finds it answered and rebuilds nothing. Requests vanish a month after they were
//! made.

use crate::{Clock, Condition, IdGenerator, ItemWrite, Key, Table, TableError, Update};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use uuid::Uuid;

/// The partition of the requests (the indexer's change-stream filter names it).
pub const PARTITION: &str = "crm-reindex";
const SORT_PREFIX: &str = "request#";
const KEPT_FOR: SignedDuration = SignedDuration::from_hours(24 * 31);

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RebuildStatus {
    /// Written, not yet answered by the indexer.
    Pending,
    /// The index was rebuilt and published.
    Done,
    /// The rebuild failed; `reason` says why, and a new request may be made.
    Failed,
}

impl RebuildStatus {
    fn as_str(self) -> &'static str {
        match self {
            RebuildStatus::Pending => "pending",
            RebuildStatus::Done => "done",
            RebuildStatus::Failed => "failed",
        }
    }
}

/// One request and, once answered, its outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RebuildRequest {
    pub id: Uuid,
    /// Who asked (the operator's name as her command line gave it).
    pub requested_by: String,
    pub requested_at: Timestamp,
    pub status: RebuildStatus,
    /// How many records the rebuilt index holds (when done).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<Timestamp>,
    /// Why it failed (when failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The requests in the table.
#[derive(Clone)]
pub struct RebuildRequests {
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

impl RebuildRequests {
    pub fn new(table: Arc<dyn Table>, clock: Arc<dyn Clock>, ids: Arc<dyn IdGenerator>) -> Self {
        Self { table, clock, ids }
    }

    pub fn key(id: Uuid) -> Key {
        Key::new(PARTITION, format!("{SORT_PREFIX}{id}"))
    }

    /// The request a table key names, for readers of the change stream.
    pub fn id_of(key: &Key) -> Option<Uuid> {
        if key.pk != PARTITION {
            return None;
        }
        Uuid::parse_str(key.sk.strip_prefix(SORT_PREFIX)?).ok()
    }

    /// Writes a new, pending request.
    pub async fn ask(&self, requested_by: &str) -> Result<RebuildRequest, TableError> {
        let now = self.clock.now();
        let request = RebuildRequest {
            id: self.ids.new_id(),
            requested_by: requested_by.to_owned(),
            requested_at: now,
            status: RebuildStatus::Pending,
            records: None,
            finished_at: None,
            reason: None,
        };
        let expires = now.saturating_add(KEPT_FOR).unwrap_or(now).as_second();
        let item = ItemWrite::from_serde(Self::key(request.id), &request)?.expires_at(expires);
        self.table.put(item, Condition::NotExists).await?;
        Ok(request)
    }

    pub async fn get(&self, id: Uuid) -> Result<Option<RebuildRequest>, TableError> {
        match self.table.get(&Self::key(id)).await? {
            Some(item) => Ok(Some(item.parse()?)),
            None => Ok(None),
        }
    }

    /// Of `ids`, the requests still waiting for an answer (gone or answered ones are left
    /// out: a batch delivered again asks for nothing).
    pub async fn pending(&self, ids: &[Uuid]) -> Result<Vec<Uuid>, TableError> {
        let mut pending = Vec::new();
        for &id in ids {
            if let Some(request) = self.get(id).await?
                && request.status == RebuildStatus::Pending
                && !pending.contains(&id)
            {
                pending.push(id);
            }
        }
        Ok(pending)
    }

    /// Answers a pending request: the record count of the rebuilt index, or why it failed.
    /// An answered (or vanished) request is left as it is.
    pub async fn answer(&self, id: Uuid, outcome: Result<u64, String>) -> Result<(), TableError> {
        let update = Update::default().set("finished_at", self.clock.now().to_string());
        let update = match outcome {
            Ok(records) => update
                .set("status", RebuildStatus::Done.as_str())
                .set("records", records),
            Err(reason) => update
                .set("status", RebuildStatus::Failed.as_str())
                .set("reason", reason),
        };
        let still_pending = Condition::field_equals("status", RebuildStatus::Pending.as_str());
        match self
            .table
            .update(&Self::key(id), update, still_pending)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.is_condition_failure() => Ok(()),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ManualClock, MemoryTable, SequentialIds};
    use futures::executor::block_on;

    fn requests() -> RebuildRequests {
        let clock = Arc::new(ManualClock::new("2026-12-03T10:00:00Z".parse().unwrap()));
        RebuildRequests::new(
            Arc::new(MemoryTable::new(clock.clone())),
            clock,
            Arc::new(SequentialIds::default()),
        )
    }

    #[test]
    fn a_request_is_answered_once() {
        block_on(async {
            let requests = requests();
            let asked = requests.ask("operator").await.unwrap();
            assert_eq!(asked.status, RebuildStatus::Pending);
            assert_eq!(
                RebuildRequests::id_of(&RebuildRequests::key(asked.id)),
                Some(asked.id)
            );
            assert_eq!(
                requests.pending(&[asked.id, asked.id]).await.unwrap(),
                vec![asked.id]
            );

            requests.answer(asked.id, Ok(412)).await.unwrap();
            // A batch delivered again, its rebuild failing this time, changes nothing.
            requests
                .answer(asked.id, Err("S3 is unavailable".into()))
                .await
                .unwrap();
            let answered = requests.get(asked.id).await.unwrap().unwrap();
            assert_eq!(answered.status, RebuildStatus::Done);
            assert_eq!(answered.records, Some(412));
            assert_eq!(answered.reason, None);
            assert!(answered.finished_at.is_some());
            assert!(requests.pending(&[asked.id]).await.unwrap().is_empty());
        });
    }

    #[test]
    fn a_failure_is_told_and_a_vanished_request_is_not_pending() {
        block_on(async {
            let requests = requests();
            let asked = requests.ask("operator").await.unwrap();
            requests
                .answer(asked.id, Err("the snapshot bucket refused".into()))
                .await
                .unwrap();
            let answered = requests.get(asked.id).await.unwrap().unwrap();
            assert_eq!(answered.status, RebuildStatus::Failed);
            assert_eq!(
                answered.reason.as_deref(),
                Some("the snapshot bucket refused")
            );

            let never_written = Uuid::from_u128(99);
            assert!(requests.pending(&[never_written]).await.unwrap().is_empty());
            requests.answer(never_written, Ok(1)).await.unwrap();
            assert!(requests.get(never_written).await.unwrap().is_none());
        });
    }

    #[test]
    fn other_keys_are_no_requests() {
        assert_eq!(
            RebuildRequests::id_of(&Key::new("crm-person#x", "request#x")),
            None
        );
        assert_eq!(RebuildRequests::id_of(&Key::new(PARTITION, "other")), None);
    }
}
