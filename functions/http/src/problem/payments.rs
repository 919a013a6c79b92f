//! Payment errors as problems; a case refusal inside a payment keeps the case's problem.

use super::{ProblemKind, ProblemSource};
use serde_json::{Map, Value, json};
use varoskapu_core::payments::camt::CamtError;
use varoskapu_core::payments::{PaymentError, ProviderError};

impl ProblemSource for PaymentError {
    fn problem_kind(&self) -> ProblemKind {
        use ProblemKind::*;
        match self {
            PaymentError::UnknownPayment
            | PaymentError::UnknownEntry
            | PaymentError::UnknownOverpayment => NotFound,
            PaymentError::NoFeeDue
            | PaymentError::EntryNotQueued
            | PaymentError::IllegalTransition { .. }
            | PaymentError::AlreadyRefunded
            | PaymentError::Busy => Conflict,
            PaymentError::Provider(ProviderError::BadSignature) => Unauthenticated,
            PaymentError::Provider(ProviderError::Malformed(_))
            | PaymentError::InvalidIdempotencyKey => BadRequest,
            PaymentError::Invalid(_) => ValidationFailed,
            PaymentError::Provider(_) => Unavailable,
            PaymentError::NotificationMismatch(_)
            | PaymentError::BackUrlNotAllowed { .. }
            | PaymentError::IdempotencyKeyReused => ValidationFailed,
            PaymentError::Statement(CamtError::TooLarge { .. }) => PayloadTooLarge,
            PaymentError::Statement(_) => ValidationFailed,
            // Answered by `wrapped`.
            PaymentError::Document(_)
            | PaymentError::Case(_)
            | PaymentError::Blob(_)
            | PaymentError::Table(_) => Internal,
        }
    }

    fn problem_type(&self) -> Option<&'static str> {
        Some(match self {
            PaymentError::NoFeeDue => "payments:no-fee-due",
            PaymentError::EntryNotQueued => "payments:entry-not-queued",
            PaymentError::IllegalTransition { .. } => "payments:illegal-transition",
            PaymentError::Provider(ProviderError::BadSignature) => "payments:bad-signature",
            PaymentError::Provider(ProviderError::Malformed(_)) => "payments:provider-message",
            PaymentError::Provider(_) => "payments:provider-unavailable",
            PaymentError::NotificationMismatch(_) => "payments:notification-mismatch",
            PaymentError::BackUrlNotAllowed { .. } => "payments:back-url-not-allowed",
            PaymentError::Statement(CamtError::TooLarge { .. }) => "payments:statement-too-large",
            PaymentError::Statement(_) => "payments:bad-statement",
            PaymentError::IdempotencyKeyReused => "payments:idempotency-key-reused",
            PaymentError::AlreadyRefunded => "payments:already-refunded",
            _ => return None,
        })
    }

    fn problem_detail(&self) -> Option<String> {
        match self {
            // The provider's own answer says what to do; it names no infrastructure of ours.
            PaymentError::Provider(_) => Some(self.to_string()),
            other if other.problem_kind() == ProblemKind::Internal => None,
            other => Some(other.to_string()),
        }
    }

    fn problem_extensions(&self) -> Map<String, Value> {
        let members = match self {
            PaymentError::IllegalTransition { from, to } => {
                json!({"from": from.as_str(), "to": to.as_str()})
            }
            PaymentError::BackUrlNotAllowed { allowed } => json!({ "allowed_origins": allowed }),
            _ => return Map::new(),
        };
        match members {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    fn wrapped(&self) -> Option<&dyn ProblemSource> {
        match self {
            PaymentError::Document(d) => Some(d),
            PaymentError::Case(c) => Some(c),
            PaymentError::Blob(b) => Some(b),
            PaymentError::Table(t) => Some(t),
            _ => None,
        }
    }
}
