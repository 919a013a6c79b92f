//! What every appointment handler needs: the use cases, the notifier and the token validator.

use axum::extract::FromRef;
use std::sync::Arc;
use varoskapu_core::appointments::{AppointmentRules, AppointmentStore, Appointments, budapest};
use varoskapu_core::notify::Notifier;
use varoskapu_core::{Clock, IdGenerator, Table};
use varoskapu_http::auth::TokenValidator;

/// The shared state of the appointment routes.
#[derive(Clone)]
pub struct AppointmentsState {
    pub appointments: Appointments,
    pub notifier: Arc<dyn Notifier>,
    pub tokens: Arc<TokenValidator>,
}

/// The state could not be built.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("the Europe/Budapest time zone is not available (jiff's bundled tzdb is missing)")]
    NoTimeZone,
}

impl AppointmentsState {
    /// Wires the use cases over the ports.
    pub fn new(
        table: Arc<dyn Table>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        notifier: Arc<dyn Notifier>,
        tokens: Arc<TokenValidator>,
    ) -> Result<Self, StateError> {
        let tz = budapest().ok_or(StateError::NoTimeZone)?;
        let store = AppointmentStore::new(table, tz);
        Ok(Self {
            appointments: Appointments::new(store, clock, ids, AppointmentRules::default()),
            notifier,
            tokens,
        })
    }
}

impl FromRef<AppointmentsState> for Arc<TokenValidator> {
    fn from_ref(state: &AppointmentsState) -> Self {
        state.tokens.clone()
    }
}
