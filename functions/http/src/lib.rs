//! Shared HTTP glue of the Városkapu functions: RFC 9457 problem responses, request ids,
//! tracing set-up, typed configuration from the environment, JSON extraction that fails
//! with a problem, and the `/healthz` route.

pub mod auth;
pub mod client_address;
pub mod config;
pub mod extract;
pub mod health;
pub mod json;
pub mod layers;
pub mod logging;
pub mod openapi;
pub mod problem;
pub mod redact;

pub use client_address::ClientAddress;
pub use config::{ConfigError, PublicSettings, TokenSettings};
pub use json::ApiJson;
pub use layers::{REQUEST_ID_HEADER, with_common_layers};
pub use problem::{ApiError, Problem, ProblemKind, ProblemSource};
