//! `crm`: the municipality's records of the people it serves, for office staff with the
//! `crm` scope (every read audited with its purpose), their export for clerks granted
//! `crm:export`, and each citizen's own copy of what is held about her (GDPR art. 15).
//!
//! `router` is what the Lambda binary runs and what the local server mounts; `openapi`
//! describes it.

pub mod routes;
pub mod state;
pub mod views;

pub use state::CrmState;

use axum::Router;
use axum::http::Method;
use utoipa::OpenApi;
use varoskapu_http::auth::{CRM, CRM_EXPORT, OWN_CASES, Routes};
use varoskapu_http::openapi::BearerScheme;

/// Every CRM route with what it needs.
fn routes() -> Routes<CrmState> {
    let crm = &CRM;
    Routes::new()
        .protected(Method::GET, "/crm/persons", crm, routes::quick_search)
        .protected(Method::POST, "/crm/persons", crm, routes::create_person)
        .protected(
            Method::GET,
            "/crm/persons/{person_id}",
            crm,
            routes::read_person,
        )
        .protected(
            Method::PUT,
            "/crm/persons/{person_id}",
            crm,
            routes::update_person,
        )
        .protected(
            Method::GET,
            "/crm/persons/{person_id}/audit",
            crm,
            routes::person_audit,
        )
        .protected(
            Method::POST,
            "/crm/persons/{person_id}/notes",
            crm,
            routes::add_note,
        )
        .protected(
            Method::POST,
            "/crm/persons/{person_id}/flag-resolutions",
            crm,
            routes::resolve_flag,
        )
        .protected(
            Method::POST,
            "/crm/persons/{person_id}/identification",
            crm,
            routes::identify_at_desk,
        )
        .protected(Method::POST, "/crm/search", crm, routes::advanced_search)
        .protected(Method::GET, "/crm/searches", crm, routes::list_searches)
        .protected(Method::POST, "/crm/searches", crm, routes::save_search)
        .protected(
            Method::GET,
            "/crm/searches/{search_id}",
            crm,
            routes::search_results,
        )
        .protected(
            Method::DELETE,
            "/crm/searches/{search_id}",
            crm,
            routes::delete_search,
        )
        .protected(Method::POST, "/crm/exports", &CRM_EXPORT, routes::export)
        .protected(Method::GET, "/crm/duplicates", crm, routes::open_duplicates)
        .protected(
            Method::POST,
            "/crm/duplicates/scan",
            crm,
            routes::scan_duplicates,
        )
        .protected(
            Method::POST,
            "/crm/duplicates/{pair_id}/merge",
            crm,
            routes::merge_duplicate,
        )
        .protected(
            Method::POST,
            "/crm/duplicates/{pair_id}/not-same",
            crm,
            routes::not_same,
        )
        .protected(Method::POST, "/crm/bounces", crm, routes::bounces)
        .protected(Method::GET, "/me/record", &OWN_CASES, routes::my_record)
        .protected(
            Method::POST,
            "/me/identification",
            &OWN_CASES,
            routes::identify_me,
        )
}

/// Every CRM route over `state`.
pub fn router(state: CrmState) -> Router {
    routes().into_router(state.tokens.clone()).with_state(state)
}

#[derive(OpenApi)]
#[openapi(
    paths(
        routes::quick_search, routes::create_person, routes::read_person, routes::update_person,
        routes::person_audit, routes::advanced_search, routes::list_searches, routes::save_search,
        routes::search_results, routes::delete_search, routes::export, routes::open_duplicates,
        routes::scan_duplicates, routes::merge_duplicate, routes::not_same, routes::bounces,
        routes::my_record, routes::identify_me, routes::add_note, routes::resolve_flag,
        routes::identify_at_desk,
    ),
    components(schemas(varoskapu_http::Problem, varoskapu_core::crm::Purpose)),
    modifiers(&BearerScheme),
    tags(
        (name = "crm", description = "The citizen records: search, read, correct, saved searches, duplicates, bounces"),
        (name = "me", description = "What the municipality holds about the person signed in")
    )
)]
struct CrmApi;

/// The OpenAPI description of [`router`].
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = CrmApi::openapi();
    routes().document(&mut doc);
    doc
}
