//! The back-office case routes: clerks (and signatories) only; approval is the signatory's.

use axum::Json;
use axum::extract::State;
use jiff::civil::Date;
use serde::Deserialize;
use varoskapu_case_api::extract::{ApiQuery, CaseId, Origin};
use varoskapu_case_api::views::{DiaryLine, OfficeCaseView, QueueLine};
use varoskapu_case_api::{ApiError, CasesState};
use varoskapu_core::access::Role;
use varoskapu_core::cases::{
    Actor, AppealForwardingRequest, AssigneeFilter, AuditEntry, CaseStatus, Note, OfficeActor,
    Outcome, QueueFilter,
};
use varoskapu_http::auth::{Authenticated, Principal};
use varoskapu_http::extract::{IdKind, PathId};
use varoskapu_http::{ApiJson, Problem, ProblemKind};

/// Attached documents' ids in the path (`…/documents/{document_id}`).
pub struct Documents;

impl IdKind for Documents {
    const PARAM: &'static str = "document_id";
    const NOT_FOUND: &'static str = "no such document";
}

/// The attached document's id of the path; a malformed one names no document (404).
type DocumentId = PathId<Documents>;

/// Filters of the queue.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// Only this status (default: every open status).
    #[param(value_type = Option<varoskapu_core::cases::CaseStatus>)]
    pub status: Option<String>,
    pub case_type: Option<String>,
    /// Only cases due on or before this day (`YYYY-MM-DD`).
    #[param(value_type = Option<String>, format = Date)]
    pub due_by: Option<Date>,
    /// Only cases held by this clerk (account id), or `unassigned`.
    pub assignee: Option<String>,
    /// Only cases that arrived on or after this day (`YYYY-MM-DD`, Europe/Budapest).
    #[param(value_type = Option<String>, format = Date)]
    pub arrived_from: Option<Date>,
    /// Only cases that arrived on or before this day (`YYYY-MM-DD`, Europe/Budapest).
    #[param(value_type = Option<String>, format = Date)]
    pub arrived_to: Option<Date>,
}

/// A request for missing information.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct InformationRequestBody {
    /// What is missing; not blank.
    #[schema(pattern = "\\S")]
    pub text: String,
    /// The day by which the citizen is asked to answer (after today).
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub answer_by: Option<Date>,
}

/// How an appeal went on to the deciding authority.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct AppealForwardingBody {
    #[schema(value_type = String, format = Date)]
    pub received_on: Date,
    /// Not blank.
    #[schema(pattern = "\\S")]
    pub authority: String,
    /// Not before `received_on`, not after today.
    #[schema(value_type = String, format = Date)]
    pub forwarded_on: Date,
}

/// Whom to give the case to.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct AssignBody {
    /// The clerk's account id.
    #[schema(min_length = 1)]
    pub clerk: String,
    /// Take it from the clerk holding it.
    #[serde(default)]
    pub reassign: bool,
}

/// A text: a note, a request for missing information, or a remark.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct TextBody {
    /// Not blank.
    #[schema(pattern = "\\S")]
    pub text: String,
}

/// A drafted decision.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DecisionBody {
    pub outcome: Outcome,
    /// Not blank.
    #[schema(pattern = "\\S")]
    pub reasoning: String,
}

/// The acting clerk or signatory (the route's requirement admitted only office staff).
fn office(p: &Principal, origin: Origin) -> OfficeActor {
    let actor = if p.has_role(Role::Signatory) && !p.has_role(Role::Clerk) {
        Actor::Signatory(p.account.clone())
    } else {
        Actor::Clerk(p.account.clone())
    };
    OfficeActor {
        actor,
        origin: origin.0,
    }
}

fn view(state: &CasesState, case: varoskapu_core::cases::Case) -> Json<OfficeCaseView> {
    Json(OfficeCaseView::of(case, state.cases.today()))
}

/// Cases waiting for the office, earliest deadline first, of the case types of the caller's
/// post (no personal data: open a case to read it, which is audited).
#[utoipa::path(get, path = "/backoffice/cases", tag = "cases-backoffice", params(QueueQuery),
    responses((status = 200, body = Vec<QueueLine>), (status = 403, body = Problem)))]
