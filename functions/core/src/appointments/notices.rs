//! The messages citizens get about their appointments (Hungarian first, English after).

use super::booking::{Booking, BookingStatus};
use super::ics;
use super::office::{Office, Service};
use crate::notify::{Attachment, Message};
use jiff::Timestamp;
use jiff::tz::TimeZone;

fn when(booking: &Booking, tz: &TimeZone) -> String {
    booking
        .start
        .to_zoned(tz.clone())
        .strftime("%Y.%m.%d. %H:%M")
        .to_string()
}

fn calendar(
    booking: &Booking,
    office: &Office,
    service: &Service,
    tz: &TimeZone,
    now: Timestamp,
) -> Attachment {
    Attachment {
        filename: format!("idopont-{}.ics", booking.code),
        content_type: ics::TEXT_CALENDAR.into(),
        content: ics::booking_calendar(booking, office, service, tz, now),
    }
}

/// What a message about a booking is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    Booked,
    Moved,
    Cancelled,
    Reminder,
}

impl Notice {
    pub fn kind(self) -> &'static str {
        match self {
            Notice::Booked => "appointment_booked",
            Notice::Moved => "appointment_moved",
            Notice::Cancelled => "appointment_cancelled",
            Notice::Reminder => "appointment_reminder",
        }
    }
}

/// The message for `notice` about `booking`, with its calendar entry attached.
pub fn message(
    notice: Notice,
    booking: &Booking,
    office: &Office,
    service: &Service,
    tz: &TimeZone,
    now: Timestamp,
) -> Message {
    let at = when(booking, tz);
    let place = format!("{}, {}", office.name, office.address.one_line());
    let (subject, mut body) = match notice {
        Notice::Booked => (
            format!("Időpontfoglalás visszaigazolása – {}", service.name),
            format!(
                "Időpontja: {at}, {place}.\nFoglalási kód: {}\n\nYour appointment is booked for {at} at {place}. Booking code: {}.",
                booking.code, booking.code
            ),
        ),
        Notice::Moved => (
            format!("Időpontja módosult – {}", service.name),
            format!(
                "Új időpont: {at}, {place}.\nFoglalási kód: {}\n\nYour appointment was moved to {at} at {place}.",
                booking.code
            ),
        ),
        Notice::Cancelled => (
            format!("Időpontja törölve – {}", service.name),
            format!(
                "A(z) {at} időpontra szóló foglalását ({}) töröltük.\n\nYour appointment at {at} ({}) is cancelled.",
                booking.code, booking.code
            ),
        ),
        Notice::Reminder => (
            format!("Emlékeztető: {} – {at}", service.name),
            format!(
                "Emlékeztetjük, hogy időpontja {at}, {place}. Foglalási kód: {}\n\nReminder: your appointment is at {at} at {place}.",
                booking.code
            ),
        ),
    };
    if let Some(reason) = &booking.reason
        && matches!(notice, Notice::Moved | Notice::Cancelled)
    {
        body.push_str(&format!("\n\nIndoklás / reason: {reason}"));
    }
    debug_assert!(notice != Notice::Cancelled || booking.status == BookingStatus::Cancelled);
    Message {
        recipient: booking.citizen_id.clone(),
        kind: notice.kind().into(),
        subject,
        body,
        attachments: vec![calendar(booking, office, service, tz, now)],
    }
}
