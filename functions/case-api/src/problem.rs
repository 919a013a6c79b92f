//! Case errors become problems by their `ProblemSource` in `varoskapu_http` (one table of
//! statuses for the whole API); handlers return its one error type.

pub use varoskapu_http::ApiError;