pub async fn queue(
    State(state): State<CasesState>,
    Authenticated(p): Authenticated,
    ApiQuery(q): ApiQuery<QueueQuery>,
) -> Result<Json<Vec<QueueLine>>, ApiError> {
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => Some(CaseStatus::parse(s).ok_or_else(|| {
            Problem::with_detail(ProblemKind::BadRequest, format!("unknown status {s:?}"))
        })?),
    };
    let filter = QueueFilter {
        status,
        case_type: q.case_type,
        due_by: q.due_by,
        assignee: q.assignee.map(|a| match a.as_str() {
            "unassigned" => AssigneeFilter::Unassigned,
            _ => AssigneeFilter::Clerk(a),
        }),
        arrived_from: q.arrived_from,
        arrived_to: q.arrived_to,
        post: p.claims.case_types.clone(),
    };
    let today = state.cases.today();
    let cases = state.cases.queue(&filter).await?;
    Ok(Json(
        cases.iter().map(|c| QueueLine::of(c, today)).collect(),
    ))
}

/// The deadline diary: open cases of the caller's post by working days left, overdue ones
/// flagged.
#[utoipa::path(get, path = "/backoffice/cases/diary", tag = "cases-backoffice", responses((status = 200, body = Vec<DiaryLine>), (status = 403, body = Problem)))]
pub async fn diary(
    State(state): State<CasesState>,
    Authenticated(p): Authenticated,
) -> Result<Json<Vec<DiaryLine>>, ApiError> {
    let entries = state.cases.diary().await?;
    Ok(Json(
        entries
            .iter()
            .filter(|e| p.post_covers(&e.case.case_type))
            .map(DiaryLine::from)
            .collect(),
    ))
}

/// A case with everything the office knows, the applicant's name and contact included;
/// the read is audited.
#[utoipa::path(get, path = "/backoffice/cases/{case_id}", tag = "cases-backoffice", params(("case_id" = Uuid, Path)),
    responses((status = 200, body = OfficeCaseView), (status = 404, body = Problem)))]
pub async fn get_one(
    State(state): State<CasesState>,
    Authenticated(p): Authenticated,
    origin: Origin,
    id: CaseId,
) -> Result<Json<OfficeCaseView>, ApiError> {
    let by = office(&p, origin);
    let opened = state.cases.view(&by, id.get()).await?;
    Ok(Json(OfficeCaseView::opened(opened, state.cases.today())))
}

/// Takes the case for oneself; an arrived case goes into review.
#[utoipa::path(post, path = "/backoffice/cases/{case_id}/claim", tag = "cases-backoffice", params(("case_id" = Uuid, Path)),
    responses((status = 200, body = OfficeCaseView), (status = 409, body = Problem)))]
pub async fn claim(
    State(state): State<CasesState>,
    Authenticated(p): Authenticated,
    origin: Origin,
    id: CaseId,
) -> Result<Json<OfficeCaseView>, ApiError> {
    let by = office(&p, origin);
    let case = state.cases.claim(&by, id.get()).await?;
    Ok(view(&state, case))
}

/// Gives the case to a clerk.
#[utoipa::path(post, path = "/backoffice/cases/{case_id}/assign", tag = "cases-backoffice", params(("case_id" = Uuid, Path)), request_body = AssignBody,
    responses((status = 200, body = OfficeCaseView), (status = 409, body = Problem)))]
pub async fn assign(
    State(state): State<CasesState>,
    Authenticated(p): Authenticated,
    origin: Origin,
    id: CaseId,
    ApiJson(body): ApiJson<AssignBody>,
) -> Result<Json<OfficeCaseView>, ApiError> {
    let by = office(&p, origin);
    let case = state
        .cases
        .assign(&by, id.get(), &body.clerk, body.reassign)
        .await?;
    Ok(view(&state, case))
}

/// Files the case: assigns its filing number (iktatószám), once.
#[utoipa::path(post, path = "/backoffice/cases/{case_id}/file", tag = "cases-backoffice", params(("case_id" = Uuid, Path)),
    responses((status = 200, body = OfficeCaseView), (status = 409, body = Problem)))]
