//! The provider's Lambda: the OpenID Connect endpoints and login pages on DynamoDB, tokens
//! signed by the KMS token key. Everything is built once per execution environment.

use std::sync::Arc;
use varoskapu_aws::accounts::accounts_on_aws;
use varoskapu_aws::kms_token_keys::KmsTokenKeys;
use varoskapu_http::config::{optional, required};
use varoskapu_http::logging::{LogFormat, init};
use varoskapu_idp::federation::UpstreamConfig;
use varoskapu_idp::{IdpConfig, Provider};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    init(LogFormat::detect());
    let aws = varoskapu_aws::AwsConfig::from_env()?;
    let issuer = required("VAROSKAPU_ISSUER")?;
    let public_base_url = optional("PUBLIC_BASE_URL").unwrap_or_else(|| issuer.clone());
    // Pairwise subjects must not change between environments or deployments.
    let salt = required("VAROSKAPU_PAIRWISE_SALT")?;
    let clock = Arc::new(varoskapu_core::SystemClock);
    let sdk = aws.sdk_config().await;
    let keys = KmsTokenKeys::from_env(aws_sdk_kms::Client::new(&sdk))?;
    // One SDK configuration (credential chain, region) serves every client.
    let (table, accounts) = accounts_on_aws(&aws, &sdk, clock.clone(), public_base_url)?;
    let mut config = IdpConfig::new(issuer).with_pairwise_salt(salt);
    if let Some(upstream) = UpstreamConfig::from_env()? {
        config = config.with_upstream(upstream);
    }
    let provider = Provider::new(table, clock, Arc::new(keys), accounts, config);
    // The same request ids, tracing span and problem+json fallback as the local server.
    lambda_http::run(varoskapu_http::with_common_layers(varoskapu_idp::router(
        provider,
    )))
    .await
}
