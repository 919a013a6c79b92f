//! Storage failures (table and object store) as problems: a refused condition is a
//! conflict, an outage is 503 with `Retry-After`, anything else is internal.

use super::{ProblemKind, ProblemSource};
use varoskapu_core::{BlobError, TableError};

impl ProblemSource for TableError {
    fn problem_kind(&self) -> ProblemKind {
        match self {
            TableError::ConditionFailed
            | TableError::TransactionFailed { .. }
            | TableError::Conflict => ProblemKind::Conflict,
            TableError::InvalidCursor => ProblemKind::BadRequest,
            TableError::TooManyOperations(_) | TableError::Invalid(_) | TableError::Corrupt(_) => {
                ProblemKind::Internal
            }
            TableError::Unavailable(_) => ProblemKind::Unavailable,
        }
    }

    fn problem_detail(&self) -> Option<String> {
        let detail = match self {
            TableError::ConditionFailed | TableError::TransactionFailed { .. } => {
                "the record was changed or already exists"
            }
            TableError::Conflict => "a concurrent change interfered; retry the request",
            TableError::InvalidCursor => "the page cursor is invalid",
            _ => return None,
        };
        Some(detail.to_owned())
    }
}

impl ProblemSource for BlobError {
    fn problem_kind(&self) -> ProblemKind {
        match self {
            BlobError::NotFound => ProblemKind::NotFound,
            BlobError::AlreadyExists => ProblemKind::Conflict,
            BlobError::ChecksumMismatch { .. } => ProblemKind::ValidationFailed,
            BlobError::InvalidKey(_) => ProblemKind::BadRequest,
            BlobError::Corrupt(_) => ProblemKind::Internal,
            BlobError::Unavailable(_) => ProblemKind::Unavailable,
        }
    }

    fn problem_detail(&self) -> Option<String> {
        let detail = match self {
            BlobError::AlreadyExists => "the document already exists and is write-once",
            BlobError::ChecksumMismatch { .. } => "the bytes do not match the announced SHA-256",
            BlobError::InvalidKey(_) => "invalid object key",
            _ => return None,
        };
        Some(detail.to_owned())
    }
}
