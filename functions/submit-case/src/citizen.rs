//! The citizen's case routes: every one acts on the caller's own cases only, and a case of
//! someone else answers exactly like one that does not exist.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;
use varoskapu_case_api::extract::{CaseId, IdempotencyKey, Origin};
use varoskapu_case_api::pdf::pdf_response;
use varoskapu_case_api::views::CaseView;
use varoskapu_case_api::{ApiError, CasesState};
use varoskapu_core::cases::{AttachedDocument, UploadRequest};
use varoskapu_core::idempotency;
use varoskapu_http::auth::Authenticated;
use varoskapu_http::{ApiJson, Problem, ProblemKind};

/// A new draft.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewCase {
    pub case_type: String,
    /// The form so far; validated only on submission.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub form: Value,
}

/// A draft's form.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct FormBody {
    #[schema(value_type = Object)]
    pub form: Value,
}

/// Where to send the announced bytes.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UploadTicket {
    pub upload_id: Uuid,
    pub method: String,
    pub url: String,
    /// Headers to send exactly as given.
    pub headers: Vec<(String, String)>,
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: Timestamp,
}

/// Which upload to attach.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct AttachBody {
    pub upload_id: Uuid,
}

/// The optional final form of a submission.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct SubmitBody {
    #[schema(value_type = Option<Object>)]
    pub form: Option<Value>,
}

/// An answer to a request for missing information.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct AnswerBody {
    #[serde(default)]
    pub answer: String,
    /// Documents attached (kind `missing_information`) since the request.
    #[serde(default)]
    pub documents: Vec<Uuid>,
}

/// An appeal against a delivered decision.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct AppealBody {
    /// Why the decision is wrong; not blank.
    #[schema(pattern = "\\S")]
    pub reasoning: String,
}

fn view(state: &CasesState, case: &varoskapu_core::cases::Case) -> Json<CaseView> {
    Json(CaseView::of(case, state.cases.today()))
}

/// Starts a draft.
#[utoipa::path(post, path = "/cases", tag = "cases", request_body = NewCase,
    responses((status = 201, body = CaseView), (status = 404, body = Problem)))]
pub async fn create(
    State(state): State<CasesState>,
    Authenticated(p): Authenticated,
    origin: Origin,
    ApiJson(body): ApiJson<NewCase>,
) -> Result<Response, ApiError> {
    let case = state
        .cases
        .create_draft(&origin.citizen(&p), &body.case_type, body.form)
        .await?;
    Ok((StatusCode::CREATED, view(&state, &case)).into_response())
}

/// The caller's cases, newest first.
#[utoipa::path(get, path = "/cases", tag = "cases", responses((status = 200, body = Vec<CaseView>)))]
pub async fn list(
    State(state): State<CasesState>,
    Authenticated(p): Authenticated,
) -> Result<Json<Vec<CaseView>>, ApiError> {
    let today = state.cases.today();
    let cases = state.cases.cases_of(&p.account).await?;
    Ok(Json(cases.iter().map(|c| CaseView::of(c, today)).collect()))
}

/// One of the caller's cases with its history.
#[utoipa::path(get, path = "/cases/{case_id}", tag = "cases", params(("case_id" = Uuid, Path)),
    responses((status = 200, body = CaseView), (status = 404, body = Problem)))]
pub async fn get_one(
    State(state): State<CasesState>,
    Authenticated(p): Authenticated,
    id: CaseId,
) -> Result<Json<CaseView>, ApiError> {
    let case = state.cases.case_of(&p.account, id.get()).await?;
    Ok(view(&state, &case))
}

/// Replaces a draft's form.
#[utoipa::path(put, path = "/cases/{case_id}/form", tag = "cases", params(("case_id" = Uuid, Path)), request_body = FormBody,
    responses((status = 200, body = CaseView), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn update_form(
    State(state): State<CasesState>,
    Authenticated(p): Authenticated,
    origin: Origin,
    id: CaseId,
    ApiJson(body): ApiJson<FormBody>,
) -> Result<Json<CaseView>, ApiError> {
    let case = state
        .cases
        .update_draft(&origin.citizen(&p), id.get(), body.form)
        .await?;
    Ok(view(&state, &case))
}

/// Announces a document (kind, SHA-256, size, media type) and gets a one-time upload URL;
/// oversized or unaccepted documents are refused here already.
#[utoipa::path(post, path = "/cases/{case_id}/uploads", tag = "cases", params(("case_id" = Uuid, Path)), request_body = UploadRequest,
    responses((status = 201, body = UploadTicket), (status = 413, body = Problem),
        (status = 415, body = Problem), (status = 404, body = Problem)))]
pub async fn upload_intent(
    State(state): State<CasesState>,
    Authenticated(p): Authenticated,
    origin: Origin,
    id: CaseId,
    ApiJson(body): ApiJson<UploadRequest>,
) -> Result<Response, ApiError> {
    let grant = state
        .cases
        .upload_intent(&origin.citizen(&p), id.get(), body)
        .await?;
    let ticket = UploadTicket {
        upload_id: grant.upload_id,
        method: grant.request.method,
        url: grant.request.url,
        headers: grant.request.headers,
        expires_at: grant.request.expires_at,
    };
    Ok((StatusCode::CREATED, Json(ticket)).into_response())
}

