//! The accounts of a Lambda function, from its environment: the DynamoDB table, and SES
//! (or the table's outbox when no sender is configured) for verification and reset mails.

use std::sync::Arc;
use varoskapu_accounts::{AccountAddresses, Accounts, AccountsConfig};
use varoskapu_aws::AwsConfig;
use varoskapu_aws::ses_notifier::notifier_from_env;
use varoskapu_core::notify::{Notifier, NotifyError};
use varoskapu_core::{Clock, SystemClock, Table, UuidV7Ids};

/// The account use cases on the table `aws` names, with links pointing at `public_base_url`;
/// the table is returned too, for functions that keep more than accounts in it.
pub fn accounts_on_aws(
    aws: &AwsConfig,
    sdk: &aws_config::SdkConfig,
    clock: Arc<dyn Clock>,
    public_base_url: String,
) -> Result<(Arc<dyn Table>, Accounts), NotifyError> {
    let table: Arc<dyn Table> = Arc::new(aws.table(sdk, clock.clone()));
    let notifier = notices_on_aws(sdk, table.clone(), clock.clone())?;
    let accounts = Accounts::new(
        table.clone(),
        clock,
        Arc::new(UuidV7Ids),
        notifier,
        AccountsConfig::new(public_base_url),
    );
    Ok((table, accounts))
}

/// How a function notifies people: SES when a sender is configured (addresses looked up
/// among the accounts in `table`), the table's outbox otherwise.
pub fn notices_on_aws(
    sdk: &aws_config::SdkConfig,
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
) -> Result<Arc<dyn Notifier>, NotifyError> {
    let addresses = Arc::new(AccountAddresses::new(table.clone()));
    notifier_from_env(sdk, table, clock, addresses)
}

/// The account use cases of the register and authenticate functions, from the environment
/// (`VAROSKAPU_PUBLIC_URL` and the AWS settings).
pub async fn accounts_from_env() -> Result<Accounts, crate::StartError> {
    let aws = AwsConfig::from_env()?;
    let public_base_url = varoskapu_http::PublicSettings::from_env()?.public_url;
    let sdk = aws.sdk_config().await;
    let (_, accounts) = accounts_on_aws(&aws, &sdk, Arc::new(SystemClock), public_base_url)?;
    Ok(accounts)
}
