//! The case page's forms, each a POST through `guard_posted` with the requirement of its
//! JSON route, each the domain call that route makes, then back to the case page with a
//! notice (POST-redirect-GET). A field the domain refuses comes back on the form with what
//! was typed; a refusal of the case's state comes back as a notice on the case page.

use super::view::{Answer, Typed, case_page, parse_id};
use super::{case_path, conflict_text, failed, office_actor};
use crate::OfficeState;
use crate::pages::{guard_posted, not_found};
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use jiff::civil::Date;
use serde::Deserialize;
use uuid::Uuid;
use varoskapu_case_api::extract::Origin;
use varoskapu_case_api::people::AccountDirectory;
use varoskapu_core::cases::{
    Actor, AppealForwardingRequest, CaseError, CaseStatus, OfficeActor, Outcome,
};
use varoskapu_http::auth::{OFFICE, OFFICE_APPROVAL, Requirement};
use varoskapu_web::signin::{Visitor, see_other};
use varoskapu_web::{FieldErrors, Lang, PageLang};

/// The signed-in staff member who sent a case page's form with its CSRF token, and the
/// case's id; a case id that is none is "not found".
async fn posted(
    state: &OfficeState,
    lang: PageLang,
    headers: &HeaderMap,
    requirement: &Requirement,
    case_id: &str,
    csrf: Option<&str>,
) -> Result<(Visitor, Uuid), Response> {
    let back = super::super::path(&format!("/cases/{case_id}"));
    let visitor = guard_posted(state, lang, headers, requirement, &back, csrf).await?;
    match parse_id(case_id) {
        Some(id) => Ok((visitor, id)),
        None => Err(not_found(lang, &visitor)),
    }
}

/// The case page again with the form's errors and what was typed (nothing was done).
async fn refused_form(
    state: &OfficeState,
    lang: PageLang,
    visitor: &Visitor,
    origin: &Origin,
    id: Uuid,
    errors: FieldErrors,
    typed: Typed,
) -> Response {
    let answer = Answer {
        status: StatusCode::BAD_REQUEST,
        notice: None,
        errors,
        typed,
    };
    case_page(state, lang, visitor, origin, id, answer).await
}

/// Where the action's result leads: back to the case with `done`'s notice; a field the
/// domain found wrong onto `field` with `invalid`; a refusal of the case's state as a
/// notice on the case page.
#[allow(clippy::too_many_arguments)]
async fn after(
    state: &OfficeState,
    lang: PageLang,
    visitor: &Visitor,
    origin: &Origin,
    id: Uuid,
    result: Result<&str, CaseError>,
    (field, invalid): (&str, &str),
    typed: Typed,
) -> Response {
    match result {
        Ok(done) => see_other(&format!("{}?done={done}", case_path(id))),
        Err(CaseError::Invalid(_)) => {
            let mut errors = FieldErrors::default();
            errors.add(field, invalid);
            refused_form(state, lang, visitor, origin, id, errors, typed).await
        }
        Err(e) => match conflict_text(&e, lang.lang) {
            Some(text) => {
                let status = if e == CaseError::SelfApproval {
                    StatusCode::FORBIDDEN
                } else {
                    StatusCode::CONFLICT
                };
                let answer = Answer {
                    status,
                    notice: Some(text.to_owned()),
                    errors: FieldErrors::default(),
                    typed,
                };
                case_page(state, lang, visitor, origin, id, answer).await
            }
            None => failed(lang, visitor, &e),
        },
    }
}

/// A form that carries only its CSRF token.
#[derive(Deserialize)]
pub struct Plain {
    csrf: Option<String>,
}

/// `POST /office/cases/{case_id}/claim`.
pub async fn claim(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    Path(case_id): Path<String>,
    Form(form): Form<Plain>,
) -> Response {
    let (visitor, id) = match posted(
        &state,
        lang,
        &headers,
        &OFFICE,
        &case_id,
        form.csrf.as_deref(),
    )
    .await
    {
        Ok(v) => v,
        Err(r) => return r,
    };
    let by = office_actor(&visitor, &origin);
    let result = state.cases.cases.claim(&by, id).await.map(|_| "claimed");
    after(
        &state,
        lang,
        &visitor,
        &origin,
        id,
        result,
        ("", ""),
        Typed::default(),
    )
    .await
}

#[derive(Deserialize)]
pub struct AssignForm {
    csrf: Option<String>,
    #[serde(default)]
    colleague: String,
    reassign: Option<String>,
}

