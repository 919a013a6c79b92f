//! The citizen portal: server-rendered pages over the domain's case, payment and notice
//! use cases, called in-process (one more thin adapter, like the JSON functions). People
//! sign in through the provider as the portal's first-party confidential client; the
//! tokens stay on the server (see [`varoskapu_web::signin`]). Every page works without JavaScript: plain
//! links and forms, POST-redirect-GET, a CSRF token on every form.

pub mod config;
pub mod form;
mod pages;

use axum::Router;
use axum::routing::{get, post};
use std::sync::Arc;
use varoskapu_book_appointment::AppointmentsState;
use varoskapu_case_api::CasesState;
use varoskapu_core::crm::Crm;
use varoskapu_core::crm::identify::PersonIdentification;
use varoskapu_core::{Clock, Table};
use varoskapu_http::auth::TokenValidator;
use varoskapu_pay_fee::PayFeeState;
use varoskapu_web::BrowserSessions;
use varoskapu_web::signin::{ClientConfig, SignIn};

/// How long a portal session lasts without use (seconds).
pub const SESSION_IDLE_SECONDS: i64 = 30 * 60;

/// What every portal page needs.
#[derive(Clone)]
pub struct PortalState {
    /// Signing in through the provider, the browser sessions and their tokens.
    pub signin: SignIn,
    pub cases: CasesState,
    pub payments: PayFeeState,
    pub appointments: AppointmentsState,
    /// The citizen records: her own copy of what is held about her.
    pub crm: Crm,
    /// Matching her against the population register; `None` where no registry is
    /// connected.
    pub identification: Option<PersonIdentification>,
    pub table: Arc<dyn Table>,
    pub clock: Arc<dyn Clock>,
}

impl PortalState {
    /// The portal over the case and payment use cases, its sessions on `table`.
    // Each argument is one use case the pages call; the compositions build them apart.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        config: ClientConfig,
        table: Arc<dyn Table>,
        clock: Arc<dyn Clock>,
        tokens: Arc<TokenValidator>,
        cases: CasesState,
        payments: PayFeeState,
        appointments: AppointmentsState,
        crm: Crm,
        identification: Option<PersonIdentification>,
    ) -> Self {
        let sessions = BrowserSessions::new(
            table.clone(),
            clock.clone(),
            "portal",
            SESSION_IDLE_SECONDS,
            config.secure(),
        );
        Self {
            signin: SignIn::new(config, sessions, tokens, clock.clone()),
            cases,
            payments,
            appointments,
            crm,
            identification,
            table,
            clock,
        }
    }
}

/// The portal's pages. Mount beside `varoskapu_web::assets::router()` (the stylesheet).
pub fn router(state: PortalState) -> Router {
    use pages::{appointments, cases, catalogue, me, notices, payments};
    Router::new()
        .route("/", get(catalogue::index))
        .route("/catalogue/{type_id}", get(catalogue::detail))
        .route("/auth/login", get(pages::login))
        .route(config::CALLBACK_PATH, get(pages::callback))
        .route("/auth/logout", post(pages::logout))
        .route("/my-cases", get(cases::list))
        .route(
            "/my-cases/new/{type_id}",
            get(cases::new_form).post(cases::create),
        )
        .route("/my-cases/{case_id}", get(cases::detail))
        .route(
            "/my-cases/{case_id}/form",
            get(cases::edit_form).post(cases::update),
        )
        .route(
            "/my-cases/{case_id}/documents",
            get(cases::documents).post(cases::upload),
        )
        .route("/my-cases/{case_id}/submit", post(cases::submit))
        .route("/my-cases/{case_id}/answer", post(cases::answer))
        .route("/my-cases/{case_id}/receipt.pdf", get(cases::receipt))
        .route("/my-cases/{case_id}/decision.pdf", get(cases::decision))
        .route(
            "/my-cases/{case_id}/pay",
            get(payments::choose).post(payments::start),
        )
        .route(
            "/my-cases/{case_id}/card-return",
            get(payments::card_return),
        )
        .route(
            "/my-cases/{case_id}/payments/{payment_id}",
            get(payments::status),
        )
        .route(
            "/my-cases/{case_id}/payments/{payment_id}/receipt.pdf",
            get(payments::receipt),
        )
        .route("/my-appointments", get(appointments::list))
        .route(
            "/my-appointments/new/{service_id}",
            get(appointments::new_booking).post(appointments::book),
        )
        .route(
            "/my-appointments/{booking_id}/reschedule",
            get(appointments::reschedule_form).post(appointments::reschedule),
        )
        .route(
            "/my-appointments/{booking_id}/cancel",
            post(appointments::cancel),
        )
        .route(
            "/my-appointments/{booking_id}/calendar.ics",
            get(appointments::calendar),
        )
        .route("/notifications", get(notices::list))
        .route("/my-data", get(me::page))
        .route("/my-data.json", get(me::download))
        .route(
            "/my-data/identify",
            get(me::identify_form).post(me::identify),
        )
        .layer(axum::extract::DefaultBodyLimit::max(pages::MAX_UPLOAD_BODY))
        .with_state(state)
}
