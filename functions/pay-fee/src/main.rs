//! The `pay-fee` Lambda: the payment routes behind the HTTP API, SimplePay in production.

use std::sync::Arc;
use varoskapu_core::payments::nav::RecordingInvoiceReporter;
use varoskapu_core::payments::simplepay::Merchant;
use varoskapu_core::payments::{PaymentSettings, Payments};
use varoskapu_http::config::{optional, required};
use varoskapu_http::logging::{LogFormat, init};
use varoskapu_pay_fee::simplepay_client::{SANDBOX_URL, SimplePayClient};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    init(LogFormat::detect());
    let cases = varoskapu_case_api::lambda::state_from_env().await?;
    let merchant = Merchant::new(
        required("VAROSKAPU_SIMPLEPAY_MERCHANT")?,
        required("VAROSKAPU_SIMPLEPAY_SECRET")?,
    );
    let api = optional("VAROSKAPU_SIMPLEPAY_URL").unwrap_or_else(|| SANDBOX_URL.to_owned());
    let public_base_url = required("VAROSKAPU_PUBLIC_URL")?;
    // Invoices are recorded for the NAV reporter; the NAV API client is not wired yet.
    let reporter = Arc::new(RecordingInvoiceReporter {
        table: cases.cases.store.table.clone(),
    });
    let payments = Payments::new(
        cases.cases.clone(),
        Arc::new(SimplePayClient::new(merchant, &api)),
        reporter,
        PaymentSettings::default(),
    );
    let state = varoskapu_pay_fee::PayFeeState {
        payments,
        tokens: cases.tokens.clone(),
        public_base_url,
    };
    // The same request ids, tracing span and problem+json fallback as the local server.
    lambda_http::run(varoskapu_http::with_common_layers(
        varoskapu_pay_fee::router(state),
    ))
    .await
}
