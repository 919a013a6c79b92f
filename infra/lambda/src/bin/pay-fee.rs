//! The `pay-fee` Lambda: the payment routes behind the HTTP API, SimplePay in production.

use varoskapu_http::logging::{LogFormat, init};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    init(LogFormat::detect());
    let state = varoskapu_lambda::payments::state_from_env().await?;
    // The same request ids, tracing span and problem+json fallback as the local server.
    lambda_http::run(varoskapu_http::with_common_layers(
        varoskapu_pay_fee::router(state),
    ))
    .await
}
