//! The cause a port's error carries: what went wrong in words, and the error underneath
//! when an adapter had one (a SQLite, S3 or SES failure, a JSON error), kept as the source
//! so logs and `{:?}` show the whole chain instead of its text alone.

use std::error::Error;
use std::fmt;
use std::sync::Arc;

/// A port error's cause. It displays as its message (so a variant's message reads as it
/// always did) and is its own error's stand-in in the chain: `source()` continues with the
/// underlying error's source, and [`Cause::downcast_ref`] reaches the underlying error
/// itself. Cheap to clone (the underlying error is shared), and compared by message:
/// errors are compared in tests, never to tell two failures apart.
#[derive(Clone)]
pub struct Cause {
    message: String,
    source: Option<Arc<dyn Error + Send + Sync + 'static>>,
}

impl Cause {
    /// A cause with no underlying error (the adapter found the problem itself).
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            source: None,
        }
    }

    /// The underlying error, described by its own message.
    pub fn of(error: impl Error + Send + Sync + 'static) -> Self {
        Self {
            message: error.to_string(),
            source: Some(Arc::new(error)),
        }
    }

    /// The underlying error, described in other words (with the operation that failed,
    /// or the error's whole chain).
    pub fn with_source(
        message: impl Into<String>,
        error: impl Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            message: message.into(),
            source: Some(Arc::new(error)),
        }
    }

    /// The words of this cause.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The underlying error, if there is one and it is an `E`.
    pub fn downcast_ref<E: Error + 'static>(&self) -> Option<&E> {
        self.source.as_deref()?.downcast_ref::<E>()
    }

    /// Whether an underlying error was kept.
    pub fn has_source(&self) -> bool {
        self.source.is_some()
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            None => fmt::Debug::fmt(&self.message, f),
            Some(source) => f
                .debug_struct("Cause")
                .field("message", &self.message)
                .field("source", source)
                .finish(),
        }
    }
}

impl Error for Cause {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.source.as_deref()?.source()
    }
}

impl PartialEq for Cause {
    fn eq(&self, other: &Self) -> bool {
        self.message == other.message
    }
}

impl Eq for Cause {}

impl From<String> for Cause {
    fn from(message: String) -> Self {
        Self::new(message)
    }
}

impl From<&str> for Cause {
    fn from(message: &str) -> Self {
        Self::new(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn the_underlying_error_stays_reachable_and_the_message_reads_as_before() {
        let io = std::io::Error::other("disk on fire");
        let cause = Cause::of(Outer(io));
        assert_eq!(cause.to_string(), "outer");
        assert!(cause.downcast_ref::<Outer>().is_some());
        assert_eq!(
            cause.source().map(|s| s.to_string()).as_deref(),
            Some("disk on fire")
        );
        assert!(format!("{cause:?}").contains("disk on fire"));
        assert_eq!(cause, Cause::new("outer"));
        assert!(!Cause::new("outer").has_source());
    }
}
