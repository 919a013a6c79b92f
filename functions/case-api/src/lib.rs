//! The HTTP vocabulary the case functions (`submit-case`, `backoffice`, `fetch-decision`)
//! share: their state and its configuration, the views of cases they answer with, the one
//! mapping of case errors to problem documents, and request extractors.

pub mod config;
pub mod extract;
pub mod forms;
pub mod pdf;
pub mod people;
pub mod problem;
pub mod state;
pub mod views;

pub use problem::ApiError;
pub use state::CasesState;
