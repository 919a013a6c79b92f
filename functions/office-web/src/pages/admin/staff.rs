//! The posts of the office's staff: which case types a clerk or signatory works on (her
//! queue, start page and diary show only those). The administrator finds the colleague by
//! e-mail address and ticks the case types; `users post` of the operators' CLI does the
//! same through the same function, with the same refusals.

use super::{admin, failed, settings_page};
use crate::OfficeState;
use crate::pages::{guard_posted, path};
use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use varoskapu_accounts::{Account, Role};
use varoskapu_http::auth::OFFICE_ADMIN;
use varoskapu_web::signin::{Visitor, see_other};
use varoskapu_web::{FieldErrors, Lang, PageLang};

/// The page, relative to `/office`.
pub const STAFF: &str = "/admin/staff";

pub fn routes() -> Router<OfficeState> {
    Router::new().route(STAFF, get(page).post(save))
}

/// A case type to tick.
struct Choice {
    id: String,
    /// The checkbox's element id.
    field: String,
    name: String,
    checked: bool,
}

/// The colleague found, with her post.
struct Found {
    email: String,
    name: String,
    roles: String,
    /// Empty: every case type.
    post: Vec<String>,
}

#[derive(Template)]
#[template(path = "admin/staff.html")]
struct StaffBody<'a> {
    lang: Lang,
    csrf: &'a str,
    action: String,
    email: &'a str,
    errors: &'a FieldErrors,
    found: Option<Found>,
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct StaffQuery {
    email: Option<String>,
    saved: Option<String>,
}

fn is_staff(account: &Account) -> bool {
    account
        .roles
        .iter()
        .any(|r| matches!(r, Role::Clerk | Role::Signatory))
}

/// The page for `email` (blank: only the search), with `errors` on its fields.
async fn staff_page(
    state: &OfficeState,
    lang: PageLang,
    visitor: &Visitor,
    email: &str,
    mut errors: FieldErrors,
    notice: Option<String>,
) -> Response {
    let l = lang.lang;
    let mut found = None;
    if !email.trim().is_empty() && errors.is_empty() {
        match state.accounts.find_by_email(email).await {
            Ok(Some(account)) if is_staff(&account) => {
                found = Some(Found {
                    email: account.email.clone(),
                    name: account.name.clone(),
                    roles: account.role_names().join(", "),
                    post: account.case_types.clone(),
                })
            }
            Ok(_) => errors.add(
                "email",
                l.t(
                    "Nincs ügyintéző vagy kiadmányozó ezzel az e-mail-címmel.",
                    "No clerk or signatory has this e-mail address.",
                ),
            ),
            Err(e) => return failed(lang, visitor, "accounts", &e),
        }
    }
    let catalogue = match state.cases.cases.store.case_types().await {
        Ok(types) => types,
        Err(e) => return failed(lang, visitor, "case types", &e),
    };
    let choices = catalogue
        .into_iter()
        .map(|t| Choice {
            field: format!("case-type-{}", t.id),
            checked: found.as_ref().is_some_and(|f| f.post.contains(&t.id)),
            name: l.t(&t.name.hu, &t.name.en).to_owned(),
            id: t.id,
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let mut page = settings_page(lang, l.t("Munkatársak ügykörei", "Staff posts"), visitor)
        .status(status)
        .errors(errors.clone());
    if let Some(text) = notice {
        page = page.notice(text);
    }
    page.template(&StaffBody {
        lang: l,
        csrf: visitor.csrf(),
        action: path(STAFF),
        email,
        errors: &errors,
        found,
        choices,
    })
}

/// `GET /office/admin/staff[?email=…]`.
async fn page(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    Query(q): Query<StaffQuery>,
) -> Response {
    let visitor = match admin(&state, lang, &headers, &path(STAFF)).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let notice = q.saved.is_some().then(|| {
        lang.lang
            .t(
                "Az ügykört elmentettük; a munkatárs következő bejelentkezésétől érvényes.",
                "The post is saved; it holds from the colleague's next sign-in.",
            )
            .to_owned()
    });
    let email = q.email.unwrap_or_default();
    staff_page(
        &state,
        lang,
        &visitor,
        &email,
        FieldErrors::default(),
        notice,
    )
    .await
}

/// `POST /office/admin/staff`: `email`, `csrf` and one `case_type` per ticked box (none:
/// every case type).
async fn save(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let value = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let back = path(STAFF);
    let visitor =
        match guard_posted(&state, lang, &headers, &OFFICE_ADMIN, &back, value("csrf")).await {
            Ok(v) => v,
            Err(r) => return r,
        };
    let l = lang.lang;
    let email = value("email").unwrap_or_default().trim().to_owned();
    let case_types: Vec<String> = fields
        .iter()
        .filter(|(n, _)| n == "case_type")
        .map(|(_, v)| v.clone())
        .collect();
    let mut errors = FieldErrors::default();
    if email.is_empty() {
        errors.add(
            "email",
            l.t(
                "Adja meg a munkatárs e-mail-címét.",
                "Enter the colleague's e-mail address.",
            ),
        );
        return staff_page(&state, lang, &visitor, &email, errors, None).await;
    }
    match varoskapu_operator::users::set_post(
        &state.accounts,
        &state.cases.cases.store,
        &email,
        &case_types,
    )
    .await
    {
        Ok(_) => {
            tracing::info!("a staff member's post was changed");
            let query = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("email", &email)
                .append_pair("saved", "1")
                .finish();
            see_other(&format!("{back}?{query}"))
        }
        Err(refused) => {
            // The operators' refusals: no such account, not staff, an unknown case type.
            let field = if refused.to_string().contains("case type") {
                "case_types"
            } else {
                "email"
            };
            errors.add(
                field,
                format!(
                    "{} {refused}",
                    l.t(
                        "Nem mentettük, semmi sem változott:",
                        "Not saved, nothing changed:"
                    )
                ),
            );
            staff_page(&state, lang, &visitor, &email, errors, None).await
        }
    }
}
