//! Back-office routes: clerks' calendars and blocked time, the desk's day view, check-in
//! and no-show, and the office cancelling or moving bookings with a reason.

use crate::desk;
use crate::dto::{
    BlockBody, BlockView, CalendarBody, CalendarDayView, ClerkCalendarView, DayQuery, DayView,
    DeskBookingView, OfficeCancelBody, OfficeMoveBody, RangeQuery,
};
use crate::extract::{ApiQuery, BookingId};
use crate::problem::ApiError;
use crate::state::AppointmentsState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use varoskapu_core::appointments::slots;
use varoskapu_core::appointments::{AppointmentError, BookingStatus, Clerk};
use varoskapu_http::ApiJson;
use varoskapu_http::auth::{Authenticated, Principal};
use varoskapu_http::{Problem, ProblemKind};

/// Clerks manage their own calendar; admins (office managers) everyone's.
fn may_manage(principal: &Principal, clerk: &Clerk) -> Result<(), ApiError> {
    if desk::may_manage(principal, clerk) {
        Ok(())
    } else {
        Err(Problem::with_detail(
            ProblemKind::Forbidden,
            "only this clerk or a manager may change this calendar",
        )
        .into())
    }
}

fn range_days(
    from: jiff::civil::Date,
    to: jiff::civil::Date,
) -> Result<Vec<jiff::civil::Date>, ApiError> {
    let span = from.until(to).map(|s| s.get_days()).unwrap_or(i32::MAX);
    if to < from || span > 31 {
        return Err(Problem::with_detail(
            ProblemKind::ValidationFailed,
            "the date range must run forwards and cover at most 31 days",
        )
        .into());
    }
    Ok(slots::dates(from, to))
}

/// Every clerk (desk) with their calendar settings.
#[utoipa::path(get, path = "/backoffice/appointments/clerks", tag = "appointments-backoffice", responses((status = 200, body = [ClerkCalendarView]), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_clerks(
    State(s): State<AppointmentsState>,
    _: Authenticated,
) -> Result<Json<Vec<ClerkCalendarView>>, ApiError> {
    let clerks = s
        .appointments
        .store()
        .clerks()
        .await
        .map_err(AppointmentError::from)?;
    Ok(Json(
        clerks
            .into_iter()
            .map(|c| calendar_view(c, Vec::new()))
            .collect(),
    ))
}

fn calendar_view(c: Clerk, days: Vec<CalendarDayView>) -> ClerkCalendarView {
    ClerkCalendarView {
        clerk_id: c.id,
        office_id: c.office_id,
        desk: c.desk,
        name: c.name,
        working_hours: c.working_hours,
        breaks: c.breaks,
        absences: c.absences,
        days,
    }
}

/// A clerk's calendar: hours at the desk, blocks and bookings per day.
#[utoipa::path(get, path = "/backoffice/appointments/clerks/{clerk_id}/calendar", tag = "appointments-backoffice",
    params(("clerk_id" = String, Path), RangeQuery),
    responses((status = 200, body = ClerkCalendarView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, description = "The date range runs backwards or covers more than 31 days", body = Problem)))]
pub async fn clerk_calendar(
    State(s): State<AppointmentsState>,
    _: Authenticated,
    Path(clerk_id): Path<String>,
    ApiQuery(q): ApiQuery<RangeQuery>,
) -> Result<Json<ClerkCalendarView>, ApiError> {
    let days = range_days(q.from, q.to)?;
    let a = &s.appointments;
    let store = a.store();
    let tz = store.tz();
    let clerk = a.clerk(&clerk_id).await?;
    let office = a.office(&clerk.office_id).await?;
    let mut out = Vec::new();
    for day in days {
        let (Some(from), Some(to)) = (
            slots::local_instant(tz, day, jiff::civil::time(0, 0, 0, 0)),
            day.tomorrow()
                .ok()
                .and_then(|d| slots::local_instant(tz, d, jiff::civil::time(0, 0, 0, 0))),
        ) else {
            continue;
        };
        let blocks = store
            .blocks(&clerk.id, from, to)
            .await
            .map_err(AppointmentError::from)?;
        let bookings = store
            .day(&office.id, day)
            .await
            .map_err(AppointmentError::from)?;
        out.push(CalendarDayView {
            date: day,
            hours: clerk.hours_on(&office, day),
            blocks: blocks.iter().map(|b| BlockView::of(b, tz)).collect(),
            bookings: bookings
                .iter()
                .filter(|b| b.clerk_id == clerk.id)
                .map(|b| DeskBookingView::of(b, tz))
                .collect(),
        });
    }
    Ok(Json(calendar_view(clerk, out)))
}

