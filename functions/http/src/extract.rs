//! Request parts every function reads, parsed into problems rather than axum's plain-text
//! rejections: query strings, ids in the path and the `Idempotency-Key` header. (The
//! JSON body is [`crate::ApiJson`], the caller [`crate::ClientAddress`] and
//! [`crate::auth::Authenticated`].)

use crate::problem::{Problem, ProblemKind};
use axum::extract::{FromRequestParts, Query, RawPathParams};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use std::marker::PhantomData;
use uuid::Uuid;

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
            .map_err(|e| query_problem(&e.body_text()))
    }
}

/// A refused query string, in words of our own: the deserializer's text may quote the
/// value sent.
fn query_problem(text: &str) -> Problem {
    let message = text
        .strip_prefix("Failed to deserialize query string: ")
        .unwrap_or(text);
    let detail = if let Some(rest) = message.strip_prefix("missing field `") {
        format!(
            "the query parameter {} is required",
            rest.trim_end_matches('`')
        )
    } else if let Some((_, expected)) = message.split_once(", expected ") {
        format!("a query parameter must be {expected}")
    } else {
        "a query parameter is malformed".to_owned()
    };
    Problem::with_detail(ProblemKind::BadRequest, detail)
}

/// What a kind of id in the path names, for [`PathId`].
pub trait IdKind {
    /// The name of the path parameter (`case_id` in `/cases/{case_id}`), as the route and
    /// its OpenAPI operation spell it.
    const PARAM: &'static str;
    /// The `detail` of the 404 for an id that cannot name anything (`no such case`).
    const NOT_FOUND: &'static str;
}

/// A UUID from the path: a malformed one names nothing, so it is a 404 problem like an
/// unknown one, never axum's plain-text 400.
pub struct PathId<K>(pub Uuid, PhantomData<K>);

impl<K: IdKind> PathId<K> {
    /// Parses one path segment.
    pub fn parse(text: &str) -> Result<Uuid, Problem> {
        text.parse()
            .map_err(|_| Problem::with_detail(ProblemKind::NotFound, K::NOT_FOUND))
    }

    /// The id.
    pub fn get(&self) -> Uuid {
        self.0
    }
}

impl<S: Send + Sync, K: IdKind> FromRequestParts<S> for PathId<K> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| Problem::with_detail(ProblemKind::NotFound, K::NOT_FOUND))?;
        let text = params
            .iter()
            .find(|(name, _)| *name == K::PARAM)
            .map(|(_, value)| value)
            .ok_or_else(|| Problem::new(ProblemKind::Internal))?;
        Ok(PathId(Self::parse(text)?, PhantomData))
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

/// The `Idempotency-Key` header as an operation's OpenAPI parameters declare it, with the
/// rule [`IdempotencyKey`] enforces.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyKeyHeader {
    /// Makes a retry safe: a retry with the same key and body returns the first result; the
    /// same key with another body is refused with 422.
    #[param(
        rename = "Idempotency-Key",
        min_length = 1,
        max_length = 128,
        pattern = "^[!-~]{1,128}$"
    )]
    pub key: Option<String>,
}

/// [`IdempotencyKeyHeader`] for the writes that refuse to run without one.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct RequiredIdempotencyKeyHeader {
    /// Required: a retry with the same key and body returns the first result; the same key
    /// with another body is refused with 422.
    #[param(
        rename = "Idempotency-Key",
        min_length = 1,
        max_length = 128,
        pattern = "^[!-~]{1,128}$"
    )]
    pub key: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Case;
    impl IdKind for Case {
        const PARAM: &'static str = "case_id";
        const NOT_FOUND: &'static str = "no such case";
    }

    /// What `GET path` answers on a route that reads a case id from `{case_id}`.
    async fn get(path: &str) -> (u16, String) {
        use axum::body::{Body, to_bytes};
        use axum::response::IntoResponse;
        use tower::ServiceExt;
        let app = axum::Router::new().route(
            "/cases/{case_id}/notes/{note}",
            axum::routing::get(|id: PathId<Case>| async move { id.get().to_string() }),
        );
        let request = axum::http::Request::get(path)
            .body(Body::empty())
            .expect("request");
        let response = app.oneshot(request).await.into_response();
        let status = response.status().as_u16();
        let body = to_bytes(response.into_body(), 1 << 16).await.expect("body");
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn the_extractor_reads_its_own_path_parameter_among_several() {
        let id = "0190b2c4-7a55-7c4e-9a57-4b0b0a0a0a0a";
        assert_eq!(
            get(&format!("/cases/{id}/notes/x")).await,
            (200, id.to_owned())
        );
        let (status, body) = get("/cases/not-a-uuid/notes/x").await;
        assert_eq!(status, 404);
        assert!(body.contains("no such case"), "{body}");
    }

    #[test]
    fn a_malformed_id_names_nothing() {
        let p = PathId::<Case>::parse("not-a-uuid").unwrap_err();
        assert_eq!(p.status, 404);
        assert_eq!(p.detail.as_deref(), Some("no such case"));
        assert!(PathId::<Case>::parse("0190b2c4-7a55-7c4e-9a57-4b0b0a0a0a0a").is_ok());
    }

    #[test]
    fn query_refusals_do_not_quote_the_value() {
        let p = query_problem(
            "Failed to deserialize query string: unknown variant `<script>`, expected `a` or `b`",
        );
        assert_eq!(p.status, 400);
        assert!(!p.detail.unwrap_or_default().contains("script"));
    }
}
