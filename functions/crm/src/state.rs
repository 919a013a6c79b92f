//! What the CRM routes share: the use cases and the access-token validator.

use std::sync::Arc;
use varoskapu_core::crm::Crm;
use varoskapu_core::crm::identify::PersonIdentification;
use varoskapu_http::auth::TokenValidator;

#[derive(Clone)]
pub struct CrmState {
    pub crm: Crm,
    /// Matching citizens against the population register; `None` where no registry is
    /// connected.
    pub identification: Option<PersonIdentification>,
    pub tokens: Arc<TokenValidator>,
}

impl CrmState {
    pub fn new(
        crm: Crm,
        identification: Option<PersonIdentification>,
        tokens: Arc<TokenValidator>,
    ) -> Self {
        Self {
            crm,
            identification,
            tokens,
        }
    }
}
