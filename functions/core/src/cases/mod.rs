//! Cases: citizens submit case types from the catalogue with documents; the office works
//! them through an explicit state machine to a signed decision the citizen fetches.
//!
//! Numbers (arrival, filing) are claimed by conditional writes in the same transaction as
//! the change that uses them; a decision is drafted only on a filed case; every access to
//! a case, the citizen's own and the system's included, is audited in the same transaction
//! (see [`crate::audit`]); the deadline counts Hungarian working days and pauses while the
//! office waits for the citizen.

pub mod case;
pub mod case_type;
pub mod citizen;
pub mod deadline;
pub mod decision;
pub mod error;
pub mod form;
pub mod media;
pub mod numbers;
pub mod office;
pub mod payment;
pub mod service;
pub mod status;
pub mod store;

pub use crate::audit::AuditEntry;
pub use case::{
    Actor, AppealForwarding, AttachedDocument, Case, Decision, DocumentRef, HistoryEntry,
    InfoRequest, Outcome,
};
pub use case_type::{
    AutoDecisionRule, CaseType, Localized, Money, RequiredDocument, RuleCondition, RuleOutcome,
};
pub use citizen::{ANSWER_DOCUMENT_KIND, CitizenActor, UploadGrant, UploadRequest};
pub use deadline::Deadline;
pub use error::CaseError;
pub use form::FormValidator;
pub use office::{
    AppealForwardingRequest, AssigneeFilter, DiaryEntry, OfficeActor, OfficeCase, QueueFilter,
    QueueOrder, QueuePage,
};
pub use service::{CasePorts, Cases};
pub use status::{CaseStatus, IllegalTransition};
pub use store::{CaseStore, Imported, Note, StoredCase, UploadIntent};
