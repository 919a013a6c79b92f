//! The case catalogue, shown to everyone: what can be done here, what it costs, how long
//! the office has and what to attach.

use super::{money, page, unavailable};
use crate::PortalState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use varoskapu_core::cases::{CaseError, CaseType};
use varoskapu_web::{Lang, PageLang};

/// A case type as the catalogue lists it.
pub struct Entry {
    pub id: String,
    pub name: String,
    pub description: String,
    pub fee: Option<String>,
    pub deadline_days: u32,
    pub documents: Vec<(String, bool, String)>,
}

impl Entry {
    pub fn of(t: &CaseType, lang: Lang) -> Self {
        Self {
            id: t.id.clone(),
            name: lang.t(&t.name.hu, &t.name.en).to_owned(),
            description: lang.t(&t.description.hu, &t.description.en).to_owned(),
            fee: t.fee.as_ref().map(|f| money(f.amount, &f.currency)),
            deadline_days: t.deadline_working_days,
            documents: t
                .documents
                .iter()
                .map(|d| {
                    let types: Vec<&str> = d
                        .media_types
                        .iter()
                        .map(|m| match m.as_str() {
                            "application/pdf" => "PDF",
                            "image/jpeg" => "JPEG",
                            "image/png" => "PNG",
                            other => other,
                        })
                        .collect();
                    (
                        lang.t(&d.name.hu, &d.name.en).to_owned(),
                        d.required,
                        format!(
                            "{}, {} MB",
                            types.join(", "),
                            d.max_bytes.div_ceil(1024 * 1024)
                        ),
                    )
                })
                .collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "catalogue.html")]
struct Catalogue {
    lang: Lang,
    entries: Vec<Entry>,
    signed_in: bool,
}

/// `GET /`: the catalogue.
pub async fn index(
    State(state): State<PortalState>,
    lang: PageLang,
    headers: HeaderMap,
) -> Response {
    let session = state.signin.signed_in(&headers).await;
    let types = match state.cases.cases.catalogue().await {
        Ok(types) => types,
        Err(e) => {
            tracing::error!(error = %e, "catalogue unavailable");
            return unavailable(&state, lang, None);
        }
    };
    page(
        lang,
        lang.lang.t("Elektronikus ügyintézés", "Online services"),
        "/",
        session.as_ref(),
    )
    .template(&Catalogue {
        lang: lang.lang,
        entries: types.iter().map(|t| Entry::of(t, lang.lang)).collect(),
        signed_in: session.is_some(),
    })
}

#[derive(Template)]
#[template(path = "case_type.html")]
struct Detail {
    lang: Lang,
    entry: Entry,
}

/// `GET /catalogue/{type_id}`: one case type with a start button.
pub async fn detail(
    State(state): State<PortalState>,
    lang: PageLang,
    headers: HeaderMap,
    Path(type_id): Path<String>,
) -> Response {
    let session = state.signin.signed_in(&headers).await;
    match state.cases.cases.case_type(&type_id).await {
        Ok(t) => {
            let entry = Entry::of(&t, lang.lang);
            page(lang, &entry.name.clone(), "", session.as_ref()).template(&Detail {
                lang: lang.lang,
                entry,
            })
        }
        Err(CaseError::UnknownCaseType) => super::message_page(
            &state,
            lang,
            session.as_ref(),
            StatusCode::NOT_FOUND,
            lang.lang.t("Nem található", "Not found"),
            lang.lang
                .t("Nincs ilyen ügytípus.", "There is no such kind of case."),
        ),
        Err(e) => {
            tracing::error!(error = %e, "case type unavailable");
            unavailable(&state, lang, None)
        }
    }
}
