//! The administrator's settings: the catalogue of case types (listed, each one's definition
//! shown, added or updated from a JSON definition checked whole exactly as the operators'
//! `case-types import` checks a file) and the partner apps of the provider (registered with
//! their redirect URIs and scopes, their secret shown once, rotated, removed), with the
//! operators' rules and refusals: the same functions do the work. The posts of the staff
//! (the case types each works on) are in [`staff`].

mod staff;

use super::{guard, guard_posted, money, not_found, path, staff_page, unavailable};
use crate::OfficeState;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use varoskapu_core::access::Scope;
use varoskapu_core::cases::{CaseType, Imported};
use varoskapu_http::auth::OFFICE_ADMIN;
use varoskapu_idp::clients::{ClientError, DEFAULT_SCOPES};
use varoskapu_idp::{Client, NewClient};
use varoskapu_operator::case_types::{import, parse_catalogue};
use varoskapu_operator::clients::scope_names;
use varoskapu_web::signin::{Visitor, see_other};
use varoskapu_web::{FieldErrors, Lang, PageLang};

/// This area's pages, relative to `/office`.
pub fn routes() -> Router<OfficeState> {
    Router::new()
        .route("/admin", get(index))
        .route("/admin/case-types", get(case_types).post(import_case_types))
        .route("/admin/case-types/{case_type}", get(case_type))
        .route("/admin/clients", get(clients).post(register_client))
        .route("/admin/clients/{client_id}", get(client))
        .route("/admin/clients/{client_id}/rotate", post(rotate_secret))
        .route("/admin/clients/{client_id}/remove", post(remove_client))
        .merge(staff::routes())
}

const CASE_TYPES: &str = "/admin/case-types";
const CLIENTS: &str = "/admin/clients";

/// The signed-in administrator of a page, or the answer that refuses her.
async fn admin(
    state: &OfficeState,
    lang: PageLang,
    headers: &HeaderMap,
    here: &str,
) -> Result<Visitor, Response> {
    guard(state, lang, headers, &OFFICE_ADMIN, here).await
}

/// The answer when a store does not answer; the error stays in the log.
fn failed(
    lang: PageLang,
    visitor: &Visitor,
    what: &str,
    error: &dyn std::fmt::Display,
) -> Response {
    tracing::warn!(error = %error, what, "an administration page's store did not answer");
    unavailable(lang, Some(visitor))
}

/// A page of the settings with the administration menu entry current.
fn settings_page(lang: PageLang, title: &str, visitor: &Visitor) -> varoskapu_web::Page {
    staff_page(lang, title, &path("/admin"), visitor)
}

// ---------------------------------------------------------------- the start of the settings

#[derive(Template)]
#[template(path = "admin/index.html")]
struct IndexBody {
    lang: Lang,
    case_types_href: String,
    case_types: usize,
    clients_href: String,
    clients: usize,
    staff_href: String,
}

/// `GET /office/admin`.
async fn index(State(state): State<OfficeState>, lang: PageLang, headers: HeaderMap) -> Response {
    let visitor = match admin(&state, lang, &headers, &path("/admin")).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let case_types = match state.cases.cases.store.case_types().await {
        Ok(t) => t.len(),
        Err(e) => return failed(lang, &visitor, "case types", &e),
    };
    let clients = match state.clients.list().await {
        Ok(c) => c.len(),
        Err(e) => return failed(lang, &visitor, "clients", &e),
    };
    let body = IndexBody {
        lang: lang.lang,
        case_types_href: path(CASE_TYPES),
        case_types,
        clients_href: path(CLIENTS),
        clients,
        staff_href: path(staff::STAFF),
    };
    settings_page(lang, lang.lang.t("Beállítások", "Administration"), &visitor).template(&body)
}

// ---------------------------------------------------------------- case types

/// Who decides cases of a type, in the operators' words.
fn decided_by(case_type: &CaseType, lang: Lang) -> &'static str {
    if case_type.auto_decision.is_some() {
        lang.t("szabály vagy ügyintéző", "rule or clerk")
    } else if case_type.signatory_approval {
        lang.t("ügyintéző és kiadmányozó", "clerk and signatory")
    } else {
        lang.t("ügyintéző", "clerk")
    }
}

fn fee_text(case_type: &CaseType, lang: Lang) -> String {
    case_type
        .fee
        .as_ref()
        .map(|f| money(f.amount, &f.currency))
        .unwrap_or_else(|| lang.t("nincs", "none").to_owned())
}

