//! What a clerk does on a record besides correcting it: a note for colleagues, a flag of
//! the register's refresh marked resolved once the record is put right, and the
//! identification of the person standing at the desk on the document she shows.

use super::record::purpose_or_default;
use super::{crm_actor, failed, person_path};
use crate::OfficeState;
use crate::pages::{guard_posted, message_page, not_found, path};
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use varoskapu_case_api::extract::Origin;
use varoskapu_core::cases::Actor;
use varoskapu_core::crm::identify::IdentifyOutcome;
use varoskapu_core::crm::registry::DocumentKind;
use varoskapu_core::crm::{CrmError, PersonId, Purpose};
use varoskapu_http::auth::CRM;
use varoskapu_web::signin::{Visitor, see_other};
use varoskapu_web::{Lang, PageLang};

/// The documents a clerk may accept at the desk, in the order the form offers them.
pub const DESK_DOCUMENTS: [DocumentKind; 3] = [
    DocumentKind::IdentityCard,
    DocumentKind::Passport,
    DocumentKind::DrivingLicence,
];

pub fn document_text(kind: DocumentKind, lang: Lang) -> &'static str {
    match kind {
        DocumentKind::IdentityCard => lang.t("személyazonosító igazolvány", "identity card"),
        DocumentKind::Passport => lang.t("útlevél", "passport"),
        DocumentKind::DrivingLicence => lang.t("vezetői engedély", "driving licence"),
        DocumentKind::AddressCard => lang.t("lakcímkártya", "address card"),
    }
}

pub fn document_value(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::IdentityCard => "identity_card",
        DocumentKind::Passport => "passport",
        DocumentKind::DrivingLicence => "driving_licence",
        DocumentKind::AddressCard => "address_card",
    }
}

/// The record page again, opened with the purpose it was open for.
fn back_to(id: PersonId, purpose: Purpose) -> String {
    format!("{}?purpose={}", person_path(id), purpose.as_str())
}

/// A page saying what stopped the clerk's action, with the way back to the record.
fn refused(
    lang: PageLang,
    visitor: &Visitor,
    status: StatusCode,
    title: &str,
    text: &str,
    back: String,
) -> Response {
    message_page(
        lang,
        Some(visitor),
        status,
        title,
        text,
        vec![(
            back,
            lang.lang
                .t("Vissza a nyilvántartáshoz", "Back to the record")
                .to_owned(),
        )],
    )
}

