//! `fetch-decision`: the owner of a case fetches its signed decision, as PDF bytes or a
//! short-lived URL; the first fetch is the delivery (kézbesítés). On request the system
//! issues a signed download certificate (letöltési igazolás). Anybody else gets 404.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;
use varoskapu_case_api::extract::{ApiQuery, CaseId, Origin};
use varoskapu_case_api::pdf::pdf_response;
use varoskapu_case_api::{ApiError, CasesState};
use varoskapu_http::Problem;
use varoskapu_http::auth::{Authenticated, OWN_CASES, Routes};
use varoskapu_http::openapi::BearerScheme;

/// Every fetch-decision route with what it needs.
fn routes() -> Routes<CasesState> {
    Routes::new()
        .protected(Method::GET, "/cases/{case_id}/decision", &OWN_CASES, fetch)
        .protected(
            Method::POST,
            "/cases/{case_id}/decision/download-certificate",
            &OWN_CASES,
            certificate,
        )
}

/// Every fetch-decision route over `state`.
pub fn router(state: CasesState) -> Router {
    routes().into_router(state.tokens.clone()).with_state(state)
}

/// How the decision is handed over.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FetchQuery {
    /// `pdf` (default): the bytes; `url`: a short-lived download URL.
    #[param(value_type = Option<Delivery>)]
    pub delivery: Option<String>,
}

/// The ways a decision is handed over, as the schema names them.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
enum Delivery {
    Pdf,
    Url,
}

/// A short-lived URL of the signed decision.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DownloadLink {
    pub url: String,
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: Timestamp,
    /// SHA-256 of the decision, hex.
    pub sha256: String,
    #[schema(value_type = String, format = DateTime)]
    pub delivered_at: Option<Timestamp>,
}

/// The signed decision of one of the caller's cases; the first fetch delivers it.
#[utoipa::path(get, path = "/cases/{case_id}/decision", tag = "decisions", params(("case_id" = Uuid, Path), FetchQuery),
    responses((status = 200, content_type = "application/pdf", body = varoskapu_http::openapi::Binary),
        (status = 200, body = DownloadLink), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn fetch(
    State(state): State<CasesState>,
    Authenticated(p): Authenticated,
    origin: Origin,
    id: CaseId,
    ApiQuery(q): ApiQuery<FetchQuery>,
) -> Result<Response, ApiError> {
    let id = id.get();
    let by = origin.citizen(&p);
    match q.delivery.as_deref() {
        Some("url") => {
            let (case, url) = state.cases.decision_url(&by, id).await?;
            let sha256 = case
                .decision
                .and_then(|d| d.document)
                .map(|d| d.sha256)
                .unwrap_or_default();
            Ok(Json(DownloadLink {
                url: url.url,
                expires_at: url.expires_at,
                sha256,
                delivered_at: case.delivered_at,
            })
            .into_response())
        }
        None | Some("pdf") => {
            let (_, blob) = state.cases.fetch_decision(&by, id).await?;
            Ok(pdf_response(blob.bytes.to_vec(), "hatarozat.pdf"))
        }
        Some(other) => Err(Problem::with_detail(
            varoskapu_http::ProblemKind::BadRequest,
            format!("unknown delivery {other:?}; use pdf or url"),
        )
        .into()),
    }
}

/// Issues a signed download certificate: what was delivered to whom and when, with the
/// decision's SHA-256.
#[utoipa::path(post, path = "/cases/{case_id}/decision/download-certificate", tag = "decisions",
    params(("case_id" = Uuid, Path)),
    responses((status = 200, content_type = "application/pdf", body = varoskapu_http::openapi::Binary),
        (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn certificate(
    State(state): State<CasesState>,
    Authenticated(p): Authenticated,
    origin: Origin,
    id: CaseId,
) -> Result<Response, ApiError> {
    let blob = state
        .cases
        .download_certificate(&origin.citizen(&p), id.get())
        .await?;
    Ok(pdf_response(blob.bytes.to_vec(), "letoltesi-igazolas.pdf"))
}

#[derive(OpenApi)]
#[openapi(
    paths(fetch, certificate),
    components(schemas(varoskapu_http::Problem)),
    modifiers(&BearerScheme),
    tags((name = "decisions", description = "Citizens fetch their signed decisions"))
)]
struct FetchDecisionApi;

/// The OpenAPI description of [`router`].
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = FetchDecisionApi::openapi();
    routes().document(&mut doc);
    doc
}