struct CaseTypeLine {
    href: String,
    id: String,
    name: String,
    fee: String,
    deadline_working_days: u32,
    decided_by: &'static str,
}

#[derive(Template)]
#[template(path = "admin/case_types.html")]
struct CaseTypesBody<'a> {
    lang: Lang,
    csrf: &'a str,
    action: String,
    lines: Vec<CaseTypeLine>,
    definition: &'a str,
    error: Option<&'a str>,
}

#[derive(Deserialize)]
struct ImportedQuery {
    added: Option<String>,
    updated: Option<String>,
    unchanged: Option<String>,
}

impl ImportedQuery {
    /// What the import did, as the operators' report says it, in the page's language.
    fn notice(&self, lang: Lang) -> Option<String> {
        let parts: Vec<String> = [
            (&self.added, lang.t("Felvéve", "Added")),
            (&self.updated, lang.t("Módosítva", "Updated")),
            (&self.unchanged, lang.t("Változatlan", "Unchanged")),
        ]
        .into_iter()
        .filter_map(|(ids, label)| {
            let ids = ids.as_deref().filter(|i| !i.is_empty())?;
            Some(format!("{label}: {}.", ids.replace(',', ", ")))
        })
        .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }
}

/// The case types' page, with the import form holding `definition` and its error (400),
/// or with the notice of what an import did.
async fn case_types_page(
    state: &OfficeState,
    lang: PageLang,
    visitor: &Visitor,
    definition: &str,
    errors: FieldErrors,
    notice: Option<String>,
) -> Response {
    let l = lang.lang;
    let types = match state.cases.cases.store.case_types().await {
        Ok(types) => types,
        Err(e) => return failed(lang, visitor, "case types", &e),
    };
    let lines = types
        .iter()
        .map(|t| CaseTypeLine {
            href: path(&format!("{CASE_TYPES}/{}", t.id)),
            id: t.id.clone(),
            name: l.t(&t.name.hu, &t.name.en).to_owned(),
            fee: fee_text(t, l),
            deadline_working_days: t.deadline_working_days,
            decided_by: decided_by(t, l),
        })
        .collect();
    let body = CaseTypesBody {
        lang: l,
        csrf: visitor.csrf(),
        action: path(CASE_TYPES),
        lines,
        definition,
        error: errors.get("definition"),
    };
    let mut page = settings_page(lang, l.t("Ügytípusok", "Case types"), visitor);
    if !errors.is_empty() {
        page = page.status(StatusCode::BAD_REQUEST).errors(errors.clone());
    }
    if let Some(notice) = notice {
        page = page.notice(notice);
    }
    page.template(&body)
}

/// `GET /office/admin/case-types`.
async fn case_types(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    Query(done): Query<ImportedQuery>,
) -> Response {
    let visitor = match admin(&state, lang, &headers, &path(CASE_TYPES)).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let notice = done.notice(lang.lang);
    case_types_page(&state, lang, &visitor, "", FieldErrors::default(), notice).await
}

#[derive(Deserialize)]
struct ImportForm {
    csrf: Option<String>,
    #[serde(default)]
    definition: String,
}

/// `POST /office/admin/case-types`: adds the definition's case types and replaces those
/// whose definition changed; one bad entry refuses the whole definition.
async fn import_case_types(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    Form(form): Form<ImportForm>,
) -> Response {
    let back = path(CASE_TYPES);
    let visitor = match guard_posted(
        &state,
        lang,
        &headers,
        &OFFICE_ADMIN,
        &back,
        form.csrf.as_deref(),
    )
    .await
    {
        Ok(v) => v,
        Err(r) => return r,
    };
    let l = lang.lang;
    let types = match parse_catalogue(&form.definition) {
        Ok(types) => types,
        Err(refused) => {
            let mut errors = FieldErrors::default();
            errors.add(
                "definition",
                format!(
                    "{} {}",
                    l.t(
                        "A definíciót nem vettük fel, semmi sem változott:",
                        "The definition was refused, nothing changed:"
                    ),
                    refused.0.join("; ")
                ),
            );
            return case_types_page(&state, lang, &visitor, &form.definition, errors, None).await;
        }
    };
    let report = match import(&state.cases.cases.store, &types).await {
        Ok(report) => report,
        Err(e) => return failed(lang, &visitor, "case type import", &e),
    };
    let ids = |wanted: Imported| {
        let ids: Vec<&str> = report
            .iter()
            .filter(|(_, outcome)| *outcome == wanted)
            .map(|(id, _)| id.as_str())
            .collect();
        url::form_urlencoded::byte_serialize(ids.join(",").as_bytes()).collect::<String>()
    };
    see_other(&format!(
        "{back}?added={}&updated={}&unchanged={}",
        ids(Imported::Added),
        ids(Imported::Updated),
        ids(Imported::Unchanged)
    ))
}

