//! The CRM's handlers: thin — parse, call the use case, answer.

use crate::state::CrmState;
use crate::views::*;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use varoskapu_core::access::Role;
use varoskapu_core::audit::AuditEntry;
use varoskapu_core::cases::Actor;
use varoskapu_core::crm::duplicates::DEFAULT_THRESHOLD;
use varoskapu_core::crm::identify::{IdentifyOutcome, channel};
use varoskapu_core::crm::quality::dsn::{parse_dsn, parse_ses_notification};
use varoskapu_core::crm::search::PageRequest;
use varoskapu_core::crm::{
    BounceReport, CrmActor, CrmError, DuplicatePair, PersonId, PersonInput, SavedSearch,
    ScanReport, SubjectAccess,
};
use varoskapu_http::auth::{Authenticated, Principal};
use varoskapu_http::extract::{ApiQuery, IdKind, IdempotencyKey, IdempotencyKeyHeader, PathId};
use varoskapu_http::{ApiError, ApiJson, ClientAddress, Problem, ProblemKind};

/// Person ids in the path.
pub struct Person;
impl IdKind for Person {
    const PARAM: &'static str = "person_id";
    const NOT_FOUND: &'static str = "no such person";
}
/// Saved search ids in the path.
pub struct Search;
impl IdKind for Search {
    const PARAM: &'static str = "search_id";
    const NOT_FOUND: &'static str = "no such saved search";
}

fn actor(p: &Principal, from: &ClientAddress) -> CrmActor {
    let actor = if p.has_role(Role::Clerk) || p.has_role(Role::Admin) {
        Actor::Clerk(p.account.clone())
    } else {
        Actor::Signatory(p.account.clone())
    };
    CrmActor {
        actor,
        origin: from.text(),
    }
}

/// A page request as the API describes it: 1–200 results, a cursor of at most 200
/// characters; anything else is refused, naming the field.
fn page(limit: Option<usize>, after: Option<String>) -> Result<PageRequest, ApiError> {
    if limit.is_some_and(|l| !(1..=200).contains(&l)) {
        return Err(crm(CrmError::field("/limit", "must be between 1 and 200")));
    }
    if after
        .as_ref()
        .is_some_and(|a| a.is_empty() || a.chars().count() > 200)
    {
        return Err(crm(CrmError::field(
            "/after",
            "is not a cursor of this API",
        )));
    }
    Ok(PageRequest {
        limit: limit.unwrap_or(50),
        after,
    })
}

fn crm(e: CrmError) -> ApiError {
    ApiError::from(e)
}

/// Quick search in one box.
#[utoipa::path(get, path = "/crm/persons", tag = "crm", params(QuickQuery),
    responses((status = 200, body = SearchResults), (status = 400, body = Problem), (status = 422, body = Problem)))]
pub async fn quick_search(
    State(s): State<CrmState>,
    Authenticated(_p): Authenticated,
    ApiQuery(q): ApiQuery<QuickQuery>,
) -> Result<Json<SearchResults>, ApiError> {
    let (records, found) = s
        .crm
        .quick_search(&q.q, page(q.limit, q.after)?)
        .await
        .map_err(crm)?;
    Ok(Json(SearchResults::of(&records, found, s.crm.today())))
}

/// Creates a record (a person served at the desk, an import): every field is checked, the
/// e-mail and phone normalised, a gender inferred from the given name unless declared.
#[utoipa::path(post, path = "/crm/persons", tag = "crm", request_body = PersonInput, params(IdempotencyKeyHeader),
    responses((status = 201, body = PersonView), (status = 422, body = Problem)))]
pub async fn create_person(
    State(s): State<CrmState>,
    Authenticated(p): Authenticated,
    from: ClientAddress,
    IdempotencyKey(key): IdempotencyKey,
    body: Bytes,
) -> Result<(StatusCode, Json<PersonView>), ApiError> {
    let input: PersonInput = varoskapu_http::json::parse(&body)?;
    let fingerprint = varoskapu_core::idempotency::fingerprint(&body);
    let retry = key.as_deref().map(|k| (k, fingerprint.as_str()));
    let record = s
        .crm
        .create(&actor(&p, &from), &input, None, retry)
        .await
        .map_err(crm)?;
    let stored = s
        .crm
        .store
        .get(record.id)
        .await?
        .ok_or_else(|| Problem::new(ProblemKind::Internal))?;
    Ok((
        StatusCode::CREATED,
        Json(PersonView {
            person: stored.record,
            version: stored.version,
        }),
    ))
}

