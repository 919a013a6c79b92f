//! `submit-case`: the public catalogue of case types, and for citizens: drafts, document
//! uploads checked by digest, size and sniffed type, submission (schema-validated, with an
//! arrival number, a signed receipt and `Idempotency-Key`), their own cases with history,
//! answers to requests for missing information, and appeals.
//!
//! `router` is what the Lambda binary runs and what the local server mounts.

pub mod catalogue;
pub mod citizen;

use axum::Router;
use axum::http::Method;
use utoipa::OpenApi;
use varoskapu_case_api::CasesState;
use varoskapu_http::auth::{OWN_CASES, Routes};
use varoskapu_http::openapi::BearerScheme;

/// Every submit-case route with what it needs.
fn routes() -> Routes<CasesState> {
    Routes::new()
        .public(Method::GET, "/case-types", catalogue::list)
        .public(Method::GET, "/case-types/{type_id}", catalogue::get_one)
        .protected(Method::POST, "/cases", &OWN_CASES, citizen::create)
        .protected(Method::GET, "/cases", &OWN_CASES, citizen::list)
        .protected(
            Method::GET,
            "/cases/{case_id}",
            &OWN_CASES,
            citizen::get_one,
        )
        .protected(
            Method::PUT,
            "/cases/{case_id}/form",
            &OWN_CASES,
            citizen::update_form,
        )
        .protected(
            Method::POST,
            "/cases/{case_id}/uploads",
            &OWN_CASES,
            citizen::upload_intent,
        )
        .protected(
            Method::POST,
            "/cases/{case_id}/documents",
            &OWN_CASES,
            citizen::attach,
        )
        .protected(
            Method::POST,
            "/cases/{case_id}/submit",
            &OWN_CASES,
            citizen::submit,
        )
        .protected(
            Method::GET,
            "/cases/{case_id}/receipt",
            &OWN_CASES,
            citizen::receipt,
        )
        .protected(
            Method::POST,
            "/cases/{case_id}/answer",
            &OWN_CASES,
            citizen::answer,
        )
        .protected(
            Method::POST,
            "/cases/{case_id}/appeal",
            &OWN_CASES,
            citizen::appeal,
        )
}

/// Every submit-case route over `state`.
pub fn router(state: CasesState) -> Router {
    routes().into_router(state.tokens.clone()).with_state(state)
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
    let mut doc = SubmitCaseApi::openapi();
    routes().document(&mut doc);
    doc
}