struct DocumentLine {
    kind: String,
    name: String,
    required: bool,
    media_types: String,
}

#[derive(Template)]
#[template(path = "admin/case_type.html")]
struct CaseTypeBody<'a> {
    lang: Lang,
    csrf: &'a str,
    action: String,
    back: String,
    id: &'a str,
    name_hu: &'a str,
    name_en: &'a str,
    fee: String,
    deadline_working_days: u32,
    appeal_window_days: u32,
    decided_by: &'static str,
    documents: Vec<DocumentLine>,
    definition: String,
}

/// `GET /office/admin/case-types/{case_type}`: one type's definition, ready to change.
async fn case_type(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let here = path(&format!("{CASE_TYPES}/{id}"));
    let visitor = match admin(&state, lang, &headers, &here).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let l = lang.lang;
    let case_type = match state.cases.cases.store.case_type(&id).await {
        Ok(Some(t)) => t,
        Ok(None) => return not_found(lang, &visitor),
        Err(e) => return failed(lang, &visitor, "case type", &e),
    };
    // The form takes a list, as the operators' file does: the type alone in one.
    let definition = match serde_json::to_string_pretty(&[&case_type]) {
        Ok(text) => text,
        Err(e) => return failed(lang, &visitor, "case type definition", &e),
    };
    let body = CaseTypeBody {
        lang: l,
        csrf: visitor.csrf(),
        action: path(CASE_TYPES),
        back: path(CASE_TYPES),
        id: &case_type.id,
        name_hu: &case_type.name.hu,
        name_en: &case_type.name.en,
        fee: fee_text(&case_type, l),
        deadline_working_days: case_type.deadline_working_days,
        appeal_window_days: case_type.appeal_window_days,
        decided_by: decided_by(&case_type, l),
        documents: case_type
            .documents
            .iter()
            .map(|d| DocumentLine {
                kind: d.kind.clone(),
                name: l.t(&d.name.hu, &d.name.en).to_owned(),
                required: d.required,
                media_types: d.media_types.join(", "),
            })
            .collect(),
        definition,
    };
    settings_page(lang, l.t(&case_type.name.hu, &case_type.name.en), &visitor).template(&body)
}

// ---------------------------------------------------------------- partner apps

/// What the registration form held, to show it again with its errors.
#[derive(Default)]
struct Registration {
    name: String,
    redirect_uris: String,
    scopes: Vec<String>,
}

impl Registration {
    /// The form's fields; `scope` is one ticked box each.
    fn of(fields: &[(String, String)]) -> Self {
        let mut registration = Registration::default();
        for (name, value) in fields {
            match name.as_str() {
                "name" => registration.name = value.clone(),
                "redirect_uris" => registration.redirect_uris = value.clone(),
                "scope" => registration.scopes.push(value.clone()),
                _ => {}
            }
        }
        registration
    }

    /// One redirect URI a line, blank lines left out.
    fn redirect_uris(&self) -> Vec<String> {
        self.redirect_uris
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// A partner app: confidential, with a secret, and its own `sub` for each person so
    /// that partners cannot link their users.
    fn new_client(&self) -> NewClient {
        NewClient {
            name: self.name.clone(),
            redirect_uris: self.redirect_uris(),
            scopes: scope_names(&self.scopes),
            pairwise: true,
            ..NewClient::default()
        }
    }
}

/// The field a registry's refusal is about, and what to say there.
fn refusal_field(reason: &str, lang: Lang) -> (&'static str, String) {
    if reason.contains("name") {
        (
            "name",
            lang.t("Adja meg az alkalmazás nevét.", "Enter the app's name.")
                .to_owned(),
        )
    } else if reason.contains("scope") {
        (
            "scopes",
            format!(
                "{} ({reason})",
                lang.t("Érvénytelen hatókör.", "Invalid scope.")
            ),
        )
    } else {
        (
            "redirect_uris",
            format!(
                "{} ({reason})",
                lang.t(
                    "Adjon meg soronként egy teljes, # nélküli címet (https://…).",
                    "Enter one absolute address without # a line (https://…)."
                )
            ),
        )
    }
}

struct ScopeChoice {
    id: String,
    name: &'static str,
    checked: bool,
}

struct ClientLine {
    href: String,
    name: String,
    client_id: String,
    kind: &'static str,
    scopes: String,
    redirect_uris: String,
}

#[derive(Template)]
#[template(path = "admin/clients.html")]
struct ClientsBody<'a> {
    lang: Lang,
    csrf: &'a str,
    action: String,
    lines: Vec<ClientLine>,
    name: &'a str,
    redirect_uris: &'a str,
    scopes: Vec<ScopeChoice>,
    errors: &'a FieldErrors,
}

