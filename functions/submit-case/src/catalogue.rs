//! The public catalogue of case types.

use axum::Json;
use axum::extract::{Path, State};
use varoskapu_case_api::{ApiError, CasesState};
use varoskapu_core::cases::CaseType;

/// Every case type citizens can submit.
#[utoipa::path(get, path = "/case-types", tag = "cases",
    responses((status = 200, body = Vec<CaseType>)))]
pub async fn list(State(state): State<CasesState>) -> Result<Json<Vec<CaseType>>, ApiError> {
    Ok(Json(state.cases.catalogue().await?))
}

/// One case type, with its form schema and required documents.
#[utoipa::path(get, path = "/case-types/{type_id}", tag = "cases",
    params(("type_id" = String, Path)),
    responses((status = 200, body = CaseType), (status = 404, body = varoskapu_http::Problem)))]
pub async fn get_one(
    State(state): State<CasesState>,
    Path(type_id): Path<String>,
) -> Result<Json<CaseType>, ApiError> {
    Ok(Json(state.cases.case_type(&type_id).await?))
}
