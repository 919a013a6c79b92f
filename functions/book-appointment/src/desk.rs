//! The office's use cases at the desks, shared by the JSON back-office routes and the
//! office's pages: the checks of a reason, a block and a calendar, and every change of a
//! booking the office makes, with the citizen told of it.

use crate::notify::tell_citizen;
use crate::retry::retrying;
use crate::state::AppointmentsState;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use uuid::Uuid;
use varoskapu_core::access::Role;
use varoskapu_core::appointments::hours::UNIT_MINUTES;
use varoskapu_core::appointments::notices::Notice;
use varoskapu_core::appointments::slots::local_date;
use varoskapu_core::appointments::{
    AppointmentError, Block, Booking, BookingCode, BookingStatus, Clerk, Office, Requester,
};
use varoskapu_http::auth::Principal;

/// Longest reason kept with a change or block.
pub const MAX_REASON: usize = 500;

/// Longest block (one working day).
pub const MAX_BLOCK_HOURS: i64 = 12;

/// Clerks manage their own calendar; admins (office managers) everyone's.
pub fn may_manage(principal: &Principal, clerk: &Clerk) -> bool {
    principal.has_role(Role::Admin)
        || clerk.account_id.as_deref() == Some(principal.account.as_str())
}

/// The office's reason for a change, trimmed: 1 to [`MAX_REASON`] characters.
pub fn reason(text: &str) -> Result<&str, AppointmentError> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > MAX_REASON {
        return Err(AppointmentError::Invalid(format!(
            "a reason of 1 to {MAX_REASON} characters is required"
        )));
    }
    Ok(text)
}

/// The office cancels a booking; the citizen is told why, with a cancelling calendar entry.
pub async fn cancel(
    s: &AppointmentsState,
    id: Uuid,
    why: &str,
) -> Result<Booking, AppointmentError> {
    let requester = Requester::Office {
        reason: reason(why)?,
    };
    let booking = retrying(|| s.appointments.cancel(&requester, id)).await?;
    tell_citizen(s, Notice::Cancelled, &booking).await;
    Ok(booking)
}

/// The office moves a booking to `start` (at `clerk_id`'s desk, or any free one); the
/// citizen is told why.
pub async fn reschedule(
    s: &AppointmentsState,
    id: Uuid,
    start: Timestamp,
    clerk_id: Option<&str>,
    why: &str,
) -> Result<Booking, AppointmentError> {
    let requester = Requester::Office {
        reason: reason(why)?,
    };
    let booking = retrying(|| s.appointments.reschedule(&requester, id, start, clerk_id)).await?;
    tell_citizen(s, Notice::Moved, &booking).await;
    Ok(booking)
}

/// The citizen has arrived (`CheckedIn`) or did not come (`NoShow`).
pub async fn mark(
    s: &AppointmentsState,
    id: Uuid,
    to: BookingStatus,
) -> Result<Booking, AppointmentError> {
    retrying(|| s.appointments.mark(id, to)).await
}

/// The booking with the code a citizen quotes at the desk (spaces, dashes and lower case
/// as people say and type it).
pub async fn by_code(
    s: &AppointmentsState,
    quoted: &str,
) -> Result<Option<Booking>, AppointmentError> {
    let Some(code) = BookingCode::parse(quoted) else {
        return Ok(None);
    };
    Ok(s.appointments
        .store()
        .booking_by_code(&code)
        .await?
        .map(|(booking, _)| booking))
}

/// An office's bookings of one day, by start.
pub async fn day(
    s: &AppointmentsState,
    office_id: &str,
    date: Date,
) -> Result<(Office, Vec<Booking>), AppointmentError> {
    let office = s.appointments.office(office_id).await?;
    let bookings = s.appointments.store().day(&office.id, date).await?;
    Ok((office, bookings))
}

/// Blocks `start`–`end` of the clerk's time (by the account `by`); refused unless it lies
/// within one day, lasts at most [`MAX_BLOCK_HOURS`], sits on the unit grid and overlaps
/// no booking or other block.
pub async fn add_block(
    s: &AppointmentsState,
    clerk: &Clerk,
    start: Timestamp,
    end: Timestamp,
    why: &str,
    by: &str,
) -> Result<Block, AppointmentError> {
    let tz = s.appointments.store().tz();
    let on_grid =
        |t: Timestamp| t.as_second() % (UNIT_MINUTES * 60) == 0 && t.subsec_nanosecond() == 0;
    let max = SignedDuration::from_hours(MAX_BLOCK_HOURS);
    let last_moment = end.checked_sub(SignedDuration::from_secs(1)).unwrap_or(end);
    if start >= end
        || !on_grid(start)
        || !on_grid(end)
        || end.duration_since(start) > max
        || local_date(tz, start) != local_date(tz, last_moment)
    {
        return Err(AppointmentError::Invalid(format!(
            "a block lies within one day, lasts at most {MAX_BLOCK_HOURS} hours and starts and ends on a {UNIT_MINUTES}-minute grid"
        )));
    }
    let block = Block {
        id: Uuid::now_v7(),
        clerk_id: clerk.id.clone(),
        start,
        end,
        reason: reason(why)?.to_owned(),
        created_by: by.to_owned(),
    };
    s.appointments.store().add_block(&block).await?;
    Ok(block)
}

/// Removes a block of the clerk's, freeing its time; `None` when there is no such block.
pub async fn remove_block(
    s: &AppointmentsState,
    clerk: &Clerk,
    block_id: &str,
) -> Result<Option<Block>, AppointmentError> {
    let Ok(id) = block_id.parse() else {
        return Ok(None);
    };
    let store = s.appointments.store();
    let Some(block) = store.block(&clerk.id, id).await? else {
        return Ok(None);
    };
    store.remove_block(&block).await?;
    Ok(Some(block))
}

/// Stores a clerk's changed hours, breaks and absences, if every range is valid.
pub async fn save_calendar(s: &AppointmentsState, clerk: &Clerk) -> Result<(), AppointmentError> {
    if !clerk.is_valid() {
        return Err(AppointmentError::Invalid(format!(
            "hours must be non-empty ranges on a {UNIT_MINUTES}-minute grid"
        )));
    }
    s.appointments.store().put_clerk(clerk, false).await?;
    Ok(())
}
