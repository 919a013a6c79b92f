//! What the CRM use cases refuse, and why.

use super::registry::RegistryError;
use super::search::SearchError;
use crate::TableError;
use serde::Serialize;

/// One field a request got wrong: a JSON Pointer into the request and what is wrong there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub pointer: String,
    pub detail: String,
}

impl FieldError {
    pub fn new(pointer: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            detail: detail.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CrmError {
    /// The request names fields that are wrong; nothing was changed.
    #[error("the person record is not valid")]
    Invalid(Vec<FieldError>),
    #[error("no such person")]
    UnknownPerson,
    #[error("no such saved search")]
    UnknownSearch,
    #[error("no such duplicate candidate")]
    UnknownCandidate,
    /// The record changed since it was read (`version` of the request is stale).
    #[error("the record was changed by someone else; reload it")]
    Stale,
    /// The account already has a person record.
    #[error("the account is already linked to another person record")]
    AccountTaken,
    /// A merged record is kept for its history only.
    #[error("the record was merged into another")]
    Merged,
    #[error("this Idempotency-Key was already used for a different request")]
    IdempotencyKeyReused,
    #[error("too many concurrent changes; try again")]
    Busy,
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error(transparent)]
    Table(#[from] TableError),
}

impl CrmError {
    /// One field error.
    pub fn field(pointer: &str, detail: impl Into<String>) -> Self {
        CrmError::Invalid(vec![FieldError::new(pointer, detail)])
    }
}