/// `POST /office/cases/{case_id}/assign`: to the clerk who signs in with the e-mail
/// address given (the accounts know staff by it; there is no list of staff to pick from).
pub async fn assign(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    Path(case_id): Path<String>,
    Form(form): Form<AssignForm>,
) -> Response {
    let (visitor, id) = match posted(
        &state,
        lang,
        &headers,
        &OFFICE,
        &case_id,
        form.csrf.as_deref(),
    )
    .await
    {
        Ok(v) => v,
        Err(r) => return r,
    };
    let l = lang.lang;
    let typed = Typed {
        colleague: form.colleague.clone(),
        reassign: form.reassign.is_some(),
        ..Typed::default()
    };
    let mut errors = FieldErrors::default();
    let clerk = if form.colleague.trim().is_empty() {
        errors.add(
            "colleague",
            l.t(
                "Adja meg a kolléga e-mail-címét.",
                "Enter the colleague's e-mail address.",
            ),
        );
        None
    } else {
        match AccountDirectory::new(state.table.clone())
            .clerk_by_email(&form.colleague)
            .await
        {
            Ok(Some(person)) => Some(person),
            Ok(None) => {
                errors.add(
                    "colleague",
                    l.t(
                        "Ezzel az e-mail-címmel nincs ügyintéző.",
                        "No clerk has this e-mail address.",
                    ),
                );
                None
            }
            Err(e) => return failed(lang, &visitor, &CaseError::PeopleUnavailable(e.0)),
        }
    };
    let Some(clerk) = clerk else {
        return refused_form(&state, lang, &visitor, &origin, id, errors, typed).await;
    };
    let by = office_actor(&visitor, &origin);
    let result = state
        .cases
        .cases
        .assign(&by, id, &clerk.account, form.reassign.is_some())
        .await
        .map(|_| "assigned");
    let invalid = l.t(
        "Adja meg a kolléga e-mail-címét.",
        "Enter the colleague's e-mail address.",
    );
    after(
        &state,
        lang,
        &visitor,
        &origin,
        id,
        result,
        ("colleague", invalid),
        typed,
    )
    .await
}

/// `POST /office/cases/{case_id}/file`: the case's filing number, once.
pub async fn file(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    Path(case_id): Path<String>,
    Form(form): Form<Plain>,
) -> Response {
    let (visitor, id) = match posted(
        &state,
        lang,
        &headers,
        &OFFICE,
        &case_id,
        form.csrf.as_deref(),
    )
    .await
    {
        Ok(v) => v,
        Err(r) => return r,
    };
    let by = office_actor(&visitor, &origin);
    let result = state.cases.cases.file(&by, id).await.map(|_| "filed");
    after(
        &state,
        lang,
        &visitor,
        &origin,
        id,
        result,
        ("", ""),
        Typed::default(),
    )
    .await
}

#[derive(Deserialize)]
pub struct NoteForm {
    csrf: Option<String>,
    #[serde(default)]
    note: String,
}

/// `POST /office/cases/{case_id}/notes`.
pub async fn add_note(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    Path(case_id): Path<String>,
    Form(form): Form<NoteForm>,
) -> Response {
    let (visitor, id) = match posted(
        &state,
        lang,
        &headers,
        &OFFICE,
        &case_id,
        form.csrf.as_deref(),
    )
    .await
    {
        Ok(v) => v,
        Err(r) => return r,
    };
    let by = office_actor(&visitor, &origin);
    let result = state
        .cases
        .cases
        .add_note(&by, id, &form.note)
        .await
        .map(|_| "noted");
    let invalid = lang
        .lang
        .t("Írja be a feljegyzés szövegét.", "Write the note's text.");
    let typed = Typed {
        note: form.note,
        ..Typed::default()
    };
    after(
        &state,
        lang,
        &visitor,
        &origin,
        id,
        result,
        ("note", invalid),
        typed,
    )
    .await
}

/// A day typed into a date field (`YYYY-MM-DD`), or the message for the field.
fn typed_day(text: &str, lang: Lang) -> Result<Option<Date>, &'static str> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<Date>().map(Some).map_err(|_| {
        lang.t(
            "Adjon meg egy napot ÉÉÉÉ-HH-NN alakban.",
            "Enter a day as YYYY-MM-DD.",
        )
    })
}

#[derive(Deserialize)]
pub struct InformationForm {
    csrf: Option<String>,
    #[serde(default)]
    info_message: String,
    #[serde(default)]
    info_due: String,
}

