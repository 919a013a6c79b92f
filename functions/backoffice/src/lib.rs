//! `backoffice`: clerks and signatories work cases: the queue by status, type and deadline,
//! claim and assign, filing numbers, internal notes, requests for missing information, the
//! deadline diary, drafting decisions and approving them (which issues the signed PDF).
//! Every read or change of a case is audited.
//!
//! `router` is what the Lambda binary runs and what the local server mounts.

pub mod routes;

use axum::Router;
use axum::routing::{get, post};
use utoipa::OpenApi;
use varoskapu_case_api::CasesState;
use varoskapu_http::openapi::BearerScheme;

/// Every back-office case route over `state`.
pub fn router(state: CasesState) -> Router {
    Router::new()
        .route("/backoffice/cases", get(routes::queue))
        .route("/backoffice/cases/diary", get(routes::diary))
        .route("/backoffice/cases/{case_id}", get(routes::get_one))
        .route("/backoffice/cases/{case_id}/claim", post(routes::claim))
        .route("/backoffice/cases/{case_id}/assign", post(routes::assign))
        .route("/backoffice/cases/{case_id}/file", post(routes::file))
        .route(
            "/backoffice/cases/{case_id}/notes",
            get(routes::notes).post(routes::add_note),
        )
        .route(
            "/backoffice/cases/{case_id}/information-requests",
            post(routes::request_information),
        )
        .route(
            "/backoffice/cases/{case_id}/decision",
            post(routes::draft_decision),
        )
        .route(
            "/backoffice/cases/{case_id}/decision/approve",
            post(routes::approve),
        )
        .route(
            "/backoffice/cases/{case_id}/decision/return",
            post(routes::return_draft),
        )
        .route(
            "/backoffice/cases/{case_id}/decision/issue",
            post(routes::issue),
        )
        .route("/backoffice/cases/{case_id}/audit", get(routes::audit))
        .route(
            "/backoffice/cases/{case_id}/documents/{document_id}",
            get(routes::document),
        )
        .with_state(state)
}

#[derive(OpenApi)]
#[openapi(
    paths(
        routes::queue, routes::diary, routes::get_one, routes::claim, routes::assign,
        routes::file, routes::notes, routes::add_note, routes::request_information,
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
    BackofficeApi::openapi()
}
