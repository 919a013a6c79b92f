//! The appointment state of a Lambda function (the booking routes and the reminder job),
//! from its environment: DynamoDB, SES (or the table's outbox) and the provider's JWKS.

use crate::StartError;
use crate::accounts::notices_on_aws;
use std::sync::Arc;
use varoskapu_book_appointment::{AppointmentsConfig, AppointmentsState};
use varoskapu_core::{SystemClock, Table, UuidV7Ids};
use varoskapu_http::auth::TokenValidator;

/// Builds the appointment state and its configuration from the environment.
pub async fn state_from_env() -> Result<(AppointmentsState, AppointmentsConfig), StartError> {
    let aws = varoskapu_aws::AwsConfig::from_env()?;
    let config = AppointmentsConfig::from_env()?;
    let clock = Arc::new(SystemClock);
    let sdk = aws.sdk_config().await;
    let table: Arc<dyn Table> = Arc::new(aws.table(&sdk, clock.clone()));
    let notifier = notices_on_aws(&sdk, table.clone(), clock.clone())?;
    let tokens = Arc::new(TokenValidator::deployed(
        &config.issuer,
        &config.jwks_uri,
        table.clone(),
        clock.clone(),
    )?);
    let state = AppointmentsState::new(table, clock, Arc::new(UuidV7Ids), notifier, tokens)?;
    Ok((state, config))
}
