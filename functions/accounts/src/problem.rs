//! The one place where account errors become RFC 9457 problems.

use crate::service::AccountError;
use serde_json::{Map, Value};
use varoskapu_http::{ProblemKind, ProblemSource};

impl ProblemSource for AccountError {
    fn problem_kind(&self) -> ProblemKind {
        match self {
            AccountError::InvalidEmail | AccountError::WeakPassword | AccountError::InvalidName => {
                ProblemKind::ValidationFailed
            }
            AccountError::InvalidCredentials
            | AccountError::SecondFactorRequired
            | AccountError::InvalidSecondFactor => ProblemKind::Unauthenticated,
            AccountError::EmailNotVerified => ProblemKind::Forbidden,
            AccountError::Throttled { .. } => ProblemKind::TooManyRequests,
            AccountError::InvalidToken => ProblemKind::BadRequest,
            AccountError::EmailTaken
            | AccountError::PasskeyTaken
            | AccountError::TooManyPasskeys => ProblemKind::Conflict,
            AccountError::NotFound => ProblemKind::NotFound,
            AccountError::Notify(_) | AccountError::Hashing => ProblemKind::Internal,
            // Answered by `wrapped`.
            AccountError::Storage(_) => ProblemKind::Internal,
        }
    }

    fn problem_detail(&self) -> Option<String> {
        match self {
            AccountError::NotFound | AccountError::Notify(_) | AccountError::Hashing => None,
            other => Some(other.to_string()),
        }
    }

    fn problem_extensions(&self) -> Map<String, Value> {
        let mut members = Map::new();
        match self {
            AccountError::Throttled { retry_after } => {
                members.insert("retry_after".into(), (*retry_after).into());
            }
            AccountError::SecondFactorRequired | AccountError::InvalidSecondFactor => {
                members.insert("second_factor".into(), "totp".into());
            }
            _ => {}
        }
        members
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            AccountError::Throttled { retry_after } => Some((*retry_after).max(0).unsigned_abs()),
            _ => None,
        }
    }

    fn wrapped(&self) -> Option<&dyn ProblemSource> {
        match self {
            AccountError::Storage(table) => Some(table),
            _ => None,
        }
    }
}

/// The problem response of an account error, with `Retry-After` when throttled.
impl axum::response::IntoResponse for AccountError {
    fn into_response(self) -> axum::response::Response {
        self.problem().into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use varoskapu_http::Problem;

    #[test]
    fn wrong_passwords_and_unknown_accounts_are_one_problem() {
        let p = Problem::from(AccountError::InvalidCredentials);
        assert_eq!(p.status, 401);
        assert_eq!(p.type_uri, "urn:varoskapu:problem:unauthenticated");
        let throttled = Problem::from(AccountError::Throttled { retry_after: 30 });
        assert_eq!(throttled.status, 429);
        assert_eq!(throttled.extensions["retry_after"], 30);
    }
}
