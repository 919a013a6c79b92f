//! The citizen's cases: a new application's form (generated from the case type's schema),
//! its documents, submission with the signed receipt, the list of one's cases and each
//! case with its history, deadline, requests for missing information (with the answer
//! form), fee and documents to download. Another person's case is "not found".

use super::{csrf_refused, money, not_found, unavailable, visitor_page};
use crate::PortalState;
use crate::form::{self, ADD_FIELD, Item, RawForm};
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use uuid::Uuid;
use varoskapu_case_api::extract::Origin;
use varoskapu_case_api::pdf::pdf_response;
use varoskapu_case_api::views::CaseView;
use varoskapu_core::blob::{BlobPut, Sha256Digest};
use varoskapu_core::cases::Outcome;
use varoskapu_core::cases::{
    ANSWER_DOCUMENT_KIND, CaseError, CaseStatus, CaseType, CitizenActor, UploadRequest,
};
use varoskapu_core::idempotency;
use varoskapu_core::payments::{PaymentMethod, PaymentStatus};
use varoskapu_http::auth::OWN_CASES;
use varoskapu_web::signin::{Visitor, see_other};
use varoskapu_web::{FieldErrors, Lang, PageLang};

/// A status as people read it.
pub fn status_text(status: CaseStatus, lang: Lang) -> &'static str {
    match status {
        CaseStatus::Draft => lang.t("Piszkozat", "Draft"),
        CaseStatus::Submitted => lang.t("Beérkezett", "Received"),
        CaseStatus::AwaitingPayment => lang.t("Díjfizetésre vár", "Awaiting payment"),
        CaseStatus::InReview => lang.t("Ügyintézés alatt", "In progress"),
        CaseStatus::WaitingForCitizen => lang.t("Hiánypótlásra vár", "Waiting for your answer"),
        CaseStatus::DecisionDrafted => lang.t("Döntés előkészítve", "Decision drafted"),
        CaseStatus::Approved => lang.t("Döntés jóváhagyva", "Decision approved"),
        CaseStatus::Decided => lang.t("Döntés letölthető", "Decision ready"),
        CaseStatus::Delivered => lang.t("Kézbesítve", "Delivered"),
    }
}

fn by(visitor: &Visitor, origin: &Origin) -> CitizenActor {
    CitizenActor::new(visitor.principal.account.clone(), origin.0.clone())
}

fn parse_id(text: &str) -> Option<Uuid> {
    Uuid::parse_str(text).ok()
}

/// The signed-in citizen on a page of one of her cases at `path`, and the case's id; a
/// visitor without a session is sent to sign in, and an id that is none is "not found".
async fn own_case(
    state: &PortalState,
    headers: &HeaderMap,
    lang: PageLang,
    path: &str,
    case_id: &str,
) -> Result<(Visitor, Uuid), Response> {
    let visitor = match state.signin.visitor(headers, &OWN_CASES, path).await {
        Ok(v) => v,
        Err(r) => return Err(crate::pages::refused(state, lang, r)),
    };
    match parse_id(case_id) {
        Some(id) => Ok((visitor, id)),
        None => Err(not_found(state, lang, &visitor)),
    }
}

/// The answer to a case error on a page: not found, unavailable, or the message given.
fn failed(state: &PortalState, lang: PageLang, visitor: &Visitor, e: &CaseError) -> Response {
    match e {
        CaseError::UnknownCase | CaseError::CaseNotYours | CaseError::UnknownCaseType => {
            not_found(state, lang, visitor)
        }
        CaseError::IllegalTransition { .. } => super::message_page(
            state,
            lang,
            Some(&visitor.session),
            StatusCode::CONFLICT,
            lang.lang.t("Ez most nem lehetséges", "Not possible now"),
            lang.lang.t(
                "Az ügy jelenlegi állapotában ez a lépés nem lehetséges.",
                "This step is not possible in the case's present state.",
            ),
        ),
        e => {
            tracing::error!(error = %e, "case use case failed");
            unavailable(state, lang, Some(visitor))
        }
    }
}

