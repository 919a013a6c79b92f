//! The one trait by which an error names its problem, and the one error type handlers
//! return. Every status of the API comes from [`ProblemKind::status`]: an error says what
//! kind of failure it is and, where clients branch on it, the slug of its own `type`.

use super::{Problem, ProblemKind};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

/// An error that is answered as a problem document.
pub trait ProblemSource: std::error::Error {
    /// The kind of failure, which fixes the status.
    fn problem_kind(&self) -> ProblemKind;

    /// The slug of a more specific `type` (`cases:illegal-transition`); `None` keeps the
    /// kind's own (`not-found`).
    fn problem_type(&self) -> Option<&'static str> {
        None
    }

    /// What the client is told; by default the error's message, and nothing for internal
    /// or unavailable failures, whose causes may name infrastructure.
    fn problem_detail(&self) -> Option<String> {
        match self.problem_kind() {
            ProblemKind::Internal | ProblemKind::Unavailable => None,
            _ => Some(self.to_string()),
        }
    }

    /// Further members of the document (`errors`, `limit`, `from`/`to`…).
    fn problem_extensions(&self) -> Map<String, Value> {
        Map::new()
    }

    /// Seconds for `Retry-After`; unavailable failures get a default from [`Problem::new`].
    fn retry_after(&self) -> Option<u64> {
        None
    }

    /// The `WWW-Authenticate` challenge, for refused tokens.
    fn challenge(&self) -> Option<String> {
        None
    }

    /// An error that only wraps another (a storage failure) answers with that one's problem.
    fn wrapped(&self) -> Option<&dyn ProblemSource> {
        None
    }

    /// The problem document; internal and unavailable failures are logged with their
    /// whole chain of causes, which never reach the client.
    fn problem(&self) -> Problem {
        if let Some(inner) = self.wrapped() {
            return inner.problem();
        }
        let kind = self.problem_kind();
        match kind {
            ProblemKind::Internal => tracing::error!(error = %chain(self), "internal error"),
            ProblemKind::Unavailable => tracing::error!(error = %chain(self), "unavailable"),
            _ => {}
        }
        let mut problem = Problem::new(kind);
        if let Some(slug) = self.problem_type() {
            problem = problem.typed(slug);
        }
        problem.detail = self.problem_detail();
        problem.extensions = self.problem_extensions();
        if let Some(seconds) = self.retry_after() {
            problem = problem.retry_after(seconds);
        }
        if let Some(challenge) = self.challenge() {
            problem = problem.challenge(challenge);
        }
        problem
    }
}

/// The error and its sources, `outer: inner: innermost`. A source whose words the text
/// already ends with is not repeated: an error that shows its cause in its own message
/// (`storage unavailable: {0}`) and returns it as its source would say it twice.
fn chain(e: &(impl std::error::Error + ?Sized)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.ends_with(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}

impl<E: ProblemSource> From<E> for Problem {
    fn from(e: E) -> Self {
        e.problem()
    }
}

/// What every handler of the API returns on failure: `?` turns any [`ProblemSource`]
/// (domain, storage, authorization errors) or a ready [`Problem`] into it.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError(pub Problem);

impl<E: ProblemSource> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.problem())
    }
}

impl From<Problem> for ApiError {
    fn from(p: Problem) -> Self {
        ApiError(p)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::chain;
    use varoskapu_core::{Cause, TableError};

    #[test]
    fn the_chain_names_every_cause_once() {
        #[derive(Debug, thiserror::Error)]
        #[error("database is locked")]
        struct Locked(#[source] std::io::Error);

        let e = TableError::Unavailable(Cause::of(Locked(std::io::Error::other("EBUSY"))));
        assert_eq!(e.to_string(), "storage unavailable: database is locked");
        assert_eq!(chain(&e), "storage unavailable: database is locked: EBUSY");
    }
}
