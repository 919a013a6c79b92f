//! (filled in below)

use crate::OfficeState;
use axum::Router;

/// This area's pages, relative to `/office`.
pub fn routes() -> Router<OfficeState> {
    Router::new()
}
