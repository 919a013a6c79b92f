//! Layers every router gets: a request id on every request and response (taken from the
//! caller or API Gateway if present), a tracing span carrying it, problem+json for
//! unknown routes and for bodies over a limit, and a panic in one request answered as a
//! 500 problem instead of ending the process.

use crate::problem::{PROBLEM_JSON, Problem, ProblemKind};
use axum::Router;
use axum::http::{HeaderName, HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::any::Any;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;

/// The header that carries the request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

#[derive(Clone, Copy, Default)]
struct UuidV7RequestId;

impl MakeRequestId for UuidV7RequestId {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        uuid::Uuid::now_v7()
            .to_string()
            .parse()
            .ok()
            .map(RequestId::new)
    }
}

/// A panicking handler's answer: a 500 problem. The panic's message stays out of the
/// response (and of this log line), as it may quote data of the request.
fn panic_problem(_panic: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked; answered 500");
    Problem::new(ProblemKind::Internal).into_response()
}

/// axum answers a body over its extractors' limit (2 MiB by default, `DefaultBodyLimit`)
/// with a plain-text 413; every refusal of this API is problem+json.
async fn too_large_as_problem(response: Response) -> Response {
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if response.status() != StatusCode::PAYLOAD_TOO_LARGE || is_problem {
        return response;
    }
    Problem::with_detail(
        ProblemKind::PayloadTooLarge,
        "the request body is larger than this route accepts",
    )
    .into_response()
}

/// Headers every response carries: no content sniffing, and HTTPS only from now on
/// (browsers ignore `Strict-Transport-Security` received over plain HTTP, so the local
/// server may send it too).
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers
        .entry(header::X_CONTENT_TYPE_OPTIONS)
        .or_insert(HeaderValue::from_static("nosniff"));
    headers
        .entry(header::STRICT_TRANSPORT_SECURITY)
        .or_insert(HeaderValue::from_static(
            "max-age=31536000; includeSubDomains",
        ));
    response
}

/// Wraps a merged router with request ids, tracing, the client-address rule, problem+json
/// fallbacks (unknown routes, bodies over the limit) and the panic guard. A malformed
/// `VAROSKAPU_TRUSTED_PROXIES` stops start-up here.
pub fn with_common_layers(router: Router) -> Router {
    let header = HeaderName::from_static(REQUEST_ID_HEADER);
    let trusted = crate::client_address::TrustedProxies::from_env()
        .unwrap_or_else(|e| panic!("cannot start: {e}"));
    router
        .layer(axum::middleware::from_fn_with_state(
            trusted,
            crate::client_address::decide,
        ))
        .fallback(|| async { Problem::with_detail(ProblemKind::NotFound, "no such route") })
        .method_not_allowed_fallback(|| async { Problem::new(ProblemKind::MethodNotAllowed) })
        .layer(axum::middleware::map_response(too_large_as_problem))
        .layer(axum::middleware::map_response(security_headers))
        .layer(CatchPanicLayer::custom(panic_problem))
        .layer(
            tower::ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(header.clone(), UuidV7RequestId))
                .layer(
                    // Paths only, without opaque tokens: query strings and presigned paths
                    // carry codes and credentials.
                    TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                        let id = req
                            .headers()
                            .get(REQUEST_ID_HEADER)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("-");
                        tracing::info_span!("request", request_id = %id, method = %req.method(), path = %crate::redact::loggable_path(req.uri().path()))
                    }),
                )
                .layer(PropagateRequestIdLayer::new(header)),
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{Body, Bytes};
    use axum::routing::post;
    use serde_json::Value;
    use tower::ServiceExt;

    fn app() -> Router {
        with_common_layers(
            Router::new()
                .route(
                    "/panic",
                    post(|| async {
                        if true {
                            panic!("a bug in one handler");
                        }
                    }),
                )
                .route(
                    "/echo",
                    post(|body: Bytes| async move { body.len().to_string() }),
                )
                .route(
                    "/json",
                    post(|crate::ApiJson(v): crate::ApiJson<Value>| async move { v.to_string() }),
                ),
        )
    }

    async fn call(path: &str, body: Vec<u8>) -> (StatusCode, String, Value, bool) {
        let request = Request::post(path)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .expect("request");
        let response = app().oneshot(request).await.expect("infallible");
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let has_id = response.headers().contains_key(REQUEST_ID_HEADER);
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body");
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, content_type, json, has_id)
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_500_problem_and_the_router_keeps_serving() {
        let (status, content_type, problem, has_id) = call("/panic", Vec::new()).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(content_type, PROBLEM_JSON);
        assert_eq!(problem["type"], "urn:varoskapu:problem:internal");
        assert!(has_id, "the request id is still sent");
        assert!(!problem.to_string().contains("a bug in one handler"));
        let (status, _, _, _) = call("/echo", b"still here".to_vec()).await;
        assert_eq!(status, StatusCode::OK);
    }

    #[tokio::test]
    async fn bodies_over_the_default_limit_are_413_problems() {
        let big = vec![b' '; 3 * 1024 * 1024];
        for path in ["/echo", "/json"] {
            let (status, content_type, problem, _) = call(path, big.clone()).await;
            assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{path}");
            assert_eq!(content_type, PROBLEM_JSON, "{path}");
            assert_eq!(problem["type"], "urn:varoskapu:problem:payload-too-large");
        }
    }
}
