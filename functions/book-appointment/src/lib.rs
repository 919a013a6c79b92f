//! `book-appointment`: citizens find free slots at the municipality's offices and book,
//! cancel or reschedule them; the back office manages clerks' calendars and the desks.
//!
//! `router` is what the Lambda binary runs and what the local server mounts; `openapi`
//! describes it; `reminders` is the scheduled job that sends each reminder once.

pub mod backoffice;
pub mod citizen;
pub mod config;
pub mod demo;
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
use axum::routing::{delete, get, post};
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

/// Every appointment route over `state`.
pub fn router(state: AppointmentsState) -> Router {
    Router::new()
        .route("/appointments/offices", get(citizen::list_offices))
        .route(
            "/appointments/offices/{office_id}",
            get(citizen::get_office),
        )
        .route("/appointments/services", get(citizen::list_services))
        .route(
            "/appointments/services/{service_id}",
            get(citizen::get_service),
        )
        .route(
            "/appointments/services/{service_id}/slots",
            get(citizen::free_slots),
        )
        .route(
            "/appointments/bookings",
            post(citizen::book).get(citizen::my_bookings),
        )
        .route(
            "/appointments/bookings/{booking_id}",
            get(citizen::get_booking),
        )
        .route(
            "/appointments/bookings/{booking_id}/cancel",
            post(citizen::cancel_booking),
        )
        .route(
            "/appointments/bookings/{booking_id}/reschedule",
            post(citizen::reschedule_booking),
        )
        .route(
            "/appointments/bookings/{booking_id}/calendar.ics",
            get(citizen::booking_calendar),
        )
        .route(
            "/backoffice/appointments/clerks",
            get(backoffice::list_clerks),
        )
        .route(
            "/backoffice/appointments/clerks/{clerk_id}/calendar",
            get(backoffice::clerk_calendar).put(backoffice::set_clerk_calendar),
        )
        .route(
            "/backoffice/appointments/clerks/{clerk_id}/blocks",
            post(backoffice::add_block),
        )
        .route(
            "/backoffice/appointments/clerks/{clerk_id}/blocks/{block_id}",
            delete(backoffice::remove_block),
        )
        .route(
            "/backoffice/appointments/offices/{office_id}/day",
            get(backoffice::day_view),
        )
        .route(
            "/backoffice/appointments/bookings/by-code/{code}",
            get(backoffice::booking_by_code),
        )
        .route(
            "/backoffice/appointments/bookings/{booking_id}/cancel",
            post(backoffice::office_cancel),
        )
        .route(
            "/backoffice/appointments/bookings/{booking_id}/move",
            post(backoffice::office_move),
        )
        .route(
            "/backoffice/appointments/bookings/{booking_id}/check-in",
            post(backoffice::check_in),
        )
        .route(
            "/backoffice/appointments/bookings/{booking_id}/no-show",
            post(backoffice::no_show),
        )
        .with_state(state)
}

/// Adds the bearer-token scheme the protected routes name.
struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
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
    AppointmentsApi::openapi()
}
