//! What can go wrong with payments, in the citizen's and the clerk's terms.

use super::camt::CamtError;
use super::provider::ProviderError;
use super::status::PaymentStatus;
use crate::blob::BlobError;
use crate::cases::CaseError;
use crate::documents::DocumentError;
use crate::idempotency::IdempotencyError;
use crate::table::TableError;

/// Why a payment request was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PaymentError {
    #[error("this case has no fee waiting to be paid")]
    NoFeeDue,
    #[error("no such payment")]
    UnknownPayment,
    #[error("no such bank statement entry")]
    UnknownEntry,
    #[error("the entry is not waiting in the matching queue")]
    EntryNotQueued,
    #[error("no such overpayment")]
    UnknownOverpayment,
    #[error("this overpayment was already refunded")]
    AlreadyRefunded,
    #[error("a payment that is {from} cannot become {to}")]
    IllegalTransition {
        from: PaymentStatus,
        to: PaymentStatus,
    },
    #[error("{0}")]
    Provider(ProviderError),
    #[error("the card provider's notification does not match the payment registered: {0}")]
    NotificationMismatch(String),
    #[error("back_url must be on one of these origins: {}", allowed.join(", "))]
    BackUrlNotAllowed { allowed: Vec<String> },
    #[error("the bank statement cannot be read: {0}")]
    Statement(CamtError),
    #[error("the Idempotency-Key must be 1 to 128 visible ASCII characters")]
    InvalidIdempotencyKey,
    #[error("this Idempotency-Key was already used for a different request")]
    IdempotencyKeyReused,
    #[error("invalid request: {0}")]
    Invalid(String),
    #[error("too many concurrent changes; retry")]
    Busy,
    #[error(transparent)]
    Case(CaseError),
    #[error(transparent)]
    Document(DocumentError),
    #[error(transparent)]
    Blob(BlobError),
    #[error(transparent)]
    Table(TableError),
}

impl From<TableError> for PaymentError {
    fn from(e: TableError) -> Self {
        match e {
            TableError::Conflict => PaymentError::Busy,
            other => PaymentError::Table(other),
        }
    }
}

impl From<CaseError> for PaymentError {
    fn from(e: CaseError) -> Self {
        match e {
            CaseError::Table(t) => t.into(),
            CaseError::Busy => PaymentError::Busy,
            other => PaymentError::Case(other),
        }
    }
}

impl From<ProviderError> for PaymentError {
    fn from(e: ProviderError) -> Self {
        PaymentError::Provider(e)
    }
}

impl From<CamtError> for PaymentError {
    fn from(e: CamtError) -> Self {
        PaymentError::Statement(e)
    }
}

impl From<DocumentError> for PaymentError {
    fn from(e: DocumentError) -> Self {
        PaymentError::Document(e)
    }
}

impl From<BlobError> for PaymentError {
    fn from(e: BlobError) -> Self {
        PaymentError::Blob(e)
    }
}

impl From<IdempotencyError> for PaymentError {
    fn from(e: IdempotencyError) -> Self {
        match e {
            IdempotencyError::InvalidKey => PaymentError::InvalidIdempotencyKey,
            IdempotencyError::KeyReused => PaymentError::IdempotencyKeyReused,
            IdempotencyError::Table(t) => t.into(),
        }
    }
}
