//! The one place where case errors become RFC 9457 problems, each with a stable `type`.

use axum::response::{IntoResponse, Response};
use varoskapu_core::cases::CaseError;
use varoskapu_core::documents::DocumentError;
use varoskapu_http::auth::AuthError;
use varoskapu_http::{Problem, ProblemKind};

fn typed(kind: ProblemKind, slug: &str, detail: String) -> Problem {
    let mut problem = Problem::with_detail(kind, detail);
    problem.type_uri = format!("urn:varoskapu:problem:cases:{slug}");
    problem
}

/// Maps a domain error to its problem document.
pub fn problem(e: CaseError) -> Problem {
    let detail = e.to_string();
    match e {
        CaseError::UnknownCase | CaseError::CaseNotYours => {
            Problem::with_detail(ProblemKind::NotFound, "no such case")
        }
        CaseError::UnknownCaseType => Problem::with_detail(ProblemKind::NotFound, detail),
        CaseError::UnknownUpload => typed(ProblemKind::NotFound, "unknown-upload", detail),
        CaseError::UnknownDocument => Problem::with_detail(ProblemKind::NotFound, detail),
        CaseError::IllegalTransition { from, to } => {
            typed(ProblemKind::Conflict, "illegal-transition", detail)
                .extension("from", from.as_str())
                .extension("to", to.as_str())
        }
        CaseError::InvalidForm(errors) => typed(
            ProblemKind::ValidationFailed,
            "invalid-form",
            "the form does not match the case type's schema".into(),
        )
        .extension("errors", errors),
        CaseError::MissingDocuments(kinds) => {
            typed(ProblemKind::ValidationFailed, "missing-documents", detail)
                .extension("missing", kinds)
        }
        CaseError::UnknownDocumentKind(_) => typed(
            ProblemKind::ValidationFailed,
            "unknown-document-kind",
            detail,
        ),
        CaseError::DocumentTooLarge { max_bytes } => {
            typed(ProblemKind::PayloadTooLarge, "document-too-large", detail)
                .extension("max_bytes", max_bytes)
        }
        CaseError::MediaTypeNotAccepted { found, accepted } => typed(
            ProblemKind::UnsupportedMediaType,
            "media-type-not-accepted",
            detail,
        )
        .extension("found", found)
        .extension("accepted", accepted),
        CaseError::UploadNotReceived => typed(ProblemKind::Conflict, "upload-not-received", detail),
        CaseError::UploadChecksumMismatch => {
            typed(ProblemKind::ValidationFailed, "checksum-mismatch", detail)
        }
        CaseError::AssignedToSomeoneElse => {
            typed(ProblemKind::Conflict, "assigned-to-someone-else", detail)
        }
        CaseError::SelfApproval => typed(ProblemKind::Forbidden, "self-approval", detail),
        CaseError::NotFiled => typed(ProblemKind::Conflict, "not-filed", detail),
        CaseError::AppealWindowClosed { .. } => {
            typed(ProblemKind::Conflict, "appeal-window-closed", detail)
        }
        CaseError::AlreadyAppealed => typed(ProblemKind::Conflict, "already-appealed", detail),
        CaseError::InvalidIdempotencyKey => Problem::with_detail(ProblemKind::BadRequest, detail),
        CaseError::IdempotencyKeyReused => typed(
            ProblemKind::ValidationFailed,
            "idempotency-key-reused",
            detail,
        ),
        CaseError::Invalid(_) => Problem::with_detail(ProblemKind::ValidationFailed, detail),
        CaseError::Busy => typed(ProblemKind::Conflict, "busy", detail),
        CaseError::Document(DocumentError::Timestamp(_))
        | CaseError::Document(DocumentError::Signing(_)) => {
            tracing::error!(error = %e, "document issuing unavailable");
            Problem::with_detail(
                ProblemKind::Unavailable,
                "the document could not be signed now; retry the request",
            )
        }
        CaseError::PeopleUnavailable(_) => {
            tracing::error!(error = %e, "the directory of people is unavailable");
            Problem::with_detail(
                ProblemKind::Unavailable,
                "the people named on the document cannot be looked up now; retry the request",
            )
        }
        CaseError::Document(_) | CaseError::TimeZoneUnavailable => Problem::internal(&e),
        CaseError::Blob(b) => Problem::from(b),
        CaseError::Table(t) => Problem::from(t),
    }
}

/// Lets handlers use `?` on domain, auth and problem results.
pub struct ApiError(pub Problem);

impl From<CaseError> for ApiError {
    fn from(e: CaseError) -> Self {
        ApiError(problem(e))
    }
}

impl From<Problem> for ApiError {
    fn from(p: Problem) -> Self {
        ApiError(p)
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        ApiError(Problem::from(e))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}
