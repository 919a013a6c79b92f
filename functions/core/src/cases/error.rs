//! What can go wrong with cases, in the citizen's and the clerk's terms.

use super::status::{CaseStatus, IllegalTransition};
use crate::blob::BlobError;
use crate::documents::DocumentError;
use crate::idempotency::IdempotencyError;
use crate::table::TableError;

/// Why a case request was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CaseError {
    #[error("no such case type")]
    UnknownCaseType,
    #[error("no such case")]
    UnknownCase,
    /// Reported to the citizen exactly like an unknown case, so ids cannot be probed.
    #[error("no such case")]
    CaseNotYours,
    #[error("a case that is {from} cannot become {to}")]
    IllegalTransition { from: CaseStatus, to: CaseStatus },
    #[error("the form does not match the case type's schema")]
    InvalidForm(Vec<String>),
    #[error("required documents are missing: {0:?}")]
    MissingDocuments(Vec<String>),
    #[error("this case type takes no document of kind {0:?}")]
    UnknownDocumentKind(String),
    #[error("the document is larger than the {max_bytes} bytes allowed")]
    DocumentTooLarge { max_bytes: u64 },
    #[error("a document of type {found} is not accepted here (accepted: {accepted:?})")]
    MediaTypeNotAccepted {
        found: String,
        accepted: Vec<String>,
    },
    #[error("no such document on this case")]
    UnknownDocument,
    #[error("no such upload, or it has expired")]
    UnknownUpload,
    #[error("the upload has not arrived yet")]
    UploadNotReceived,
    #[error("the bytes uploaded differ from the SHA-256 announced")]
    UploadChecksumMismatch,
    #[error("the case is assigned to another clerk")]
    AssignedToSomeoneElse,
    #[error("the drafter of a decision cannot also approve it")]
    SelfApproval,
    #[error("a decision is drafted only on a filed case: file it first")]
    NotFiled,
    #[error("the appeal window closed on {closed_on}")]
    AppealWindowClosed { closed_on: String },
    #[error("an appeal was already opened against this case")]
    AlreadyAppealed,
    #[error("this case is not an appeal")]
    NotAnAppeal,
    #[error("this appeal was already forwarded")]
    AppealAlreadyForwarded,
    #[error("the Idempotency-Key must be 1 to 128 visible ASCII characters")]
    InvalidIdempotencyKey,
    #[error("this Idempotency-Key was already used for a different request")]
    IdempotencyKeyReused,
    #[error("invalid request: {0}")]
    Invalid(String),
    #[error("too many concurrent changes; retry")]
    Busy,
    #[error("the time zone database is missing")]
    TimeZoneUnavailable,
    #[error("the people named on documents cannot be looked up now: {0}")]
    PeopleUnavailable(String),
    #[error(transparent)]
    Document(DocumentError),
    #[error(transparent)]
    Blob(BlobError),
    #[error(transparent)]
    Table(TableError),
}

impl From<IllegalTransition> for CaseError {
    fn from(e: IllegalTransition) -> Self {
        CaseError::IllegalTransition {
            from: e.from,
            to: e.to,
        }
    }
}

impl From<TableError> for CaseError {
    fn from(e: TableError) -> Self {
        match e {
            TableError::Conflict => CaseError::Busy,
            other => CaseError::Table(other),
        }
    }
}

impl From<BlobError> for CaseError {
    fn from(e: BlobError) -> Self {
        CaseError::Blob(e)
    }
}

impl From<DocumentError> for CaseError {
    fn from(e: DocumentError) -> Self {
        CaseError::Document(e)
    }
}

impl From<IdempotencyError> for CaseError {
    fn from(e: IdempotencyError) -> Self {
        match e {
            IdempotencyError::InvalidKey => CaseError::InvalidIdempotencyKey,
            IdempotencyError::KeyReused => CaseError::IdempotencyKeyReused,
            IdempotencyError::Table(t) => t.into(),
        }
    }
}
