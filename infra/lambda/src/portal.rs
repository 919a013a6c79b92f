//! The citizen portal's state of a Lambda function, from its environment: the case,
//! payment and appointment use cases it calls in-process (each wired as its own function
//! wires it), its browser sessions on the table, and its OIDC client: the id and the public
//! URL from the environment, the client secret read from Secrets Manager once per
//! execution environment (the template gives only its ARN).

use crate::StartError;
use crate::accounts::notices_on_aws;
use crate::payments::{merchant_secret_arn, read_merchant_secret};
use std::sync::Arc;
use varoskapu_aws::secrets::{SecretsManager, secret_arn};
use varoskapu_book_appointment::AppointmentsState;
use varoskapu_core::{Clock, SystemClock, UuidV7Ids};
use varoskapu_portal::PortalState;

/// The ARN of the secret holding the portal's OIDC client secret.
pub const CLIENT_SECRET_ARN_VAR: &str = "VAROSKAPU_PORTAL_CLIENT_SECRET_ARN";

/// Builds the portal's state from the environment; a missing setting or an unreadable
/// secret stops start-up naming it.
pub async fn state_from_env() -> Result<PortalState, StartError> {
    let aws = varoskapu_aws::AwsConfig::from_env()?;
    // Both secrets' settings are checked before any call to AWS.
    let client_secret_arn = secret_arn(|name| std::env::var(name).ok(), CLIENT_SECRET_ARN_VAR)?;
    let merchant_secret_arn = merchant_secret_arn()?;
    let sdk = aws.sdk_config().await;
    let secrets = SecretsManager::new(&sdk);
    // The secrets are read beside the case state's construction, so their round trips
    // overlap it (as pay-fee reads its one).
    let (cases, client_secret, merchant_secret) = tokio::try_join!(
        crate::cases::state_on(&aws, &sdk),
        async {
            secrets
                .read(CLIENT_SECRET_ARN_VAR, &client_secret_arn)
                .await
                .map_err(StartError::from)
        },
        read_merchant_secret(&secrets, merchant_secret_arn.as_deref()),
    )?;
    let config = varoskapu_portal::config::from_env_with_secret(client_secret)?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let table = cases.cases.store.table.clone();
    let tokens = cases.tokens.clone();
    let payments = crate::payments::state_with(cases.clone(), merchant_secret)?;
    let appointments = AppointmentsState::new(
        table.clone(),
        clock.clone(),
        Arc::new(UuidV7Ids),
        notices_on_aws(&sdk, table.clone(), clock.clone())?,
        tokens.clone(),
    )?;
    Ok(PortalState::new(
        config,
        table,
        clock,
        tokens,
        cases,
        payments,
        appointments,
    ))
}
