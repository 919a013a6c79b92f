//! Request parts the case handlers read, parsed into problems rather than axum's plain-text
//! rejections.

use axum::extract::{ConnectInfo, FromRequestParts, Query};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use std::net::SocketAddr;
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

/// Name of the header carrying a retry key.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// The `Idempotency-Key` header, if sent.
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

/// Where a request came from, for the audit log: the first `X-Forwarded-For` hop that API
/// Gateway (or a proxy) added, else the peer address of a direct connection.
#[derive(Debug, Clone, Default)]
pub struct Origin(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for Origin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let forwarded = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty());
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_string());
        Ok(Origin(forwarded.or(peer)))
    }
}

/// A case id from the path; a malformed one names no case.
pub fn case_id(text: &str) -> Result<Uuid, Problem> {
    text.parse()
        .map_err(|_| Problem::with_detail(ProblemKind::NotFound, "no such case"))
}
