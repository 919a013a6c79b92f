//! Why a request was refused, as problem+json with the RFC 6750 / RFC 9470 challenge.

use crate::problem::{ProblemKind, ProblemSource};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
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

impl ProblemSource for AuthError {
    fn problem_kind(&self) -> ProblemKind {
        match self {
            AuthError::MissingToken
            | AuthError::BadToken(_)
            | AuthError::BadClaims(_)
            | AuthError::NotAnAccessToken
            | AuthError::UnknownSubject => ProblemKind::Unauthenticated,
            AuthError::MissingScope(_)
            | AuthError::SecondFactorRequired
            | AuthError::NotAPerson
            | AuthError::MissingRole(_) => ProblemKind::Forbidden,
            AuthError::KeysUnavailable(_) | AuthError::SubjectsUnavailable(_) => {
                ProblemKind::Unavailable
            }
            AuthError::Undeclared => ProblemKind::Internal,
        }
    }

    fn problem_type(&self) -> Option<&'static str> {
        match self {
            AuthError::MissingScope(_) => Some("insufficient-scope"),
            AuthError::SecondFactorRequired => Some("mfa-required"),
            _ => None,
        }
    }

    fn problem_extensions(&self) -> Map<String, Value> {
        let mut members = Map::new();
        match self {
            AuthError::MissingScope(scope) => {
                members.insert("scope".into(), scope.as_str().into());
            }
            AuthError::SecondFactorRequired => {
                members.insert("acr_values".into(), ACR_MFA.into());
            }
            _ => {}
        }
        members
    }

    fn challenge(&self) -> Option<String> {
        self.www_authenticate()
    }
}

impl AuthError {
    /// The `WWW-Authenticate` challenge of RFC 6750 §3 (and RFC 9470 for step-up).
    fn www_authenticate(&self) -> Option<String> {
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
        self.problem().into_response()
    }
}
