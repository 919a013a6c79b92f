//! CRM errors as problems: field errors name their pointer, a stale version is a conflict,
//! and a registry or index that does not answer asks the client to retry.

use super::{ProblemKind, ProblemSource, UNAVAILABLE_RETRY_AFTER};
use serde_json::{Map, Value, json};
use varoskapu_core::crm::CrmError;
use varoskapu_core::crm::registry::RegistryError;
use varoskapu_core::crm::search::SearchError;

impl ProblemSource for CrmError {
    fn problem_kind(&self) -> ProblemKind {
        use ProblemKind::*;
        match self {
            CrmError::Invalid(_) | CrmError::IdempotencyKeyReused => ValidationFailed,
            CrmError::UnknownPerson | CrmError::UnknownSearch | CrmError::UnknownCandidate => {
                NotFound
            }
            CrmError::Stale | CrmError::AccountTaken | CrmError::Busy => Conflict,
            CrmError::Merged => Gone,
            CrmError::Search(SearchError::BadCursor) => BadRequest,
            CrmError::Search(SearchError::Unavailable(_)) => Unavailable,
            CrmError::Registry(RegistryError::Unavailable(_)) => Unavailable,
            CrmError::Registry(RegistryError::Refused(_)) => Internal,
            CrmError::Table(_) => Internal,
        }
    }

    fn problem_type(&self) -> Option<&'static str> {
        Some(match self {
            CrmError::Stale => "crm:stale",
            CrmError::AccountTaken => "crm:account-taken",
            CrmError::Merged => "crm:merged",
            CrmError::Busy => "crm:busy",
            CrmError::IdempotencyKeyReused => "crm:idempotency-key-reused",
            CrmError::Registry(RegistryError::Unavailable(_)) => "crm:registry-unavailable",
            _ => return None,
        })
    }

    fn problem_detail(&self) -> Option<String> {
        match self {
            CrmError::Registry(_) => {
                Some("the national registry did not answer; retry later".into())
            }
            CrmError::Search(SearchError::Unavailable(_)) => {
                Some("the search index is unavailable; retry later".into())
            }
            CrmError::Table(_) => None,
            other => Some(other.to_string()),
        }
    }

    fn problem_extensions(&self) -> Map<String, Value> {
        match self {
            CrmError::Invalid(errors) => match json!({ "errors": errors }) {
                Value::Object(map) => map,
                _ => Map::new(),
            },
            _ => Map::new(),
        }
    }

    fn retry_after(&self) -> Option<u64> {
        matches!(self.problem_kind(), ProblemKind::Unavailable).then_some(UNAVAILABLE_RETRY_AFTER)
    }

    fn wrapped(&self) -> Option<&dyn ProblemSource> {
        match self {
            CrmError::Table(t) => Some(t),
            _ => None,
        }
    }
}
