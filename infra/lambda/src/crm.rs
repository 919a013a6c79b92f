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
