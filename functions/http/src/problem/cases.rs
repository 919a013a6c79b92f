//! Case errors as problems, each refusal a client branches on with its own `type`.

use super::{ProblemKind, ProblemSource};
use serde_json::{Map, Value, json};
use varoskapu_core::cases::CaseError;

impl ProblemSource for CaseError {
    fn problem_kind(&self) -> ProblemKind {
        use ProblemKind::*;
        match self {
            CaseError::UnknownCase
            | CaseError::CaseNotYours
            | CaseError::UnknownCaseType
            | CaseError::UnknownUpload
            | CaseError::UnknownDocument => NotFound,
            CaseError::IllegalTransition { .. }
            | CaseError::UploadNotReceived
            | CaseError::AssignedToSomeoneElse
            | CaseError::NotFiled
            | CaseError::AppealWindowClosed { .. }
            | CaseError::AlreadyAppealed
            | CaseError::NotAnAppeal
            | CaseError::AppealAlreadyForwarded
            | CaseError::Busy => Conflict,
            CaseError::InvalidForm(_)
            | CaseError::MissingDocuments(_)
            | CaseError::UnknownDocumentKind(_)
            | CaseError::UploadChecksumMismatch
            | CaseError::IdempotencyKeyReused
            | CaseError::Invalid(_) => ValidationFailed,
            CaseError::DocumentTooLarge { .. } => PayloadTooLarge,
            CaseError::MediaTypeNotAccepted { .. } => UnsupportedMediaType,
            CaseError::SelfApproval => Forbidden,
            CaseError::InvalidIdempotencyKey => BadRequest,
            CaseError::PeopleUnavailable(_) => Unavailable,
            CaseError::TimeZoneUnavailable => Internal,
            // Answered by `wrapped`.
            CaseError::Document(_) | CaseError::Blob(_) | CaseError::Table(_) => Internal,
        }
    }

    fn problem_type(&self) -> Option<&'static str> {
        Some(match self {
            CaseError::UnknownUpload => "cases:unknown-upload",
            CaseError::IllegalTransition { .. } => "cases:illegal-transition",
            CaseError::InvalidForm(_) => "cases:invalid-form",
            CaseError::MissingDocuments(_) => "cases:missing-documents",
            CaseError::UnknownDocumentKind(_) => "cases:unknown-document-kind",
            CaseError::DocumentTooLarge { .. } => "cases:document-too-large",
            CaseError::MediaTypeNotAccepted { .. } => "cases:media-type-not-accepted",
            CaseError::UploadNotReceived => "cases:upload-not-received",
            CaseError::UploadChecksumMismatch => "cases:checksum-mismatch",
            CaseError::AssignedToSomeoneElse => "cases:assigned-to-someone-else",
            CaseError::SelfApproval => "cases:self-approval",
            CaseError::NotFiled => "cases:not-filed",
            CaseError::AppealWindowClosed { .. } => "cases:appeal-window-closed",
            CaseError::AlreadyAppealed => "cases:already-appealed",
            CaseError::NotAnAppeal => "cases:not-an-appeal",
            CaseError::AppealAlreadyForwarded => "cases:appeal-already-forwarded",
            CaseError::IdempotencyKeyReused => "cases:idempotency-key-reused",
            CaseError::Busy => "cases:busy",
            _ => return None,
        })
    }

    fn problem_detail(&self) -> Option<String> {
        match self {
            CaseError::PeopleUnavailable(_) => Some(
                "the people named on the document cannot be looked up now; retry the request"
                    .into(),
            ),
            CaseError::TimeZoneUnavailable => None,
            other => Some(other.to_string()),
        }
    }

    fn problem_extensions(&self) -> Map<String, Value> {
        let members = match self {
            CaseError::IllegalTransition { from, to } => {
                json!({"from": from.as_str(), "to": to.as_str()})
            }
            CaseError::InvalidForm(errors) => json!({ "errors": errors }),
            CaseError::MissingDocuments(kinds) => json!({ "missing": kinds }),
            CaseError::DocumentTooLarge { max_bytes } => json!({ "max_bytes": max_bytes }),
            CaseError::MediaTypeNotAccepted { found, accepted } => {
                json!({"found": found, "accepted": accepted})
            }
            _ => return Map::new(),
        };
        match members {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    fn wrapped(&self) -> Option<&dyn ProblemSource> {
        match self {
            CaseError::Document(d) => Some(d),
            CaseError::Blob(b) => Some(b),
            CaseError::Table(t) => Some(t),
            _ => None,
        }
    }
}
