//! Finding people: the one box, the advanced form, saved searches and their export. A list
//! of results shows names, birth dates and addresses only; opening a record is the read
//! that is audited with its purpose.

use super::criteria::{FIELDS, MAX_ROWS, Row, SearchForm};
use super::{crm_actor, failed, people_page, people_path, person_path};
use crate::OfficeState;
use crate::pages::{guard, guard_posted, not_found, path};
use askama::Template;
use axum::extract::{Path, Query, RawForm, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use varoskapu_case_api::extract::Origin;
use varoskapu_core::crm::search::{PageRequest, SearchPage};
use varoskapu_core::crm::{AddressKind, CrmError, PersonRecord, SavedSearch};
use varoskapu_http::auth::{CRM, CRM_EXPORT};
use varoskapu_web::signin::{Visitor, see_other};
use varoskapu_web::{FieldErrors, Lang, PageLang};

/// Results per page.
const PAGE: usize = 25;

pub struct ResultLine {
    pub href: String,
    pub name: String,
    pub birth: String,
    pub address: String,
    pub identified: bool,
}

pub fn lines(records: &[PersonRecord], today: jiff::civil::Date, lang: Lang) -> Vec<ResultLine> {
    records
        .iter()
        .map(|r| ResultLine {
            href: person_path(r.id),
            name: r.identity.full_name(),
            birth: r
                .identity
                .birth_date
                .map(|d| crate::pages::diary::day_text(d, lang))
                .unwrap_or_default(),
            address: r
                .address(AddressKind::Permanent, today)
                .or_else(|| r.addresses.first())
                .map(|a| a.one_line())
                .unwrap_or_default(),
            identified: r.identified.is_some(),
        })
        .collect()
}

struct Results {
    lines: Vec<ResultLine>,
    total: usize,
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "people/quick.html")]
struct QuickBody<'a> {
    lang: Lang,
    q: &'a str,
    errors: &'a FieldErrors,
    results: Option<Results>,
    searches: Vec<(String, String)>,
}

#[derive(Deserialize)]
pub struct QuickQuery {
    q: Option<String>,
    after: Option<String>,
}

fn results(
    records: &[PersonRecord],
    found: SearchPage,
    today: jiff::civil::Date,
    lang: Lang,
    next_base: &str,
) -> Results {
    Results {
        lines: lines(records, today, lang),
        total: found.total,
        next: found
            .next
            .map(|n| format!("{next_base}&after={}", encode(&n))),
    }
}

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// `GET /office/people`: the one box, and the saved searches.
pub async fn quick(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    Query(query): Query<QuickQuery>,
) -> Response {
    let visitor = match guard(&state, lang, &headers, &CRM, &people_path()).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let l = lang.lang;
    let crm = &state.crm;
    let q = query.q.unwrap_or_default();
    let mut errors = FieldErrors::default();
    let mut found = None;
    if !q.trim().is_empty() {
        let page = PageRequest {
            limit: PAGE,
            after: query.after,
        };
        match crm.quick_search(&q, page).await {
            Ok((records, page)) => {
                let base = format!("{}?q={}", people_path(), encode(&q));
                found = Some(results(&records, page, crm.today(), l, &base));
            }
            Err(CrmError::Invalid(_)) => errors.add(
                "q",
                l.t("Legfeljebb 200 karakter.", "At most 200 characters."),
            ),
            Err(CrmError::Search(varoskapu_core::crm::search::SearchError::BadCursor)) => {
                return see_other(&format!("{}?q={}", people_path(), encode(&q)));
            }
            Err(e) => return failed(lang, &visitor, &e),
        }
    }
    let searches = match crm.saved_searches().await {
        Ok(s) => s
            .into_iter()
            .map(|s| (path(&format!("/people/searches/{}", s.id)), s.name))
            .collect(),
        Err(e) => return failed(lang, &visitor, &e),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    people_page(
        lang,
        l.t("Ügyfélnyilvántartás", "Citizen records"),
        &visitor,
    )
    .status(status)
    .errors(errors.clone())
    .template(&QuickBody {
        lang: l,
        q: &q,
        errors: &errors,
        results: found,
        searches,
    })
}

struct RowView {
    row: Row,
    choices: Vec<(String, String, bool)>,
}

#[derive(Template)]
#[template(path = "people/advanced.html")]
struct AdvancedBody<'a> {
    lang: Lang,
    csrf: &'a str,
    action: String,
    join_any: bool,
    rows: Vec<RowView>,
    more_rows: Option<String>,
    errors: &'a FieldErrors,
    results: Option<Results>,
    may_export: bool,
    saved: Option<SavedSearch>,
    delete_action: Option<String>,
}