#[derive(Template)]
#[template(path = "case_form.html")]
struct FormBody<'a> {
    lang: Lang,
    action: String,
    csrf: &'a str,
    items: Vec<Item>,
    intro: String,
}

fn form_page(
    lang: PageLang,
    visitor: &Visitor,
    case_type: &CaseType,
    action: String,
    raw: &RawForm,
    problems: &form::Problems,
) -> Response {
    let rendered = form::render(
        &case_type.form_schema,
        raw,
        problems,
        lang.lang,
        "case-form",
    );
    let name = lang.lang.t(&case_type.name.hu, &case_type.name.en);
    visitor_page(lang, name, "", visitor)
        .errors(rendered.errors)
        .template(&FormBody {
            lang: lang.lang,
            action,
            csrf: visitor.csrf(),
            items: rendered.items,
            intro: lang
                .lang
                .t(&case_type.description.hu, &case_type.description.en)
                .to_owned(),
        })
}

fn here(path: &str) -> String {
    path.to_owned()
}

/// `GET /my-cases/new/{type_id}`: the empty form of a case type.
pub async fn new_form(
    State(state): State<PortalState>,
    lang: PageLang,
    headers: HeaderMap,
    Path(type_id): Path<String>,
) -> Response {
    let path = format!("/my-cases/new/{type_id}");
    let visitor = match state
        .signin
        .visitor(&headers, &OWN_CASES, &here(&path))
        .await
    {
        Ok(v) => v,
        Err(r) => return crate::pages::refused(&state, lang, r),
    };
    match state.cases.cases.case_type(&type_id).await {
        Ok(t) => form_page(lang, &visitor, &t, path, &RawForm::default(), &Vec::new()),
        Err(e) => failed(&state, lang, &visitor, &e),
    }
}

/// What a posted case form asks: one more group (not saved), or its checked JSON.
enum Posted {
    AddGroup(RawForm),
    Invalid(RawForm, form::Problems),
    Valid(serde_json::Value),
}

fn read_posted(case_type: &CaseType, pairs: &[(String, String)]) -> Posted {
    let mut raw = RawForm::from_pairs(pairs);
    if let Some((_, path)) = pairs.iter().find(|(k, _)| k == ADD_FIELD) {
        raw.add_group(&case_type.form_schema, path);
        return Posted::AddGroup(raw);
    }
    let (json, mut problems) = form::parse(&case_type.form_schema, &raw);
    problems.extend(form::validate(&case_type.form_schema, &json));
    if problems.is_empty() {
        Posted::Valid(json)
    } else {
        Posted::Invalid(raw, problems)
    }
}

fn posted_csrf(pairs: &[(String, String)]) -> Option<&str> {
    pairs
        .iter()
        .find(|(k, _)| k == varoskapu_web::csrf::FIELD)
        .map(|(_, v)| v.as_str())
}

