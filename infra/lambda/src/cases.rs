//! The case state of a Lambda function, from its environment: DynamoDB, the uploads and
//! documents buckets, the KMS signer with its certificate chain, the RFC 3161 authority
//! (documents and the audit log's anchors), the accounts as the directory of people, SES
//! (or the table's outbox) for notices and the provider's JWKS.

use crate::StartError;
use crate::accounts::notices_on_aws;
use std::sync::Arc;
use varoskapu_aws::S3BlobStore;
use varoskapu_aws::kms_signer::KmsSigner;
use varoskapu_case_api::CasesState;
use varoskapu_case_api::config::CasesConfig;
use varoskapu_case_api::forms::JsonSchemaForms;
use varoskapu_case_api::people::AccountDirectory;
use varoskapu_core::cases::{CasePorts, Cases};
use varoskapu_core::documents::{DocumentIssuer, Signer, TimestampAuthority};
use varoskapu_core::{Clock, SystemClock, Table, UuidV7Ids};
use varoskapu_documents::render::Municipality;
use varoskapu_documents::tsa_client::HttpTsa;
use varoskapu_documents::{CmsNotary, PadesIssuer};
use varoskapu_http::auth::TokenValidator;
use varoskapu_http::config::optional;

/// The municipality's name as printed on documents (default: the demo municipality's).
pub const MUNICIPALITY_VAR: &str = "VAROSKAPU_MUNICIPALITY_NAME";
/// The office line printed under it.
pub const OFFICE_VAR: &str = "VAROSKAPU_OFFICE_LINE";

/// Builds the state of a case function from the environment; any missing setting stops
/// start-up with its name.
pub async fn state_from_env() -> Result<CasesState, StartError> {
    let aws = varoskapu_aws::AwsConfig::from_env()?;
    let config = CasesConfig::from_env(true)?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    // One SDK configuration (credential chain, region) serves every client.
    let sdk = aws.sdk_config().await;
    let table: Arc<dyn Table> = Arc::new(aws.table(&sdk, clock.clone()));
    let documents = Arc::new(aws.documents(&sdk));
    let uploads = Arc::new(S3BlobStore::new(
        aws.s3_client(&sdk),
        config.uploads_bucket.clone(),
    ));
    let signing = config
        .signing
        .clone()
        .ok_or("the case functions sign documents: signing settings are required")?;
    let signer: Arc<dyn Signer> = Arc::new(KmsSigner::from_pem_chain(
        aws_sdk_kms::Client::new(&sdk),
        signing.key_id,
        &signing.chain_pem,
    )?);
    let tsa: Arc<dyn TimestampAuthority> = Arc::new(HttpTsa::new(signing.tsa_url));
    let demo = Municipality::demo();
    let issuer: Arc<dyn DocumentIssuer> = Arc::new(PadesIssuer {
        municipality: Municipality {
            name: optional(MUNICIPALITY_VAR).unwrap_or(demo.name),
            office: optional(OFFICE_VAR).unwrap_or(demo.office),
        },
        signer: signer.clone(),
        tsa: tsa.clone(),
        blobs: documents.clone(),
        table: table.clone(),
        clock: clock.clone(),
        ids: Arc::new(UuidV7Ids),
    });
    let notifier = notices_on_aws(&sdk, table.clone(), clock.clone())?;
    let tokens = Arc::new(TokenValidator::deployed(
        &config.issuer,
        &config.jwks_uri,
        table.clone(),
        clock.clone(),
    )?);
    let cases = Cases::new(CasePorts {
        people: Arc::new(AccountDirectory::new(table.clone())),
        // The audit log's daily anchors are signed and timestamped like documents.
        notary: Some(Arc::new(CmsNotary { signer, tsa })),
        table,
        uploads,
        documents,
        issuer,
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