/// Reads one record for a stated purpose; the read is in the audit log.
#[utoipa::path(get, path = "/crm/persons/{person_id}", tag = "crm",
    params(("person_id" = Uuid, Path), ReadQuery),
    responses((status = 200, body = PersonView), (status = 404, body = Problem)))]
pub async fn read_person(
    State(s): State<CrmState>,
    Authenticated(p): Authenticated,
    from: ClientAddress,
    id: PathId<Person>,
    ApiQuery(q): ApiQuery<ReadQuery>,
) -> Result<Json<PersonView>, ApiError> {
    let stored = s
        .crm
        .read(&actor(&p, &from), PersonId(id.get()), q.purpose)
        .await
        .map_err(crm)?;
    Ok(Json(PersonView {
        person: stored.record,
        version: stored.version,
    }))
}

/// Corrects a record read at `version`.
#[utoipa::path(put, path = "/crm/persons/{person_id}", tag = "crm", request_body = UpdateBody,
    params(("person_id" = Uuid, Path)),
    responses((status = 200, body = PersonView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 410, body = Problem), (status = 422, body = Problem)))]
pub async fn update_person(
    State(s): State<CrmState>,
    Authenticated(p): Authenticated,
    from: ClientAddress,
    id: PathId<Person>,
    ApiJson(body): ApiJson<UpdateBody>,
) -> Result<Json<PersonView>, ApiError> {
    let stored = s
        .crm
        .update(
            &actor(&p, &from),
            PersonId(id.get()),
            body.version,
            &body.person,
        )
        .await
        .map_err(crm)?;
    Ok(Json(PersonView {
        person: stored.record,
        version: stored.version,
    }))
}

/// Who read or changed the record, when, from where and why.
#[utoipa::path(get, path = "/crm/persons/{person_id}/audit", tag = "crm",
    params(("person_id" = Uuid, Path)),
    responses((status = 200, body = Vec<AuditEntry>), (status = 404, body = Problem)))]
pub async fn person_audit(
    State(s): State<CrmState>,
    Authenticated(_p): Authenticated,
    id: PathId<Person>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    let id = PersonId(id.get());
    if s.crm.store.get(id).await?.is_none() {
        return Err(crm(CrmError::UnknownPerson));
    }
    Ok(Json(s.crm.trail(id).await.map_err(crm)?))
}

/// Advanced search: any number of conditions combined with all / any / not.
#[utoipa::path(post, path = "/crm/search", tag = "crm", request_body = SearchBody,
    responses((status = 200, body = SearchResults), (status = 400, body = Problem), (status = 422, body = Problem)))]
pub async fn advanced_search(
    State(s): State<CrmState>,
    Authenticated(_p): Authenticated,
    ApiJson(body): ApiJson<SearchBody>,
) -> Result<Json<SearchResults>, ApiError> {
    let (records, found) = s
        .crm
        .advanced_search(&body.criteria, page(body.limit, body.after)?)
        .await
        .map_err(crm)?;
    Ok(Json(SearchResults::of(&records, found, s.crm.today())))
}

/// The saved searches.
#[utoipa::path(get, path = "/crm/searches", tag = "crm",
    responses((status = 200, body = Vec<SavedSearch>)))]
pub async fn list_searches(
    State(s): State<CrmState>,
    Authenticated(_p): Authenticated,
) -> Result<Json<Vec<SavedSearch>>, ApiError> {
    Ok(Json(s.crm.saved_searches().await.map_err(crm)?))
}

/// Saves a search with a name: its result is a live audience.
#[utoipa::path(post, path = "/crm/searches", tag = "crm", request_body = SaveSearchBody,
    responses((status = 201, body = SavedSearch), (status = 422, body = Problem)))]