/// `POST /office/cases/{case_id}/information-request`: the citizen is asked, by a day,
/// and the deadline pauses.
pub async fn request_information(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    Path(case_id): Path<String>,
    Form(form): Form<InformationForm>,
) -> Response {
    let (visitor, id) = match posted(
        &state,
        lang,
        &headers,
        &OFFICE,
        &case_id,
        form.csrf.as_deref(),
    )
    .await
    {
        Ok(v) => v,
        Err(r) => return r,
    };
    let l = lang.lang;
    let cases = &state.cases.cases;
    let mut errors = FieldErrors::default();
    if form.info_message.trim().is_empty() {
        errors.add(
            "info_message",
            l.t("Írja le, mi hiányzik.", "Say what is missing."),
        );
    }
    let due_message = l.t(
        "A válaszhatáridő a mai napnál későbbi nap legyen.",
        "The day to answer by must be after today.",
    );
    let due = match typed_day(&form.info_due, l) {
        Ok(Some(day)) if day <= cases.today() => {
            errors.add("info_due", due_message);
            None
        }
        Ok(day) => day,
        Err(message) => {
            errors.add("info_due", message);
            None
        }
    };
    let typed = Typed {
        info_message: form.info_message.clone(),
        info_due: form.info_due.clone(),
        ..Typed::default()
    };
    if !errors.is_empty() {
        return refused_form(&state, lang, &visitor, &origin, id, errors, typed).await;
    }
    let by = office_actor(&visitor, &origin);
    let result = cases
        .request_information(&by, id, &form.info_message, due)
        .await
        .map(|_| "requested");
    after(
        &state,
        lang,
        &visitor,
        &origin,
        id,
        result,
        ("info_due", due_message),
        typed,
    )
    .await
}

#[derive(Deserialize)]
pub struct DecisionForm {
    csrf: Option<String>,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    reasoning: String,
}

