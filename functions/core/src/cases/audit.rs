//! The audit log: who read or changed a case's personal data, what, when and from where.
//! Entries are written with a not-exists condition and no use case updates or deletes
//! them, so clerks cannot alter the trail.

use super::case::Actor;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One audited access to a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: Uuid,
    pub case_id: Uuid,
    pub actor: Actor,
    /// What was done (`read`, `claim`, `file`, `note`, `request_information`…).
    pub action: String,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// The client address the request came from, as the edge reported it.
    pub origin: Option<String>,
}
