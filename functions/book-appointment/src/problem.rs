//! The one place where appointment errors become RFC 9457 problems, each with its own
//! stable `type`, so that clients can tell a taken slot from a cut-off.

use varoskapu_core::appointments::AppointmentError;
use varoskapu_http::{Problem, ProblemKind};

/// A problem of `kind`'s status with an appointment-specific `type`.
fn typed(kind: ProblemKind, slug: &str, detail: String) -> Problem {
    let mut problem = Problem::with_detail(kind, detail);
    problem.type_uri = format!("urn:varoskapu:problem:appointments:{slug}");
    problem
}

/// Maps a domain error to its problem document.
pub fn problem(e: AppointmentError) -> Problem {
    let detail = e.to_string();
    match e {
        AppointmentError::UnknownOffice
        | AppointmentError::UnknownService
        | AppointmentError::UnknownClerk
        | AppointmentError::UnknownBooking
        | AppointmentError::NotYours => Problem::with_detail(ProblemKind::NotFound, detail),
        AppointmentError::UnknownCase => {
            typed(ProblemKind::ValidationFailed, "unknown-case", detail)
        }
        AppointmentError::NotASlot => typed(ProblemKind::ValidationFailed, "not-a-slot", detail),
        AppointmentError::OutOfRange => {
            typed(ProblemKind::ValidationFailed, "out-of-range", detail)
        }
        AppointmentError::SlotTaken => typed(ProblemKind::Conflict, "slot-taken", detail),
        AppointmentError::TooManyOpenBookings { limit } => {
            typed(ProblemKind::Conflict, "too-many-open-bookings", detail).extension("limit", limit)
        }
        AppointmentError::PastCutOff { minutes } => {
            typed(ProblemKind::Conflict, "past-cut-off", detail)
                .extension("cut_off_minutes", minutes)
        }
        AppointmentError::IllegalTransition { from, to } => {
            typed(ProblemKind::Conflict, "illegal-transition", detail)
                .extension("from", from.as_str())
                .extension("to", to.as_str())
        }
        AppointmentError::TimeTaken => typed(ProblemKind::Conflict, "time-taken", detail),
        AppointmentError::Busy => typed(ProblemKind::Conflict, "busy", detail),
        AppointmentError::InvalidIdempotencyKey => {
            Problem::with_detail(ProblemKind::BadRequest, detail)
        }
        AppointmentError::IdempotencyKeyReused => typed(
            ProblemKind::ValidationFailed,
            "idempotency-key-reused",
            detail,
        ),
        AppointmentError::Invalid(_) => Problem::with_detail(ProblemKind::ValidationFailed, detail),
        AppointmentError::TimeZoneUnavailable => Problem::internal(&e),
        AppointmentError::Table(t) => Problem::from(t),
    }
}

/// Lets handlers use `?` on domain results.
pub struct ApiError(pub Problem);

impl From<AppointmentError> for ApiError {
    fn from(e: AppointmentError) -> Self {
        ApiError(problem(e))
    }
}

impl From<Problem> for ApiError {
    fn from(p: Problem) -> Self {
        ApiError(p)
    }
}

impl From<varoskapu_http::auth::AuthError> for ApiError {
    fn from(e: varoskapu_http::auth::AuthError) -> Self {
        ApiError(Problem::from(e))
    }
}

impl axum::response::IntoResponse for ApiError {
    fn into_response(self) -> axum::response::Response {
        self.0.into_response()
    }
}