/// `POST /office/cases/{case_id}/decision`: the draft, issued at once where the case type
/// needs no signatory.
pub async fn draft_decision(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    Path(case_id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Response {
    let (visitor, id) = match posted(
        &state,
        lang,
        &headers,
        &OFFICE,
        &case_id,
        form.csrf.as_deref(),
    )
    .await
    {
        Ok(v) => v,
        Err(r) => return r,
    };
    let l = lang.lang;
    let mut errors = FieldErrors::default();
    let outcome = match form.outcome.as_str() {
        "approve" => Some(Outcome::Approve),
        "partial" => Some(Outcome::Partial),
        "reject" => Some(Outcome::Reject),
        _ => {
            errors.add(
                "outcome",
                l.t("Válassza ki a döntést.", "Choose the decision."),
            );
            None
        }
    };
    let invalid = l.t(
        "Írja meg a döntés indoklását.",
        "Write the decision's reasoning.",
    );
    if form.reasoning.trim().is_empty() {
        errors.add("reasoning", invalid);
    }
    let typed = Typed {
        outcome: form.outcome.clone(),
        reasoning: form.reasoning.clone(),
        ..Typed::default()
    };
    let Some(outcome) = outcome.filter(|_| errors.is_empty()) else {
        return refused_form(&state, lang, &visitor, &origin, id, errors, typed).await;
    };
    let by = office_actor(&visitor, &origin);
    let result = state
        .cases
        .cases
        .draft_decision(&by, id, outcome, &form.reasoning)
        .await
        .map(|case| {
            if case.status == CaseStatus::DecisionDrafted {
                "drafted"
            } else {
                "decided"
            }
        });
    after(
        &state,
        lang,
        &visitor,
        &origin,
        id,
        result,
        ("reasoning", invalid),
        typed,
    )
    .await
}

#[derive(Deserialize)]
pub struct ReturnForm {
    csrf: Option<String>,
    #[serde(default)]
    remark: String,
}

/// `POST /office/cases/{case_id}/decision/return`: the draft goes back for rework with a
/// remark, which the case's history keeps.
pub async fn return_draft(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    Path(case_id): Path<String>,
    Form(form): Form<ReturnForm>,
) -> Response {
    let (visitor, id) = match posted(
        &state,
        lang,
        &headers,
        &OFFICE,
        &case_id,
        form.csrf.as_deref(),
    )
    .await
    {
        Ok(v) => v,
        Err(r) => return r,
    };
    let invalid = lang
        .lang
        .t("Írja le, mit kell átdolgozni.", "Say what needs reworking.");
    let typed = Typed {
        remark: form.remark.clone(),
        ..Typed::default()
    };
    if form.remark.trim().is_empty() {
        let mut errors = FieldErrors::default();
        errors.add("remark", invalid);
        return refused_form(&state, lang, &visitor, &origin, id, errors, typed).await;
    }
    let by = office_actor(&visitor, &origin);
    let result = state
        .cases
        .cases
        .return_draft(&by, id, form.remark.trim())
        .await
        .map(|_| "returned");
    after(
        &state,
        lang,
        &visitor,
        &origin,
        id,
        result,
        ("remark", invalid),
        typed,
    )
    .await
}

/// `POST /office/cases/{case_id}/decision/approve`: the signatory's approval, with a second
/// factor (the guard asks for the step-up), never of her own draft.
pub async fn approve(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    Path(case_id): Path<String>,
    Form(form): Form<Plain>,
) -> Response {
    let (visitor, id) = match posted(
        &state,
        lang,
        &headers,
        &OFFICE_APPROVAL,
        &case_id,
        form.csrf.as_deref(),
    )
    .await
    {
        Ok(v) => v,
        Err(r) => return r,
    };
    let by = OfficeActor {
        actor: Actor::Signatory(visitor.principal.account.clone()),
        origin: origin.0.clone(),
    };
    let result = state.cases.cases.approve(&by, id).await.map(|_| "approved");
    after(
        &state,
        lang,
        &visitor,
        &origin,
        id,
        result,
        ("", ""),
        Typed::default(),
    )
    .await
}

/// `POST /office/cases/{case_id}/decision/issue`: signs and issues an approved decision
/// whose signing failed earlier.
pub async fn issue(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    Path(case_id): Path<String>,
    Form(form): Form<Plain>,
) -> Response {
    let (visitor, id) = match posted(
        &state,
        lang,
        &headers,
        &OFFICE,
        &case_id,
        form.csrf.as_deref(),
    )
    .await
    {
        Ok(v) => v,
        Err(r) => return r,
    };
    let result = state.cases.cases.issue_decision(id).await.map(|_| "issued");
    after(
        &state,
        lang,
        &visitor,
        &origin,
        id,
        result,
        ("", ""),
        Typed::default(),
    )
    .await
}

#[derive(Deserialize)]
pub struct ForwardingForm {
    csrf: Option<String>,
    #[serde(default)]
    received_on: String,
    #[serde(default)]
    authority: String,
    #[serde(default)]
    forwarded_on: String,
}

/// `POST /office/cases/{case_id}/appeal-forwarding`: when the appeal came, to which
/// authority and when it went on.
pub async fn forward_appeal(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    Path(case_id): Path<String>,
    Form(form): Form<ForwardingForm>,
) -> Response {
    let (visitor, id) = match posted(
        &state,
        lang,
        &headers,
        &OFFICE,
        &case_id,
        form.csrf.as_deref(),
    )
    .await
    {
        Ok(v) => v,
        Err(r) => return r,
    };
    let l = lang.lang;
    let today = state.cases.cases.today();
    let mut errors = FieldErrors::default();
    let required_day = l.t(
        "Adja meg a napot ÉÉÉÉ-HH-NN alakban.",
        "Enter the day as YYYY-MM-DD.",
    );
    let day = |field: &str, text: &str, errors: &mut FieldErrors| match typed_day(text, l) {
        Ok(Some(d)) => Some(d),
        Ok(None) => {
            errors.add(field, required_day);
            None
        }
        Err(message) => {
            errors.add(field, message);
            None
        }
    };
    let received_on = day("received_on", &form.received_on, &mut errors);
    if form.authority.trim().is_empty() {
        errors.add(
            "authority",
            l.t(
                "Adja meg a másodfokú hatóságot.",
                "Name the second-instance authority.",
            ),
        );
    }
    let forwarded_on = day("forwarded_on", &form.forwarded_on, &mut errors);
    let order_message = l.t(
        "A felterjesztés napja a beérkezés és a mai nap közé essen.",
        "The day of forwarding falls between the day received and today.",
    );
    if let (Some(received), Some(forwarded)) = (received_on, forwarded_on)
        && (forwarded < received || forwarded > today)
    {
        errors.add("forwarded_on", order_message);
    }
    let typed = Typed {
        received_on: form.received_on.clone(),
        authority: form.authority.clone(),
        forwarded_on: form.forwarded_on.clone(),
        ..Typed::default()
    };
    let (Some(received_on), Some(forwarded_on)) = (received_on, forwarded_on) else {
        return refused_form(&state, lang, &visitor, &origin, id, errors, typed).await;
    };
    if !errors.is_empty() {
        return refused_form(&state, lang, &visitor, &origin, id, errors, typed).await;
    }
    let request = AppealForwardingRequest {
        received_on,
        authority: form.authority.clone(),
        forwarded_on,
    };
    let by = office_actor(&visitor, &origin);
    let result = state
        .cases
        .cases
        .forward_appeal(&by, id, &request)
        .await
        .map(|_| "forwarded");
    after(
        &state,
        lang,
        &visitor,
        &origin,
        id,
        result,
        ("forwarded_on", order_message),
        typed,
    )
    .await
}
