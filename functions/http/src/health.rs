//! `/healthz`: tells a load balancer or an operator whether the service can reach its table.

use crate::problem::{Problem, ProblemKind};
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Serialize;
use std::sync::Arc;
use varoskapu_core::{Key, Table};

/// The health document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok` when storage answers.
    pub status: &'static str,
    pub version: &'static str,
}

/// Liveness and storage reachability.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, body = Health), (status = 503, body = Problem)))]
pub async fn healthz(State(table): State<Arc<dyn Table>>) -> Result<axum::Json<Health>, Problem> {
    table.get(&Key::new("HEALTH", "PROBE")).await.map_err(|e| {
        tracing::error!(error = %e, "health probe failed");
        Problem::with_detail(ProblemKind::Unavailable, "storage does not answer")
    })?;
    Ok(axum::Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    }))
}

/// The `/healthz` route over a table.
pub fn router(table: Arc<dyn Table>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .with_state(table)
}

/// OpenAPI description of the health route.
#[derive(utoipa::OpenApi)]
#[openapi(paths(healthz), components(schemas(Health, Problem)))]
pub struct HealthApi;