pub async fn file(
    State(state): State<CasesState>,
    Authenticated(p): Authenticated,
    origin: Origin,
    id: CaseId,
) -> Result<Json<OfficeCaseView>, ApiError> {
    let by = office(&p, origin);
    let case = state.cases.file(&by, id.get()).await?;
    Ok(view(&state, case))
}

/// The case's internal notes; the read is audited.
#[utoipa::path(get, path = "/backoffice/cases/{case_id}/notes", tag = "cases-backoffice", params(("case_id" = Uuid, Path)),
    responses((status = 200, body = Vec<Note>), (status = 404, body = Problem)))]
pub async fn notes(
    State(state): State<CasesState>,
    Authenticated(p): Authenticated,
    origin: Origin,
    id: CaseId,
) -> Result<Json<Vec<Note>>, ApiError> {
    let by = office(&p, origin);
    Ok(Json(state.cases.notes(&by, id.get()).await?))
}

/// Adds an internal note (never shown to the citizen).
#[utoipa::path(post, path = "/backoffice/cases/{case_id}/notes", tag = "cases-backoffice", params(("case_id" = Uuid, Path)), request_body = TextBody,
    responses((status = 201, body = Note), (status = 404, body = Problem)))]
pub async fn add_note(
    State(state): State<CasesState>,
    Authenticated(p): Authenticated,
    origin: Origin,
    id: CaseId,
    ApiJson(body): ApiJson<TextBody>,
) -> Result<(axum::http::StatusCode, Json<Note>), ApiError> {
    let by = office(&p, origin);
    let note = state.cases.add_note(&by, id.get(), &body.text).await?;
    Ok((axum::http::StatusCode::CREATED, Json(note)))
}

/// Asks the citizen for missing information (hiánypótlás): the deadline pauses and the
/// citizen is notified.
#[utoipa::path(post, path = "/backoffice/cases/{case_id}/information-requests", tag = "cases-backoffice",
    params(("case_id" = Uuid, Path)), request_body = InformationRequestBody,
    responses((status = 200, body = OfficeCaseView), (status = 409, body = Problem)))]
pub async fn request_information(
    State(state): State<CasesState>,
    Authenticated(p): Authenticated,
    origin: Origin,
    id: CaseId,
    ApiJson(body): ApiJson<InformationRequestBody>,
) -> Result<Json<OfficeCaseView>, ApiError> {
    let by = office(&p, origin);
    let case = state
        .cases
        .request_information(&by, id.get(), &body.text, body.answer_by)
        .await?;
    Ok(view(&state, case))
}

/// Records that an appeal went on to the authority that decides it (felterjesztés), once.
#[utoipa::path(post, path = "/backoffice/cases/{case_id}/appeal-forwarding", tag = "cases-backoffice",
    params(("case_id" = Uuid, Path)), request_body = AppealForwardingBody,
    responses((status = 200, body = OfficeCaseView), (status = 409, body = Problem)))]
pub async fn forward_appeal(
    State(state): State<CasesState>,
    Authenticated(p): Authenticated,
    origin: Origin,
    id: CaseId,
    ApiJson(body): ApiJson<AppealForwardingBody>,
) -> Result<Json<OfficeCaseView>, ApiError> {
    let by = office(&p, origin);
    let request = AppealForwardingRequest {
        received_on: body.received_on,
        authority: body.authority,
        forwarded_on: body.forwarded_on,
    };
    let case = state.cases.forward_appeal(&by, id.get(), &request).await?;
    Ok(view(&state, case))
}

/// Drafts the decision on a filed case (409 `cases:not-filed` otherwise); where the case
/// type needs no signatory it is issued at once.
#[utoipa::path(post, path = "/backoffice/cases/{case_id}/decision", tag = "cases-backoffice",
    params(("case_id" = Uuid, Path)), request_body = DecisionBody,
    responses((status = 200, body = OfficeCaseView), (status = 409, body = Problem)))]
