//! `backoffice`: clerks and signatories work cases: the queue by status, type and deadline,
//! claim and assign, filing numbers, internal notes, requests for missing information, the
//! deadline diary, drafting decisions and approving them (which issues the signed PDF).
//! Every read or change of a case is audited.
//!
//! `router` is what the Lambda binary runs and what the local server mounts.

pub mod routes;

use axum::Router;
use axum::http::Method;
use utoipa::OpenApi;
use varoskapu_case_api::CasesState;
use varoskapu_http::auth::{OFFICE, OFFICE_APPROVAL, Routes};
use varoskapu_http::openapi::BearerScheme;

/// Every back-office case route with what it needs.
fn routes() -> Routes<CasesState> {
    Routes::new()
        .protected(Method::GET, "/backoffice/cases", &OFFICE, routes::queue)
        .protected(
            Method::GET,
            "/backoffice/cases/diary",
            &OFFICE,
            routes::diary,
        )
        .protected(
            Method::GET,
            "/backoffice/cases/{case_id}",
            &OFFICE,
            routes::get_one,
        )
        .protected(
            Method::POST,
            "/backoffice/cases/{case_id}/claim",
            &OFFICE,
            routes::claim,
        )
        .protected(
            Method::POST,
            "/backoffice/cases/{case_id}/assign",
            &OFFICE,
            routes::assign,
        )
        .protected(
            Method::POST,
            "/backoffice/cases/{case_id}/file",
            &OFFICE,
            routes::file,
        )
        .protected(
            Method::GET,
            "/backoffice/cases/{case_id}/notes",
            &OFFICE,
            routes::notes,
        )
        .protected(
            Method::POST,
            "/backoffice/cases/{case_id}/notes",
            &OFFICE,
            routes::add_note,
        )
        .protected(
            Method::POST,
            "/backoffice/cases/{case_id}/information-requests",
            &OFFICE,
            routes::request_information,
        )
        .protected(
            Method::POST,
            "/backoffice/cases/{case_id}/appeal-forwarding",
            &OFFICE,
            routes::forward_appeal,
        )
        .protected(
            Method::POST,
            "/backoffice/cases/{case_id}/decision",
            &OFFICE,
            routes::draft_decision,
        )
        .protected(
            Method::POST,
            "/backoffice/cases/{case_id}/decision/approve",
            &OFFICE_APPROVAL,
            routes::approve,
        )
        .protected(
            Method::POST,
            "/backoffice/cases/{case_id}/decision/return",
            &OFFICE,
            routes::return_draft,
        )
        .protected(
            Method::POST,
            "/backoffice/cases/{case_id}/decision/issue",
            &OFFICE,
            routes::issue,
        )
        .protected(
            Method::GET,
            "/backoffice/cases/{case_id}/audit",
            &OFFICE,
            routes::audit,
        )
        .protected(
            Method::GET,
            "/backoffice/cases/{case_id}/documents/{document_id}",
            &OFFICE,
            routes::document,
        )
}

/// Every back-office case route over `state`.
pub fn router(state: CasesState) -> Router {
    routes().into_router(state.tokens.clone()).with_state(state)
}

#[derive(OpenApi)]
#[openapi(
    paths(
        routes::queue, routes::diary, routes::get_one, routes::claim, routes::assign,
        routes::file, routes::notes, routes::add_note, routes::request_information,
        routes::forward_appeal,
        routes::draft_decision, routes::approve, routes::return_draft, routes::issue,
        routes::audit, routes::document,
    ),
    components(schemas(varoskapu_http::Problem)),
    modifiers(&BearerScheme),
    tags(
        (name = "cases-backoffice", description = "Clerks' and signatories' work on cases")
    )
)]
struct BackofficeApi;

/// The OpenAPI description of [`router`].
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = BackofficeApi::openapi();
    routes().document(&mut doc);
    doc
}
