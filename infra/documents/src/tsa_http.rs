//! Serves the local TSA over HTTP at `POST /tsa`, so other systems can timestamp too.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use crate::local_tsa::LocalTsa;
use crate::tsa_client::{QUERY_CONTENT_TYPE, REPLY_CONTENT_TYPE};
use varoskapu_http::{Problem, ProblemKind};

/// Largest request accepted: a SHA-512 request with extensions is well under 1 KiB. A
/// larger body is refused (413 problem+json) before it is read past this size; a request
/// that is no DER `TimeStampReq` gets a `rejection` reply (`badDataFormat`).
pub const MAX_REQUEST: usize = 4096;

/// The `/tsa` route (RFC 3161 over HTTP: timestamp-query in, timestamp-reply out).
pub fn tsa_router(tsa: Arc<LocalTsa>) -> Router {
    Router::new()
        .route("/tsa", post(answer))
        .layer(DefaultBodyLimit::max(MAX_REQUEST))
        .with_state(tsa)
}

/// Answers an RFC 3161 timestamp request.
#[utoipa::path(post, path = "/tsa", tag = "documents", operation_id = "timestamp",
    description = "The local timestamp authority (RFC 3161 over HTTP). A body that is no DER TimeStampReq gets a `rejection` reply (`badDataFormat`), still 200.",
    request_body(content = varoskapu_http::openapi::Binary, content_type = "application/timestamp-query", description = "A DER-encoded TimeStampReq"),
    responses(
        (status = 200, description = "A DER-encoded TimeStampResp", content_type = "application/timestamp-reply", body = varoskapu_http::openapi::Binary),
        (status = 413, description = "The request is larger than 4096 bytes", content_type = "application/problem+json", body = varoskapu_http::Problem),
        (status = 415, description = "The body is not application/timestamp-query", content_type = "application/problem+json", body = varoskapu_http::Problem)))]
async fn answer(
    State(tsa): State<Arc<LocalTsa>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type.starts_with(QUERY_CONTENT_TYPE) {
        return Err(Problem::with_detail(
            ProblemKind::UnsupportedMediaType,
            format!("expected {QUERY_CONTENT_TYPE}"),
        ));
    }
    if body.len() > MAX_REQUEST {
        return Err(Problem::with_detail(
            ProblemKind::PayloadTooLarge,
            format!("a timestamp request is at most {MAX_REQUEST} bytes"),
        ));
    }
    let reply = tsa.respond(&body);
    Ok(([(header::CONTENT_TYPE, REPLY_CONTENT_TYPE)], reply).into_response())
}

/// The `/tsa` route of the embedded setup: the TSA's keys come from `data_dir/keys`
/// (created on first start).
pub fn local_tsa_router(
    data_dir: &std::path::Path,
    clock: Arc<dyn varoskapu_core::Clock>,
) -> Result<Router, crate::keys::KeyError> {
    let keys = crate::keys::LocalKeys::load_or_create(data_dir, clock.as_ref())?;
    Ok(tsa_router(Arc::new(keys.tsa(clock))))
}

/// The OpenAPI description of [`tsa_router`] (public).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(answer),
    components(schemas(varoskapu_http::Problem)),
    tags((name = "documents", description = "Documents: presigned uploads and downloads, timestamps"))
)]
pub struct TsaApi;
