//! What every pay-fee handler needs: the payment use cases and the token validator.

use axum::extract::FromRef;
use std::sync::Arc;
use varoskapu_core::payments::Payments;
use varoskapu_http::auth::TokenValidator;

/// The shared state of the pay-fee routes.
#[derive(Clone)]
pub struct PayFeeState {
    pub payments: Payments,
    pub tokens: Arc<TokenValidator>,
    /// Where clients reach this API (the card provider's back-redirect goes here).
    pub public_base_url: String,
}

impl FromRef<PayFeeState> for Arc<TokenValidator> {
    fn from_ref(state: &PayFeeState) -> Self {
        state.tokens.clone()
    }
}