/// `POST /my-cases/new/{type_id}`: a valid form starts a draft; otherwise the form comes
/// back with its errors and nothing is saved.
pub async fn create(
    State(state): State<PortalState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    Path(type_id): Path<String>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Response {
    let path = format!("/my-cases/new/{type_id}");
    let visitor = match state.signin.visitor(&headers, &OWN_CASES, &path).await {
        Ok(v) => v,
        Err(r) => return crate::pages::refused(&state, lang, r),
    };
    if !visitor.form_ok(posted_csrf(&pairs)) {
        return csrf_refused(&state, lang, &visitor);
    }
    let case_type = match state.cases.cases.case_type(&type_id).await {
        Ok(t) => t,
        Err(e) => return failed(&state, lang, &visitor, &e),
    };
    match read_posted(&case_type, &pairs) {
        Posted::AddGroup(raw) => form_page(lang, &visitor, &case_type, path, &raw, &Vec::new()),
        Posted::Invalid(raw, problems) => {
            form_page(lang, &visitor, &case_type, path, &raw, &problems)
        }
        Posted::Valid(json) => {
            match state
                .cases
                .cases
                .create_draft(&by(&visitor, &origin), &type_id, json)
                .await
            {
                Ok(case) => see_other(&format!("/my-cases/{}/documents", case.id)),
                Err(e) => failed(&state, lang, &visitor, &e),
            }
        }
    }
}

/// A draft of the visitor's, with its case type.
async fn own_draft(
    state: &PortalState,
    visitor: &Visitor,
    id: Uuid,
) -> Result<(varoskapu_core::cases::Case, CaseType), CaseError> {
    let case = state
        .cases
        .cases
        .case_of(&visitor.principal.account, id)
        .await?;
    let case_type = state.cases.cases.case_type(&case.case_type).await?;
    Ok((case, case_type))
}

/// `GET /my-cases/{case_id}/form`: a draft's form, to change it.
pub async fn edit_form(
    State(state): State<PortalState>,
    lang: PageLang,
    headers: HeaderMap,
    Path(case_id): Path<String>,
) -> Response {
    let path = format!("/my-cases/{case_id}/form");
    let (visitor, id) = match own_case(&state, &headers, lang, &path, &case_id).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    match own_draft(&state, &visitor, id).await {
        Ok((case, t)) if case.status == CaseStatus::Draft => {
            let raw = RawForm::from_json(&t.form_schema, &case.form);
            form_page(lang, &visitor, &t, path, &raw, &Vec::new())
        }
        Ok(_) => see_other(&format!("/my-cases/{id}")),
        Err(e) => failed(&state, lang, &visitor, &e),
    }
}

/// `POST /my-cases/{case_id}/form`: saves a draft's changed form when it is valid.
pub async fn update(
    State(state): State<PortalState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    Path(case_id): Path<String>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Response {
    let path = format!("/my-cases/{case_id}/form");
    let (visitor, id) = match own_case(&state, &headers, lang, &path, &case_id).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    if !visitor.form_ok(posted_csrf(&pairs)) {
        return csrf_refused(&state, lang, &visitor);
    }
    let case_type = match own_draft(&state, &visitor, id).await {
        Ok((_, t)) => t,
        Err(e) => return failed(&state, lang, &visitor, &e),
    };
    match read_posted(&case_type, &pairs) {
        Posted::AddGroup(raw) => form_page(lang, &visitor, &case_type, path, &raw, &Vec::new()),
        Posted::Invalid(raw, problems) => {
            form_page(lang, &visitor, &case_type, path, &raw, &problems)
        }
        Posted::Valid(json) => match state
            .cases
            .cases
            .update_draft(&by(&visitor, &origin), id, json)
            .await
        {
            Ok(_) => see_other(&format!("/my-cases/{id}/documents")),
            Err(e) => failed(&state, lang, &visitor, &e),
        },
    }
}

/// A document kind of a case type as the documents page lists it.
struct DocumentLine {
    kind: String,
    name: String,
    required: bool,
    rules: String,
    attached: Option<String>,
}

#[derive(Template)]
#[template(path = "documents.html")]
struct DocumentsBody<'a> {
    lang: Lang,
    id: Uuid,
    csrf: &'a str,
    lines: Vec<DocumentLine>,
    idempotency_key: String,
}

async fn documents_page(
    state: &PortalState,
    lang: PageLang,
    visitor: &Visitor,
    id: Uuid,
    errors: FieldErrors,
    notice: Option<String>,
) -> Response {
    let (case, t) = match own_draft(state, visitor, id).await {
        Ok(found) => found,
        Err(e) => return failed(state, lang, visitor, &e),
    };
    if case.status != CaseStatus::Draft {
        return see_other(&format!("/my-cases/{id}"));
    }
    let entry = super::catalogue::Entry::of(&t, lang.lang);
    let lines = t
        .documents
        .iter()
        .zip(entry.documents)
        .map(|(d, (name, required, rules))| DocumentLine {
            kind: d.kind.clone(),
            attached: case
                .documents
                .iter()
                .find(|a| a.kind == d.kind)
                .map(|a| format!("{}, {} kB", a.media_type, a.size.div_ceil(1024))),
            name,
            required,
            rules,
        })
        .collect();
    let title = match lang.lang {
        Lang::Hu => format!("{}: dokumentumok és benyújtás", t.name.hu),
        Lang::En => format!("{}: documents and submission", t.name.en),
    };
    let mut page = visitor_page(lang, &title, "", visitor).errors(errors);
    if let Some(n) = notice {
        page = page.notice(n);
    }
    page.template(&DocumentsBody {
        lang: lang.lang,
        id,
        csrf: visitor.csrf(),
        lines,
        idempotency_key: varoskapu_core::secrets::random_token(),
    })
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    attached: Option<String>,
}

/// `GET /my-cases/{case_id}/documents`: attach documents, then submit.
pub async fn documents(
    State(state): State<PortalState>,
    lang: PageLang,
    headers: HeaderMap,
    Path(case_id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let path = format!("/my-cases/{case_id}/documents");
    let (visitor, id) = match own_case(&state, &headers, lang, &path, &case_id).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let notice = q.attached.map(|_| {
        lang.lang
            .t("A dokumentumot csatoltuk.", "The document is attached.")
            .to_owned()
    });
    documents_page(&state, lang, &visitor, id, FieldErrors::default(), notice).await
}

/// The fields of an upload form.
#[derive(Default)]
struct Upload {
    csrf: Option<String>,
    kind: Option<String>,
    answer: Option<String>,
    file: Option<(bytes::Bytes, String)>,
}

async fn read_upload(mut multipart: Multipart) -> Result<Upload, ()> {
    let mut upload = Upload::default();
    while let Some(field) = multipart.next_field().await.map_err(|_| ())? {
        match field.name() {
            Some("csrf") => upload.csrf = Some(field.text().await.map_err(|_| ())?),
            Some("kind") => upload.kind = Some(field.text().await.map_err(|_| ())?),
            Some("answer") => upload.answer = Some(field.text().await.map_err(|_| ())?),
            Some("file") => {
                let declared = field
                    .content_type()
                    .unwrap_or("application/octet-stream")
                    .to_owned();
                let bytes = field.bytes().await.map_err(|_| ())?;
                if !bytes.is_empty() {
                    upload.file = Some((bytes, declared));
                }
            }
            _ => {}
        }
    }
    Ok(upload)
}

/// The document path of the API in one step: announce (digest, size, media type), store
/// the bytes where the announced upload goes, attach (digest, size and sniffed type checked).
async fn store_document(
    state: &PortalState,
    by: &CitizenActor,
    id: Uuid,
    kind: &str,
    bytes: bytes::Bytes,
    declared: &str,
) -> Result<Uuid, CaseError> {
    let sha256 = Sha256Digest::of(&bytes);
    // The type announced is what the bytes are, as the attach step will find them.
    let media_type = varoskapu_core::cases::media::sniff(&bytes)
        .unwrap_or(declared)
        .to_owned();
    let grant = state
        .cases
        .cases
        .upload_intent(
            by,
            id,
            UploadRequest {
                kind: kind.to_owned(),
                sha256: sha256.to_hex(),
                size: bytes.len() as u64,
                media_type: media_type.clone(),
            },
        )
        .await?;
    let intent = state
        .cases
        .cases
        .store
        .upload(id, grant.upload_id)
        .await?
        .ok_or(CaseError::UnknownUpload)?;
    state
        .cases
        .cases
        .uploads
        .put(BlobPut {
            key: intent.blob_key,
            bytes,
            sha256,
            content_type: media_type,
            write_once: false,
        })
        .await?;
    Ok(state.cases.cases.attach(by, id, grant.upload_id).await?.id)
}

fn upload_problem(e: &CaseError, lang: Lang) -> Option<String> {
    Some(match e {
        CaseError::DocumentTooLarge { max_bytes } => match lang {
            Lang::Hu => format!(
                "A fájl túl nagy; legfeljebb {} MB lehet.",
                max_bytes.div_ceil(1024 * 1024)
            ),
            Lang::En => format!(
                "The file is too large; at most {} MB.",
                max_bytes.div_ceil(1024 * 1024)
            ),
        },
        CaseError::MediaTypeNotAccepted { accepted, .. } => match lang {
            Lang::Hu => format!(
                "Ilyen típusú fájlt nem fogadunk el. Elfogadott: {}.",
                accepted.join(", ")
            ),
            Lang::En => format!(
                "This type of file is not accepted. Accepted: {}.",
                accepted.join(", ")
            ),
        },
        CaseError::UnknownDocumentKind(_) => lang
            .t(
                "Válassza ki a dokumentum fajtáját.",
                "Choose the kind of document.",
            )
            .to_owned(),
        CaseError::UploadChecksumMismatch | CaseError::UploadNotReceived => lang
            .t(
                "A fájl nem érkezett meg épen. Kérjük, küldje el újra.",
                "The file did not arrive intact. Please send it again.",
            )
            .to_owned(),
        _ => return None,
    })
}

/// `POST /my-cases/{case_id}/documents` (multipart): attaches one document.
pub async fn upload(
    State(state): State<PortalState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    Path(case_id): Path<String>,
    multipart: Multipart,
) -> Response {
    let path = format!("/my-cases/{case_id}/documents");
    let (visitor, id) = match own_case(&state, &headers, lang, &path, &case_id).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let upload = read_upload(multipart).await.unwrap_or_default();
    if !visitor.form_ok(upload.csrf.as_deref()) {
        return csrf_refused(&state, lang, &visitor);
    }
    let mut errors = FieldErrors::default();
    let Some((bytes, declared)) = upload.file else {
        errors.add(
            "file",
            lang.lang.t("Válasszon ki egy fájlt.", "Choose a file."),
        );
        return documents_page(&state, lang, &visitor, id, errors, None).await;
    };
    let kind = upload.kind.unwrap_or_default();
    match store_document(&state, &by(&visitor, &origin), id, &kind, bytes, &declared).await {
        Ok(_) => see_other(&format!("/my-cases/{id}/documents?attached=1")),
        Err(e) => match upload_problem(&e, lang.lang) {
            Some(message) => {
                errors.add("file", message);
                documents_page(&state, lang, &visitor, id, errors, None).await
            }
            None => failed(&state, lang, &visitor, &e),
        },
    }
}

#[derive(Deserialize)]
pub struct SubmitForm {
    csrf: Option<String>,
    idempotency_key: Option<String>,
}

/// `POST /my-cases/{case_id}/submit`: submits the draft. The form carries an idempotency
/// key made when it was shown, so a second click returns the first submission.
pub async fn submit(
    State(state): State<PortalState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    Path(case_id): Path<String>,
    axum::Form(form): axum::Form<SubmitForm>,
) -> Response {
    let path = format!("/my-cases/{case_id}/documents");
    let (visitor, id) = match own_case(&state, &headers, lang, &path, &case_id).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    if !visitor.form_ok(form.csrf.as_deref()) {
        return csrf_refused(&state, lang, &visitor);
    }
    let key = form.idempotency_key.filter(|k| !k.is_empty());
    let fingerprint = idempotency::fingerprint(id.as_bytes());
    let result = state
        .cases
        .cases
        .submit(
            &by(&visitor, &origin),
            id,
            None,
            state.cases.forms.as_ref(),
            key.as_deref().map(|k| (k, fingerprint.as_str())),
        )
        .await;
    match result {
        Ok(case) => see_other(&format!("/my-cases/{}?submitted=1", case.id)),
        Err(CaseError::MissingDocuments(kinds)) => {
            let mut errors = FieldErrors::default();
            errors.add(
                format!("doc-{}", kinds.first().cloned().unwrap_or_default()),
                lang.lang.t(
                    "Csatolja a kötelező dokumentumokat.",
                    "Attach the required documents.",
                ),
            );
            documents_page(&state, lang, &visitor, id, errors, None).await
        }
        Err(CaseError::InvalidForm(_)) => see_other(&format!("/my-cases/{id}/form")),
        Err(CaseError::IllegalTransition { .. }) => see_other(&format!("/my-cases/{id}")),
        Err(e) => failed(&state, lang, &visitor, &e),
    }
}

struct Line {
    id: Uuid,
    name: String,
    number: String,
    status: &'static str,
    deadline: String,
}

#[derive(Template)]
#[template(path = "cases.html")]
struct ListBody {
    lang: Lang,
    lines: Vec<Line>,
}

fn deadline_text(view: &CaseView, lang: Lang) -> String {
    match &view.deadline {
        Some(d) if d.paused => lang.t("szünetel", "paused").to_owned(),
        Some(d) => match lang {
            Lang::Hu => format!("{} ({} munkanap van hátra)", d.due, d.days_left.max(0)),
            Lang::En => format!("{} ({} working days left)", d.due, d.days_left.max(0)),
        },
        None => "–".to_owned(),
    }
}

async fn type_names(state: &PortalState, lang: Lang) -> Vec<(String, String)> {
    state
        .cases
        .cases
        .catalogue()
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|t| (t.id, lang.t(&t.name.hu, &t.name.en).to_owned()))
        .collect()
}

/// `GET /my-cases`: the visitor's cases, newest first.
pub async fn list(
    State(state): State<PortalState>,
    lang: PageLang,
    headers: HeaderMap,
) -> Response {
    let visitor = match state
        .signin
        .visitor(&headers, &OWN_CASES, "/my-cases")
        .await
    {
        Ok(v) => v,
        Err(r) => return crate::pages::refused(&state, lang, r),
    };
    let cases = match state.cases.cases.cases_of(&visitor.principal.account).await {
        Ok(c) => c,
        Err(e) => return failed(&state, lang, &visitor, &e),
    };
    let names = type_names(&state, lang.lang).await;
    let today = state.cases.cases.today();
    let lines = cases
        .iter()
        .map(|c| {
            let view = CaseView::of(c, today);
            Line {
                id: c.id,
                name: names
                    .iter()
                    .find(|(id, _)| *id == c.case_type)
                    .map_or(c.case_type.clone(), |(_, n)| n.clone()),
                number: c.arrival_number.clone().unwrap_or_else(|| "–".into()),
                status: status_text(c.status, lang.lang),
                deadline: deadline_text(&view, lang.lang),
            }
        })
        .collect();
    visitor_page(
        lang,
        lang.lang.t("Ügyeim", "My cases"),
        "/my-cases",
        &visitor,
    )
    .template(&ListBody {
        lang: lang.lang,
        lines,
    })
}

struct HistoryLine {
    at: String,
    status: &'static str,
    by: &'static str,
    remark: String,
}

struct PaymentLine {
    id: Uuid,
    method: &'static str,
    status: &'static str,
    at: String,
    receipt: bool,
}

struct RequestLine {
    message: String,
    requested_at: String,
    answer: Option<String>,
}

#[derive(Template)]
#[template(path = "case.html")]
struct CaseBody<'a> {
    errors: &'a FieldErrors,
    lang: Lang,
    id: Uuid,
    csrf: &'a str,
    status: &'static str,
    draft: bool,
    number: String,
    deadline: String,
    fee: Option<String>,
    fee_due: bool,
    receipt: bool,
    decision: Option<String>,
    payments: Vec<PaymentLine>,
    answering: bool,
    history: Vec<HistoryLine>,
    requests: Vec<RequestLine>,
    documents: Vec<String>,
}

