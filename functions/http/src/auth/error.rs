//! Why a request was refused, as problem+json with the RFC 6750 / RFC 9470 challenge.

use crate::problem::{Problem, ProblemKind};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use varoskapu_core::access::{ACR_MFA, Role, Scope};
use varoskapu_jose::{ClaimsError, JwsError};

/// Why a request's access token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("an access token is required")]
    MissingToken,
    #[error("the access token is refused: {0}")]
    BadToken(#[from] JwsError),
    #[error("the access token is refused: {0}")]
    BadClaims(#[from] ClaimsError),
    #[error("the access token is refused: it is not an access token (typ must be at+jwt)")]
    NotAnAccessToken,
    #[error("the access token is refused: it names a subject this provider never issued")]
    UnknownSubject,
    #[error("the provider's keys are unavailable: {0}")]
    KeysUnavailable(String),
    #[error("the person behind the token cannot be looked up: {0}")]
    SubjectsUnavailable(String),
    #[error("the access token lacks the scope {0:?}")]
    MissingScope(Scope),
    #[error("this acts for a person; a service token cannot use it")]
    NotAPerson,
    #[error("this requires the role {}", .0.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(" or "))]
    MissingRole(&'static [Role]),
    #[error("this requires a sign-in with a second factor")]
    SecondFactorRequired,
    /// A handler ran without its route declaring an access rule: a wiring fault, refused
    /// rather than served unprotected.
    #[error("the route declares no access rule")]
    Undeclared,
}

fn typed(kind: ProblemKind, slug: &str, detail: String) -> Problem {
    let mut problem = Problem::with_detail(kind, detail);
    problem.type_uri = format!("urn:varoskapu:problem:{slug}");
    problem
}

impl From<AuthError> for Problem {
    fn from(e: AuthError) -> Self {
        let detail = e.to_string();
        match e {
            AuthError::MissingToken
            | AuthError::BadToken(_)
            | AuthError::BadClaims(_)
            | AuthError::NotAnAccessToken
            | AuthError::UnknownSubject => {
                Problem::with_detail(ProblemKind::Unauthenticated, detail)
            }
            AuthError::MissingScope(scope) => {
                typed(ProblemKind::Forbidden, "insufficient-scope", detail)
                    .extension("scope", scope.as_str())
            }
            AuthError::SecondFactorRequired => {
                typed(ProblemKind::Forbidden, "mfa-required", detail)
                    .extension("acr_values", ACR_MFA)
            }
            AuthError::NotAPerson | AuthError::MissingRole(_) => {
                Problem::with_detail(ProblemKind::Forbidden, detail)
            }
            AuthError::KeysUnavailable(_) | AuthError::SubjectsUnavailable(_) => {
                tracing::error!(error = %e, "cannot validate access tokens");
                Problem::new(ProblemKind::Unavailable)
            }
            AuthError::Undeclared => Problem::internal(&e),
        }
    }
}

impl AuthError {
    /// The `WWW-Authenticate` challenge of RFC 6750 §3 (and RFC 9470 for step-up).
    fn challenge(&self) -> Option<String> {
        match self {
            AuthError::MissingToken => Some(r#"Bearer realm="varoskapu""#.into()),
            AuthError::BadToken(_)
            | AuthError::BadClaims(_)
            | AuthError::NotAnAccessToken
            | AuthError::UnknownSubject => {
                Some(r#"Bearer realm="varoskapu", error="invalid_token""#.into())
            }
            AuthError::MissingScope(scope) => Some(format!(
                r#"Bearer realm="varoskapu", error="insufficient_scope", scope="{scope}""#
            )),
            AuthError::SecondFactorRequired => Some(format!(
                r#"Bearer realm="varoskapu", error="insufficient_user_authentication", acr_values="{ACR_MFA}""#
            )),
            _ => None,
        }
    }
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        let challenge = self.challenge();
        let mut response = Problem::from(self).into_response();
        if let Some(value) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}
