//! Anchors: once a day the head (seq and hash) of every stream written since the last
//! anchor is recorded, chained to the previous anchor, signed with the document signing key
//! and RFC 3161-timestamped. An entry at or before an anchored head can then be neither
//! removed nor altered, nor the stream rewritten, without the anchor giving it away.
//!
//! An anchor covers the entries written before its cut-off (midnight UTC, or the moment
//! an operator anchors by hand). Entries of the last minutes before a cut-off are looked
//! at again by the next anchor, so a write still in flight at the cut-off is never missed.

use super::entry::{AuditEntry, AuditStream, sortable};
use super::log::{AuditLog, LOG_INDEX_PARTITION};
use crate::table::{Condition, Item, ItemWrite, Key, Query, SortKey, TableError};
use async_trait::async_trait;
use base64::Engine as _;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The partition of anchors.
pub(crate) const ANCHOR_PARTITION: &str = "AUDITANCHOR";
/// How long after midnight a day is anchored, and how far back each anchor looks again:
/// longer than any write can take between reading the clock and committing.
pub const ANCHOR_GRACE: SignedDuration = SignedDuration::from_mins(15);

/// Why an anchor could not be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnchorError {
    #[error(transparent)]
    Table(#[from] TableError),
    #[error("the anchor could not be signed or timestamped: {0}")]
    Notary(String),
    #[error("this log has no notary to sign anchors with")]
    NoNotary,
}

/// Signs and timestamps an anchor's digest: a detached CMS signature by the document
/// signing key over content with that SHA-256, carrying an RFC 3161 signature timestamp.
#[async_trait]
pub trait Notary: Send + Sync + 'static {
    /// The DER CMS `ContentInfo`; a signing or timestamp failure MUST return `Err` with why.
    async fn notarize(&self, digest: &[u8; 32]) -> Result<Vec<u8>, String>;
}

/// Checks what a [`Notary`] made against the municipality's trust anchors.
pub trait SealCheck: Send + Sync {
    /// The time the timestamp authority vouched for, or why the seal does not hold.
    fn check(&self, digest: &[u8; 32], seal: &[u8]) -> Result<Timestamp, String>;
}

/// The head of a stream as an anchor records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamHead {
    pub stream: AuditStream,
    pub seq: u64,
    pub hash: String,
}

/// What an anchor's digest covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnchorBody {
    /// 1 for the first anchor, then one more for each.
    pub sequence: u64,
    /// The anchor covers entries written before this time.
    pub cutoff: Timestamp,
    /// The digest (hex) of the previous anchor.
    pub prev: Option<String>,
    /// Streams written since the previous anchor, by name, with their heads at the cut-off.
    pub heads: Vec<StreamHead>,
    pub made_at: Timestamp,
}

impl AnchorBody {
    /// SHA-256 of the body's canonical JSON.
    pub fn digest(&self) -> [u8; 32] {
        // A struct of strings, numbers and times always serializes.
        Sha256::digest(serde_json::to_vec(self).unwrap_or_default()).into()
    }
}

/// An anchor as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anchor {
    #[serde(flatten)]
    pub body: AnchorBody,
    /// Hex of `body.digest()` when the anchor was made.
    pub digest: String,
    /// The notary's seal over the digest (DER CMS, base64).
    pub seal: String,
}

impl Anchor {
    pub fn seal_bytes(&self) -> Option<Vec<u8>> {
        base64::engine::general_purpose::STANDARD
            .decode(&self.seal)
            .ok()
    }
}

pub(crate) fn anchor_key(sequence: u64) -> Key {
    Key::new(ANCHOR_PARTITION, format!("{sequence:012}"))
}

/// The midnight (UTC) a day's anchor is due for at `now`: the last one at least
/// [`ANCHOR_GRACE`] ago.
pub fn due_cutoff(now: Timestamp) -> Timestamp {
    let seconds = (now - ANCHOR_GRACE).as_second();
    Timestamp::from_second(seconds - seconds.rem_euclid(86_400)).unwrap_or(Timestamp::UNIX_EPOCH)
}

impl AuditLog {
    /// Every anchor, oldest first.
    pub async fn anchors(&self) -> Result<Vec<Anchor>, TableError> {
        self.items(Query::partition(ANCHOR_PARTITION))
            .await?
            .iter()
            .map(Item::parse)
            .collect()
    }

    /// The latest anchor.
    pub async fn last_anchor(&self) -> Result<Option<Anchor>, TableError> {
        let page = self
            .table
            .query(Query::partition(ANCHOR_PARTITION).descending().limit(1))
            .await?;
        page.items.first().map(Item::parse).transpose()
    }

