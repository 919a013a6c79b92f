//! Request parts the appointment handlers read: the shared extractors of `varoskapu_http`
//! (re-exported here) and booking ids from the path.

use varoskapu_http::extract::{IdKind, PathId};

pub use varoskapu_http::extract::{ApiQuery, IDEMPOTENCY_KEY, IdempotencyKey};

/// Booking ids in the path (`/appointments/bookings/{booking_id}`).
pub struct Booking;

impl IdKind for Booking {
    const PARAM: &'static str = "booking_id";
    const NOT_FOUND: &'static str = "no such booking";
}

/// The booking id of the path; a malformed one names no booking (404).
pub type BookingId = PathId<Booking>;
