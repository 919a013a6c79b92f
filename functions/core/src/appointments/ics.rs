//! iCalendar (RFC 5545) for a booking: what the confirmation attaches and citizens download.
//!
//! Times are written in Europe/Budapest with a VTIMEZONE, so calendar programs show the
//! office's wall-clock time across daylight-saving changes; the UID stays the booking's
//! and SEQUENCE grows with every change, so an update replaces the entry it refers to.

use super::booking::{Booking, BookingStatus};
use super::office::{Office, Service};
use super::slots::ZONE;
use jiff::Timestamp;
use jiff::tz::TimeZone;

/// Media type of iCalendar documents.
pub const TEXT_CALENDAR: &str = "text/calendar; charset=utf-8";

/// Europe/Budapest's rules since 1996 (EU summer time), for calendar programs without it.
const BUDAPEST_VTIMEZONE: &[&str] = &[
    "BEGIN:VTIMEZONE",
    "TZID:Europe/Budapest",
    "BEGIN:DAYLIGHT",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0200",
    "TZNAME:CEST",
    "DTSTART:19700329T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "END:DAYLIGHT",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:+0200",
    "TZOFFSETTO:+0100",
    "TZNAME:CET",
    "DTSTART:19701025T030000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    "END:STANDARD",
    "END:VTIMEZONE",
];

/// The iCalendar of a booking; a cancelled booking yields `METHOD:CANCEL`.
pub fn booking_calendar(
    booking: &Booking,
    office: &Office,
    service: &Service,
    tz: &TimeZone,
    now: Timestamp,
) -> String {
    let cancelled = booking.status == BookingStatus::Cancelled;
    let local = |t: Timestamp| t.to_zoned(tz.clone()).strftime("%Y%m%dT%H%M%S").to_string();
    let utc = |t: Timestamp| t.strftime("%Y%m%dT%H%M%SZ").to_string();
    let mut description = format!(
        "Foglalási kód / booking code: {}\nIdőpont / appointment: {} ({})",
        booking.code, service.name, office.name
    );
    if let Some(reason) = &booking.reason {
        description.push_str(&format!("\nIndoklás / reason: {reason}"));
    }
    let mut lines: Vec<String> = vec![
        "BEGIN:VCALENDAR".into(),
        "VERSION:2.0".into(),
        "PRODID:-//Varoskapu//Appointments//HU".into(),
        "CALSCALE:GREGORIAN".into(),
        format!("METHOD:{}", if cancelled { "CANCEL" } else { "PUBLISH" }),
    ];
    lines.extend(BUDAPEST_VTIMEZONE.iter().map(|l| (*l).to_owned()));
    lines.extend([
        "BEGIN:VEVENT".into(),
        format!("UID:{}@appointments.varoskapu", booking.id),
        format!("SEQUENCE:{}", booking.sequence),
        format!("DTSTAMP:{}", utc(now)),
        format!("DTSTART;TZID={ZONE}:{}", local(booking.start)),
        format!("DTEND;TZID={ZONE}:{}", local(booking.end)),
        format!(
            "SUMMARY:{}",
            escape(&format!("{} – {}", service.name, office.name))
        ),
        format!("LOCATION:{}", escape(&office.address.one_line())),
        format!("DESCRIPTION:{}", escape(&description)),
        format!(
            "STATUS:{}",
            if cancelled { "CANCELLED" } else { "CONFIRMED" }
        ),
        "TRANSP:OPAQUE".into(),
        "END:VEVENT".into(),
        "END:VCALENDAR".into(),
    ]);
    let mut out = String::new();
    for line in lines {
        fold_into(&mut out, &line);
    }
    out
}

/// TEXT escaping of RFC 5545 §3.3.11.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Writes a content line folded at 75 octets (never inside a UTF-8 character), CRLF-ended.
fn fold_into(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_fold_without_splitting_characters() {
        let mut out = String::new();
        fold_into(
            &mut out,
            &format!("DESCRIPTION:{}", "árvíztűrő ".repeat(20)),
        );
        for line in out.split("\r\n") {
            assert!(line.len() <= 75, "{line:?}");
        }
        let unfolded = out.replace("\r\n ", "");
        assert!(unfolded.starts_with("DESCRIPTION:árvíztűrő"));
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("a;b,c\\d\ne"), "a\\;b\\,c\\\\d\\ne");
    }
}