/// Attaches an uploaded document once its digest, size and sniffed media type check out.
#[utoipa::path(post, path = "/cases/{case_id}/documents", tag = "cases", params(("case_id" = Uuid, Path)), request_body = AttachBody,
    responses((status = 201, body = AttachedDocument), (status = 413, body = Problem),
        (status = 415, body = Problem), (status = 409, body = Problem)))]
pub async fn attach(
    State(state): State<CasesState>,
    Authenticated(p): Authenticated,
    origin: Origin,
    id: CaseId,
    ApiJson(body): ApiJson<AttachBody>,
) -> Result<Response, ApiError> {
    let document = state
        .cases
        .attach(&origin.citizen(&p), id.get(), body.upload_id)
        .await?;
    Ok((StatusCode::CREATED, Json(document)).into_response())
}

/// Submits a draft: the form is validated against the case type's JSON Schema, the arrival
/// number assigned and the signed receipt issued. Send an `Idempotency-Key` to retry safely.
#[utoipa::path(post, path = "/cases/{case_id}/submit", tag = "cases", params(("case_id" = Uuid, Path), varoskapu_http::extract::IdempotencyKeyHeader),
    request_body = SubmitBody,
    responses((status = 200, body = CaseView), (status = 422, body = Problem), (status = 409, body = Problem)))]
pub async fn submit(
    State(state): State<CasesState>,
    Authenticated(p): Authenticated,
    origin: Origin,
    id: CaseId,
    IdempotencyKey(key): IdempotencyKey,
    body: Bytes,
) -> Result<Json<CaseView>, ApiError> {
    let id = id.get();
    let submission: SubmitBody = if body.iter().all(u8::is_ascii_whitespace) {
        SubmitBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            Problem::with_detail(ProblemKind::BadRequest, format!("invalid JSON body: {e}"))
        })?
    };
    let fingerprint = idempotency::fingerprint(&[id.as_bytes().as_slice(), &body].concat());
    let case = state
        .cases
        .submit(
            &origin.citizen(&p),
            id,
            submission.form,
            state.forms.as_ref(),
            key.as_deref().map(|k| (k, fingerprint.as_str())),
        )
        .await?;
    Ok(view(&state, &case))
}

/// The signed submission receipt (PDF).
#[utoipa::path(get, path = "/cases/{case_id}/receipt", tag = "cases", params(("case_id" = Uuid, Path)),
    responses((status = 200, content_type = "application/pdf", body = varoskapu_http::openapi::Binary), (status = 404, body = Problem)))]
pub async fn receipt(
    State(state): State<CasesState>,
    Authenticated(p): Authenticated,
    id: CaseId,
) -> Result<Response, ApiError> {
    let case = state.cases.case_of(&p.account, id.get()).await?;
    let receipt = case
        .receipt
        .ok_or_else(|| Problem::with_detail(ProblemKind::NotFound, "no receipt yet"))?;
    let blob = state
        .cases
        .documents
        .get(&receipt.blob_key)
        .await
        .map_err(Problem::from)?;
    Ok(pdf_response(
        blob.bytes.to_vec(),
        "atveteli-elismerveny.pdf",
    ))
}

/// Answers a request for missing information with text and documents; the case returns to
/// the office and the deadline runs again.
#[utoipa::path(post, path = "/cases/{case_id}/answer", tag = "cases", params(("case_id" = Uuid, Path)), request_body = AnswerBody,
    responses((status = 200, body = CaseView), (status = 409, body = Problem)))]
pub async fn answer(
    State(state): State<CasesState>,
    Authenticated(p): Authenticated,
    origin: Origin,
    id: CaseId,
    ApiJson(body): ApiJson<AnswerBody>,
) -> Result<Json<CaseView>, ApiError> {
    let case = state
        .cases
        .answer_info_request(&origin.citizen(&p), id.get(), body.answer, body.documents)
        .await?;
    Ok(view(&state, &case))
}

/// Appeals a delivered decision within the appeal window; opens a linked appeal case.
#[utoipa::path(post, path = "/cases/{case_id}/appeal", tag = "cases", params(("case_id" = Uuid, Path)), request_body = AppealBody,
    responses((status = 201, body = CaseView), (status = 409, body = Problem)))]
pub async fn appeal(
    State(state): State<CasesState>,
    Authenticated(p): Authenticated,
    origin: Origin,
    id: CaseId,
    ApiJson(body): ApiJson<AppealBody>,
) -> Result<Response, ApiError> {
    let case = state
        .cases
        .appeal(&origin.citizen(&p), id.get(), &body.reasoning)
        .await?;
    Ok((StatusCode::CREATED, view(&state, &case)).into_response())
}
