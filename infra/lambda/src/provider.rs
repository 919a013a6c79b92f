//! The provider of the `idp` Lambda, from its environment: its records on DynamoDB, tokens
//! signed by the KMS token key, accounts with SES notices.

use crate::StartError;
use crate::accounts::accounts_on_aws;
use std::sync::Arc;
use varoskapu_aws::kms_token_keys::KmsTokenKeys;
use varoskapu_http::config::required;
use varoskapu_idp::federation::UpstreamConfig;
use varoskapu_idp::{IdpConfig, Provider};

/// Builds the provider from the environment.
pub async fn provider_from_env() -> Result<Provider, StartError> {
    let aws = varoskapu_aws::AwsConfig::from_env()?;
    let issuer = required("VAROSKAPU_ISSUER")?;
    let public_base_url = varoskapu_http::PublicSettings::from_env_or(&issuer)?.public_url;
    // Pairwise subjects must not change between environments or deployments.
    let salt = required("VAROSKAPU_PAIRWISE_SALT")?;
    let clock = Arc::new(varoskapu_core::SystemClock);
    // One SDK configuration (credential chain, region) serves every client.
    let sdk = aws.sdk_config().await;
    let keys = KmsTokenKeys::from_env(aws_sdk_kms::Client::new(&sdk))?;
    let (table, accounts) = accounts_on_aws(&aws, &sdk, clock.clone(), public_base_url)?;
    let mut config = IdpConfig::new(issuer).with_pairwise_salt(salt);
    if let Some(upstream) = UpstreamConfig::from_env()? {
        config = config.with_upstream(upstream);
    }
    Ok(Provider::new(
        table,
        clock,
        Arc::new(keys),
        accounts,
        config,
    ))
}
