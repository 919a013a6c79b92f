//! RFC 9457 `application/problem+json` responses with stable `type` URIs, so that clients
//! can branch on the kind of failure instead of parsing prose.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value};

mod appointments;
mod cases;
mod crm;
mod documents;
mod payments;
mod source;
mod storage;

pub use source::{ApiError, ProblemSource};

/// Media type of problem documents.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Every problem `type` is this prefix and a stable slug.
pub const TYPE_PREFIX: &str = "urn:varoskapu:problem:";

/// Seconds a client is asked to wait when storage or a dependency is unavailable.
pub const UNAVAILABLE_RETRY_AFTER: u64 = 5;

/// The `type` slug of a route that signs documents while no signing certificate is
/// installed (a deployment before its chain): the same for cases and payments, so that a
/// client or an operator's probe branches on one type.
pub const DOCUMENTS_NOT_CONFIGURED: &str = "documents-not-configured";

/// What the client is told then; it names no infrastructure.
pub const DOCUMENTS_NOT_CONFIGURED_DETAIL: &str =
    "signed documents are not issued yet: the municipality's signing certificate is not installed";

/// Installing a chain is an operator's step, not a moment's outage: clients are asked to
/// wait minutes, not seconds.
pub const DOCUMENTS_NOT_CONFIGURED_RETRY_AFTER: u64 = 300;

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
        format!("{TYPE_PREFIX}{}", self.slug())
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
    /// Headers sent with the document; boxed, as most problems have none.
    #[serde(skip)]
    headers: Option<Box<ProblemHeaders>>,
}

/// Response headers a problem carries besides its body.
#[derive(Debug, Clone, Default, PartialEq)]
struct ProblemHeaders {
    /// Seconds for `Retry-After` (throttled, unavailable).
    retry_after: Option<u64>,
    /// The `WWW-Authenticate` challenge of a refused token.
    challenge: Option<String>,
}

impl Problem {
    pub fn new(kind: ProblemKind) -> Self {
        Self {
            type_uri: kind.type_uri(),
            title: kind.title().to_owned(),
            status: kind.status().as_u16(),
            detail: None,
            extensions: Map::new(),
            headers: (kind == ProblemKind::Unavailable).then(|| {
                Box::new(ProblemHeaders {
                    retry_after: Some(UNAVAILABLE_RETRY_AFTER),
                    challenge: None,
                })
            }),
        }
    }

    pub fn with_detail(kind: ProblemKind, detail: impl Into<String>) -> Self {
        Self::new(kind).detail(detail)
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// The same problem under a more specific type, `urn:varoskapu:problem:<slug>`.
    pub fn typed(mut self, slug: &str) -> Self {
        self.type_uri = format!("{TYPE_PREFIX}{slug}");
        self
    }

    /// Asks the client to wait `seconds` before trying again.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.headers.get_or_insert_default().retry_after = Some(seconds);
        self
    }

    /// Sends `challenge` as `WWW-Authenticate`.
    pub fn challenge(mut self, challenge: impl Into<String>) -> Self {
        self.headers.get_or_insert_default().challenge = Some(challenge.into());
        self
    }

    /// The seconds sent in `Retry-After`, if any.
    pub fn retry_after_seconds(&self) -> Option<u64> {
        self.headers.as_ref().and_then(|h| h.retry_after)
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
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(extra) = self.headers {
            if let Some(seconds) = extra.retry_after {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            if let Some(value) = extra.challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
                headers.insert(header::WWW_AUTHENTICATE, value);
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use varoskapu_core::TableError;

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

    #[tokio::test]
    async fn signing_without_a_certificate_is_503_documents_not_configured_for_cases_and_payments()
    {
        use varoskapu_core::cases::CaseError;
        use varoskapu_core::documents::DocumentError;
        use varoskapu_core::payments::PaymentError;
        for error in [
            ApiError::from(CaseError::Document(DocumentError::NotConfigured)),
            ApiError::from(PaymentError::Document(DocumentError::NotConfigured)),
            ApiError::from(PaymentError::Case(CaseError::Document(
                DocumentError::NotConfigured,
            ))),
        ] {
            let response = error.into_response();
            assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(response.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
            assert_eq!(response.headers()[header::RETRY_AFTER], "300");
            let body = axum::body::to_bytes(response.into_body(), 1 << 16)
                .await
                .unwrap();
            let json: Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(
                json["type"],
                "urn:varoskapu:problem:documents-not-configured"
            );
            assert_eq!(json["status"], 503);
            assert_eq!(json["detail"], DOCUMENTS_NOT_CONFIGURED_DETAIL);
        }
        // A signing or timestamping failure of a configured signer is a plain, briefly
        // retried 503 wherever the document was being issued, a payment's receipt too; a
        // rendering failure is internal.
        for error in [
            ApiError::from(CaseError::Document(DocumentError::Signing("kms".into()))),
            ApiError::from(PaymentError::Document(DocumentError::Signing("kms".into()))),
            ApiError::from(PaymentError::Document(DocumentError::Timestamp(
                "tsa".into(),
            ))),
        ] {
            let p = error.into_response();
            assert_eq!(p.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(p.headers()[header::RETRY_AFTER], "5");
        }
        let p = ApiError::from(PaymentError::Document(DocumentError::Render("font".into())))
            .into_response();
        assert_eq!(p.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn storage_failures_never_leak_their_cause() {
        let p = Problem::from(TableError::Unavailable("password=hunter2".into()));
        assert_eq!(p.status, 503);
        assert!(p.detail.is_none());
        assert_eq!(p.retry_after_seconds(), Some(UNAVAILABLE_RETRY_AFTER));
    }
}