pub async fn save_search(
    State(s): State<CrmState>,
    Authenticated(p): Authenticated,
    from: ClientAddress,
    ApiJson(body): ApiJson<SaveSearchBody>,
) -> Result<(StatusCode, Json<SavedSearch>), ApiError> {
    let saved = s
        .crm
        .save_search(&actor(&p, &from), &body.name, body.criteria)
        .await
        .map_err(crm)?;
    Ok((StatusCode::CREATED, Json(saved)))
}

/// A saved search with a page of its result as of now.
#[utoipa::path(get, path = "/crm/searches/{search_id}", tag = "crm",
    params(("search_id" = Uuid, Path), PageQuery),
    responses((status = 200, body = SavedSearchResults), (status = 400, body = Problem), (status = 404, body = Problem)))]
pub async fn search_results(
    State(s): State<CrmState>,
    Authenticated(_p): Authenticated,
    id: PathId<Search>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<SavedSearchResults>, ApiError> {
    let search = s.crm.saved_search(id.get()).await.map_err(crm)?;
    let (records, found) = s
        .crm
        .advanced_search(&search.criteria, page(q.limit, q.after)?)
        .await
        .map_err(crm)?;
    Ok(Json(SavedSearchResults {
        search,
        results: SearchResults::of(&records, found, s.crm.today()),
    }))
}

/// Removes a saved search: its owner or an administrator.
#[utoipa::path(delete, path = "/crm/searches/{search_id}", tag = "crm",
    params(("search_id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete_search(
    State(s): State<CrmState>,
    Authenticated(p): Authenticated,
    from: ClientAddress,
    id: PathId<Search>,
) -> Result<StatusCode, ApiError> {
    s.crm
        .delete_search(&actor(&p, &from), id.get(), p.has_role(Role::Admin))
        .await
        .map_err(crm)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every record meeting the criteria as CSV (UTF-8, RFC 4180); each exported record and
/// the export itself are in the audit log.
#[utoipa::path(post, path = "/crm/exports", tag = "crm", request_body = ExportBody,
    responses((status = 200, content_type = "text/csv", body = String), (status = 422, body = Problem)))]
pub async fn export(
    State(s): State<CrmState>,
    Authenticated(p): Authenticated,
    from: ClientAddress,
    ApiJson(body): ApiJson<ExportBody>,
) -> Result<Response, ApiError> {
    let csv = s
        .crm
        .export_csv(&actor(&p, &from), &body.criteria)
        .await
        .map_err(crm)?;
    Ok((
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
        .into_response())
}

/// The possible duplicates waiting for review, most likely first.
#[utoipa::path(get, path = "/crm/duplicates", tag = "crm",
    responses((status = 200, body = Vec<DuplicatePair>)))]
pub async fn open_duplicates(
    State(s): State<CrmState>,
    Authenticated(_p): Authenticated,
) -> Result<Json<Vec<DuplicatePair>>, ApiError> {
    Ok(Json(s.crm.open_pairs(200).await.map_err(crm)?))
}

/// Looks for duplicates among all records; pairs already reviewed are never reopened.
#[utoipa::path(post, path = "/crm/duplicates/scan", tag = "crm",
    responses((status = 200, body = ScanReport), (status = 403, body = Problem)))]
pub async fn scan_duplicates(
    State(s): State<CrmState>,
    Authenticated(p): Authenticated,
) -> Result<Json<ScanReport>, ApiError> {
    if !p.has_role(Role::Admin) && !p.has_role(Role::Clerk) {
        return Err(Problem::with_detail(
            ProblemKind::Forbidden,
            "clerks and administrators scan for duplicates",
        )
        .into());
    }
    Ok(Json(
        s.crm
            .scan_duplicates(DEFAULT_THRESHOLD)
            .await
            .map_err(crm)?,
    ))
}

