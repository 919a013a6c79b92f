//! Ügyintézőkapu, the office screens: server-rendered pages over the domain's case,
//! payment and appointment use cases, called in-process (one more thin adapter, like the
//! JSON functions). Staff sign in through the provider as the office's first-party
//! confidential client with the office scopes; the tokens stay on the server
//! ([`varoskapu_web::signin`]). Every page asks the session's access token for the same
//! requirement (scope, role, second factor) as the API route it stands for, so the screens
//! never have more power than the token. Every page works without JavaScript: plain links
//! and forms, POST-redirect-GET, a CSRF token on every form.
//!
//! The pages are mounted under [`config::BASE`] (`/office`).

pub mod config;
mod pages;

use axum::Router;
use std::sync::Arc;
use varoskapu_accounts::Accounts;
use varoskapu_book_appointment::AppointmentsState;
use varoskapu_case_api::CasesState;
use varoskapu_core::crm::Crm;
use varoskapu_core::crm::identify::PersonIdentification;
use varoskapu_core::{Clock, Table};
use varoskapu_http::auth::TokenValidator;
use varoskapu_idp::ClientRegistry;
use varoskapu_pay_fee::PayFeeState;
use varoskapu_web::BrowserSessions;
use varoskapu_web::signin::{ClientConfig, SignIn};

/// How long an office session lasts without use (seconds): a working morning's pause.
pub const SESSION_IDLE_SECONDS: i64 = 60 * 60;

/// What every office page needs.
#[derive(Clone)]
pub struct OfficeState {
    /// Signing staff in through the provider, the browser sessions and their tokens.
    pub signin: SignIn,
    pub cases: CasesState,
    pub payments: PayFeeState,
    pub appointments: AppointmentsState,
    /// The citizen records.
    pub crm: Crm,
    /// Identification against the registries at the desk, where a registry is connected.
    pub identification: Option<PersonIdentification>,
    /// The provider's client registry: the admin's partner apps.
    pub clients: ClientRegistry,
    /// The accounts: the posts of the staff.
    pub accounts: Accounts,
    pub table: Arc<dyn Table>,
    pub clock: Arc<dyn Clock>,
}

impl OfficeState {
    /// The office screens over the case, payment and appointment use cases, their
    /// sessions on `table`.
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
    ) -> Self {
        let sessions = BrowserSessions::new(
            table.clone(),
            clock.clone(),
            "office",
            SESSION_IDLE_SECONDS,
            config.secure(),
        );
        let accounts = Accounts::with_outbox(table.clone(), clock.clone(), &config.public_url);
        Self {
            signin: SignIn::new(config, sessions, tokens, clock.clone()),
            cases,
            payments,
            appointments,
            crm,
            identification: None,
            clients: ClientRegistry::new(table.clone(), clock.clone()),
            accounts,
            table,
            clock,
        }
    }

    /// Clerks identify persons at the desk against `identification`'s registries.
    pub fn with_identification(mut self, identification: PersonIdentification) -> Self {
        self.identification = Some(identification);
        self
    }
}

/// The office's pages under `/office`. Mount beside `varoskapu_web::assets::router()`.
pub fn router(state: OfficeState) -> Router {
    Router::new()
        .nest(config::BASE, pages::routes())
        .layer(axum::extract::DefaultBodyLimit::max(pages::MAX_UPLOAD_BODY))
        .with_state(state)
}
