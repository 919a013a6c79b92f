//! The one place where payment errors become RFC 9457 problems, each with a stable `type`.

use axum::response::{IntoResponse, Response};
use varoskapu_core::payments::camt::CamtError;
use varoskapu_core::payments::{PaymentError, ProviderError};
use varoskapu_http::auth::AuthError;
use varoskapu_http::{Problem, ProblemKind};

fn typed(kind: ProblemKind, slug: &str, detail: String) -> Problem {
    let mut problem = Problem::with_detail(kind, detail);
    problem.type_uri = format!("urn:varoskapu:problem:payments:{slug}");
    problem
}

/// Maps a payment error to its problem document.
pub fn problem(e: PaymentError) -> Problem {
    let detail = e.to_string();
    match e {
        PaymentError::NoFeeDue => typed(ProblemKind::Conflict, "no-fee-due", detail),
        PaymentError::UnknownPayment => Problem::with_detail(ProblemKind::NotFound, detail),
        PaymentError::UnknownEntry => Problem::with_detail(ProblemKind::NotFound, detail),
        PaymentError::EntryNotQueued => typed(ProblemKind::Conflict, "entry-not-queued", detail),
        PaymentError::IllegalTransition { from, to } => {
            typed(ProblemKind::Conflict, "illegal-transition", detail)
                .extension("from", from.as_str())
                .extension("to", to.as_str())
        }
        PaymentError::Provider(ProviderError::BadSignature) => {
            typed(ProblemKind::Unauthenticated, "bad-signature", detail)
        }
        PaymentError::Provider(ProviderError::Malformed(_)) => {
            typed(ProblemKind::BadRequest, "provider-message", detail)
        }
        PaymentError::NotificationMismatch(_) => typed(
            ProblemKind::ValidationFailed,
            "notification-mismatch",
            detail,
        ),
        PaymentError::BackUrlNotAllowed { allowed } => typed(
            ProblemKind::ValidationFailed,
            "back-url-not-allowed",
            detail,
        )
        .extension("allowed_origins", allowed),
        PaymentError::Provider(p) => {
            tracing::warn!(error = %p, "card provider failed");
            typed(ProblemKind::Unavailable, "provider-unavailable", detail)
        }
        PaymentError::Statement(CamtError::TooLarge { .. }) => {
            typed(ProblemKind::PayloadTooLarge, "statement-too-large", detail)
        }
        PaymentError::Statement(_) => typed(ProblemKind::ValidationFailed, "bad-statement", detail),
        PaymentError::InvalidIdempotencyKey | PaymentError::Invalid(_) => {
            Problem::with_detail(ProblemKind::BadRequest, detail)
        }
        PaymentError::IdempotencyKeyReused => {
            typed(ProblemKind::Conflict, "idempotency-key-reused", detail)
        }
        PaymentError::Busy => Problem::with_detail(ProblemKind::Conflict, detail),
        PaymentError::UnknownOverpayment => Problem::with_detail(ProblemKind::NotFound, detail),
        PaymentError::AlreadyRefunded => typed(ProblemKind::Conflict, "already-refunded", detail),
        PaymentError::Case(c) => varoskapu_case_api::problem::problem(c),
        PaymentError::Document(_) | PaymentError::Blob(_) | PaymentError::Table(_) => {
            Problem::internal(&detail)
        }
    }
}

/// A handler's error: a payment refusal, an authorization refusal or a ready problem.
pub enum ApiError {
    Payment(PaymentError),
    Auth(AuthError),
    Problem(Problem),
}

impl From<PaymentError> for ApiError {
    fn from(e: PaymentError) -> Self {
        ApiError::Payment(e)
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        ApiError::Auth(e)
    }
}

impl From<Problem> for ApiError {
    fn from(p: Problem) -> Self {
        ApiError::Problem(p)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Payment(e) => problem(e).into_response(),
            ApiError::Auth(e) => e.into_response(),
            ApiError::Problem(p) => p.into_response(),
        }
    }
}
