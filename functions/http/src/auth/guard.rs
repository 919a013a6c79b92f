//! A function's route table: each route public or with its [`Requirement`], enforced by a
//! route layer and written into the OpenAPI document from the same declaration.

use super::{AuthError, Principal, Requirement, TokenValidator};
use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::handler::Handler;
use axum::http::request::Parts;
use axum::http::{Method, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use std::sync::Arc;
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{OpenApi, PathItem, path::Operation};

struct Entry<S> {
    method: Method,
    path: &'static str,
    route: MethodRouter<S>,
    access: Option<&'static Requirement>,
}

/// The routes of a function with what each needs; build it once for the router and once for
/// the OpenAPI document, so the two can never disagree.
pub struct Routes<S> {
    entries: Vec<Entry<S>>,
}

impl<S> Default for Routes<S> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
        }
    }
}

fn filter(method: &Method) -> MethodFilter {
    match *method {
        Method::GET => MethodFilter::GET,
        Method::POST => MethodFilter::POST,
        Method::PUT => MethodFilter::PUT,
        Method::DELETE => MethodFilter::DELETE,
        Method::PATCH => MethodFilter::PATCH,
        _ => panic!("no route uses {method}"),
    }
}

impl<S: Clone + Send + Sync + 'static> Routes<S> {
    pub fn new() -> Self {
        Self::default()
    }

    /// A route anyone may call.
    pub fn public<H, T>(mut self, method: Method, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        let route = on(filter(&method), handler);
        self.entries.push(Entry {
            method,
            path,
            route,
            access: None,
        });
        self
    }

    /// A route that only a token meeting `access` may call.
    pub fn protected<H, T>(
        mut self,
        method: Method,
        path: &'static str,
        access: &'static Requirement,
        handler: H,
    ) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        let route = on(filter(&method), handler);
        self.entries.push(Entry {
            method,
            path,
            route,
            access: Some(access),
        });
        self
    }

    /// The router, with every protected route behind its requirement.
    pub fn into_router(self, tokens: Arc<TokenValidator>) -> Router<S> {
        let mut router = Router::new();
        for entry in self.entries {
            let route = match entry.access {
                Some(access) => entry.route.route_layer(middleware::from_fn_with_state(
                    (access, tokens.clone()),
                    enforce,
                )),
                None => entry.route,
            };
            router = router.route(entry.path, route);
        }
        router
    }

    /// Writes each route's requirement into `doc` as its operation's security requirement
    /// (the `bearer` scheme with the scope) and, in words, into its description; public
    /// operations get none. Every operation also gets the refusals the API's status table
    /// gives it, as problem documents.
    pub fn document(&self, doc: &mut OpenApi) {
        for entry in &self.entries {
            let operation = doc
                .paths
                .paths
                .get_mut(entry.path)
                .and_then(|item| operation_mut(item, &entry.method));
            let Some(operation) = operation else {
                debug_assert!(false, "{} {} is not documented", entry.method, entry.path);
                tracing::error!(method = %entry.method, path = entry.path, "route not documented");
                continue;
            };
            match entry.access {
                Some(access) => {
                    operation.security = Some(vec![SecurityRequirement::new(
                        "bearer",
                        [access.scope.as_str()],
                    )]);
                    let rule = access.to_string();
                    operation.description = Some(match operation.description.take() {
                        Some(text) if !text.is_empty() => format!("{text}\n\n{rule}"),
                        _ => rule,
                    });
                }
                None => operation.security = None,
            }
            crate::openapi::complete_refusals(operation, entry.path, entry.access.is_some());
        }
        crate::openapi::ensure_problem_schema(doc);
    }

    /// Each route's method, path and requirement, for tests that sweep them all.
    pub fn declarations(&self) -> Vec<(Method, &'static str, Option<&'static Requirement>)> {
        self.entries
            .iter()
            .map(|e| (e.method.clone(), e.path, e.access))
            .collect()
    }
}

fn operation_mut<'a>(item: &'a mut PathItem, method: &Method) -> Option<&'a mut Operation> {
    match *method {
        Method::GET => item.get.as_mut(),
        Method::POST => item.post.as_mut(),
        Method::PUT => item.put.as_mut(),
        Method::DELETE => item.delete.as_mut(),
        Method::PATCH => item.patch.as_mut(),
        _ => None,
    }
}

fn bearer_token(parts: &axum::http::HeaderMap) -> Option<&str> {
    parts
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// The route layer: the token must meet the route's requirement before the handler runs.
async fn enforce(
    State((access, tokens)): State<(&'static Requirement, Arc<TokenValidator>)>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(token) = bearer_token(request.headers()) else {
        return AuthError::MissingToken.into_response();
    };
    match tokens.authorize(token, access).await {
        Ok(principal) => {
            request.extensions_mut().insert(principal);
            next.run(request).await
        }
        Err(e) => {
            tracing::info!(reason = %e, "access token refused");
            e.into_response()
        }
    }
}

/// The principal the route's requirement admitted. A handler on a route that declares no
/// requirement gets none and fails closed.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Authenticated {
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .map(Authenticated)
            .ok_or(AuthError::Undeclared)
    }
}
