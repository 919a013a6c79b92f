//! What can go wrong with appointments, in the citizen's and the clerk's terms.

use super::booking::BookingStatus;
use crate::table::TableError;

/// Why an appointment request was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AppointmentError {
    #[error("no such office")]
    UnknownOffice,
    #[error("no such service")]
    UnknownService,
    #[error("no such clerk")]
    UnknownClerk,
    #[error("no such booking")]
    UnknownBooking,
    #[error("the appointment can only be linked to one of your own cases")]
    UnknownCase,
    #[error("this booking belongs to someone else")]
    NotYours,
    #[error("the requested time is not a slot of this service")]
    NotASlot,
    #[error("the slot was taken by someone else; choose another")]
    SlotTaken,
    #[error("you already hold {limit} open bookings for this service")]
    TooManyOpenBookings { limit: u32 },
    #[error("changes are possible only until {minutes} minutes before the appointment")]
    PastCutOff { minutes: i64 },
    #[error("the slot has already started or is too far ahead")]
    OutOfRange,
    #[error("a booking that is {from} cannot become {to}")]
    IllegalTransition {
        from: BookingStatus,
        to: BookingStatus,
    },
    #[error("the time is already booked or blocked")]
    TimeTaken,
    #[error("the Idempotency-Key must be 1 to 128 visible ASCII characters")]
    InvalidIdempotencyKey,
    #[error("this Idempotency-Key was already used for a different request")]
    IdempotencyKeyReused,
    #[error("invalid request: {0}")]
    Invalid(String),
    #[error("the time zone database is missing")]
    TimeZoneUnavailable,
    #[error("a concurrent change interfered; retry")]
    Busy,
    #[error(transparent)]
    Table(TableError),
}

impl From<TableError> for AppointmentError {
    fn from(e: TableError) -> Self {
        match e {
            // The engine gave up on a transaction that overlapped another: try again.
            TableError::Conflict => AppointmentError::Busy,
            other => AppointmentError::Table(other),
        }
    }
}

impl AppointmentError {
    /// Worth retrying at once (nothing was written; a concurrent writer won a race).
    pub fn is_retryable(&self) -> bool {
        matches!(self, AppointmentError::Busy)
    }
}
