//! Citizens' routes: public offices, services and free slots; their own bookings.

use crate::dto::{
    BookBody, BookingView, OfficeView, RescheduleBody, ServiceView, ServicesQuery, SlotPageView,
    SlotQuery, SlotView,
};
use crate::extract::{ApiQuery, BookingId, IdempotencyKey};
use crate::notify::tell_citizen;
use crate::problem::ApiError;
use crate::retry::retrying;
use crate::state::AppointmentsState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use varoskapu_core::appointments::notices::Notice;
use varoskapu_core::appointments::{BookingRequest, IdempotencyGuard, Requester, ics, slots};
use varoskapu_http::auth::Authenticated;
use varoskapu_http::{ApiJson, Problem, ProblemKind};

/// Largest page of the slot search.
const MAX_PAGE: usize = 200;

/// The offices that take appointments.
#[utoipa::path(get, path = "/appointments/offices", tag = "appointments",
    responses((status = 200, body = [OfficeView]), (status = 503, body = Problem)))]
pub async fn list_offices(
    State(s): State<AppointmentsState>,
) -> Result<Json<Vec<OfficeView>>, ApiError> {
    let offices = s
        .appointments
        .store()
        .offices()
        .await
        .map_err(varoskapu_core::appointments::AppointmentError::from)?;
    Ok(Json(offices.iter().map(OfficeView::of).collect()))
}

/// One office: address, opening hours, closed days.
#[utoipa::path(get, path = "/appointments/offices/{office_id}", tag = "appointments",
    params(("office_id" = String, Path)),
    responses((status = 200, body = OfficeView), (status = 404, body = Problem)))]
pub async fn get_office(
    State(s): State<AppointmentsState>,
    Path(id): Path<String>,
) -> Result<Json<OfficeView>, ApiError> {
    Ok(Json(OfficeView::of(&s.appointments.office(&id).await?)))
}

/// The services that can be booked, optionally of one office.
#[utoipa::path(get, path = "/appointments/services", tag = "appointments",
    params(ServicesQuery),
    responses((status = 200, body = [ServiceView]), (status = 400, body = Problem)))]
pub async fn list_services(
    State(s): State<AppointmentsState>,
    ApiQuery(q): ApiQuery<ServicesQuery>,
) -> Result<Json<Vec<ServiceView>>, ApiError> {
    let store = s.appointments.store();
    let (services, clerks) = tokio::try_join!(store.services(), store.clerks())
        .map_err(varoskapu_core::appointments::AppointmentError::from)?;
    Ok(Json(
        services
            .iter()
            .filter(|svc| q.office.as_ref().is_none_or(|o| &svc.office_id == o))
            .map(|svc| ServiceView::of(svc, &clerks))
            .collect(),
    ))
}

/// One service: duration, desks, limits.
#[utoipa::path(get, path = "/appointments/services/{service_id}", tag = "appointments",
    params(("service_id" = String, Path)),
    responses((status = 200, body = ServiceView), (status = 404, body = Problem)))]
pub async fn get_service(
    State(s): State<AppointmentsState>,
    Path(id): Path<String>,
) -> Result<Json<ServiceView>, ApiError> {
    let service = s.appointments.service(&id).await?;
    let clerks = s.appointments.clerks_of(&service).await?;
    Ok(Json(ServiceView::of(&service, &clerks)))
}

/// Free slots of a service over local dates, in start order, paged, with remaining capacity.
#[utoipa::path(get, path = "/appointments/services/{service_id}/slots", tag = "appointments",
    params(("service_id" = String, Path), SlotQuery),
    responses((status = 200, body = SlotPageView), (status = 400, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn free_slots(
    State(s): State<AppointmentsState>,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<SlotQuery>,
) -> Result<Json<SlotPageView>, ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(Problem::with_detail(
            ProblemKind::BadRequest,
            format!("limit must be 1 to {MAX_PAGE}"),
        )
        .into());
    }
    let after = match &q.cursor {
        None => None,
        Some(c) => Some(c.parse::<Timestamp>().map_err(|_| {
            Problem::with_detail(ProblemKind::BadRequest, "the page cursor is invalid")
        })?),
    };
    let page = s
        .appointments
        .free_slots(&id, q.from, q.to, after, limit)
        .await?;
    let tz = s.appointments.store().tz();
    Ok(Json(SlotPageView {
        service_id: id,
        time_zone: slots::ZONE.into(),
        items: page
            .slots
            .iter()
            .map(|slot| SlotView::of(slot, tz))
            .collect(),
        next_cursor: page.next.map(|t| t.to_string()),
    }))
}

/// Books a slot. Send an `Idempotency-Key` to retry safely: a retry returns the first booking.
#[utoipa::path(post, path = "/appointments/bookings", tag = "appointments",
    request_body = BookBody,
    params(varoskapu_http::extract::IdempotencyKeyHeader),
    responses((status = 201, body = BookingView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "slot taken or too many open bookings"),
        (status = 422, body = Problem)))]
