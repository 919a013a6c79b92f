//! The wire shapes of the appointment API: instants in RFC 3339 UTC, with the office's
//! Europe/Budapest wall-clock time beside them for display.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use varoskapu_core::appointments::{Block, Booking, Clerk, Office, Service, Slot};

/// RFC 3339 with the Budapest offset, e.g. `2026-03-30T09:00:00+02:00`.
pub fn local(t: Timestamp, tz: &TimeZone) -> String {
    t.to_zoned(tz.clone())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// An office as citizens see it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OfficeView {
    pub id: String,
    pub name: String,
    /// One line: postal code, city, street.
    pub address: String,
    pub postal_code: String,
    pub city: String,
    pub street: String,
    /// Opening hours per weekday, local time.
    #[schema(value_type = Object)]
    pub opening_hours: serde_json::Value,
    /// The office's own closed days (public holidays are closed too).
    #[schema(value_type = Vec<String>)]
    pub closed_days: Vec<jiff::civil::Date>,
    pub time_zone: String,
}

impl OfficeView {
    pub fn of(office: &Office) -> Self {
        Self {
            id: office.id.clone(),
            name: office.name.clone(),
            address: office.address.one_line(),
            postal_code: office.address.postal_code.clone(),
            city: office.address.city.clone(),
            street: office.address.street.clone(),
            opening_hours: serde_json::to_value(&office.opening_hours).unwrap_or_default(),
            closed_days: office.closed_days.clone(),
            time_zone: varoskapu_core::appointments::slots::ZONE.into(),
        }
    }
}

/// A desk that offers a service.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeskView {
    pub clerk_id: String,
    pub desk: String,
}

/// A bookable service.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ServiceView {
    pub id: String,
    pub office_id: String,
    pub name: String,
    pub duration_minutes: i64,
    pub max_open_bookings: u32,
    /// Citizens may cancel or reschedule until this many minutes before the start.
    pub cut_off_minutes: i64,
    pub desks: Vec<DeskView>,
}

impl ServiceView {
    pub fn of(service: &Service, clerks: &[Clerk]) -> Self {
        Self {
            id: service.id.clone(),
            office_id: service.office_id.clone(),
            name: service.name.clone(),
            duration_minutes: service.duration_minutes,
            max_open_bookings: service.max_open_bookings,
            cut_off_minutes: service.cut_off_minutes,
            desks: clerks
                .iter()
                .filter(|c| service.clerk_ids.contains(&c.id))
                .map(|c| DeskView {
                    clerk_id: c.id.clone(),
                    desk: c.desk.clone(),
                })
                .collect(),
        }
    }
}

/// A free slot.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SlotView {
    /// RFC 3339 UTC; send it back as `start` to book.
    pub start: String,
    pub end: String,
    pub local_start: String,
    pub local_end: String,
    /// Desks still free for the whole slot.
    pub remaining: usize,
}

impl SlotView {
    pub fn of(slot: &Slot, tz: &TimeZone) -> Self {
        Self {
            start: slot.start.to_string(),
            end: slot.end.to_string(),
            local_start: local(slot.start, tz),
            local_end: local(slot.end, tz),
            remaining: slot.clerk_ids.len(),
        }
    }
}

/// One page of free slots.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SlotPageView {
    pub service_id: String,
    pub time_zone: String,
    pub items: Vec<SlotView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Query of the slot search.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SlotQuery {
    /// First local date (YYYY-MM-DD), Europe/Budapest.
    #[param(value_type = String, format = Date, example = "2026-03-27")]
    pub from: jiff::civil::Date,
    /// Last local date, inclusive; at most 31 days after `from`.
    #[param(value_type = String, format = Date, example = "2026-03-31")]
    pub to: jiff::civil::Date,
    /// Slots per page (1–200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<usize>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A booking as its citizen (and the office) sees it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BookingView {
    pub id: String,
    /// Quote it at the desk.
    pub code: String,
    /// `booked`, `rescheduled`, `cancelled`, `checked_in` or `no_show`.
    pub status: String,
    pub office_id: String,
    pub service_id: String,
    pub clerk_id: String,
    pub start: String,
    pub end: String,
    pub local_start: String,
    pub local_end: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_id: Option<String>,
    /// Grows with every change (the iCalendar SEQUENCE).
    pub sequence: u32,
    /// The office's reason for cancelling or moving it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Where to download the calendar entry.
    pub calendar_url: String,
}

impl BookingView {
    pub fn of(b: &Booking, tz: &TimeZone) -> Self {
        Self {
            id: b.id.to_string(),
            code: b.code.to_string(),
            status: b.status.as_str().into(),
            office_id: b.office_id.clone(),
            service_id: b.service_id.clone(),
            clerk_id: b.clerk_id.clone(),
            start: b.start.to_string(),
            end: b.end.to_string(),
            local_start: local(b.start, tz),
            local_end: local(b.end, tz),
            case_id: b.case_id.clone(),
            sequence: b.sequence,
            reason: b.reason.clone(),
            created_at: b.created_at.to_string(),
            updated_at: b.updated_at.to_string(),
            calendar_url: format!("/appointments/bookings/{}/calendar.ics", b.id),
        }
    }
}

