//! The pay-fee state of a Lambda function, from its environment: the case state, SimplePay
//! and the public URL payments return to.

use crate::StartError;
use std::sync::Arc;
use varoskapu_core::payments::nav::RecordingInvoiceReporter;
use varoskapu_core::payments::{PaymentSettings, Payments};
use varoskapu_pay_fee::PayFeeState;
use varoskapu_pay_fee::simplepay_client::SimplePayClient;

/// Builds the pay-fee state from the environment.
pub async fn state_from_env() -> Result<PayFeeState, StartError> {
    let cases = crate::cases::state_from_env().await?;
    let simplepay = varoskapu_pay_fee::config::SimplePaySettings::from_env()?;
    let public_base_url = varoskapu_pay_fee::config::public_url()?;
    let return_origins = varoskapu_pay_fee::config::return_origins(&public_base_url)?;
    // Invoices are recorded for the NAV reporter; the NAV API client is not wired yet.
    let reporter = Arc::new(RecordingInvoiceReporter {
        table: cases.cases.store.table.clone(),
    });
    let payments = Payments::new(
        cases.cases.clone(),
        Arc::new(SimplePayClient::new(simplepay.merchant, &simplepay.api_url)),
        reporter,
        PaymentSettings {
            return_origins: Some(return_origins),
            ..PaymentSettings::default()
        },
    );
    Ok(PayFeeState {
        payments,
        tokens: cases.tokens.clone(),
        public_base_url,
    })
}
