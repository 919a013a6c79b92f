//! `book-appointment`: citizens find free slots at the municipality's offices and book,
//! cancel or reschedule them; the back office manages clerks' calendars and the desks.
//!
//! `router` is what the Lambda binary runs and what the local server mounts; `openapi`
//! describes it; `reminders` is the scheduled job that sends each reminder once.

pub mod backoffice;
pub mod citizen;
pub mod config;
pub mod demo;
pub mod desk;
pub mod dto;
pub mod extract;
pub mod notify;
pub mod problem;
pub mod reminders;
pub mod retry;
pub mod state;

pub use config::AppointmentsConfig;
pub use state::{AppointmentsState, StateError};

use axum::Router;
use axum::http::Method;
use utoipa::OpenApi;
use varoskapu_http::auth::{OFFICE_DESKS, OWN_APPOINTMENTS, Routes};
use varoskapu_http::openapi::BearerScheme;

/// Every appointment route with what it needs: offices, services and free slots are public.
fn routes() -> Routes<AppointmentsState> {
    const BOOKINGS: &str = "/appointments/bookings";
    let own = &OWN_APPOINTMENTS;
    let desks = &OFFICE_DESKS;
    Routes::new()
        .public(Method::GET, "/appointments/offices", citizen::list_offices)
        .public(
            Method::GET,
            "/appointments/offices/{office_id}",
            citizen::get_office,
        )
        .public(
            Method::GET,
            "/appointments/services",
            citizen::list_services,
        )
        .public(
            Method::GET,
            "/appointments/services/{service_id}",
            citizen::get_service,
        )
        .public(
            Method::GET,
            "/appointments/services/{service_id}/slots",
            citizen::free_slots,
        )
        .protected(Method::POST, BOOKINGS, own, citizen::book)
        .protected(Method::GET, BOOKINGS, own, citizen::my_bookings)
        .protected(
            Method::GET,
            "/appointments/bookings/{booking_id}",
            own,
            citizen::get_booking,
        )
        .protected(
            Method::POST,
            "/appointments/bookings/{booking_id}/cancel",
            own,
            citizen::cancel_booking,
        )
        .protected(
            Method::POST,
            "/appointments/bookings/{booking_id}/reschedule",
            own,
            citizen::reschedule_booking,
        )
        .protected(
            Method::GET,
            "/appointments/bookings/{booking_id}/calendar.ics",
            own,
            citizen::booking_calendar,
        )
        .protected(
            Method::GET,
            "/backoffice/appointments/clerks",
            desks,
            backoffice::list_clerks,
        )
        .protected(
            Method::GET,
            "/backoffice/appointments/clerks/{clerk_id}/calendar",
            desks,
            backoffice::clerk_calendar,
        )
        .protected(
            Method::PUT,
            "/backoffice/appointments/clerks/{clerk_id}/calendar",
            desks,
            backoffice::set_clerk_calendar,
        )
        .protected(
            Method::POST,
            "/backoffice/appointments/clerks/{clerk_id}/blocks",
            desks,
            backoffice::add_block,
        )
        .protected(
            Method::DELETE,
            "/backoffice/appointments/clerks/{clerk_id}/blocks/{block_id}",
            desks,
            backoffice::remove_block,
        )
        .protected(
            Method::GET,
            "/backoffice/appointments/offices/{office_id}/day",
            desks,
            backoffice::day_view,
        )
        .protected(
            Method::GET,
            "/backoffice/appointments/bookings/by-code/{code}",
            desks,
            backoffice::booking_by_code,
        )
        .protected(
            Method::POST,
            "/backoffice/appointments/bookings/{booking_id}/cancel",
            desks,
            backoffice::office_cancel,
        )
        .protected(
            Method::POST,
            "/backoffice/appointments/bookings/{booking_id}/move",
            desks,
            backoffice::office_move,
        )
        .protected(
            Method::POST,
            "/backoffice/appointments/bookings/{booking_id}/check-in",
            desks,
            backoffice::check_in,
        )
        .protected(
            Method::POST,
            "/backoffice/appointments/bookings/{booking_id}/no-show",
            desks,
            backoffice::no_show,
        )
}

/// Every appointment route over `state`.
pub fn router(state: AppointmentsState) -> Router {
    routes().into_router(state.tokens.clone()).with_state(state)
}

#[derive(OpenApi)]
#[openapi(
    paths(
        citizen::list_offices, citizen::get_office, citizen::list_services, citizen::get_service,
        citizen::free_slots, citizen::book, citizen::my_bookings, citizen::get_booking,
        citizen::cancel_booking, citizen::reschedule_booking, citizen::booking_calendar,
        backoffice::list_clerks, backoffice::clerk_calendar, backoffice::set_clerk_calendar,
        backoffice::add_block, backoffice::remove_block, backoffice::day_view,
        backoffice::booking_by_code, backoffice::office_cancel, backoffice::office_move,
        backoffice::check_in, backoffice::no_show,
    ),
    components(schemas(varoskapu_http::Problem)),
    modifiers(&BearerScheme),
    tags(
        (name = "appointments", description = "Offices, services, free slots and citizens' bookings"),
        (name = "appointments-backoffice", description = "Clerks' calendars, blocked time and the desks")
    )
)]
struct AppointmentsApi;

/// The OpenAPI description of [`router`].
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = AppointmentsApi::openapi();
    routes().document(&mut doc);
    doc
}