pub async fn book(
    State(s): State<AppointmentsState>,
    Authenticated(principal): Authenticated,
    IdempotencyKey(key): IdempotencyKey,
    ApiJson(body): ApiJson<BookBody>,
) -> Result<Response, ApiError> {
    let citizen = principal.account.as_str();
    let fingerprint = serde_json::to_vec(&body)
        .map(|b| varoskapu_core::idempotency::fingerprint(&b))
        .unwrap_or_default();
    let guard = key.map(|key| IdempotencyGuard { key, fingerprint });
    let request = BookingRequest {
        service_id: body.service_id,
        start: body.start,
        clerk_id: body.clerk_id,
        case_id: body.case_id,
    };
    let (booking, replayed) =
        retrying(|| s.appointments.book(citizen, &request, guard.as_ref())).await?;
    if !replayed {
        tell_citizen(&s, Notice::Booked, &booking).await;
    }
    let view = BookingView::of(&booking, s.appointments.store().tz());
    let location = HeaderValue::from_str(&format!("/appointments/bookings/{}", booking.id)).ok();
    let mut response = (StatusCode::CREATED, Json(view)).into_response();
    if let Some(location) = location {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// The citizen's bookings, soonest first.
#[utoipa::path(get, path = "/appointments/bookings", tag = "appointments", responses((status = 200, body = [BookingView]), (status = 401, body = Problem)))]
pub async fn my_bookings(
    State(s): State<AppointmentsState>,
    Authenticated(principal): Authenticated,
) -> Result<Json<Vec<BookingView>>, ApiError> {
    let citizen = principal.account.as_str();
    let bookings = s
        .appointments
        .store()
        .bookings_of(citizen)
        .await
        .map_err(varoskapu_core::appointments::AppointmentError::from)?;
    let tz = s.appointments.store().tz();
    Ok(Json(
        bookings.iter().map(|b| BookingView::of(b, tz)).collect(),
    ))
}

/// One of the citizen's bookings.
#[utoipa::path(get, path = "/appointments/bookings/{booking_id}", tag = "appointments", params(("booking_id" = String, Path)),
    responses((status = 200, body = BookingView), (status = 404, body = Problem)))]
pub async fn get_booking(
    State(s): State<AppointmentsState>,
    Authenticated(principal): Authenticated,
    id: BookingId,
) -> Result<Json<BookingView>, ApiError> {
    let citizen = principal.account.as_str();
    let (booking, _) = s
        .appointments
        .booking_for(&Requester::Citizen(citizen), id.get())
        .await?;
    Ok(Json(BookingView::of(&booking, s.appointments.store().tz())))
}

/// Cancels the citizen's booking (until the service's cut-off before the start).
#[utoipa::path(post, path = "/appointments/bookings/{booking_id}/cancel", tag = "appointments", params(("booking_id" = String, Path)),
    responses((status = 200, body = BookingView), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn cancel_booking(
    State(s): State<AppointmentsState>,
    Authenticated(principal): Authenticated,
    id: BookingId,
) -> Result<Json<BookingView>, ApiError> {
    let citizen = principal.account.as_str();
    let id = id.get();
    let requester = Requester::Citizen(citizen);
    let booking = retrying(|| s.appointments.cancel(&requester, id)).await?;
    tell_citizen(&s, Notice::Cancelled, &booking).await;
    Ok(Json(BookingView::of(&booking, s.appointments.store().tz())))
}

/// Moves the citizen's booking to another free slot; the new seat is claimed before the
/// old one is released, atomically.
#[utoipa::path(post, path = "/appointments/bookings/{booking_id}/reschedule", tag = "appointments", params(("booking_id" = String, Path)), request_body = RescheduleBody,
    responses((status = 200, body = BookingView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn reschedule_booking(
    State(s): State<AppointmentsState>,
    Authenticated(principal): Authenticated,
    id: BookingId,
    ApiJson(body): ApiJson<RescheduleBody>,
) -> Result<Json<BookingView>, ApiError> {
    let citizen = principal.account.as_str();
    let id = id.get();
    let requester = Requester::Citizen(citizen);
    let booking = retrying(|| {
        s.appointments
            .reschedule(&requester, id, body.start, body.clerk_id.as_deref())
    })
    .await?;
    tell_citizen(&s, Notice::Moved, &booking).await;
    Ok(Json(BookingView::of(&booking, s.appointments.store().tz())))
}

/// The booking as an iCalendar file (`METHOD:CANCEL` once cancelled).
#[utoipa::path(get, path = "/appointments/bookings/{booking_id}/calendar.ics", tag = "appointments", params(("booking_id" = String, Path)),
    responses((status = 200, content_type = "text/calendar", body = String), (status = 404, body = Problem)))]
pub async fn booking_calendar(
    State(s): State<AppointmentsState>,
    Authenticated(principal): Authenticated,
    id: BookingId,
) -> Result<Response, ApiError> {
    let citizen = principal.account.as_str();
    let a = &s.appointments;
    let (booking, _) = a
        .booking_for(&Requester::Citizen(citizen), id.get())
        .await?;
    let office = a.office(&booking.office_id).await?;
    let service = a.service(&booking.service_id).await?;
    let body = ics::booking_calendar(&booking, &office, &service, a.store().tz(), a.now());
    let disposition = format!("attachment; filename=\"idopont-{}.ics\"", booking.code);
    Ok((
        [
            (header::CONTENT_TYPE, ics::TEXT_CALENDAR.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        body,
    )
        .into_response())
}
