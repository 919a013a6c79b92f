//! Appointments: citizens book a clerk's time for matters that need them in person.
//!
//! Offices and clerks' calendars are the source of slots, which are derived (never stored)
//! in Europe/Budapest; a booking claims its clerk's 5-minute time units with conditional
//! writes, so no seat is ever given twice, whatever the concurrency.

pub mod booking;
pub mod error;
pub mod hours;
pub mod ics;
pub mod notices;
pub mod office;
pub mod reminders;
pub mod service;
pub mod slots;
pub mod store;

pub use booking::{Actor, Booking, BookingCode, BookingStatus, ReminderState};
pub use error::AppointmentError;
pub use hours::{TimeRange, WeeklyHours};
pub use office::{Absence, Address, Clerk, Office, Service};
pub use service::{
    AppointmentRules, Appointments, BookingRequest, IdempotencyGuard, Requester, SlotPage,
};
pub use slots::{Slot, budapest};
pub use store::{AppointmentStore, Block};
