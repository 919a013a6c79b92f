//! One audit entry: who read or changed whose personal data, what, when and from where,
//! sealed onto its stream with the SHA-256 of the entry before it.

use crate::cases::Actor;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The chain an entry belongs to: the record whose personal data was read or changed.
/// Streams are chained separately so that unrelated records never wait for each other.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(transparent)]
pub struct AuditStream(String);

impl AuditStream {
    /// A case and everything in it (documents, notes, decision, payments of its fee).
    pub fn case(id: Uuid) -> Self {
        Self(format!("case/{id}"))
    }

    /// A person's account record (look-ups by the office).
    pub fn account(id: &str) -> Self {
        Self(format!("account/{id}"))
    }

    /// A person record of the CRM (every read, with its purpose, and every change).
    pub fn person(id: impl std::fmt::Display) -> Self {
        Self(format!("person/{id}"))
    }

    /// An office register read or changed as a whole (`payments`: queues, statement imports).
    pub fn register(name: &str) -> Self {
        Self(format!("register/{name}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The table partition holding the stream's entries.
    pub(crate) fn partition(&self) -> String {
        format!("{}{}", super::log::STREAM_PREFIX, self.0)
    }
}

impl std::fmt::Display for AuditStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Something to record, before it is sealed onto its stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub stream: AuditStream,
    /// The internal account and role of who did it (or the system).
    pub actor: Actor,
    /// What was done (`read`, `submit`, `deliver`, `draft_decision`…).
    pub action: String,
    /// What inside the record, when not the record itself (`document/<id>`, `payment/<id>`).
    pub object: Option<String>,
    pub at: Timestamp,
    /// The client address the request came from.
    pub origin: Option<String>,
}

impl AuditEvent {
    /// Names what inside the record the event concerns.
    pub fn on(mut self, object: impl Into<String>) -> Self {
        self.object = Some(object.into());
        self
    }
}

/// An entry as stored: the event, its place in the stream and the links of the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub stream: AuditStream,
    /// 1 for the stream's first entry, then one more for each.
    pub seq: u64,
    pub id: Uuid,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub actor: Actor,
    pub action: String,
    pub object: Option<String>,
    pub origin: Option<String>,
    /// SHA-256 (hex) of the previous entry of the stream; `None` for the first.
    pub prev: Option<String>,
    /// SHA-256 (hex) of this entry's fields, `prev` included.
    pub hash: String,
}

/// The fields a hash covers, in a fixed order (everything but the hash itself).
#[derive(Serialize)]
struct Hashed<'a> {
    stream: &'a AuditStream,
    seq: u64,
    id: &'a Uuid,
    at: &'a Timestamp,
    actor: &'a Actor,
    action: &'a str,
    object: &'a Option<String>,
    origin: &'a Option<String>,
    prev: &'a Option<String>,
}

impl AuditEntry {
    /// Seals `event` as entry `seq` after the entry whose hash is `prev`.
    pub fn seal(event: AuditEvent, id: Uuid, seq: u64, prev: Option<String>) -> Self {
        let mut entry = Self {
            stream: event.stream,
            seq,
            id,
            at: event.at,
            actor: event.actor,
            action: event.action,
            object: event.object,
            origin: event.origin,
            prev,
            hash: String::new(),
        };
        entry.hash = entry.computed_hash();
        entry
    }

    /// The hash the entry's fields give now (differs from `hash` once anything changed).
    pub fn computed_hash(&self) -> String {
        let hashed = Hashed {
            stream: &self.stream,
            seq: self.seq,
            id: &self.id,
            at: &self.at,
            actor: &self.actor,
            action: &self.action,
            object: &self.object,
            origin: &self.origin,
            prev: &self.prev,
        };
        // Serializing a struct of strings, numbers and enums cannot fail.
        let bytes = serde_json::to_vec(&hashed).unwrap_or_default();
        hex::encode(Sha256::digest(bytes))
    }

    /// The event the entry records, to seal it again elsewhere in the chain.
    pub(crate) fn event(&self) -> AuditEvent {
        AuditEvent {
            stream: self.stream.clone(),
            actor: self.actor.clone(),
            action: self.action.clone(),
            object: self.object.clone(),
            at: self.at,
            origin: self.origin.clone(),
        }
    }
}

/// A time as a fixed-width UTC string, so that sort keys order as times do.
pub(crate) fn sortable(at: Timestamp) -> String {
    let z = at.to_zoned(TimeZone::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z",
        z.year(),
        z.month(),
        z.day(),
        z.hour(),
        z.minute(),
        z.second(),
        z.subsec_nanosecond()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> AuditEvent {
        AuditEvent {
            stream: AuditStream::case(Uuid::nil()),
            actor: Actor::Clerk("clerk-1".into()),
            action: "read".into(),
            object: None,
            at: Timestamp::from_second(1_800_000_000).unwrap_or(Timestamp::UNIX_EPOCH),
            origin: Some("192.0.2.7".into()),
        }
    }

    #[test]
    fn every_field_and_the_link_are_covered_by_the_hash() {
        let first = AuditEntry::seal(event(), Uuid::nil(), 1, None);
        assert_eq!(first.hash, first.computed_hash());
        let second = AuditEntry::seal(event(), Uuid::max(), 2, Some(first.hash.clone()));
        assert_ne!(first.hash, second.hash);
        let mut changed = second.clone();
        changed.origin = Some("198.51.100.1".into());
        assert_ne!(changed.computed_hash(), second.hash);
        let mut relinked = second.clone();
        relinked.prev = None;
        assert_ne!(relinked.computed_hash(), second.hash);
        let mut renumbered = second.clone();
        renumbered.seq = 3;
        assert_ne!(renumbered.computed_hash(), second.hash);
    }

    #[test]
    fn sortable_times_order_like_the_times() {
        let a = Timestamp::from_second(1_800_000_000).unwrap_or(Timestamp::UNIX_EPOCH);
        let b = a + jiff::SignedDuration::from_millis(500);
        let c = a + jiff::SignedDuration::from_secs(1);
        assert!(sortable(a) < sortable(b) && sortable(b) < sortable(c));
        assert_eq!(sortable(a).len(), sortable(b).len());
    }
}
