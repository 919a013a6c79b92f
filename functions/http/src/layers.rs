//! Layers every router gets: a request id on every request and response (taken from the
//! caller or API Gateway if present), a tracing span carrying it, and problem+json for
//! unknown routes.

use crate::problem::{Problem, ProblemKind};
use axum::Router;
use axum::http::{HeaderName, Request};
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

/// Wraps a merged router with request ids, tracing, the client-address rule and a
/// problem+json fallback. A malformed `VAROSKAPU_TRUSTED_PROXIES` stops start-up here.
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
        .layer(
            tower::ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(header.clone(), UuidV7RequestId))
                .layer(
                    // Paths only: query strings may carry codes and tokens.
                    TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                        let id = req
                            .headers()
                            .get(REQUEST_ID_HEADER)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("-");
                        tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
                    }),
                )
                .layer(PropagateRequestIdLayer::new(header)),
        )
}
