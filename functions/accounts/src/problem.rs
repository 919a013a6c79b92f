//! The one place where account errors become RFC 9457 problems.

use crate::service::AccountError;
use varoskapu_http::{Problem, ProblemKind};

impl From<AccountError> for Problem {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::InvalidEmail | AccountError::WeakPassword | AccountError::InvalidName => {
                Problem::with_detail(ProblemKind::ValidationFailed, e.to_string())
            }
            AccountError::InvalidCredentials => {
                Problem::with_detail(ProblemKind::Unauthenticated, e.to_string())
            }
            AccountError::EmailNotVerified => {
                Problem::with_detail(ProblemKind::Forbidden, e.to_string())
            }
            AccountError::Throttled { retry_after } => {
                Problem::with_detail(ProblemKind::TooManyRequests, e.to_string())
                    .extension("retry_after", retry_after)
            }
            AccountError::SecondFactorRequired | AccountError::InvalidSecondFactor => {
                Problem::with_detail(ProblemKind::Unauthenticated, e.to_string())
                    .extension("second_factor", "totp")
            }
            AccountError::InvalidToken => {
                Problem::with_detail(ProblemKind::BadRequest, e.to_string())
            }
            AccountError::EmailTaken => Problem::with_detail(ProblemKind::Conflict, e.to_string()),
            AccountError::NotFound => Problem::new(ProblemKind::NotFound),
            AccountError::Storage(table) => Problem::from(table),
            AccountError::Notify(_) | AccountError::Hashing => Problem::internal(&e),
        }
    }
}

/// The problem response of an account error, with `Retry-After` when throttled.
impl axum::response::IntoResponse for AccountError {
    fn into_response(self) -> axum::response::Response {
        let retry_after = match &self {
            AccountError::Throttled { retry_after } => Some(*retry_after),
            _ => None,
        };
        let mut response = Problem::from(self).into_response();
        if let Some(value) =
            retry_after.and_then(|s| axum::http::HeaderValue::from_str(&s.to_string()).ok())
        {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, value);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
