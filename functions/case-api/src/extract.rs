//! Request parts the case handlers read beyond the shared ones of `varoskapu_http`
//! (re-exported here): where a request came from, as the audit log records it, and case
//! ids from the path.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use varoskapu_core::cases::CitizenActor;
use varoskapu_http::ClientAddress;
use varoskapu_http::auth::Principal;
use varoskapu_http::extract::{IdKind, PathId};

pub use varoskapu_http::ApiJson;
pub use varoskapu_http::extract::{ApiQuery, IDEMPOTENCY_KEY, IdempotencyKey};

/// Where a request came from, for the audit log, by the one client-address rule of
/// `varoskapu_http::client_address` (a client's own `X-Forwarded-For` is not believed).
#[derive(Debug, Clone, Default)]
pub struct Origin(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for Origin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let address = ClientAddress::from_request_parts(parts, state).await?;
        Ok(Origin(address.text()))
    }
}

impl Origin {
    /// The citizen acting, with where the request came from.
    pub fn citizen(self, p: &Principal) -> CitizenActor {
        CitizenActor::new(p.account.clone(), self.0)
    }
}

/// Case ids in the path (`/cases/{case_id}`).
pub struct Case;

impl IdKind for Case {
    const PARAM: &'static str = "case_id";
    const NOT_FOUND: &'static str = "no such case";
}

/// The case id of the path; a malformed one names no case (404).
pub type CaseId = PathId<Case>;