#[derive(Deserialize)]
pub struct DetailQuery {
    submitted: Option<String>,
    answered: Option<String>,
    paid: Option<String>,
}

async fn case_page(
    state: &PortalState,
    lang: PageLang,
    visitor: &Visitor,
    id: Uuid,
    errors: FieldErrors,
    notice: Option<String>,
) -> Response {
    let case = match state
        .cases
        .cases
        .case_of(&visitor.principal.account, id)
        .await
    {
        Ok(c) => c,
        Err(e) => return failed(state, lang, visitor, &e),
    };
    let l = lang.lang;
    let view = CaseView::of(&case, state.cases.cases.today());
    let names = type_names(state, l).await;
    let name = names
        .iter()
        .find(|(t, _)| *t == case.case_type)
        .map_or(case.case_type.clone(), |(_, n)| n.clone());
    let local = |t: jiff::Timestamp| state.cases.cases.local_time(t);
    let payments = match state.payments.payments.store.of_case(id).await {
        Ok(p) => p,
        Err(e) => return failed(state, lang, visitor, &CaseError::Table(e)),
    };
    let body = CaseBody {
        errors: &errors,
        lang: l,
        id,
        csrf: visitor.csrf(),
        status: status_text(case.status, l),
        draft: case.status == CaseStatus::Draft,
        number: view.arrival_number.clone().unwrap_or_else(|| "–".into()),
        deadline: deadline_text(&view, l),
        fee: view.fee.as_ref().map(|f| money(f.amount, &f.currency)),
        fee_due: case.status == CaseStatus::AwaitingPayment,
        receipt: view.receipt.is_some(),
        decision: view.decision.as_ref().map(|d| {
            match d.outcome {
                Outcome::Approve => l.t("Jóváhagyva", "Approved"),
                Outcome::Reject => l.t("Elutasítva", "Rejected"),
                Outcome::Partial => l.t("Részben jóváhagyva", "Approved in part"),
            }
            .to_owned()
        }),
        payments: payments
            .iter()
            .map(|p| PaymentLine {
                id: p.id,
                method: match p.method {
                    PaymentMethod::Card => l.t("bankkártya", "card"),
                    PaymentMethod::BankTransfer => l.t("átutalás", "bank transfer"),
                    PaymentMethod::Cash => l.t("készpénz", "cash"),
                    PaymentMethod::Pos => l.t("bankkártya a pénztárban", "card at the desk"),
                },
                status: super::payments::status_text(p.status, l),
                at: local(p.created_at),
                receipt: p.status == PaymentStatus::Succeeded,
            })
            .collect(),
        answering: case.status == CaseStatus::WaitingForCitizen,
        history: view
            .history
            .iter()
            .rev()
            .map(|h| HistoryLine {
                at: local(h.at),
                status: status_text(h.to, l),
                by: match h.by {
                    "citizen" => l.t("Ön", "You"),
                    "clerk" => l.t("ügyintéző", "clerk"),
                    "signatory" => l.t("kiadmányozó", "signatory"),
                    _ => l.t("rendszer", "system"),
                },
                remark: h.remark.clone().unwrap_or_default(),
            })
            .collect(),
        requests: view
            .information_requests
            .iter()
            .map(|r| RequestLine {
                message: r.message.clone(),
                requested_at: local(r.requested_at),
                answer: r.answer.clone(),
            })
            .collect(),
        documents: view
            .documents
            .iter()
            .map(|d| {
                format!(
                    "{} ({}, {} kB)",
                    d.kind,
                    d.media_type,
                    d.size.div_ceil(1024)
                )
            })
            .collect(),
    };
    let title = match l {
        Lang::Hu => format!("{name} – ügy"),
        Lang::En => format!("{name} – case"),
    };
    let mut page = visitor_page(lang, &title, "", visitor).errors(errors.clone());
    if let Some(n) = notice {
        page = page.notice(n);
    }
    page.template(&body)
}

