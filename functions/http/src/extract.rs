//! Request parts every function reads, parsed into problems rather than axum's plain-text
//! rejections: query strings and the `Idempotency-Key` header.

use crate::problem::{Problem, ProblemKind};
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

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

/// Name of the header carrying a retry key.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// The `Idempotency-Key` header of a write a client may retry, if sent.
pub struct IdempotencyKey(pub Option<String>);

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
