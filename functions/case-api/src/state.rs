//! What every case handler needs: the use cases, the form validator and the token validator.

use axum::extract::FromRef;
use std::sync::Arc;
use varoskapu_core::cases::{Cases, FormValidator};
use varoskapu_http::auth::TokenValidator;

/// The shared state of the case routes.
#[derive(Clone)]
pub struct CasesState {
    pub cases: Cases,
    pub forms: Arc<dyn FormValidator>,
    pub tokens: Arc<TokenValidator>,
}

impl FromRef<CasesState> for Arc<TokenValidator> {
    fn from_ref(state: &CasesState) -> Self {
        state.tokens.clone()
    }
}
