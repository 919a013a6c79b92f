//! The `book-appointment` Lambda: the appointment router on DynamoDB behind the HTTP API.

use std::sync::Arc;
use varoskapu_aws::accounts::notices_on_aws;
use varoskapu_book_appointment::{AppointmentsConfig, AppointmentsState, router};
use varoskapu_core::{SystemClock, UuidV7Ids};
use varoskapu_http::auth::TokenValidator;
use varoskapu_http::logging::{LogFormat, init};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    init(LogFormat::detect());
    let aws = varoskapu_aws::AwsConfig::from_env()?;
    let config = AppointmentsConfig::from_env()?;
    let clock = Arc::new(SystemClock);
    let sdk = aws.sdk_config().await;
    let table: Arc<dyn varoskapu_core::Table> = Arc::new(aws.table(&sdk, clock.clone()));
    let notifier = notices_on_aws(&sdk, table.clone(), clock.clone())?;
    let tokens = Arc::new(TokenValidator::deployed(
        &config.issuer,
        &config.jwks_uri,
        table.clone(),
        clock.clone(),
    )?);
    let state = AppointmentsState::new(table, clock, Arc::new(UuidV7Ids), notifier, tokens)?;
    // The same request ids, tracing span and problem+json fallback as the local server.
    lambda_http::run(varoskapu_http::with_common_layers(router(state))).await
}
