//! Failures to issue a signed document, answered alike wherever a document is issued (a
//! case's receipt or decision, a payment's receipt): signing and timestamping outages are
//! 503 and worth a retry, a deployment without its signing certificate is 503
//! `documents-not-configured` with a long `Retry-After`, anything else is internal.

use super::{
    DOCUMENTS_NOT_CONFIGURED, DOCUMENTS_NOT_CONFIGURED_DETAIL,
    DOCUMENTS_NOT_CONFIGURED_RETRY_AFTER, ProblemKind, ProblemSource,
};
use varoskapu_core::documents::DocumentError;

impl ProblemSource for DocumentError {
    fn problem_kind(&self) -> ProblemKind {
        match self {
            DocumentError::Timestamp(_)
            | DocumentError::Signing(_)
            | DocumentError::NotConfigured => ProblemKind::Unavailable,
            DocumentError::Render(_) | DocumentError::Storage(_) => ProblemKind::Internal,
        }
    }

    fn problem_type(&self) -> Option<&'static str> {
        matches!(self, DocumentError::NotConfigured).then_some(DOCUMENTS_NOT_CONFIGURED)
    }

    fn problem_detail(&self) -> Option<String> {
        match self {
            DocumentError::Timestamp(_) | DocumentError::Signing(_) => {
                Some("the document could not be signed now; retry the request".into())
            }
            DocumentError::NotConfigured => Some(DOCUMENTS_NOT_CONFIGURED_DETAIL.into()),
            DocumentError::Render(_) | DocumentError::Storage(_) => None,
        }
    }

    fn retry_after(&self) -> Option<u64> {
        matches!(self, DocumentError::NotConfigured).then_some(DOCUMENTS_NOT_CONFIGURED_RETRY_AFTER)
    }
}
