//! Request parts parsed into problems rather than axum's plain-text rejections.

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use uuid::Uuid;
use varoskapu_http::{Problem, ProblemKind};

/// `axum::extract::Query` whose failures are problem documents.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| ApiQuery(v))
            .map_err(|e| Problem::with_detail(ProblemKind::BadRequest, e.body_text()))
    }
}

/// The `Idempotency-Key` header, if sent.
pub struct IdempotencyKey(pub Option<String>);

/// Name of the header.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.headers.get(IDEMPOTENCY_KEY) {
            None => Ok(IdempotencyKey(None)),
            Some(v) => v
                .to_str()
                .ok()
                .filter(|k| varoskapu_core::idempotency::validate_key(k).is_ok())
                .map(|k| IdempotencyKey(Some(k.to_owned())))
                .ok_or_else(|| {
                    Problem::with_detail(
                        ProblemKind::BadRequest,
                        "the Idempotency-Key must be 1 to 128 visible ASCII characters",
                    )
                }),
        }
    }
}

/// A booking id from the path; a malformed one names no booking.
pub fn booking_id(text: &str) -> Result<Uuid, Problem> {
    text.parse()
        .map_err(|_| Problem::with_detail(ProblemKind::NotFound, "no such booking"))
}