/// Sets a clerk's working hours, breaks and absences (leave, training, other hours).
#[utoipa::path(put, path = "/backoffice/appointments/clerks/{clerk_id}/calendar", tag = "appointments-backoffice",
    params(("clerk_id" = String, Path)), request_body = CalendarBody,
    responses((status = 200, body = ClerkCalendarView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn set_clerk_calendar(
    State(s): State<AppointmentsState>,
    Authenticated(principal): Authenticated,
    Path(clerk_id): Path<String>,
    ApiJson(body): ApiJson<CalendarBody>,
) -> Result<Json<ClerkCalendarView>, ApiError> {
    let mut clerk = s.appointments.clerk(&clerk_id).await?;
    may_manage(&principal, &clerk)?;
    clerk.working_hours = body.working_hours;
    clerk.breaks = body.breaks;
    clerk.absences = body.absences;
    desk::save_calendar(&s, &clerk).await?;
    Ok(Json(calendar_view(clerk, Vec::new())))
}

/// Blocks time in a clerk's calendar; refused if it overlaps a booking or another block.
#[utoipa::path(post, path = "/backoffice/appointments/clerks/{clerk_id}/blocks", tag = "appointments-backoffice",
    params(("clerk_id" = String, Path)), request_body = BlockBody,
    responses((status = 201, body = BlockView), (status = 403, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn add_block(
    State(s): State<AppointmentsState>,
    Authenticated(principal): Authenticated,
    Path(clerk_id): Path<String>,
    ApiJson(body): ApiJson<BlockBody>,
) -> Result<(StatusCode, Json<BlockView>), ApiError> {
    let clerk = s.appointments.clerk(&clerk_id).await?;
    may_manage(&principal, &clerk)?;
    let block = desk::add_block(
        &s,
        &clerk,
        body.start,
        body.end,
        &body.reason,
        &principal.account,
    )
    .await?;
    let tz = s.appointments.store().tz();
    Ok((StatusCode::CREATED, Json(BlockView::of(&block, tz))))
}

/// Removes a block, freeing its time.
#[utoipa::path(delete, path = "/backoffice/appointments/clerks/{clerk_id}/blocks/{block_id}", tag = "appointments-backoffice",
    params(("clerk_id" = String, Path), ("block_id" = String, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn remove_block(
    State(s): State<AppointmentsState>,
    Authenticated(principal): Authenticated,
    Path((clerk_id, block_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let clerk = s.appointments.clerk(&clerk_id).await?;
    may_manage(&principal, &clerk)?;
    desk::remove_block(&s, &clerk, &block_id)
        .await?
        .ok_or_else(|| Problem::with_detail(ProblemKind::NotFound, "no such block"))?;
    Ok(StatusCode::NO_CONTENT)
}

/// An office's bookings of one day, by start: the desks' day view.
#[utoipa::path(get, path = "/backoffice/appointments/offices/{office_id}/day", tag = "appointments-backoffice",
    params(("office_id" = String, Path), DayQuery),
    responses((status = 200, body = DayView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn day_view(
    State(s): State<AppointmentsState>,
    _: Authenticated,
    Path(office_id): Path<String>,
    ApiQuery(q): ApiQuery<DayQuery>,
) -> Result<Json<DayView>, ApiError> {
    let (office, bookings) = desk::day(&s, &office_id, q.date).await?;
    let store = s.appointments.store();
    Ok(Json(DayView {
        office_id: office.id,
        date: q.date,
        bookings: bookings
            .iter()
            .map(|b| DeskBookingView::of(b, store.tz()))
            .collect(),
    }))
}

/// Finds a booking by the code the citizen quotes at the desk.
#[utoipa::path(get, path = "/backoffice/appointments/bookings/by-code/{code}", tag = "appointments-backoffice",
    params(("code" = String, Path)),
    responses((status = 200, body = DeskBookingView), (status = 404, body = Problem)))]
pub async fn booking_by_code(
    State(s): State<AppointmentsState>,
    _: Authenticated,
    Path(code): Path<String>,
) -> Result<Json<DeskBookingView>, ApiError> {
    let booking = desk::by_code(&s, &code)
        .await?
        .ok_or_else(|| Problem::with_detail(ProblemKind::NotFound, "no booking has this code"))?;
    let store = s.appointments.store();
    Ok(Json(DeskBookingView::of(&booking, store.tz())))
}

/// The office cancels a booking; the citizen is told why, with a cancelling calendar entry.
#[utoipa::path(post, path = "/backoffice/appointments/bookings/{booking_id}/cancel", tag = "appointments-backoffice",
    params(("booking_id" = String, Path)), request_body = OfficeCancelBody,
    responses((status = 200, body = DeskBookingView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn office_cancel(
    State(s): State<AppointmentsState>,
    _: Authenticated,
    id: BookingId,
    ApiJson(body): ApiJson<OfficeCancelBody>,
) -> Result<Json<DeskBookingView>, ApiError> {
    let booking = desk::cancel(&s, id.get(), &body.reason).await?;
    Ok(Json(DeskBookingView::of(
        &booking,
        s.appointments.store().tz(),
    )))
}

/// The office moves a booking (e.g. the clerk fell ill); the citizen is told why.
#[utoipa::path(post, path = "/backoffice/appointments/bookings/{booking_id}/move", tag = "appointments-backoffice",
    params(("booking_id" = String, Path)), request_body = OfficeMoveBody,
    responses((status = 200, body = DeskBookingView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn office_move(
    State(s): State<AppointmentsState>,
    _: Authenticated,
    id: BookingId,
    ApiJson(body): ApiJson<OfficeMoveBody>,
) -> Result<Json<DeskBookingView>, ApiError> {
    let booking = desk::reschedule(
        &s,
        id.get(),
        body.start,
        body.clerk_id.as_deref(),
        &body.reason,
    )
    .await?;
    Ok(Json(DeskBookingView::of(
        &booking,
        s.appointments.store().tz(),
    )))
}

async fn mark(
    s: &AppointmentsState,
    id: BookingId,
    to: BookingStatus,
) -> Result<Json<DeskBookingView>, ApiError> {
    let booking = desk::mark(s, id.get(), to).await?;
    Ok(Json(DeskBookingView::of(
        &booking,
        s.appointments.store().tz(),
    )))
}

/// The citizen has arrived at the desk.
#[utoipa::path(post, path = "/backoffice/appointments/bookings/{booking_id}/check-in", tag = "appointments-backoffice",
    params(("booking_id" = String, Path)),
    responses((status = 200, body = DeskBookingView), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn check_in(
    State(s): State<AppointmentsState>,
    _: Authenticated,
    id: BookingId,
) -> Result<Json<DeskBookingView>, ApiError> {
    mark(&s, id, BookingStatus::CheckedIn).await
}

/// The citizen did not come (only after the start).
#[utoipa::path(post, path = "/backoffice/appointments/bookings/{booking_id}/no-show", tag = "appointments-backoffice",
    params(("booking_id" = String, Path)),
    responses((status = 200, body = DeskBookingView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn no_show(
    State(s): State<AppointmentsState>,
    _: Authenticated,
    id: BookingId,
) -> Result<Json<DeskBookingView>, ApiError> {
    mark(&s, id, BookingStatus::NoShow).await
}
