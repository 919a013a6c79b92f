//! The citizen records of a Lambda function: the table, and the search index as the
//! snapshot in the search index bucket (`VAROSKAPU_CRM_INDEX_BUCKET`) that the indexer
//! function publishes from the table's change stream.
//!
//! Functions that serve requests only read the snapshot: their writes reach the index
//! through the stream (the indexer runs with a concurrency of one, the index's one
//! writer), so a write shows in search after the stream's batching window and the next
//! marker check ([`varoskapu_search::DEFAULT_MAX_AGE`]).

use crate::StartError;
use async_trait::async_trait;
use jiff::civil::Date;
use std::sync::Arc;
use varoskapu_aws::S3BlobStore;
use varoskapu_core::audit::AuditLog;
use varoskapu_core::crm::person::PersonId;
use varoskapu_core::crm::search::{
    Criteria, PageRequest, PersonDoc, PersonIndex, SearchError, SearchPage,
};
use varoskapu_core::crm::{Crm, CrmPorts};
use varoskapu_core::{BlobStore, Clock, Table, UuidV7Ids};
use varoskapu_search::SnapshotIndex;

/// The bucket holding the index's snapshots.
pub const INDEX_BUCKET_VAR: &str = "VAROSKAPU_CRM_INDEX_BUCKET";
/// The snapshots' prefix in it.
pub const INDEX_PREFIX: &str = "crm-index";

/// The index of a function that serves requests: queries read the latest snapshot,
/// writes are left to the change stream's indexer.
pub struct StreamFed(pub SnapshotIndex);

#[async_trait]
impl PersonIndex for StreamFed {
    async fn put(&self, _docs: Vec<PersonDoc>) -> Result<(), SearchError> {
        Ok(())
    }

    async fn remove(&self, _ids: &[PersonId]) -> Result<(), SearchError> {
        Ok(())
    }

    async fn rebuild(&self, _docs: Vec<PersonDoc>) -> Result<(), SearchError> {
        Ok(())
    }

    async fn quick(&self, text: &str, page: PageRequest) -> Result<SearchPage, SearchError> {
        self.0.quick(text, page).await
    }

    async fn advanced(
        &self,
        criteria: &Criteria,
        today: Date,
        page: PageRequest,
    ) -> Result<SearchPage, SearchError> {
        self.0.advanced(criteria, today, page).await
    }

    async fn len(&self) -> Result<usize, SearchError> {
        self.0.len().await
    }
}

/// The index of a function that changes records and searches nothing (the registry
/// refresh): its writes reach the index through the change stream, like every function's
/// but the indexer's, and it loads no snapshot to answer queries it never gets.
pub struct StreamOnly;

#[async_trait]
impl PersonIndex for StreamOnly {
    async fn put(&self, _docs: Vec<PersonDoc>) -> Result<(), SearchError> {
        Ok(())
    }

    async fn remove(&self, _ids: &[PersonId]) -> Result<(), SearchError> {
        Ok(())
    }

    async fn rebuild(&self, _docs: Vec<PersonDoc>) -> Result<(), SearchError> {
        Ok(())
    }

    async fn quick(&self, _text: &str, _page: PageRequest) -> Result<SearchPage, SearchError> {
        Err(no_search())
    }

    async fn advanced(
        &self,
        _criteria: &Criteria,
        _today: Date,
        _page: PageRequest,
    ) -> Result<SearchPage, SearchError> {
        Err(no_search())
    }

    async fn len(&self) -> Result<usize, SearchError> {
        Err(no_search())
    }
}

fn no_search() -> SearchError {
    SearchError::Unavailable("this function does not search".into())
}

/// The snapshot store of the environment's index bucket.
pub fn index_blobs(
    aws: &varoskapu_aws::AwsConfig,
    sdk: &aws_config::SdkConfig,
) -> Result<Arc<dyn BlobStore>, StartError> {
    let bucket = std::env::var(INDEX_BUCKET_VAR)
        .ok()
        .filter(|b| !b.trim().is_empty())
        .ok_or_else(|| format!("{INDEX_BUCKET_VAR} is not set"))?;
    Ok(Arc::new(S3BlobStore::new(aws.s3_client(sdk), bucket)))
}

/// The CRM of a function that serves requests (the index read from its snapshot).
pub async fn reading_crm(
    aws: &varoskapu_aws::AwsConfig,
    sdk: &aws_config::SdkConfig,
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
    audit: AuditLog,
) -> Result<Crm, StartError> {
    let snapshot = SnapshotIndex::load_or_create(index_blobs(aws, sdk)?, INDEX_PREFIX).await?;
    Ok(Crm::new(CrmPorts {
        table,
        index: Arc::new(StreamFed(snapshot)),
        clock,
        ids: Arc::new(UuidV7Ids),
        audit,
    }))
}

/// The CRM with the index's one writer: the indexer function's, which applies the
/// table's change stream and publishes a snapshot after each batch.
pub async fn indexing_crm(
    aws: &varoskapu_aws::AwsConfig,
    sdk: &aws_config::SdkConfig,
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
    audit: AuditLog,
) -> Result<Crm, StartError> {
    let snapshot = SnapshotIndex::load_or_create(index_blobs(aws, sdk)?, INDEX_PREFIX).await?;
    Ok(Crm::new(CrmPorts {
        table,
        index: Arc::new(snapshot),
        clock,
        ids: Arc::new(UuidV7Ids),
        audit,
    }))
}