/// Merges the pair into the survivor named.
#[utoipa::path(post, path = "/crm/duplicates/{pair_id}/merge", tag = "crm", request_body = MergeBody,
    params(("pair_id" = String, Path)),
    responses((status = 200, body = varoskapu_core::crm::PersonRecord), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 410, body = Problem), (status = 422, body = Problem)))]
pub async fn merge_duplicate(
    State(s): State<CrmState>,
    Authenticated(p): Authenticated,
    from: ClientAddress,
    Path(pair_id): Path<String>,
    ApiJson(body): ApiJson<MergeBody>,
) -> Result<Json<varoskapu_core::crm::PersonRecord>, ApiError> {
    let merged = s
        .crm
        .merge(&actor(&p, &from), &pair_id, PersonId(body.survivor))
        .await
        .map_err(crm)?;
    Ok(Json(merged))
}

/// Marks the pair as two different people.
#[utoipa::path(post, path = "/crm/duplicates/{pair_id}/not-same", tag = "crm",
    params(("pair_id" = String, Path)),
    responses((status = 200, body = DuplicatePair), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn not_same(
    State(s): State<CrmState>,
    Authenticated(p): Authenticated,
    from: ClientAddress,
    Path(pair_id): Path<String>,
) -> Result<Json<DuplicatePair>, ApiError> {
    Ok(Json(
        s.crm
            .not_same(&actor(&p, &from), &pair_id)
            .await
            .map_err(crm)?,
    ))
}

/// Applies bounce notifications: a delivery status notification (RFC 3464, as the mail
/// server returned it, sent as `text/plain`, `message/rfc822` or `multipart/report`) or an
/// Amazon SES notification (`application/json`, bare or in its SNS envelope). Hard bounces and complaints stop all mail to the address.
/// Administrators only.
#[utoipa::path(post, path = "/crm/bounces", tag = "crm",
    request_body(content = String, content_type = "text/plain"),
    responses((status = 200, body = BounceReport), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn bounces(
    State(s): State<CrmState>,
    Authenticated(p): Authenticated,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<BounceReport>, ApiError> {
    if !p.has_role(Role::Admin) {
        return Err(
            Problem::with_detail(ProblemKind::Forbidden, "administrators feed bounces").into(),
        );
    }
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json"));
    let parsed = if json {
        std::str::from_utf8(&body)
            .map_err(|_| CrmError::field("/", "is not UTF-8"))
            .and_then(|text| {
                parse_ses_notification(text).map_err(|e| CrmError::field("/", e.to_string()))
            })
    } else {
        parse_dsn(&body).map_err(|e| CrmError::field("/", e.to_string()))
    };
    let found = parsed.map_err(crm)?;
    Ok(Json(s.crm.apply_bounces(&found).await.map_err(crm)?))
}

/// What the municipality holds about the person signed in (GDPR art. 15): her record and
/// her activity. The request is in the audit log of her record.
#[utoipa::path(get, path = "/me/record", tag = "me",
    responses((status = 200, body = SubjectAccess)))]
pub async fn my_record(
    State(s): State<CrmState>,
    Authenticated(p): Authenticated,
) -> Result<Json<SubjectAccess>, ApiError> {
    Ok(Json(s.crm.subject_access(&p.account).await.map_err(crm)?))
}

/// Matches the person signed in against the population register by her natural identity;
/// on a match her record says "identified against the registry", which automatic
/// decisions rely on.
#[utoipa::path(post, path = "/me/identification", tag = "me", request_body = IdentifyBody,
    responses((status = 200, body = IdentificationView), (status = 422, body = Problem), (status = 503, body = Problem)))]
pub async fn identify_me(
    State(s): State<CrmState>,
    Authenticated(p): Authenticated,
    ApiJson(body): ApiJson<IdentifyBody>,
) -> Result<Json<IdentificationView>, ApiError> {
    let identity = body.identity().map_err(crm)?;
    let Some(identification) = &s.identification else {
        return Err(no_registry());
    };
    let outcome = identification
        .identify(&p.account, identity, channel::SIGN_IN)
        .await
        .map_err(crm)?;
    if matches!(outcome, IdentifyOutcome::Identified { .. })
        && let Err(e) = s.crm.refresh_account(&p.account).await
    {
        tracing::warn!(error = %e, "the search index missed an identification");
    }
    Ok(Json(IdentificationView::of(&outcome)))
}

