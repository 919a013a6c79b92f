//! The audit log: every read and change of personal data, by whom (internal account and
//! role), what, on which record, when and from which client address.
//!
//! Entries form one hash chain per stream (a case, an account, an office register): each
//! carries the SHA-256 of the one before it, and is appended by a not-exists write of its
//! place, in the same transaction as the change it records. Once a day the heads of the
//! streams written that day are anchored: chained, signed with the document signing key and
//! RFC 3161-timestamped. [`AuditLog::verify`] checks the chains and the anchors and names
//! the first broken link, so an entry removed, altered or moved is detected.
//!
//! Nothing here updates or deletes an audit item; on AWS the functions that write them have
//! no right to (see the template).

pub mod anchor;
pub mod entry;
pub mod log;
pub mod verify;

pub use anchor::{ANCHOR_GRACE, Anchor, AnchorBody, AnchorError, Notary, SealCheck, StreamHead};
pub use entry::{AuditEntry, AuditEvent, AuditStream};
pub use log::{AuditLog, STREAM_PREFIX};
pub use verify::{Break, BrokenLink, VerifyReport};
