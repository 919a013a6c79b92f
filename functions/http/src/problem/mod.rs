//! RFC 9457 `application/problem+json` responses with stable `type` URIs, so that clients
//! can branch on the kind of failure instead of parsing prose.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value};
use varoskapu_core::{BlobError, TableError};

/// Media type of problem documents.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// The kinds of problem the API reports; each has one stable `type` URI and status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    BadRequest,
    ValidationFailed,
    Unauthenticated,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    Gone,
    PreconditionFailed,
    PayloadTooLarge,
    UnsupportedMediaType,
    TooManyRequests,
    Internal,
    Unavailable,
}

impl ProblemKind {
    /// The stable slug; the `type` URI is `urn:varoskapu:problem:<slug>`.
    pub fn slug(self) -> &'static str {
        match self {
            ProblemKind::BadRequest => "bad-request",
            ProblemKind::ValidationFailed => "validation-failed",
            ProblemKind::Unauthenticated => "unauthenticated",
            ProblemKind::Forbidden => "forbidden",
            ProblemKind::NotFound => "not-found",
            ProblemKind::MethodNotAllowed => "method-not-allowed",
            ProblemKind::Conflict => "conflict",
            ProblemKind::Gone => "gone",
            ProblemKind::PreconditionFailed => "precondition-failed",
            ProblemKind::PayloadTooLarge => "payload-too-large",
            ProblemKind::UnsupportedMediaType => "unsupported-media-type",
            ProblemKind::TooManyRequests => "too-many-requests",
            ProblemKind::Internal => "internal",
            ProblemKind::Unavailable => "unavailable",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            ProblemKind::BadRequest => StatusCode::BAD_REQUEST,
            ProblemKind::ValidationFailed => StatusCode::UNPROCESSABLE_ENTITY,
            ProblemKind::Unauthenticated => StatusCode::UNAUTHORIZED,
            ProblemKind::Forbidden => StatusCode::FORBIDDEN,
            ProblemKind::NotFound => StatusCode::NOT_FOUND,
            ProblemKind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ProblemKind::Conflict => StatusCode::CONFLICT,
            ProblemKind::Gone => StatusCode::GONE,
            ProblemKind::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ProblemKind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ProblemKind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ProblemKind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ProblemKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ProblemKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            ProblemKind::BadRequest => "The request is malformed",
            ProblemKind::ValidationFailed => "The request is invalid",
            ProblemKind::Unauthenticated => "Authentication is required",
            ProblemKind::Forbidden => "Not allowed",
            ProblemKind::NotFound => "Not found",
            ProblemKind::MethodNotAllowed => "Method not allowed",
            ProblemKind::Conflict => "Conflict with the current state",
            ProblemKind::Gone => "No longer available",
            ProblemKind::PreconditionFailed => "Precondition failed",
            ProblemKind::PayloadTooLarge => "Payload too large",
            ProblemKind::UnsupportedMediaType => "Unsupported media type",
            ProblemKind::TooManyRequests => "Too many requests",
            ProblemKind::Internal => "Internal error",
            ProblemKind::Unavailable => "Service temporarily unavailable",
        }
    }

    pub fn type_uri(self) -> String {
        format!("urn:varoskapu:problem:{}", self.slug())
    }
}

/// One problem document.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Further members (e.g. `errors` of a validation failure).
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub extensions: Map<String, Value>,
}

impl Problem {
    pub fn new(kind: ProblemKind) -> Self {
        Self {
            type_uri: kind.type_uri(),
            title: kind.title().to_owned(),
            status: kind.status().as_u16(),
            detail: None,
            extensions: Map::new(),
        }
    }

    pub fn with_detail(kind: ProblemKind, detail: impl Into<String>) -> Self {
        Self::new(kind).detail(detail)
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn extension(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.extensions.insert(name.to_owned(), value.into());
        self
    }

    /// An internal failure: the cause is logged, never shown to the client.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(ProblemKind::Internal)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        response
    }
}

impl From<TableError> for Problem {
    fn from(e: TableError) -> Self {
        match e {
            TableError::ConditionFailed | TableError::TransactionFailed { .. } => {
                Problem::with_detail(
                    ProblemKind::Conflict,
                    "the record was changed or already exists",
                )
            }
            TableError::Conflict => Problem::with_detail(
                ProblemKind::Conflict,
                "a concurrent change interfered; retry the request",
            ),
            TableError::InvalidCursor => {
                Problem::with_detail(ProblemKind::BadRequest, "the page cursor is invalid")
            }
            TableError::TooManyOperations(_) | TableError::Invalid(_) => Problem::internal(&e),
            TableError::Corrupt(_) => Problem::internal(&e),
            TableError::Unavailable(_) => {
                tracing::error!(error = %e, "table unavailable");
                Problem::new(ProblemKind::Unavailable)
            }
        }
    }
}

impl From<BlobError> for Problem {
    fn from(e: BlobError) -> Self {
        match e {
            BlobError::NotFound => Problem::new(ProblemKind::NotFound),
            BlobError::AlreadyExists => Problem::with_detail(
                ProblemKind::Conflict,
                "the document already exists and is write-once",
            ),
            BlobError::ChecksumMismatch { .. } => Problem::with_detail(
                ProblemKind::ValidationFailed,
                "the bytes do not match the announced SHA-256",
            ),
            BlobError::InvalidKey(_) => {
                Problem::with_detail(ProblemKind::BadRequest, "invalid object key")
            }
            BlobError::Corrupt(_) => Problem::internal(&e),
            BlobError::Unavailable(_) => {
                tracing::error!(error = %e, "blob store unavailable");
                Problem::new(ProblemKind::Unavailable)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn problems_are_served_as_problem_json_with_stable_types() {
        let response = Problem::with_detail(ProblemKind::NotFound, "no such case").into_response();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(response.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        let json: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["type"], "urn:varoskapu:problem:not-found");
        assert_eq!(json["status"], 404);
        assert_eq!(json["detail"], "no such case");
    }

    #[test]
    fn storage_failures_never_leak_their_cause() {
        let p = Problem::from(TableError::Unavailable("password=hunter2".into()));
        assert_eq!(p.status, 503);
        assert!(p.detail.is_none());
    }
}
