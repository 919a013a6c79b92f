//! The scheduled reminder Lambda: each EventBridge invocation sends the due reminders once.

use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};
use std::sync::Arc;
use varoskapu_aws::accounts::notices_on_aws;
use varoskapu_book_appointment::reminders::run_once;
use varoskapu_book_appointment::{AppointmentsConfig, AppointmentsState};
use varoskapu_core::{SystemClock, UuidV7Ids};
use varoskapu_http::auth::TokenValidator;
use varoskapu_http::logging::{LogFormat, init};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init(LogFormat::detect());
    let aws = varoskapu_aws::AwsConfig::from_env()?;
    let config = AppointmentsConfig::from_env()?;
    let clock = Arc::new(SystemClock);
    let sdk = aws.sdk_config().await;
    let table: Arc<dyn varoskapu_core::Table> = Arc::new(aws.table(&sdk, clock.clone()));
    let notifier = notices_on_aws(&sdk, table.clone(), clock.clone())?;
    // The job validates no tokens; the validator only completes the shared state.
    let tokens = Arc::new(TokenValidator::deployed(
        &config.issuer,
        &config.jwks_uri,
        table.clone(),
        clock.clone(),
    )?);
    let state = AppointmentsState::new(table, clock, Arc::new(UuidV7Ids), notifier, tokens)?;
    let lead = config.reminder_lead;
    lambda_runtime::run(service_fn(|_: LambdaEvent<serde_json::Value>| {
        let state = state.clone();
        async move {
            let run = run_once(&state, lead).await?;
            Ok::<_, lambda_runtime::Error>(serde_json::json!({ "sent": run.sent, "skipped": run.skipped, "failed": run.failed }))
        }
    }))
    .await
}