/// `GET /my-cases/{case_id}`: one of the visitor's cases.
pub async fn detail(
    State(state): State<PortalState>,
    lang: PageLang,
    headers: HeaderMap,
    Path(case_id): Path<String>,
    Query(q): Query<DetailQuery>,
) -> Response {
    let path = format!("/my-cases/{case_id}");
    let (visitor, id) = match own_case(&state, &headers, lang, &path, &case_id).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let l = lang.lang;
    let notice = if q.submitted.is_some() {
        Some(l.t(
            "Kérelmét benyújtotta. Az átvételi elismervényt lent letöltheti.",
            "Your application is submitted. You can download the receipt below.",
        ))
    } else if q.answered.is_some() {
        Some(l.t(
            "Válaszát elküldtük az ügyintézőnek.",
            "Your answer is sent to the clerk.",
        ))
    } else if q.paid.is_some() {
        Some(l.t(
            "Köszönjük, a díjfizetést rögzítettük.",
            "Thank you, the payment is recorded.",
        ))
    } else {
        None
    };
    case_page(
        &state,
        lang,
        &visitor,
        id,
        FieldErrors::default(),
        notice.map(str::to_owned),
    )
    .await
}

/// `POST /my-cases/{case_id}/answer` (multipart): answers the open request for missing
/// information with text and, if chosen, a document.
pub async fn answer(
    State(state): State<PortalState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    Path(case_id): Path<String>,
    multipart: Multipart,
) -> Response {
    let path = format!("/my-cases/{case_id}");
    let (visitor, id) = match own_case(&state, &headers, lang, &path, &case_id).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let form = read_upload(multipart).await.unwrap_or_default();
    if !visitor.form_ok(form.csrf.as_deref()) {
        return csrf_refused(&state, lang, &visitor);
    }
    let answer = form.answer.unwrap_or_default();
    let mut errors = FieldErrors::default();
    if answer.trim().is_empty() {
        errors.add(
            "answer",
            lang.lang.t("Írja meg a válaszát.", "Write your answer."),
        );
        return case_page(&state, lang, &visitor, id, errors, None).await;
    }
    let by = by(&visitor, &origin);
    let mut documents = Vec::new();
    if let Some((bytes, declared)) = form.file {
        match store_document(&state, &by, id, ANSWER_DOCUMENT_KIND, bytes, &declared).await {
            Ok(document) => documents.push(document),
            Err(e) => {
                return match upload_problem(&e, lang.lang) {
                    Some(message) => {
                        errors.add("answer-file", message);
                        case_page(&state, lang, &visitor, id, errors, None).await
                    }
                    None => failed(&state, lang, &visitor, &e),
                };
            }
        }
    }
    match state
        .cases
        .cases
        .answer_info_request(&by, id, answer, documents)
        .await
    {
        Ok(_) => see_other(&format!("/my-cases/{id}?answered=1")),
        Err(e) => failed(&state, lang, &visitor, &e),
    }
}

