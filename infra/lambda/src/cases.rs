//! The case state of a Lambda function, from its environment: DynamoDB, the uploads and
//! documents buckets, the documents (KMS signer, its certificate chain from SSM, the
//! RFC 3161 authority; off until installed), the accounts as the directory of people, SES
//! (or the table's outbox) for notices and the provider's JWKS.

use crate::StartError;
use crate::accounts::notices_on_aws;
use crate::documents::{DocumentParts, documents_from_env};
use std::sync::Arc;
use varoskapu_aws::S3BlobStore;
use varoskapu_case_api::CasesState;
use varoskapu_case_api::config::CasesConfig;
use varoskapu_case_api::forms::JsonSchemaForms;
use varoskapu_case_api::people::AccountDirectory;
use varoskapu_core::cases::{CasePorts, Cases};
use varoskapu_core::{Clock, SystemClock, Table, UuidV7Ids};
use varoskapu_http::auth::TokenValidator;

pub use crate::documents::{MUNICIPALITY_VAR, OFFICE_VAR};

/// Builds the state of a case function from the environment; any missing setting stops
/// start-up with its name, except signing's, which turn signing off (and say so).
pub async fn state_from_env() -> Result<CasesState, StartError> {
    let aws = varoskapu_aws::AwsConfig::from_env()?;
    // One SDK configuration (credential chain, region) serves every client.
    let sdk = aws.sdk_config().await;
    state_on(&aws, &sdk).await
}

/// Like [`state_from_env`], on an SDK configuration the caller shares with clients of its own.
pub async fn state_on(
    aws: &varoskapu_aws::AwsConfig,
    sdk: &aws_config::SdkConfig,
) -> Result<CasesState, StartError> {
    let config = CasesConfig::from_env()?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let table: Arc<dyn Table> = Arc::new(aws.table(sdk, clock.clone()));
    let documents = Arc::new(aws.documents(sdk));
    let uploads = Arc::new(S3BlobStore::new(
        aws.s3_client(sdk),
        config.uploads_bucket.clone(),
    ));
    let signed = documents_from_env(
        sdk,
        DocumentParts {
            kms: aws_sdk_kms::Client::new(sdk),
            blobs: documents.clone(),
            table: table.clone(),
            clock: clock.clone(),
        },
    )
    .await?;
    let notifier = notices_on_aws(sdk, table.clone(), clock.clone())?;
    let tokens = Arc::new(TokenValidator::deployed(
        &config.issuer,
        &config.jwks_uri,
        table.clone(),
        clock.clone(),
    )?);
    let cases = Cases::new(CasePorts {
        people: Arc::new(AccountDirectory::new(table.clone())),
        notary: signed.notary,
        // Without a registry service, rules with registry checks leave every case to a clerk.
        registry: crate::crm::registry_from_env()?,
        table,
        uploads,
        documents,
        issuer: signed.issuer,
        notifier,
        clock: clock.clone(),
        ids: Arc::new(UuidV7Ids),
    })?;
    Ok(CasesState {
        cases,
        forms: Arc::new(JsonSchemaForms),
        tokens,
    })
}
