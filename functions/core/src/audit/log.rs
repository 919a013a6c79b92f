//! `AuditLog`: appends entries to their streams, alone or in the transaction of the change
//! they record. An entry is claimed by a not-exists write of its place (`seq`) in the
//! stream, so two writers can never both append after the same head: the loser seals its
//! entry again onto the new head and retries.
//!
//! | item | pk / sk | index |
//! |---|---|---|
//! | entry | `AUDIT#<stream>` / `<seq, 12 digits>` | gsi1 `AUDITLOG` / `<UTC time>#<stream>#<seq>` (every entry, by time) |
//! | anchor | `AUDITANCHOR` / `<anchor seq, 12 digits>` | |

use super::anchor::Notary;
use super::entry::{AuditEntry, AuditEvent, AuditStream, sortable};
use crate::cases::Actor;
use crate::clock::{Clock, IdGenerator};
use crate::table::{Condition, IndexName, Item, ItemWrite, Key, Query, Table, TableError, TxOp};
use jiff::Timestamp;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The partition prefix of audit streams (the IAM condition of the template names it).
pub const STREAM_PREFIX: &str = "AUDIT#";
/// The index partition listing every entry by time.
pub(crate) const LOG_INDEX_PARTITION: &str = "AUDITLOG";
/// How often an append that lost the chain head to a concurrent one is sealed again.
const MAX_ATTEMPTS: usize = 64;

/// The audit log over the table.
#[derive(Clone)]
pub struct AuditLog {
    pub(crate) table: Arc<dyn Table>,
    pub(crate) clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    /// Signs and timestamps the daily anchors; without one, no anchors are made here.
    pub(crate) notary: Option<Arc<dyn Notary>>,
    /// The latest anchor cut-off this process knows of, so the check costs nothing.
    pub(crate) anchored_until: Arc<Mutex<Option<Timestamp>>>,
}

pub(crate) fn entry_key(stream: &AuditStream, seq: u64) -> Key {
    Key::new(stream.partition(), format!("{seq:012}"))
}

/// The item of a sealed entry, listed in the time index.
pub(crate) fn entry_item(entry: &AuditEntry) -> Result<ItemWrite, TableError> {
    Ok(
        ItemWrite::from_serde(entry_key(&entry.stream, entry.seq), entry)?.with_index(
            IndexName::Gsi1,
            Key::new(
                LOG_INDEX_PARTITION,
                format!("{}#{}#{:012}", sortable(entry.at), entry.stream, entry.seq),
            ),
        ),
    )
}

/// Whether an operation appends an audit entry (and may be sealed again).
fn is_append(op: &TxOp) -> bool {
    matches!(op, TxOp::Put { item, condition: Condition::NotExists }
        if item.key.pk.starts_with(STREAM_PREFIX))
}

/// Whether `ops` append an entry to `stream` (a use case then need not record the step
/// again).
pub fn appends_to(ops: &[TxOp], stream: &AuditStream) -> bool {
    let partition = stream.partition();
    ops.iter()
        .any(|op| is_append(op) && op.key().pk == partition)
}

/// Whether the appends among `ops` follow each other in their streams (each the next
/// place after the one before it in `ops`, linked to its hash).
fn appends_chain(ops: &[TxOp]) -> bool {
    let mut last: HashMap<String, (u64, Option<String>)> = HashMap::new();
    for op in ops {
        let TxOp::Put { item, .. } = op else {
            continue;
        };
        if !is_append(op) {
            continue;
        }
        let seq = item.data.get("seq").and_then(|v| v.as_u64()).unwrap_or(0);
        let hash = item
            .data
            .get("hash")
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        let prev = item
            .data
            .get("prev")
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        if let Some((before, before_hash)) = last.get(&item.key.pk)
            && (seq != before + 1 || prev != *before_hash)
        {
            return false;
        }
        last.insert(item.key.pk.clone(), (seq, hash));
    }
    true
}

impl AuditLog {
    pub fn new(table: Arc<dyn Table>, clock: Arc<dyn Clock>, ids: Arc<dyn IdGenerator>) -> Self {
        Self {
            table,
            clock,
            ids,
            notary: None,
            anchored_until: Arc::new(Mutex::new(None)),
        }
    }

    /// Makes this log anchor each finished day when it next writes (see [`Notary`]).
    pub fn with_notary(mut self, notary: Arc<dyn Notary>) -> Self {
        self.notary = Some(notary);
        self
    }

    /// An event of `action` by `actor` on `stream`, now.
    pub fn event(
        &self,
        stream: AuditStream,
        actor: &Actor,
        action: &str,
        origin: Option<&str>,
    ) -> AuditEvent {
        AuditEvent {
            stream,
            actor: actor.clone(),
            action: action.to_owned(),
            object: None,
            at: self.clock.now(),
            origin: origin.map(str::to_owned),
        }
    }

