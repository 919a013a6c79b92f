//! The start page: what waits for me.

use super::{guard, staff_page};
use crate::OfficeState;
use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use varoskapu_core::access::Scope;
use varoskapu_http::auth::Requirement;
use varoskapu_web::PageLang;

/// Any member of staff with the office scope (what each part shows depends on her roles).
const ANY_STAFF: Requirement = Requirement::staff(
    Scope::Backoffice,
    &[
        varoskapu_core::access::Role::Clerk,
        varoskapu_core::access::Role::Signatory,
        varoskapu_core::access::Role::Admin,
    ],
);

/// This area's pages, relative to `/office`.
pub fn routes() -> Router<OfficeState> {
    Router::new().route("/", get(index))
}

/// `GET /office`.
async fn index(State(state): State<OfficeState>, lang: PageLang, headers: HeaderMap) -> Response {
    let here = super::path("");
    let visitor = match guard(&state, lang, &headers, &ANY_STAFF, &here).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    staff_page(
        lang,
        lang.lang.t("Teendőim", "What waits for me"),
        &here,
        &visitor,
    )
    .render("")
}
