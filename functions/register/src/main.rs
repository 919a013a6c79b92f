//! The `register` Lambda: sign-up and e-mail verification on DynamoDB behind the HTTP API.

use std::sync::Arc;
use varoskapu_aws::accounts::accounts_on_aws;
use varoskapu_http::logging::{LogFormat, init};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    init(LogFormat::detect());
    let aws = varoskapu_aws::AwsConfig::from_env()?;
    let public_base_url = varoskapu_http::config::required("PUBLIC_BASE_URL")?;
    let sdk = aws.sdk_config().await;
    let clock = Arc::new(varoskapu_core::SystemClock);
    let (_, accounts) = accounts_on_aws(&aws, &sdk, clock, public_base_url)?;
    // The same request ids, tracing span and problem+json fallback as the local server.
    lambda_http::run(varoskapu_http::with_common_layers(
        varoskapu_register::router(accounts),
    ))
    .await
}