    /// Every entry written in `[from, until)`, by time (the time index).
    pub(crate) async fn entries_between(
        &self,
        from: Option<Timestamp>,
        until: Option<Timestamp>,
    ) -> Result<Vec<AuditEntry>, TableError> {
        // Sort keys start with the time; the upper bound (a time alone) sorts before any
        // key of that instant, which is what `until` excludes anyway.
        let range = match (from.map(sortable), until.map(sortable)) {
            (Some(low), Some(high)) => SortKey::Between(low, high),
            (Some(low), None) => SortKey::AtLeast(low),
            (None, Some(high)) => SortKey::AtMost(high),
            (None, None) => SortKey::Any,
        };
        let query =
            Query::index(crate::table::IndexName::Gsi1, LOG_INDEX_PARTITION).sort_key(range);
        let entries: Vec<AuditEntry> = self
            .items(query)
            .await?
            .iter()
            .map(Item::parse)
            .collect::<Result<_, _>>()?;
        Ok(entries
            .into_iter()
            .filter(|e| until.is_none_or(|u| e.at < u))
            .collect())
    }

    /// Anchors the entries written before `cutoff` that no anchor covers yet. Returns the
    /// new anchor, or `None` when the last anchor already reaches `cutoff`, nothing was
    /// written since, or a concurrent writer made the same anchor first.
    pub async fn anchor(&self, cutoff: Timestamp) -> Result<Option<Anchor>, AnchorError> {
        let notary = self.notary.clone().ok_or(AnchorError::NoNotary)?;
        let last = self.last_anchor().await?;
        if last.as_ref().is_some_and(|a| a.body.cutoff >= cutoff) {
            return Ok(None);
        }
        let from = last.as_ref().map(|a| a.body.cutoff - ANCHOR_GRACE);
        let mut heads: BTreeMap<AuditStream, (u64, String)> = BTreeMap::new();
        for entry in self.entries_between(from, Some(cutoff)).await? {
            let head = heads
                .entry(entry.stream.clone())
                .or_insert((0, String::new()));
            if entry.seq > head.0 {
                *head = (entry.seq, entry.hash);
            }
        }
        if heads.is_empty() {
            return Ok(None);
        }
        let body = AnchorBody {
            sequence: last.as_ref().map_or(1, |a| a.body.sequence + 1),
            cutoff,
            prev: last.as_ref().map(|a| a.digest.clone()),
            heads: heads
                .into_iter()
                .map(|(stream, (seq, hash))| StreamHead { stream, seq, hash })
                .collect(),
            made_at: self.clock.now(),
        };
        let digest = body.digest();
        let seal = notary
            .notarize(&digest)
            .await
            .map_err(AnchorError::Notary)?;
        let anchor = Anchor {
            digest: hex::encode(digest),
            seal: base64::engine::general_purpose::STANDARD.encode(seal),
            body,
        };
        let item = ItemWrite::from_serde(anchor_key(anchor.body.sequence), &anchor)?;
        match self.table.put(item, Condition::NotExists).await {
            Ok(_) => {
                tracing::info!(sequence = anchor.body.sequence, cutoff = %anchor.body.cutoff,
                    streams = anchor.body.heads.len(), "audit log anchored");
                Ok(Some(anchor))
            }
            Err(TableError::ConditionFailed) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Anchors the finished days if their anchor is due; failures are logged, never
    /// returned, as the write that triggered it is already committed (the next write or
    /// `varoskapu audit anchor` tries again).
    pub(crate) async fn anchor_if_due(&self) {
        if self.notary.is_none() {
            return;
        }
        let cutoff = due_cutoff(self.clock.now());
        let known = self.anchored_until.lock().map(|g| *g).unwrap_or_default();
        if known.is_some_and(|k| k >= cutoff) {
            return;
        }
        match self.anchor(cutoff).await {
            Ok(_) => {
                if let Ok(mut guard) = self.anchored_until.lock() {
                    *guard = Some(cutoff);
                }
            }
            Err(e) => tracing::warn!(error = %e, "the audit log could not be anchored"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_is_due_a_quarter_hour_after_midnight_utc() {
        let midnight = Timestamp::from_second(1_800_057_600).unwrap_or(Timestamp::UNIX_EPOCH);
        assert_eq!(midnight.as_second() % 86_400, 0);
        let day = SignedDuration::from_hours(24);
        assert_eq!(
            due_cutoff(midnight + SignedDuration::from_mins(20)),
            midnight
        );
        assert_eq!(
            due_cutoff(midnight + SignedDuration::from_mins(10)),
            midnight - day
        );
        assert_eq!(
            due_cutoff(midnight + SignedDuration::from_hours(23)),
            midnight
        );
    }

    #[test]
    fn the_digest_covers_every_head() {
        let body = AnchorBody {
            sequence: 1,
            cutoff: Timestamp::UNIX_EPOCH,
            prev: None,
            heads: vec![StreamHead {
                stream: AuditStream::register("payments"),
                seq: 3,
                hash: "ab".into(),
            }],
            made_at: Timestamp::UNIX_EPOCH,
        };
        let mut other = body.clone();
        other.heads[0].seq = 2;
        assert_ne!(body.digest(), other.digest());
    }
}
