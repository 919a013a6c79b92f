//! The appointment desks in the office: an office's day at the desks with check-in by the
//! code the citizen quotes, no-shows, moving or cancelling a booking with a reason
//! ([`day`]), and the clerks' calendars: hours, absences and blocked time ([`calendar`]).
//! Every page asks for what the JSON `/backoffice/appointments` routes ask
//! ([`OFFICE_DESKS`](varoskapu_http::auth::OFFICE_DESKS)) and makes the same use-case
//! calls ([`varoskapu_book_appointment::desk`]).

mod calendar;
mod day;

use super::{message_page, not_found, unavailable};
use crate::OfficeState;
use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use jiff::Timestamp;
use jiff::civil::{Date, Time};
use varoskapu_book_appointment::AppointmentsState;
use varoskapu_core::appointments::hours::TimeRange;
use varoskapu_core::appointments::{AppointmentError, BookingStatus};
use varoskapu_web::signin::Visitor;
use varoskapu_web::{Lang, PageLang};

/// This area's pages, relative to `/office`.
pub fn routes() -> Router<OfficeState> {
    Router::new()
        .route("/appointments", get(day::day_view))
        .route("/appointments/check-in", post(day::check_in_by_code))
        .route("/appointments/bookings/{booking_id}", get(day::booking))
        .route(
            "/appointments/bookings/{booking_id}/check-in",
            post(day::check_in),
        )
        .route(
            "/appointments/bookings/{booking_id}/no-show",
            post(day::no_show),
        )
        .route(
            "/appointments/bookings/{booking_id}/cancel",
            post(day::cancel),
        )
        .route(
            "/appointments/bookings/{booking_id}/move",
            post(day::move_booking),
        )
        .route("/appointments/clerks", get(calendar::clerks))
        .route("/appointments/clerks/{clerk_id}", get(calendar::calendar))
        .route(
            "/appointments/clerks/{clerk_id}/hours",
            post(calendar::set_hours),
        )
        .route(
            "/appointments/clerks/{clerk_id}/absences",
            post(calendar::add_absence),
        )
        .route(
            "/appointments/clerks/{clerk_id}/absences/remove",
            post(calendar::remove_absence),
        )
        .route(
            "/appointments/clerks/{clerk_id}/blocks",
            post(calendar::add_block),
        )
        .route(
            "/appointments/clerks/{clerk_id}/blocks/{block_id}/remove",
            post(calendar::remove_block),
        )
}

/// An instant as the office reads it: Europe/Budapest wall-clock time.
pub fn local_time(appointments: &AppointmentsState, at: Timestamp) -> String {
    at.to_zoned(appointments.appointments.store().tz().clone())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

/// Wall-clock `HH:MM` of an instant in Europe/Budapest.
fn clock(appointments: &AppointmentsState, at: Timestamp) -> String {
    at.to_zoned(appointments.appointments.store().tz().clone())
        .strftime("%H:%M")
        .to_string()
}

/// A date as typed into a date field (`YYYY-MM-DD`).
fn parse_date(text: &str) -> Option<Date> {
    text.trim().parse().ok()
}

/// A time of day as typed into a time field (`HH:MM`).
fn parse_time(text: &str) -> Option<Time> {
    let text = text.trim();
    Time::strptime("%H:%M", text)
        .or_else(|_| Time::strptime("%H:%M:%S", text))
        .ok()
}

/// Today in Europe/Budapest.
fn today(state: &OfficeState) -> Date {
    state
        .clock
        .now()
        .to_zoned(state.appointments.appointments.store().tz().clone())
        .date()
}

/// Ranges as people write them: `08:00-12:00, 12:30-16:00` (empty: none).
fn parse_ranges(text: &str) -> Option<Vec<TimeRange>> {
    text.split([',', ';'])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (start, end) = part.split_once(['-', '–'])?;
            let range = TimeRange {
                start: parse_time(start)?,
                end: parse_time(end)?,
            };
            range.is_valid().then_some(range)
        })
        .collect()
}

/// Ranges written back the way [`parse_ranges`] reads them.
fn ranges_text(ranges: &[TimeRange]) -> String {
    ranges
        .iter()
        .map(|r| format!("{}-{}", r.start.strftime("%H:%M"), r.end.strftime("%H:%M")))
        .collect::<Vec<_>>()
        .join(", ")
}

fn status_text(status: BookingStatus, l: Lang) -> &'static str {
    match status {
        BookingStatus::Booked => l.t("Foglalt", "Booked"),
        BookingStatus::Rescheduled => l.t("Áthelyezett", "Moved"),
        BookingStatus::Cancelled => l.t("Lemondva", "Cancelled"),
        BookingStatus::CheckedIn => l.t("Megérkezett", "Checked in"),
        BookingStatus::NoShow => l.t("Nem jelent meg", "Did not come"),
    }
}

/// A use case's failure that is not a field's: as a page that says what happened.
fn failed(lang: PageLang, visitor: &Visitor, back: &str, e: &AppointmentError) -> Response {
    let l = lang.lang;
    let conflict = |text: &str| {
        message_page(
            lang,
            Some(visitor),
            StatusCode::CONFLICT,
            l.t("A művelet nem hajtható végre", "This cannot be done"),
            text,
            vec![(back.to_owned(), l.t("Vissza", "Back").to_owned())],
        )
    };
    match e {
        AppointmentError::UnknownOffice
        | AppointmentError::UnknownClerk
        | AppointmentError::UnknownBooking
        | AppointmentError::UnknownService => not_found(lang, visitor),
        AppointmentError::IllegalTransition { from, .. } => conflict(&match l {
            Lang::Hu => format!(
                "Ez a foglalás már nem nyitott (állapota: {}), ezért nem változtatható.",
                status_text(*from, l).to_lowercase()
            ),
            Lang::En => format!(
                "This booking is no longer open (it is {}), so it cannot change.",
                status_text(*from, l).to_lowercase()
            ),
        }),
        AppointmentError::TimeTaken => conflict(l.t(
            "Ez az idő már foglalt vagy zárolt.",
            "That time is already booked or blocked.",
        )),
        AppointmentError::SlotTaken => conflict(l.t(
            "Ezt az időpontot közben más lefoglalta; válasszon másikat.",
            "Someone else took that slot meanwhile; choose another.",
        )),
        e => {
            tracing::error!(error = %e, "appointment use case failed");
            unavailable(lang, Some(visitor))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_are_read_as_people_write_them_and_written_back_the_same_way() {
        let read = parse_ranges(" 08:00-12:00, 12:30 – 16:00 ").expect("ranges");
        assert_eq!(
            read,
            vec![TimeRange::hm(8, 0, 12, 0), TimeRange::hm(12, 30, 16, 0)]
        );
        assert_eq!(ranges_text(&read), "08:00-12:00, 12:30-16:00");
        assert_eq!(parse_ranges(""), Some(Vec::new()));
        assert_eq!(parse_ranges("12:00-08:00"), None, "backwards");
        assert_eq!(
            parse_ranges("08:03-09:00"),
            None,
            "off the five-minute grid"
        );
        assert_eq!(parse_ranges("reggel"), None);
    }
}