fn no_registry() -> ApiError {
    Problem::with_detail(
        ProblemKind::Unavailable,
        "no registry is connected to this installation",
    )
    .into()
}

/// Identifies the person of a record at the desk: the identity document shown is checked
/// against the document register, then the record's natural identity against the
/// population register. Works for records without an account.
#[utoipa::path(post, path = "/crm/persons/{person_id}/identification", tag = "crm",
    request_body = DeskIdentificationBody, params(("person_id" = Uuid, Path)),
    responses((status = 200, body = IdentificationView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 410, body = Problem), (status = 422, body = Problem), (status = 503, body = Problem)))]
pub async fn identify_at_desk(
    State(s): State<CrmState>,
    Authenticated(p): Authenticated,
    from: ClientAddress,
    id: PathId<Person>,
    ApiJson(body): ApiJson<DeskIdentificationBody>,
) -> Result<Json<IdentificationView>, ApiError> {
    let Some(identification) = &s.identification else {
        return Err(no_registry());
    };
    let id = PersonId(id.get());
    let outcome = identification
        .identify_at_desk(
            &actor(&p, &from).actor,
            id,
            body.document.kind,
            &body.document.number,
        )
        .await
        .map_err(crm)?;
    if matches!(outcome, IdentifyOutcome::Identified { .. })
        && let Err(e) = s.crm.apply_changes(&[id]).await
    {
        tracing::warn!(error = %e, "the search index missed an identification");
    }
    Ok(Json(IdentificationView::of(&outcome)))
}

/// Adds a clerk's note to a record; with an `Idempotency-Key`, a retry adds nothing.
#[utoipa::path(post, path = "/crm/persons/{person_id}/notes", tag = "crm", request_body = NoteBody,
    params(("person_id" = Uuid, Path), IdempotencyKeyHeader),
    responses((status = 201, body = PersonView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 410, body = Problem), (status = 422, body = Problem)))]
pub async fn add_note(
    State(s): State<CrmState>,
    Authenticated(p): Authenticated,
    from: ClientAddress,
    id: PathId<Person>,
    IdempotencyKey(key): IdempotencyKey,
    body: Bytes,
) -> Result<(StatusCode, Json<PersonView>), ApiError> {
    let note: NoteBody = varoskapu_http::json::parse(&body)?;
    let fingerprint = varoskapu_core::idempotency::fingerprint(&body);
    let retry = key.as_deref().map(|k| (k, fingerprint.as_str()));
    let id = PersonId(id.get());
    s.crm
        .add_note(&actor(&p, &from), id, &note.text, retry)
        .await
        .map_err(crm)?;
    let stored = s
        .crm
        .store
        .get(id)
        .await?
        .ok_or_else(|| crm(CrmError::UnknownPerson))?;
    Ok((
        StatusCode::CREATED,
        Json(PersonView {
            person: stored.record,
            version: stored.version,
        }),
    ))
}

/// Resolves one of the record's flags once the clerk has put the record right (the
/// manual cleansing); the history records who did.
#[utoipa::path(post, path = "/crm/persons/{person_id}/flag-resolutions", tag = "crm",
    request_body = FlagResolutionBody, params(("person_id" = Uuid, Path)),
    responses((status = 200, body = PersonView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 410, body = Problem), (status = 422, body = Problem)))]
pub async fn resolve_flag(
    State(s): State<CrmState>,
    Authenticated(p): Authenticated,
    from: ClientAddress,
    id: PathId<Person>,
    ApiJson(body): ApiJson<FlagResolutionBody>,
) -> Result<Json<PersonView>, ApiError> {
    let stored = s
        .crm
        .resolve_flag(
            &actor(&p, &from),
            PersonId(id.get()),
            body.version,
            &body.flag,
        )
        .await
        .map_err(crm)?;
    Ok(Json(PersonView {
        person: stored.record,
        version: stored.version,
    }))
}
