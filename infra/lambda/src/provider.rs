//! The provider of the `idp` Lambda, from its environment: its records on DynamoDB, tokens
//! signed by the KMS token key, accounts with SES notices, and its secrets (the pairwise
//! salt, the eID client secret) read from Secrets Manager once per execution environment.

use crate::StartError;
use crate::accounts::accounts_on_aws;
use std::sync::Arc;
use varoskapu_aws::kms_token_keys::KmsTokenKeys;
use varoskapu_aws::secrets::{SecretsManager, secret_arn};
use varoskapu_http::config::{optional, required};
use varoskapu_idp::federation::{EID_ISSUER_VAR, UpstreamConfig};
use varoskapu_idp::{IdpConfig, Provider};

/// The ARN of the secret holding the salt of pairwise subjects.
pub const PAIRWISE_SALT_SECRET_VAR: &str = "VAROSKAPU_PAIRWISE_SALT_SECRET_ARN";
/// The ARN of the secret holding this provider's client secret at the eID provider
/// (read only with `VAROSKAPU_EID_ISSUER`).
pub const EID_CLIENT_SECRET_VAR: &str = "VAROSKAPU_EID_CLIENT_SECRET_ARN";

/// Builds the provider from the environment.
pub async fn provider_from_env() -> Result<Provider, StartError> {
    let aws = varoskapu_aws::AwsConfig::from_env()?;
    let issuer = required("VAROSKAPU_ISSUER")?;
    let public_base_url = varoskapu_http::PublicSettings::from_env_or(&issuer)?.public_url;
    let env = |name: &str| std::env::var(name).ok();
    // Every setting is checked before the first call to AWS, so a missing one is named at once.
    let salt_arn = secret_arn(env, PAIRWISE_SALT_SECRET_VAR)?;
    let eid_secret_arn = match optional(EID_ISSUER_VAR) {
        Some(_) => Some(secret_arn(env, EID_CLIENT_SECRET_VAR)?),
        None => None,
    };
    let clock = Arc::new(varoskapu_core::SystemClock);
    // One SDK configuration (credential chain, region) serves every client.
    let sdk = aws.sdk_config().await;
    let secrets = SecretsManager::new(&sdk);
    // Pairwise subjects must not change between environments or deployments. Both secrets
    // are read at once: a cold start waits for one round trip to Secrets Manager.
    let (salt, eid_secret) =
        tokio::try_join!(secrets.read(PAIRWISE_SALT_SECRET_VAR, &salt_arn), async {
            match &eid_secret_arn {
                Some(arn) => secrets.read(EID_CLIENT_SECRET_VAR, arn).await.map(Some),
                None => Ok(None),
            }
        })?;
    let keys = KmsTokenKeys::from_env(aws_sdk_kms::Client::new(&sdk))?;
    let (table, accounts) = accounts_on_aws(&aws, &sdk, clock.clone(), public_base_url)?;
    let mut config = IdpConfig::new(issuer).with_pairwise_salt(salt);
    // The eID settings as the local server reads them, the client secret from its secret.
    let upstream = UpstreamConfig::from_lookup(|name| match name {
        "VAROSKAPU_EID_CLIENT_SECRET" => eid_secret.clone(),
        _ => env(name),
    })?;
    if let Some(upstream) = upstream {
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