/// The person records a batch of DynamoDB Streams records names (`Records[].dynamodb.Keys`),
/// in order; other items of the table are not the index's business.
pub fn changed_persons(event: &serde_json::Value) -> Vec<PersonId> {
    event["Records"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|record| {
            let keys = &record["dynamodb"]["Keys"];
            let key =
                varoskapu_core::Key::new(keys["pk"]["S"].as_str()?, keys["sk"]["S"].as_str()?);
            varoskapu_core::crm::PersonStore::id_of(&key)
        })
        .collect()
}

/// The bounces and complaints of an SNS delivery of SES notifications
/// (`Records[].Sns.Message`); a message that is no notification is skipped and logged.
pub fn feedback_of(event: &serde_json::Value) -> Vec<varoskapu_core::crm::quality::dsn::Bounce> {
    event["Records"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|record| record["Sns"]["Message"].as_str())
        .flat_map(|message| {
            match varoskapu_core::crm::quality::dsn::parse_ses_notification(message) {
                Ok(found) => found,
                Err(e) => {
                    tracing::warn!(error = %e, "an SNS message is no SES notification");
                    Vec::new()
                }
            }
        })
        .collect()
}

/// What every CRM function starts from: the AWS configuration and the case state (the
/// table, the audit log and the token validator it holds).
struct Parts {
    aws: varoskapu_aws::AwsConfig,
    sdk: aws_config::SdkConfig,
    cases: varoskapu_case_api::CasesState,
    clock: Arc<dyn Clock>,
}

impl Parts {
    async fn from_env() -> Result<Self, StartError> {
        let aws = varoskapu_aws::AwsConfig::from_env()?;
        let sdk = aws.sdk_config().await;
        let cases = crate::cases::state_on(&aws, &sdk).await?;
        Ok(Self {
            aws,
            sdk,
            cases,
            clock: Arc::new(varoskapu_core::SystemClock),
        })
    }

    fn table(&self) -> Arc<dyn Table> {
        self.cases.cases.store.table.clone()
    }

    fn audit(&self) -> AuditLog {
        self.cases.cases.audit.clone()
    }
}

/// The `crm` function's state: the records' routes, the index read from its snapshot.
pub async fn state_from_env() -> Result<varoskapu_crm::CrmState, StartError> {
    let p = Parts::from_env().await?;
    let (clock, audit) = (p.clock.clone(), p.audit());
    let mut crm = reading_crm(&p.aws, &p.sdk, p.table(), clock.clone(), audit.clone()).await?;
    let registry = registry_from_env()?;
    // Addresses entered are checked against the address register when one is connected.
    if let Some(registry) = &registry {
        crm = crm.with_registry(registry.clone());
    }
    // Without a registry service, identification answers 503.
    let identification = registry.map(|registry| {
        varoskapu_core::crm::identify::PersonIdentification::new(
            crm.store.clone(),
            registry,
            clock,
            Arc::new(UuidV7Ids),
            audit,
        )
    });
    Ok(varoskapu_crm::CrmState::new(
        crm,
        identification,
        p.cases.tokens.clone(),
    ))
}

/// The CRM of a function that changes records but serves no search (the mail feedback):
/// its index writes, like every function's but the indexer's, reach the index through the
/// change stream.
pub async fn reader_from_env() -> Result<Crm, StartError> {
    let p = Parts::from_env().await?;
    reading_crm(&p.aws, &p.sdk, p.table(), p.clock.clone(), p.audit()).await
}

/// The registry refresh function's CRM: the registry service of `VAROSKAPU_REGISTRY_URL`
/// (required: without one there is nothing to refresh from), the changed records reaching
/// the index through the change stream.
pub async fn refresher_from_env() -> Result<Crm, StartError> {
    let registry = registry_from_env()?.ok_or_else(|| {
        "VAROSKAPU_REGISTRY_URL is not set: the registry refresh has no registry to ask".to_owned()
    })?;
    let p = Parts::from_env().await?;
    Ok(Crm::new(CrmPorts {
        table: p.table(),
        index: Arc::new(StreamOnly),
        clock: p.clock.clone(),
        ids: Arc::new(UuidV7Ids),
        audit: p.audit(),
    })
    .with_registry(registry))
}

/// The indexer function's CRM, with the index's one writer.
pub async fn writer_from_env() -> Result<Crm, StartError> {
    let p = Parts::from_env().await?;
    indexing_crm(&p.aws, &p.sdk, p.table(), p.clock.clone(), p.audit()).await
}

/// The registry service of `VAROSKAPU_REGISTRY_URL` (with its timeout, retries and client
/// certificate settings), or `None` when no registry is connected.
pub fn registry_from_env()
-> Result<Option<Arc<dyn varoskapu_core::crm::registry::Registry>>, StartError> {
    match std::env::var("VAROSKAPU_REGISTRY_URL") {
        Ok(url) if !url.trim().is_empty() => Ok(Some(Arc::new(
            varoskapu_registry::HttpRegistry::from_env()?,
        ))),
        _ => Ok(None),
    }
}
