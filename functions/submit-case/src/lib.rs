//! `submit-case`: the public catalogue of case types, and for citizens: drafts, document
//! uploads checked by digest, size and sniffed type, submission (schema-validated, with an
//! arrival number, a signed receipt and `Idempotency-Key`), their own cases with history,
//! answers to requests for missing information, and appeals.
//!
//! `router` is what the Lambda binary runs and what the local server mounts.

pub mod catalogue;
pub mod citizen;

use axum::Router;
use axum::routing::{get, post, put};
use utoipa::OpenApi;
use varoskapu_case_api::CasesState;
use varoskapu_http::openapi::BearerScheme;

/// Every submit-case route over `state`.
pub fn router(state: CasesState) -> Router {
    Router::new()
        .route("/case-types", get(catalogue::list))
        .route("/case-types/{type_id}", get(catalogue::get_one))
        .route("/cases", post(citizen::create).get(citizen::list))
        .route("/cases/{case_id}", get(citizen::get_one))
        .route("/cases/{case_id}/form", put(citizen::update_form))
        .route("/cases/{case_id}/uploads", post(citizen::upload_intent))
        .route("/cases/{case_id}/documents", post(citizen::attach))
        .route("/cases/{case_id}/submit", post(citizen::submit))
        .route("/cases/{case_id}/receipt", get(citizen::receipt))
        .route("/cases/{case_id}/answer", post(citizen::answer))
        .route("/cases/{case_id}/appeal", post(citizen::appeal))
        .with_state(state)
}

#[derive(OpenApi)]
#[openapi(
    paths(
        catalogue::list, catalogue::get_one,
        citizen::create, citizen::list, citizen::get_one, citizen::update_form,
        citizen::upload_intent, citizen::attach, citizen::submit, citizen::receipt,
        citizen::answer, citizen::appeal,
    ),
    components(schemas(varoskapu_http::Problem)),
    modifiers(&BearerScheme),
    tags(
        (name = "cases", description = "The case-type catalogue and citizens' own cases")
    )
)]
struct SubmitCaseApi;

/// The OpenAPI description of [`router`].
pub fn openapi() -> utoipa::openapi::OpenApi {
    SubmitCaseApi::openapi()
}