pub async fn draft_decision(
    State(state): State<CasesState>,
    Authenticated(p): Authenticated,
    origin: Origin,
    id: CaseId,
    ApiJson(body): ApiJson<DecisionBody>,
) -> Result<Json<OfficeCaseView>, ApiError> {
    let by = office(&p, origin);
    let case = state
        .cases
        .draft_decision(&by, id.get(), body.outcome, &body.reasoning)
        .await?;
    Ok(view(&state, case))
}

/// The signatory approves the drafted decision, which is then signed, timestamped and issued.
#[utoipa::path(post, path = "/backoffice/cases/{case_id}/decision/approve", tag = "cases-backoffice",
    params(("case_id" = Uuid, Path)),
    responses((status = 200, body = OfficeCaseView), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn approve(
    State(state): State<CasesState>,
    Authenticated(p): Authenticated,
    origin: Origin,
    id: CaseId,
) -> Result<Json<OfficeCaseView>, ApiError> {
    let by = OfficeActor {
        actor: Actor::Signatory(p.account.clone()),
        origin: origin.0,
    };
    let case = state.cases.approve(&by, id.get()).await?;
    Ok(view(&state, case))
}

/// Sends a drafted decision back for rework.
#[utoipa::path(post, path = "/backoffice/cases/{case_id}/decision/return", tag = "cases-backoffice",
    params(("case_id" = Uuid, Path)), request_body = TextBody,
    responses((status = 200, body = OfficeCaseView), (status = 409, body = Problem)))]
pub async fn return_draft(
    State(state): State<CasesState>,
    Authenticated(p): Authenticated,
    origin: Origin,
    id: CaseId,
    ApiJson(body): ApiJson<TextBody>,
) -> Result<Json<OfficeCaseView>, ApiError> {
    let by = office(&p, origin);
    let case = state.cases.return_draft(&by, id.get(), &body.text).await?;
    Ok(view(&state, case))
}

/// Issues an approved decision whose signing failed earlier (e.g. the TSA was down).
#[utoipa::path(post, path = "/backoffice/cases/{case_id}/decision/issue", tag = "cases-backoffice",
    params(("case_id" = Uuid, Path)),
    responses((status = 200, body = OfficeCaseView), (status = 409, body = Problem)))]
pub async fn issue(
    State(state): State<CasesState>,
    _: Authenticated,
    id: CaseId,
) -> Result<Json<OfficeCaseView>, ApiError> {
    let case = state.cases.issue_decision(id.get()).await?;
    Ok(view(&state, case))
}

/// Who read or changed the case, when and from where: the case's hash-chained audit
/// stream, oldest first (read-only; reading it is recorded too).
#[utoipa::path(get, path = "/backoffice/cases/{case_id}/audit", tag = "cases-backoffice",
    params(("case_id" = Uuid, Path)),
    responses((status = 200, body = Vec<AuditEntry>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn audit(
    State(state): State<CasesState>,
    Authenticated(p): Authenticated,
    origin: Origin,
    id: CaseId,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    let by = office(&p, origin);
    Ok(Json(state.cases.audit_trail_for(&by, id.get()).await?))
}

/// An attached document's bytes, as sniffed on upload; the read is audited.
#[utoipa::path(get, path = "/backoffice/cases/{case_id}/documents/{document_id}", tag = "cases-backoffice",
    params(("case_id" = Uuid, Path), ("document_id" = Uuid, Path)),
    responses((status = 200, content_type = "application/octet-stream", body = varoskapu_http::openapi::Binary), (status = 404, body = Problem)))]
pub async fn document(
    State(state): State<CasesState>,
    Authenticated(p): Authenticated,
    origin: Origin,
    id: CaseId,
    document: DocumentId,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let by = office(&p, origin);
    let (attached, blob) = state
        .cases
        .attachment(&by, id.get(), document.get())
        .await?;
    let mut response = blob.bytes.into_response();
    if let Ok(v) = axum::http::HeaderValue::from_str(&attached.media_type) {
        response
            .headers_mut()
            .insert(axum::http::header::CONTENT_TYPE, v);
    }
    Ok(response)
}