fn details(e: &CrmError) -> String {
    match e {
        CrmError::Invalid(list) => list
            .iter()
            .map(|f| f.detail.clone())
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

fn stale_text(lang: Lang) -> &'static str {
    lang.t(
        "A nyilvántartást közben más módosította. Nyissa meg újra, és nézze meg, mi változott.",
        "Someone else changed the record meanwhile. Open it again and see what changed.",
    )
}

/// The clerk behind a form posted on record `person_id`, and the record's id.
async fn posted(
    state: &OfficeState,
    lang: PageLang,
    headers: &HeaderMap,
    person_id: &str,
    csrf: Option<&str>,
) -> Result<(Visitor, PersonId), Response> {
    let here = path(&format!("/people/{person_id}"));
    let visitor = guard_posted(state, lang, headers, &CRM, &here, csrf).await?;
    match person_id.parse().ok().map(PersonId) {
        Some(id) => Ok((visitor, id)),
        None => Err(not_found(lang, &visitor)),
    }
}

#[derive(Deserialize)]
pub struct NoteForm {
    csrf: Option<String>,
    #[serde(default)]
    version: u64,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    text: String,
}

/// `POST /office/people/{id}/notes`. The form carries the record's version, so the same
/// form sent twice (a double click, a reload) adds the note once.
pub async fn add_note(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    Path(person_id): Path<String>,
    Form(form): Form<NoteForm>,
) -> Response {
    let (visitor, id) = match posted(&state, lang, &headers, &person_id, form.csrf.as_deref()).await
    {
        Ok(v) => v,
        Err(r) => return r,
    };
    let l = lang.lang;
    let purpose = purpose_or_default(&form.purpose);
    let key = format!("office-note-{id}-{}", form.version);
    let fingerprint = varoskapu_core::idempotency::fingerprint(form.text.as_bytes());
    match state
        .crm
        .add_note(
            &crm_actor(&visitor, &origin),
            id,
            &form.text,
            Some((&key, &fingerprint)),
        )
        .await
    {
        Ok(_) => see_other(&back_to(id, purpose)),
        Err(e @ CrmError::Invalid(_)) => refused(
            lang,
            &visitor,
            StatusCode::BAD_REQUEST,
            l.t("A feljegyzés nem menthető", "The note cannot be saved"),
            &details(&e),
            back_to(id, purpose),
        ),
        Err(CrmError::IdempotencyKeyReused) => refused(
            lang,
            &visitor,
            StatusCode::CONFLICT,
            l.t("A feljegyzés nem menthető", "The note cannot be saved"),
            l.t(
                "Erről az oldalról már küldött egy másik feljegyzést. Nyissa meg újra a nyilvántartást, és írja be ismét.",
                "Another note was already sent from this page. Open the record again and write it once more.",
            ),
            back_to(id, purpose),
        ),
        Err(CrmError::UnknownPerson | CrmError::Merged) => not_found(lang, &visitor),
        Err(e) => failed(lang, &visitor, &e),
    }
}

#[derive(Deserialize)]
pub struct FlagForm {
    csrf: Option<String>,
    #[serde(default)]
    version: u64,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    flag: String,
}

/// `POST /office/people/{id}/flag-resolutions`: the clerk has put right what the flag
/// pointed at.
pub async fn resolve_flag(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    Path(person_id): Path<String>,
    Form(form): Form<FlagForm>,
) -> Response {
    let (visitor, id) = match posted(&state, lang, &headers, &person_id, form.csrf.as_deref()).await
    {
        Ok(v) => v,
        Err(r) => return r,
    };
    let l = lang.lang;
    let purpose = purpose_or_default(&form.purpose);
    match state
        .crm
        .resolve_flag(&crm_actor(&visitor, &origin), id, form.version, &form.flag)
        .await
    {
        // Resolving an already resolved flag (the same form sent twice) is done already.
        Ok(_) | Err(CrmError::Invalid(_)) => see_other(&back_to(id, purpose)),
        Err(CrmError::Stale) => refused(
            lang,
            &visitor,
            StatusCode::CONFLICT,
            l.t("A jelzés nem zárható le", "The flag cannot be resolved"),
            stale_text(l),
            back_to(id, purpose),
        ),
        Err(CrmError::UnknownPerson | CrmError::Merged) => not_found(lang, &visitor),
        Err(e) => failed(lang, &visitor, &e),
    }
}

#[derive(Deserialize)]
pub struct DeskForm {
    csrf: Option<String>,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    document: String,
    #[serde(default)]
    number: String,
}

/// `POST /office/people/{id}/identification`: the person at the desk shows a document;
/// its validity and the record's natural identity are checked against the registers.
pub async fn identify_at_desk(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    Path(person_id): Path<String>,
    Form(form): Form<DeskForm>,
) -> Response {
    let (visitor, id) = match posted(&state, lang, &headers, &person_id, form.csrf.as_deref()).await
    {
        Ok(v) => v,
        Err(r) => return r,
    };
    let l = lang.lang;
    let purpose = purpose_or_default(&form.purpose);
    let back = back_to(id, purpose);
    let title = l.t("Azonosítás", "Identification");
    let Some(identification) = &state.identification else {
        return refused(
            lang,
            &visitor,
            StatusCode::SERVICE_UNAVAILABLE,
            title,
            l.t(
                "Nincs kapcsolat a nyilvántartásokkal, az azonosítás most nem lehetséges.",
                "No registry is connected; identification is not possible now.",
            ),
            back,
        );
    };
    let Some(document) = DESK_DOCUMENTS
        .into_iter()
        .find(|k| document_value(*k) == form.document)
    else {
        return refused(
            lang,
            &visitor,
            StatusCode::BAD_REQUEST,
            title,
            l.t(
                "Válassza ki a bemutatott okmány fajtáját.",
                "Choose the kind of document shown.",
            ),
            back,
        );
    };
    let actor = Actor::Clerk(visitor.principal.account.clone());
    let outcome = identification
        .identify_at_desk(&actor, id, document, &form.number)
        .await;
    let (status, text) = match outcome {
        Ok(IdentifyOutcome::Identified { .. }) => {
            // The record changed: the search index must show it identified.
            if let Err(e) = state.crm.apply_changes(&[id]).await {
                tracing::warn!(person = %id, error = %e, "identified, but not re-indexed yet");
            }
            return see_other(&back);
        }
        Ok(IdentifyOutcome::NoMatch) => (
            StatusCode::OK,
            l.t(
                "A népesség-nyilvántartás nem ismer senkit ezzel a névvel és születési idővel. Ellenőrizze az adatokat az okmányon.",
                "The population register knows nobody with this name and date of birth. Check the record against the document.",
            )
            .to_owned(),
        ),
        Ok(IdentifyOutcome::Differs { fields }) => (
            StatusCode::OK,
            format!(
                "{} {}",
                l.t(
                    "A nyilvántartás szerint ezek az adatok eltérnek:",
                    "The register says these fields differ:",
                ),
                fields.join(", ")
            ),
        ),
        Ok(IdentifyOutcome::IdentifiedAsSomeoneElse) | Err(CrmError::AccountTaken) => (
            StatusCode::CONFLICT,
            l.t(
                "A nyilvántartás szerint ez a személy már egy másik ügyfélhez tartozik. Nézze meg a duplikátumokat.",
                "The register says this person already belongs to another record. Look at the duplicates.",
            )
            .to_owned(),
        ),
        Err(e @ CrmError::Invalid(_)) => (StatusCode::BAD_REQUEST, details(&e)),
        Err(CrmError::Registry(e)) => {
            tracing::warn!(person = %id, error = %e, "desk identification: the registry did not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                l.t(
                    "A nyilvántartás most nem válaszol. Próbálja újra néhány perc múlva.",
                    "The register does not answer now. Try again in a few minutes.",
                )
                .to_owned(),
            )
        }
        Err(CrmError::Stale) => (StatusCode::CONFLICT, stale_text(l).to_owned()),
        Err(CrmError::UnknownPerson | CrmError::Merged) => return not_found(lang, &visitor),
        Err(e) => return failed(lang, &visitor, &e),
    };
    refused(lang, &visitor, status, title, &text, back)
}