/// What an operator reads for a client's kind.
fn kind_text(client: &Client, lang: Lang) -> &'static str {
    if client.is_resource_server() {
        lang.t("erőforrás-szerver (API)", "resource server (API)")
    } else if client.is_public() {
        lang.t("nyilvános (PKCE)", "public (PKCE)")
    } else {
        lang.t("bizalmas", "confidential")
    }
}

/// The partner apps' page with the registration form holding `typed` and its errors
/// (400), or with a notice.
async fn clients_page(
    state: &OfficeState,
    lang: PageLang,
    visitor: &Visitor,
    typed: &Registration,
    errors: &FieldErrors,
    notice: Option<String>,
) -> Response {
    let l = lang.lang;
    let clients = match state.clients.list().await {
        Ok(clients) => clients,
        Err(e) => return failed(lang, visitor, "clients", &e),
    };
    let lines = clients
        .iter()
        .map(|c| ClientLine {
            href: path(&format!("{CLIENTS}/{}", urlencode(&c.client_id))),
            name: c.name.clone(),
            client_id: c.client_id.clone(),
            kind: kind_text(c, l),
            scopes: c.scopes.join(" "),
            redirect_uris: if c.is_resource_server() {
                c.resource_server_audiences.join(" ")
            } else {
                c.redirect_uris.join(" ")
            },
        })
        .collect();
    let ticked = |s: Scope| {
        if typed.scopes.is_empty() && typed.name.is_empty() {
            DEFAULT_SCOPES.contains(&s)
        } else {
            typed.scopes.iter().any(|t| t == s.as_str())
        }
    };
    let body = ClientsBody {
        lang: l,
        csrf: visitor.csrf(),
        action: path(CLIENTS),
        lines,
        name: &typed.name,
        redirect_uris: &typed.redirect_uris,
        scopes: Scope::ALL
            .into_iter()
            .map(|s| ScopeChoice {
                id: format!("scope-{}", s.as_str().replace(':', "-")),
                name: s.as_str(),
                checked: ticked(s),
            })
            .collect(),
        errors,
    };
    let mut page = settings_page(lang, l.t("Partneralkalmazások", "Partner apps"), visitor);
    if !errors.is_empty() {
        page = page.status(StatusCode::BAD_REQUEST).errors(errors.clone());
    }
    if let Some(notice) = notice {
        page = page.notice(notice);
    }
    page.template(&body)
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[derive(Deserialize)]
struct RemovedQuery {
    removed: Option<String>,
}

/// `GET /office/admin/clients`.
async fn clients(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    Query(done): Query<RemovedQuery>,
) -> Response {
    let visitor = match admin(&state, lang, &headers, &path(CLIENTS)).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let notice = done
        .removed
        .map(|id| format!("{} {id}", lang.lang.t("Eltávolítva:", "Removed:")));
    clients_page(
        &state,
        lang,
        &visitor,
        &Registration::default(),
        &FieldErrors::default(),
        notice,
    )
    .await
}

#[derive(Template)]
#[template(path = "admin/secret.html")]
struct SecretBody<'a> {
    lang: Lang,
    client_id: &'a str,
    secret: &'a str,
    kind: &'static str,
    scopes: String,
    client_href: String,
    clients_href: String,
}

/// The page showing a client's secret, the only time anyone sees it; never cached (every
/// page is `no-store`), so going back does not show it again.
fn secret_page(
    lang: PageLang,
    visitor: &Visitor,
    client: &Client,
    secret: &str,
    notice: &str,
) -> Response {
    let l = lang.lang;
    let body = SecretBody {
        lang: l,
        client_id: &client.client_id,
        secret,
        kind: kind_text(client, l),
        scopes: client.scopes.join(" "),
        client_href: path(&format!("{CLIENTS}/{}", urlencode(&client.client_id))),
        clients_href: path(CLIENTS),
    };
    settings_page(
        lang,
        l.t("Az alkalmazás titka", "The app's secret"),
        visitor,
    )
    .notice(notice)
    .template(&body)
}

