//! The `register` Lambda: sign-up and e-mail verification on DynamoDB behind the HTTP API.

use std::sync::Arc;
use varoskapu_accounts::{AccountAddresses, Accounts, AccountsConfig};
use varoskapu_aws::ses_notifier::notifier_from_env;
use varoskapu_core::{SystemClock, Table, UuidV7Ids};
use varoskapu_http::logging::{LogFormat, init};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    init(LogFormat::detect());
    let aws = varoskapu_aws::AwsConfig::from_env()?;
    let public_base_url = varoskapu_http::config::required("PUBLIC_BASE_URL")?;
    let clock = Arc::new(SystemClock);
    let sdk = aws.sdk_config().await;
    let table: Arc<dyn Table> = Arc::new(aws.table(&sdk, clock.clone()));
    let addresses = Arc::new(AccountAddresses::new(table.clone()));
    let notifier = notifier_from_env(&sdk, table.clone(), clock.clone(), addresses)?;
    let accounts = Accounts::new(
        table,
        clock,
        Arc::new(UuidV7Ids),
        notifier,
        AccountsConfig::new(public_base_url),
    );
    // The same request ids, tracing span and problem+json fallback as the local server.
    lambda_http::run(varoskapu_http::with_common_layers(
        varoskapu_register::router(accounts),
    ))
    .await
}