/// `GET /my-cases/{case_id}/receipt.pdf`: the signed submission receipt.
pub async fn receipt(
    State(state): State<PortalState>,
    lang: PageLang,
    headers: HeaderMap,
    Path(case_id): Path<String>,
) -> Response {
    let path = format!("/my-cases/{case_id}");
    let (visitor, id) = match own_case(&state, &headers, lang, &path, &case_id).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let case = match state
        .cases
        .cases
        .case_of(&visitor.principal.account, id)
        .await
    {
        Ok(c) => c,
        Err(e) => return failed(&state, lang, &visitor, &e),
    };
    let Some(receipt) = case.receipt else {
        return not_found(&state, lang, &visitor);
    };
    match state.cases.cases.documents.get(&receipt.blob_key).await {
        Ok(blob) => pdf_response(blob.bytes.to_vec(), "atveteli-elismerveny.pdf"),
        Err(e) => failed(&state, lang, &visitor, &CaseError::Blob(e)),
    }
}

/// `GET /my-cases/{case_id}/decision.pdf`: the signed decision (fetching it delivers it).
pub async fn decision(
    State(state): State<PortalState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    Path(case_id): Path<String>,
) -> Response {
    let path = format!("/my-cases/{case_id}");
    let (visitor, id) = match own_case(&state, &headers, lang, &path, &case_id).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    match state
        .cases
        .cases
        .fetch_decision(&by(&visitor, &origin), id)
        .await
    {
        Ok((_, blob)) => pdf_response(blob.bytes.to_vec(), "hatarozat.pdf"),
        Err(CaseError::IllegalTransition { .. }) => not_found(&state, lang, &visitor),
        Err(e) => failed(&state, lang, &visitor, &e),
    }
}