fn row_views(form: &SearchForm, lang: Lang) -> Vec<RowView> {
    form.rows
        .iter()
        .map(|r| RowView {
            choices: FIELDS
                .iter()
                .map(|(id, hu, en)| ((*id).to_owned(), lang.t(hu, en).to_owned(), *id == r.field))
                .collect(),
            row: r.clone(),
        })
        .collect()
}

/// The advanced form with the results of `form` (when it names a condition).
async fn advanced_page(
    state: &OfficeState,
    lang: PageLang,
    visitor: &Visitor,
    form: SearchForm,
    after: Option<String>,
    saved: Option<SavedSearch>,
    extra: FieldErrors,
) -> Response {
    let l = lang.lang;
    let crm = &state.crm;
    let mut errors = extra;
    let mut found = None;
    if !form.is_empty() {
        match form.criteria(l) {
            Ok(criteria) => {
                let page = PageRequest { limit: PAGE, after };
                match crm.advanced_search(&criteria, page).await {
                    Ok((records, page)) => {
                        let base = match &saved {
                            Some(s) => {
                                format!("{}?x=1", path(&format!("/people/searches/{}", s.id)))
                            }
                            None => format!("{}?{}", path("/people/search"), form.query()),
                        };
                        found = Some(results(&records, page, crm.today(), l, &base));
                    }
                    Err(CrmError::Invalid(list)) => {
                        for e in list {
                            errors.add("field0", e.detail);
                        }
                    }
                    Err(CrmError::Search(varoskapu_core::crm::search::SearchError::BadCursor)) => {
                        return see_other(&format!("{}?{}", path("/people/search"), form.query()));
                    }
                    Err(e) => return failed(lang, visitor, &e),
                }
            }
            Err(e) => {
                for (field, message) in e.iter() {
                    errors.add(field, message);
                }
            }
        }
    }
    let more_rows = (form.rows.len() < MAX_ROWS).then(|| {
        format!(
            "{}?{}&rows={}",
            path("/people/search"),
            form.query(),
            form.rows.len() + 3
        )
    });
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let title = match &saved {
        Some(s) => format!("{}: {}", l.t("Mentett keresés", "Saved search"), s.name),
        None => l.t("Összetett keresés", "Advanced search").to_owned(),
    };
    let may_export = visitor.principal.has_scope("crm:export")
        && visitor
            .principal
            .has_role(varoskapu_core::access::Role::Clerk);
    let delete_action = saved.as_ref().and_then(|s| {
        (s.owner == visitor.principal.account
            || visitor
                .principal
                .has_role(varoskapu_core::access::Role::Admin))
        .then(|| path(&format!("/people/searches/{}/delete", s.id)))
    });
    people_page(lang, &title, visitor)
        .status(status)
        .errors(errors.clone())
        .template(&AdvancedBody {
            lang: l,
            csrf: visitor.csrf(),
            action: path("/people/search"),
            join_any: form.join == "any",
            rows: row_views(&form, l),
            more_rows,
            errors: &errors,
            results: found,
            may_export,
            saved,
            delete_action,
        })
}

