//! Request parts the case handlers read: the shared query and retry-key extractors, where
//! a request came from (for the audit log), and case ids from the path.

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use std::net::SocketAddr;
use uuid::Uuid;
use varoskapu_http::{Problem, ProblemKind};

pub use varoskapu_http::extract::{ApiQuery, IDEMPOTENCY_KEY, IdempotencyKey};

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