/// `POST /office/admin/clients`: registers a partner app and shows its secret once.
async fn register_client(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let back = path(CLIENTS);
    let csrf = fields
        .iter()
        .find(|(n, _)| n == "csrf")
        .map(|(_, v)| v.as_str());
    let visitor = match guard_posted(&state, lang, &headers, &OFFICE_ADMIN, &back, csrf).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let l = lang.lang;
    let typed = Registration::of(&fields);
    let refusal = match state.clients.register(typed.new_client()).await {
        Ok((client, Some(secret))) => {
            return secret_page(
                lang,
                &visitor,
                &client,
                &secret,
                l.t("Az alkalmazást felvettük.", "The app is registered."),
            );
        }
        // A partner app is always registered confidential, so this does not happen.
        Ok((client, None)) => {
            return see_other(&path(&format!(
                "{CLIENTS}/{}",
                urlencode(&client.client_id)
            )));
        }
        Err(ClientError::Invalid(reason)) => refusal_field(&reason, l),
        Err(ClientError::AlreadyExists) => (
            "name",
            l.t(
                "Ilyen azonosítójú alkalmazás már van; küldje el újra.",
                "An app with this id exists already; send the form again.",
            )
            .to_owned(),
        ),
        Err(e) => return failed(lang, &visitor, "client registration", &e),
    };
    let mut errors = FieldErrors::default();
    errors.add(refusal.0, refusal.1);
    clients_page(&state, lang, &visitor, &typed, &errors, None).await
}

#[derive(Template)]
#[template(path = "admin/client.html")]
struct ClientBody<'a> {
    lang: Lang,
    csrf: &'a str,
    client: &'a Client,
    kind: &'static str,
    created: String,
    rotate_action: String,
    remove_action: String,
    /// The office's own client: removing it would lock every member of staff out.
    own: bool,
    back: String,
}

/// The page of one client, with `notice` (why an action was refused) and its status.
async fn client_page(
    state: &OfficeState,
    lang: PageLang,
    visitor: &Visitor,
    client_id: &str,
    refusal: Option<(StatusCode, &str)>,
) -> Response {
    let l = lang.lang;
    let client = match state.clients.get(client_id).await {
        Ok(Some(c)) => c,
        Ok(None) => return not_found(lang, visitor),
        Err(e) => return failed(lang, visitor, "client", &e),
    };
    let base = path(&format!("{CLIENTS}/{}", urlencode(&client.client_id)));
    let body = ClientBody {
        lang: l,
        csrf: visitor.csrf(),
        kind: kind_text(&client, l),
        created: client
            .created_at
            .to_zoned(jiff::tz::TimeZone::get("Europe/Budapest").unwrap_or(jiff::tz::TimeZone::UTC))
            .strftime("%Y-%m-%d %H:%M")
            .to_string(),
        rotate_action: format!("{base}/rotate"),
        remove_action: format!("{base}/remove"),
        own: client.client_id == state.signin.config.client_id,
        back: path(CLIENTS),
        client: &client,
    };
    let page = settings_page(lang, &client.name, visitor);
    match refusal {
        Some((status, text)) => page.status(status).notice(text).template(&body),
        None => page.template(&body),
    }
}

/// `GET /office/admin/clients/{client_id}`.
async fn client(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    Path(client_id): Path<String>,
) -> Response {
    let here = path(&format!("{CLIENTS}/{}", urlencode(&client_id)));
    let visitor = match admin(&state, lang, &headers, &here).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    client_page(&state, lang, &visitor, &client_id, None).await
}

