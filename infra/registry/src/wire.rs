//! The registry service's JSON protocol: the request bodies, and [`router`], which serves
//! any [`Registry`] over it (the local registry standing in for the real service).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use varoskapu_core::crm::person::NaturalIdentity;
use varoskapu_core::crm::registry::{DocumentKind, Registry, RegistryError};

/// `POST /addresses/check`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressQuery {
    pub postcode: String,
    pub street: String,
    pub number: String,
}

/// `POST /documents/check`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentQuery {
    pub kind: DocumentKind,
    pub number: String,
}

/// The body of every error answer: `{"error": "<slug>", "detail": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
    #[serde(default)]
    pub detail: String,
}

struct Failure(StatusCode, &'static str, String);

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        (
            self.0,
            Json(ErrorBody {
                error: self.1.into(),
                detail: self.2,
            }),
        )
            .into_response()
    }
}

impl From<RegistryError> for Failure {
    fn from(e: RegistryError) -> Self {
        match e {
            RegistryError::Unavailable(detail) => {
                Failure(StatusCode::SERVICE_UNAVAILABLE, "unavailable", detail)
            }
            RegistryError::Refused(detail) => Failure(StatusCode::BAD_REQUEST, "refused", detail),
        }
    }
}

/// The error slug of a 404 that means "no such person" (not a wrong path).
pub const NOT_FOUND: &str = "not_found";

type Shared = Arc<dyn Registry>;

async fn match_person(
    State(registry): State<Shared>,
    Json(identity): Json<NaturalIdentity>,
) -> Result<Response, Failure> {
    Ok(Json(registry.person(&identity).await?).into_response())
}

async fn person_by_id(
    State(registry): State<Shared>,
    Path(id): Path<String>,
) -> Result<Response, Failure> {
    match registry.person_by_id(&id).await? {
        Some(person) => Ok(Json(person).into_response()),
        None => Err(Failure(
            StatusCode::NOT_FOUND,
            NOT_FOUND,
            "no person with that register key".into(),
        )),
    }
}

async fn check_address(
    State(registry): State<Shared>,
    Json(query): Json<AddressQuery>,
) -> Result<Response, Failure> {
    Ok(Json(
        registry
            .address(&query.postcode, &query.street, &query.number)
            .await?,
    )
    .into_response())
}

async fn vehicle(
    State(registry): State<Shared>,
    Path(plate): Path<String>,
) -> Result<Response, Failure> {
    Ok(Json(registry.vehicle(&plate).await?).into_response())
}

async fn check_document(
    State(registry): State<Shared>,
    Json(query): Json<DocumentQuery>,
) -> Result<Response, Failure> {
    Ok(Json(registry.document(query.kind, &query.number).await?).into_response())
}

/// Serves `registry` over the protocol of the crate documentation.
pub fn router(registry: Arc<dyn Registry>) -> Router {
    Router::new()
        .route("/persons/match", post(match_person))
        .route("/persons/{id}", get(person_by_id))
        .route("/addresses/check", post(check_address))
        .route("/vehicles/{plate}", get(vehicle))
        .route("/documents/check", post(check_document))
        .with_state(registry)
}