/// A booking in the back office: with whose it is.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeskBookingView {
    #[serde(flatten)]
    pub booking: BookingView,
    /// The citizen's account id.
    pub citizen_id: String,
}

impl DeskBookingView {
    pub fn of(b: &Booking, tz: &TimeZone) -> Self {
        Self {
            booking: BookingView::of(b, tz),
            citizen_id: b.citizen_id.clone(),
        }
    }
}

/// What a citizen books.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookBody {
    pub service_id: String,
    /// The slot's `start` (RFC 3339).
    #[schema(value_type = String, format = DateTime, example = "2026-03-30T07:00:00Z")]
    pub start: Timestamp,
    /// A particular desk; any free one otherwise.
    #[serde(default)]
    pub clerk_id: Option<String>,
    /// One of the citizen's cases the appointment is for.
    #[serde(default)]
    pub case_id: Option<String>,
}

/// Where a citizen moves a booking.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleBody {
    #[schema(value_type = String, format = DateTime, example = "2026-03-31T08:20:00Z")]
    pub start: Timestamp,
    #[serde(default)]
    pub clerk_id: Option<String>,
}

/// The office cancels a booking, telling the citizen why.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfficeCancelBody {
    /// Told to the citizen.
    #[schema(min_length = 1, max_length = 500, pattern = "\\S")]
    pub reason: String,
}

/// The office moves a booking, telling the citizen why.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfficeMoveBody {
    #[schema(value_type = String, format = DateTime)]
    pub start: Timestamp,
    #[serde(default)]
    pub clerk_id: Option<String>,
    #[schema(min_length = 1, max_length = 500, pattern = "\\S")]
    pub reason: String,
}

/// Time a clerk or manager blocks.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BlockBody {
    #[schema(value_type = String, format = DateTime)]
    pub start: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub end: Timestamp,
    #[schema(min_length = 1, max_length = 500, pattern = "\\S")]
    pub reason: String,
}

/// A blocked period.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BlockView {
    pub id: String,
    pub clerk_id: String,
    pub start: String,
    pub end: String,
    pub local_start: String,
    pub local_end: String,
    pub reason: String,
}

impl BlockView {
    pub fn of(b: &Block, tz: &TimeZone) -> Self {
        Self {
            id: b.id.to_string(),
            clerk_id: b.clerk_id.clone(),
            start: b.start.to_string(),
            end: b.end.to_string(),
            local_start: local(b.start, tz),
            local_end: local(b.end, tz),
            reason: b.reason.clone(),
        }
    }
}

/// A clerk's working hours, breaks and absences, as edited in the back office.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarBody {
    pub working_hours: varoskapu_core::appointments::WeeklyHours,
    #[serde(default)]
    pub breaks: varoskapu_core::appointments::WeeklyHours,
    #[serde(default)]
    pub absences: Vec<varoskapu_core::appointments::Absence>,
}

/// One day of a clerk's calendar.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CalendarDayView {
    #[schema(value_type = String, format = Date)]
    pub date: jiff::civil::Date,
    /// Local ranges at the desk (after office hours, breaks and absences).
    pub hours: Vec<varoskapu_core::appointments::TimeRange>,
    pub blocks: Vec<BlockView>,
    pub bookings: Vec<DeskBookingView>,
}

/// A clerk's calendar over some days.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ClerkCalendarView {
    pub clerk_id: String,
    pub office_id: String,
    pub desk: String,
    pub name: String,
    #[schema(value_type = Object)]
    pub working_hours: varoskapu_core::appointments::WeeklyHours,
    #[schema(value_type = Object)]
    pub breaks: varoskapu_core::appointments::WeeklyHours,
    #[schema(value_type = Vec<Object>)]
    pub absences: Vec<varoskapu_core::appointments::Absence>,
    pub days: Vec<CalendarDayView>,
}

/// Dates of a calendar or day view.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    #[param(value_type = String, format = Date, example = "2026-11-24")]
    pub from: jiff::civil::Date,
    /// Inclusive; at most 31 days after `from`.
    #[param(value_type = String, format = Date, example = "2026-11-30")]
    pub to: jiff::civil::Date,
}

/// The date of a day view.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DayQuery {
    #[param(value_type = String, format = Date, example = "2026-11-24")]
    pub date: jiff::civil::Date,
}

/// An office's day at the desks.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DayView {
    pub office_id: String,
    #[schema(value_type = String, format = Date)]
    pub date: jiff::civil::Date,
    pub bookings: Vec<DeskBookingView>,
}

/// Optional filter of the service list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ServicesQuery {
    /// Only this office's services.
    pub office: Option<String>,
}