/// `POST /office/admin/clients/{client_id}/rotate`: a new secret, shown once; the old one
/// stops working at once.
async fn rotate_secret(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    Path(client_id): Path<String>,
    Form(form): Form<super::CsrfForm>,
) -> Response {
    let back = path(&format!("{CLIENTS}/{}", urlencode(&client_id)));
    let visitor = match guard_posted(
        &state,
        lang,
        &headers,
        &OFFICE_ADMIN,
        &back,
        form.csrf.as_deref(),
    )
    .await
    {
        Ok(v) => v,
        Err(r) => return r,
    };
    let l = lang.lang;
    match state.clients.rotate_secret(&client_id).await {
        Ok(Some(secret)) => match state.clients.get(&client_id).await {
            Ok(Some(client)) => secret_page(
                lang,
                &visitor,
                &client,
                &secret,
                l.t(
                    "Új titkot adtunk; a régi már nem érvényes.",
                    "A new secret is issued; the old one no longer works.",
                ),
            ),
            Ok(None) => not_found(lang, &visitor),
            Err(e) => failed(lang, &visitor, "client", &e),
        },
        Ok(None) => not_found(lang, &visitor),
        Err(ClientError::Invalid(_)) => {
            let text = l.t(
                "Ennek az alkalmazásnak nincs titka (nyilvános, vagy kulccsal azonosítja magát), így nincs mit cserélni.",
                "This app has no secret (it is public or authenticates with its keys), so there is nothing to rotate.",
            );
            client_page(
                &state,
                lang,
                &visitor,
                &client_id,
                Some((StatusCode::CONFLICT, text)),
            )
            .await
        }
        Err(ClientError::ChangedMeanwhile) => {
            let text = l.t(
                "Az alkalmazást közben valaki más módosította; semmi sem változott. Próbálja újra.",
                "Someone changed the app at the same time; nothing changed. Please try again.",
            );
            client_page(
                &state,
                lang,
                &visitor,
                &client_id,
                Some((StatusCode::CONFLICT, text)),
            )
            .await
        }
        Err(e) => failed(lang, &visitor, "client secret rotation", &e),
    }
}

/// `POST /office/admin/clients/{client_id}/remove`.
async fn remove_client(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    Path(client_id): Path<String>,
    Form(form): Form<super::CsrfForm>,
) -> Response {
    let back = path(&format!("{CLIENTS}/{}", urlencode(&client_id)));
    let visitor = match guard_posted(
        &state,
        lang,
        &headers,
        &OFFICE_ADMIN,
        &back,
        form.csrf.as_deref(),
    )
    .await
    {
        Ok(v) => v,
        Err(r) => return r,
    };
    let l = lang.lang;
    if client_id == state.signin.config.client_id {
        let text = l.t(
            "Ez az Ügyintézőkapu saját alkalmazása: eltávolítása után senki sem tudna bejelentkezni a hivatal oldalaira, ezért nem távolítottuk el.",
            "This is the office screens' own app: without it nobody could sign in to the office, so it was not removed.",
        );
        return client_page(
            &state,
            lang,
            &visitor,
            &client_id,
            Some((StatusCode::CONFLICT, text)),
        )
        .await;
    }
    match state.clients.remove(&client_id).await {
        Ok(true) => see_other(&format!(
            "{}?removed={}",
            path(CLIENTS),
            urlencode(&client_id)
        )),
        Ok(false) => not_found(lang, &visitor),
        Err(e) => failed(lang, &visitor, "client removal", &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_registration_reads_one_redirect_uri_a_line_and_every_ticked_scope() {
        let typed = Registration::of(&fields(&[
            ("csrf", "x"),
            ("name", "Iskolai étkezés"),
            (
                "redirect_uris",
                "https://a.example/cb\r\n\r\n  https://b.example/cb \n",
            ),
            ("scope", "openid"),
            ("scope", "cases"),
        ]));
        let new = typed.new_client();
        assert_eq!(new.name, "Iskolai étkezés");
        assert_eq!(
            new.redirect_uris,
            ["https://a.example/cb", "https://b.example/cb"]
        );
        assert_eq!(new.scopes, ["openid", "cases"]);
        assert!(new.pairwise && !new.public);
    }

    #[test]
    fn a_refusal_lands_on_the_field_it_is_about() {
        assert_eq!(refusal_field("a name is required", Lang::En).0, "name");
        assert_eq!(refusal_field("unknown scope \"x\"", Lang::En).0, "scopes");
        assert_eq!(
            refusal_field("at least one redirect URI is required", Lang::Hu).0,
            "redirect_uris"
        );
        assert_eq!(
            refusal_field("/cb is not an absolute URL", Lang::Hu).0,
            "redirect_uris"
        );
    }

    #[test]
    fn the_import_notice_names_what_happened_to_each_type() {
        let done = ImportedQuery {
            added: Some("a,b".into()),
            updated: Some(String::new()),
            unchanged: Some("c".into()),
        };
        assert_eq!(
            done.notice(Lang::En).as_deref(),
            Some("Added: a, b. Unchanged: c.")
        );
        let nothing = ImportedQuery {
            added: None,
            updated: None,
            unchanged: None,
        };
        assert_eq!(nothing.notice(Lang::Hu), None);
    }
}