    /// The last entry of a stream.
    pub async fn head(&self, stream: &AuditStream) -> Result<Option<AuditEntry>, TableError> {
        let page = self
            .table
            .query(Query::partition(stream.partition()).descending().limit(1))
            .await?;
        page.items.first().map(Item::parse).transpose()
    }

    /// Seals `events` onto the current heads of their streams (in order) and returns the
    /// operations that append them; put them in the transaction of the change they record
    /// and commit it with [`AuditLog::commit`], which seals them again if a concurrent
    /// writer moved a head in between.
    pub async fn seal(&self, events: Vec<AuditEvent>) -> Result<Vec<TxOp>, TableError> {
        let mut heads: HashMap<AuditStream, (u64, Option<String>)> = HashMap::new();
        let mut ops = Vec::with_capacity(events.len());
        for event in events {
            let (seq, prev) = match heads.get(&event.stream) {
                Some(head) => head.clone(),
                None => match self.head(&event.stream).await? {
                    Some(h) => (h.seq, Some(h.hash)),
                    None => (0, None),
                },
            };
            let entry = AuditEntry::seal(event, self.ids.new_id(), seq + 1, prev);
            heads.insert(entry.stream.clone(), (entry.seq, Some(entry.hash.clone())));
            ops.push(TxOp::Put {
                item: entry_item(&entry)?,
                condition: Condition::NotExists,
            });
        }
        Ok(ops)
    }

    /// Seals the appends among `ops` again onto the current heads, keeping their ids.
    async fn reseal(&self, ops: Vec<TxOp>) -> Result<Vec<TxOp>, TableError> {
        let mut heads: HashMap<AuditStream, (u64, Option<String>)> = HashMap::new();
        let mut out = Vec::with_capacity(ops.len());
        for op in ops {
            let item = match &op {
                TxOp::Put { item, .. } if is_append(&op) => item,
                _ => {
                    out.push(op);
                    continue;
                }
            };
            let old: AuditEntry =
                serde_json::from_value(serde_json::Value::Object(item.data.clone()))
                    .map_err(|e| TableError::Invalid(format!("audit entry: {e}")))?;
            let (seq, prev) = match heads.get(&old.stream) {
                Some(head) => head.clone(),
                None => match self.head(&old.stream).await? {
                    Some(h) => (h.seq, Some(h.hash)),
                    None => (0, None),
                },
            };
            let entry = AuditEntry::seal(old.event(), old.id, seq + 1, prev);
            heads.insert(entry.stream.clone(), (entry.seq, Some(entry.hash.clone())));
            out.push(TxOp::Put {
                item: entry_item(&entry)?,
                condition: Condition::NotExists,
            });
        }
        Ok(out)
    }

    /// Applies `ops` as one transaction. When only audit appends failed (another writer
    /// extended their stream first) they are sealed onto the new heads and the transaction
    /// is tried again; any other failure is returned as the table reported it, with the
    /// indices of `ops`.
    pub async fn commit(&self, ops: Vec<TxOp>) -> Result<(), TableError> {
        let mut ops = ops;
        // Appends sealed apart (the caller's and ours) onto the same head are chained anew.
        if !appends_chain(&ops) {
            ops = self.reseal(ops).await?;
        }
        for _ in 0..MAX_ATTEMPTS {
            match self.table.transact(ops.clone()).await {
                Ok(()) => {
                    self.anchor_if_due().await;
                    return Ok(());
                }
                Err(TableError::TransactionFailed { failed })
                    if !failed.is_empty()
                        && failed.iter().all(|i| ops.get(*i).is_some_and(is_append)) =>
                {
                    ops = self.reseal(ops).await?;
                }
                Err(e) => return Err(e),
            }
        }
        Err(TableError::Conflict)
    }

    /// Records one event on its own (a read that changes nothing else).
    pub async fn record(&self, event: AuditEvent) -> Result<(), TableError> {
        let ops = self.seal(vec![event]).await?;
        self.commit(ops).await
    }

    /// A stream's entries, oldest first.
    pub async fn trail(&self, stream: &AuditStream) -> Result<Vec<AuditEntry>, TableError> {
        self.items(Query::partition(stream.partition()))
            .await?
            .iter()
            .map(Item::parse)
            .collect()
    }

    /// Every item a query selects, page after page.
    pub(crate) async fn items(&self, query: Query) -> Result<Vec<Item>, TableError> {
        let mut out = Vec::new();
        let mut cursor = None;
        loop {
            let page = self.table.query(query.clone().after(cursor)).await?;
            out.extend(page.items);
            cursor = page.cursor;
            if cursor.is_none() {
                return Ok(out);
            }
        }
    }
}
