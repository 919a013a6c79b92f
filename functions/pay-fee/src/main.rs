//! The `pay-fee` Lambda: the payment routes behind the HTTP API, SimplePay in production.

use std::sync::Arc;
use varoskapu_core::payments::nav::RecordingInvoiceReporter;
use varoskapu_core::payments::{PaymentSettings, Payments};
use varoskapu_http::config::required;
use varoskapu_http::logging::{LogFormat, init};
use varoskapu_pay_fee::simplepay_client::SimplePayClient;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    init(LogFormat::detect());
    let cases = varoskapu_case_api::lambda::state_from_env().await?;
    let simplepay = varoskapu_pay_fee::config::SimplePaySettings::from_env()?;
    let public_base_url = required("VAROSKAPU_PUBLIC_URL")?;
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
