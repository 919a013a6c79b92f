//! Appointment errors as problems, so that clients can tell a taken slot from a cut-off.

use super::{ProblemKind, ProblemSource};
use serde_json::{Map, Value, json};
use varoskapu_core::appointments::AppointmentError;

impl ProblemSource for AppointmentError {
    fn problem_kind(&self) -> ProblemKind {
        use ProblemKind::*;
        match self {
            AppointmentError::UnknownOffice
            | AppointmentError::UnknownService
            | AppointmentError::UnknownClerk
            | AppointmentError::UnknownBooking
            | AppointmentError::NotYours => NotFound,
            AppointmentError::UnknownCase
            | AppointmentError::NotASlot
            | AppointmentError::OutOfRange
            | AppointmentError::IdempotencyKeyReused
            | AppointmentError::Invalid(_) => ValidationFailed,
            AppointmentError::SlotTaken
            | AppointmentError::TooManyOpenBookings { .. }
            | AppointmentError::PastCutOff { .. }
            | AppointmentError::IllegalTransition { .. }
            | AppointmentError::TimeTaken
            | AppointmentError::Busy => Conflict,
            AppointmentError::InvalidIdempotencyKey => BadRequest,
            AppointmentError::TimeZoneUnavailable => Internal,
            // Answered by `wrapped`.
            AppointmentError::Table(_) => Internal,
        }
    }

    fn problem_type(&self) -> Option<&'static str> {
        Some(match self {
            AppointmentError::UnknownCase => "appointments:unknown-case",
            AppointmentError::NotASlot => "appointments:not-a-slot",
            AppointmentError::OutOfRange => "appointments:out-of-range",
            AppointmentError::SlotTaken => "appointments:slot-taken",
            AppointmentError::TooManyOpenBookings { .. } => "appointments:too-many-open-bookings",
            AppointmentError::PastCutOff { .. } => "appointments:past-cut-off",
            AppointmentError::IllegalTransition { .. } => "appointments:illegal-transition",
            AppointmentError::TimeTaken => "appointments:time-taken",
            AppointmentError::Busy => "appointments:busy",
            AppointmentError::IdempotencyKeyReused => "appointments:idempotency-key-reused",
            _ => return None,
        })
    }

    fn problem_extensions(&self) -> Map<String, Value> {
        let members = match self {
            AppointmentError::TooManyOpenBookings { limit } => json!({ "limit": limit }),
            AppointmentError::PastCutOff { minutes } => json!({ "cut_off_minutes": minutes }),
            AppointmentError::IllegalTransition { from, to } => {
                json!({"from": from.as_str(), "to": to.as_str()})
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
            AppointmentError::Table(t) => Some(t),
            _ => None,
        }
    }
}