fn pairs_of(raw: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

/// `GET /office/people/search`: the advanced form; a search is its query string.
pub async fn advanced(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    let here = path("/people/search");
    let visitor = match guard(&state, lang, &headers, &CRM, &here).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let pairs = pairs_of(uri.query());
    let after = pairs
        .iter()
        .find(|(k, _)| k == "after")
        .map(|(_, v)| v.clone());
    advanced_page(
        &state,
        lang,
        &visitor,
        SearchForm::read(&pairs),
        after,
        None,
        FieldErrors::default(),
    )
    .await
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// `POST /office/people/searches`: saves the form's search under a name.
pub async fn save(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    RawForm(body): RawForm,
) -> Response {
    let pairs = pairs_of(std::str::from_utf8(&body).ok());
    let back = path("/people/search");
    let visitor =
        match guard_posted(&state, lang, &headers, &CRM, &back, field(&pairs, "csrf")).await {
            Ok(v) => v,
            Err(r) => return r,
        };
    let l = lang.lang;
    let form = SearchForm::read(&pairs);
    let criteria = match form.criteria(l) {
        Ok(c) if !form.is_empty() => c,
        _ => {
            return advanced_page(
                &state,
                lang,
                &visitor,
                form,
                None,
                None,
                FieldErrors::default(),
            )
            .await;
        }
    };
    let name = field(&pairs, "name").unwrap_or_default();
    match state
        .crm
        .save_search(&crm_actor(&visitor, &origin), name, criteria)
        .await
    {
        Ok(saved) => see_other(&path(&format!("/people/searches/{}", saved.id))),
        Err(CrmError::Invalid(_)) => {
            let mut errors = FieldErrors::default();
            errors.add(
                "name",
                l.t(
                    "Adjon nevet a keresésnek (legfeljebb 120 karakter).",
                    "Name the search (at most 120 characters).",
                ),
            );
            advanced_page(&state, lang, &visitor, form, None, None, errors).await
        }
        Err(e) => failed(lang, &visitor, &e),
    }
}

/// `GET /office/people/searches/{id}`: a saved search's live result.
pub async fn saved(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    Path(search_id): Path<String>,
    Query(query): Query<QuickQuery>,
) -> Response {
    let here = path(&format!("/people/searches/{search_id}"));
    let visitor = match guard(&state, lang, &headers, &CRM, &here).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Ok(id) = search_id.parse() else {
        return not_found(lang, &visitor);
    };
    match state.crm.saved_search(id).await {
        Ok(saved) => {
            let form = SearchForm::of(&saved.criteria);
            advanced_page(
                &state,
                lang,
                &visitor,
                form,
                query.after,
                Some(saved),
                FieldErrors::default(),
            )
            .await
        }
        Err(CrmError::UnknownSearch) => not_found(lang, &visitor),
        Err(e) => failed(lang, &visitor, &e),
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    csrf: Option<String>,
}

/// `POST /office/people/searches/{id}/delete`: its owner or an administrator removes it.
pub async fn delete(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    Path(search_id): Path<String>,
    axum::Form(form): axum::Form<CsrfOnly>,
) -> Response {
    let back = path(&format!("/people/searches/{search_id}"));
    let visitor =
        match guard_posted(&state, lang, &headers, &CRM, &back, form.csrf.as_deref()).await {
            Ok(v) => v,
            Err(r) => return r,
        };
    let Ok(id) = search_id.parse() else {
        return not_found(lang, &visitor);
    };
    let admin = visitor
        .principal
        .has_role(varoskapu_core::access::Role::Admin);
    match state
        .crm
        .delete_search(&crm_actor(&visitor, &origin), id, admin)
        .await
    {
        Ok(()) => see_other(&people_path()),
        Err(CrmError::UnknownSearch) => not_found(lang, &visitor),
        Err(e) => failed(lang, &visitor, &e),
    }
}

/// `POST /office/people/export`: the form's result as CSV; clerks granted `crm:export`
/// only, every exported record audited.
pub async fn export(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    RawForm(body): RawForm,
) -> Response {
    let pairs = pairs_of(std::str::from_utf8(&body).ok());
    let back = path("/people/search");
    let visitor = match guard_posted(
        &state,
        lang,
        &headers,
        &CRM_EXPORT,
        &back,
        field(&pairs, "csrf"),
    )
    .await
    {
        Ok(v) => v,
        Err(r) => return r,
    };
    let form = SearchForm::read(&pairs);
    let criteria = match form.criteria(lang.lang) {
        Ok(c) if !form.is_empty() => c,
        _ => {
            return advanced_page(
                &state,
                lang,
                &visitor,
                form,
                None,
                None,
                FieldErrors::default(),
            )
            .await;
        }
    };
    match state
        .crm
        .export_csv(&crm_actor(&visitor, &origin), &criteria)
        .await
    {
        Ok(csv) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"ugyfelek.csv\"",
                ),
                (header::CACHE_CONTROL, "no-store"),
            ],
            csv,
        )
            .into_response(),
        Err(e) => failed(lang, &visitor, &e),
    }
}
