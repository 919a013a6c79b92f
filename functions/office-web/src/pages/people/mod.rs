//! The citizen records (CRM) in the office: quick and advanced search, saved searches and
//! their export, a person's record (opened only with a stated purpose, and audited), its
//! correction, notes, resolving the register's flags and identification at the desk, the
//! duplicate review queue with merging, and the cleansing list of records something is
//! wrong with. Every page needs the `crm` scope and an office role, like the JSON routes
//! it stands for.

mod annotate;
mod criteria;
mod duplicates;
mod record;
mod search;

use super::{path, staff_page, unavailable};
use crate::OfficeState;
use axum::Router;
use axum::response::Response;
use axum::routing::{get, post};
use varoskapu_core::cases::Actor;
use varoskapu_core::crm::{CrmActor, CrmError};
use varoskapu_web::signin::Visitor;
use varoskapu_web::{Page, PageLang};

/// This area's pages, relative to `/office`.
pub fn routes() -> Router<OfficeState> {
    Router::new()
        .route("/people", get(search::quick))
        .route("/people/search", get(search::advanced))
        .route("/people/searches", post(search::save))
        .route("/people/searches/{search_id}", get(search::saved))
        .route("/people/searches/{search_id}/delete", post(search::delete))
        .route("/people/export", post(search::export))
        .route("/people/new", get(record::new_form).post(record::create))
        .route("/people/duplicates", get(duplicates::queue))
        .route("/people/duplicates/scan", post(duplicates::scan))
        .route(
            "/people/duplicates/{pair_id}/merge",
            post(duplicates::merge),
        )
        .route(
            "/people/duplicates/{pair_id}/not-same",
            post(duplicates::not_same),
        )
        .route("/people/cleansing", get(duplicates::cleansing))
        .route("/people/{person_id}", get(record::view))
        .route(
            "/people/{person_id}/edit",
            get(record::edit_form).post(record::edit),
        )
        .route("/people/{person_id}/audit", get(record::audit))
        .route("/people/{person_id}/notes", post(annotate::add_note))
        .route(
            "/people/{person_id}/flag-resolutions",
            post(annotate::resolve_flag),
        )
        .route(
            "/people/{person_id}/identification",
            post(annotate::identify_at_desk),
        )
}

/// The menu entry of every page here.
pub fn people_path() -> String {
    path("/people")
}

pub fn person_path(id: impl std::fmt::Display) -> String {
    path(&format!("/people/{id}"))
}

fn people_page(lang: PageLang, title: &str, visitor: &Visitor) -> Page {
    staff_page(lang, title, &people_path(), visitor)
}

/// The staff member as the CRM's audit log records her.
fn crm_actor(visitor: &Visitor, origin: &varoskapu_case_api::extract::Origin) -> CrmActor {
    CrmActor {
        actor: Actor::Clerk(visitor.principal.account.clone()),
        origin: origin.0.clone(),
    }
}

/// A CRM failure that is not the visitor's doing.
fn failed(lang: PageLang, visitor: &Visitor, error: &CrmError) -> Response {
    tracing::warn!(error = %error, "a CRM page's use case did not answer");
    unavailable(lang, Some(visitor))
}
