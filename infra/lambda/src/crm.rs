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
use varoskapu_core::crm::rebuild::RebuildRequests;
use varoskapu_core::crm::search::{
    Criteria, PageRequest, PersonDoc, PersonIndex, SearchError, SearchPage,
};
use varoskapu_core::crm::{Crm, CrmError, CrmPorts};
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
/// table's change stream and publishes a snapshot after each batch. The snapshot is read
/// when the first batch needs it, so that the function starts, and can rebuild, even when
/// the published snapshot cannot be read.
pub fn indexing_crm(
    aws: &varoskapu_aws::AwsConfig,
    sdk: &aws_config::SdkConfig,
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
    audit: AuditLog,
) -> Result<Crm, StartError> {
    let snapshot = SnapshotIndex::unloaded(index_blobs(aws, sdk)?, INDEX_PREFIX)?;
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

/// The rebuild requests a batch of DynamoDB Streams records newly inserts; the indexer's
/// own answer to a request (a modification) asks for nothing.
pub fn rebuild_requests(event: &serde_json::Value) -> Vec<uuid::Uuid> {
    event["Records"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|record| record["eventName"] == "INSERT")
        .filter_map(|record| {
            let keys = &record["dynamodb"]["Keys"];
            let key =
                varoskapu_core::Key::new(keys["pk"]["S"].as_str()?, keys["sk"]["S"].as_str()?);
            RebuildRequests::id_of(&key)
        })
        .collect()
}

/// The indexer function: the index's one writer, fed by the change stream.
#[derive(Clone)]
pub struct Indexer {
    crm: Crm,
    requests: RebuildRequests,
}

impl Indexer {
    pub fn new(crm: Crm, requests: RebuildRequests) -> Self {
        Self { crm, requests }
    }

    /// Applies one batch: the person records it names are read back and indexed, or, when
    /// it carries an operator's pending rebuild request, the whole index is rebuilt from the
    /// table (which holds the batch's records too) and each request is answered. A failed
    /// rebuild is told in its request and the batch's records are applied as usual, so a
    /// failing rebuild never holds up the stream.
    pub async fn handle(&self, event: &serde_json::Value) -> Result<serde_json::Value, CrmError> {
        let changed = changed_persons(event);
        let pending = self.requests.pending(&rebuild_requests(event)).await?;
        if !pending.is_empty() {
            let outcome = self.crm.reindex().await;
            let answer = match &outcome {
                Ok(records) => Ok(*records as u64),
                Err(e) => {
                    tracing::error!(error = %e, "the requested rebuild of the search index failed");
                    Err(e.to_string())
                }
            };
            for id in &pending {
                self.requests.answer(*id, answer.clone()).await?;
            }
            if let Ok(records) = outcome {
                tracing::info!(
                    records,
                    requests = pending.len(),
                    "the search index was rebuilt"
                );
                return Ok(serde_json::json!({ "rebuilt": records, "requests": pending.len() }));
            }
        }
        let applied = self.crm.apply_changes(&changed).await?;
        Ok(serde_json::json!({ "applied": applied }))
    }
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

/// The indexer function, with the index's one writer and the operators' rebuild requests.
pub async fn indexer_from_env() -> Result<Indexer, StartError> {
    let p = Parts::from_env().await?;
    let requests = RebuildRequests::new(p.table(), p.clock.clone(), Arc::new(UuidV7Ids));
    let crm = indexing_crm(&p.aws, &p.sdk, p.table(), p.clock.clone(), p.audit())?;
    Ok(Indexer::new(crm, requests))
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use varoskapu_core::crm::rebuild::RebuildStatus;
    use varoskapu_core::{MemoryTable, SystemClock};

    fn stream_record(event_name: &str, key: &varoskapu_core::Key) -> serde_json::Value {
        json!({
            "eventName": event_name,
            "dynamodb": {"Keys": {"pk": {"S": key.pk}, "sk": {"S": key.sk}}}
        })
    }

    struct World {
        _dir: tempfile::TempDir,
        blobs: Arc<dyn BlobStore>,
        crm: Crm,
        requests: RebuildRequests,
        indexer: Indexer,
    }

    fn world() -> World {
        let dir = tempfile::tempdir().expect("temp dir");
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let table: Arc<dyn Table> = Arc::new(MemoryTable::new(clock.clone()));
        let blobs: Arc<dyn BlobStore> = Arc::new(
            varoskapu_embedded::FsBlobStore::open(dir.path(), "http://127.0.0.1:9", clock.clone())
                .expect("blobs"),
        );
        let audit = AuditLog::new(table.clone(), clock.clone(), Arc::new(UuidV7Ids));
        // The records as the other functions write them: their index writes go to the
        // stream, which this test delivers (or does not) by hand.
        let crm = Crm::new(CrmPorts {
            table: table.clone(),
            index: Arc::new(StreamOnly),
            clock: clock.clone(),
            ids: Arc::new(UuidV7Ids),
            audit: audit.clone(),
        });
        let writer = Crm::new(CrmPorts {
            table: table.clone(),
            index: Arc::new(SnapshotIndex::unloaded(blobs.clone(), INDEX_PREFIX).expect("index")),
            clock: clock.clone(),
            ids: Arc::new(UuidV7Ids),
            audit,
        });
        let requests = RebuildRequests::new(table, clock, Arc::new(UuidV7Ids));
        World {
            _dir: dir,
            blobs,
            crm,
            indexer: Indexer::new(writer, requests.clone()),
            requests,
        }
    }

    async fn published_len(blobs: &Arc<dyn BlobStore>) -> usize {
        SnapshotIndex::load_or_create(blobs.clone(), INDEX_PREFIX)
            .await
            .expect("snapshot")
            .len()
            .await
            .expect("len")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_operators_request_rebuilds_the_index_from_the_table_once() {
        let w = world();
        let today = jiff::civil::date(2026, 12, 3);
        let generated = varoskapu_core::crm::generate::generate(40, 7, 0.0, today);
        // Records whose stream records were lost (trimmed after 24 hours, or a batch sent
        // to the dead letter queue): the index knows none of them.
        w.crm.import(generated.records).await.expect("import");
        let first = w.crm.store.all().await.expect("all")[0].record.id;
        let one = json!({"Records": [stream_record("MODIFY", &varoskapu_core::crm::PersonStore::key(first))]});
        assert_eq!(
            w.indexer.handle(&one).await.expect("batch"),
            json!({"applied": 1})
        );
        assert_eq!(published_len(&w.blobs).await, 1);

        let request = w.requests.ask("operator").await.expect("ask");
        let key = RebuildRequests::key(request.id);
        let batch = json!({"Records": [stream_record("INSERT", &key)]});
        assert_eq!(
            w.indexer.handle(&batch).await.expect("batch"),
            json!({"rebuilt": 40, "requests": 1})
        );
        assert_eq!(published_len(&w.blobs).await, 40);
        let answered = w
            .requests
            .get(request.id)
            .await
            .expect("get")
            .expect("request");
        assert_eq!(answered.status, RebuildStatus::Done);
        assert_eq!(answered.records, Some(40));

        // The answer's own stream record, and the request's delivered again, rebuild nothing.
        let again =
            json!({"Records": [stream_record("MODIFY", &key), stream_record("INSERT", &key)]});
        assert_eq!(
            w.indexer.handle(&again).await.expect("batch"),
            json!({"applied": 0})
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_rebuild_repairs_a_snapshot_that_cannot_be_read() {
        let w = world();
        let corrupt = bytes::Bytes::from_static(b"not a snapshot");
        for (key, bytes) in [
            (format!("{INDEX_PREFIX}/snapshots/{:020}", 3), corrupt),
            (
                format!("{INDEX_PREFIX}/current"),
                bytes::Bytes::from_static(b"3"),
            ),
        ] {
            w.blobs
                .put(varoskapu_core::BlobPut {
                    key,
                    sha256: varoskapu_core::Sha256Digest::of(&bytes),
                    bytes,
                    content_type: "application/octet-stream".into(),
                    write_once: false,
                })
                .await
                .expect("put");
        }
        let generated =
            varoskapu_core::crm::generate::generate(5, 8, 0.0, jiff::civil::date(2026, 12, 3));
        w.crm.import(generated.records).await.expect("import");
        let id = w.crm.store.all().await.expect("all")[0].record.id;
        let change = stream_record("MODIFY", &varoskapu_core::crm::PersonStore::key(id));
        assert!(
            w.indexer
                .handle(&json!({"Records": [change.clone()]}))
                .await
                .is_err(),
            "a change cannot be applied to a snapshot that cannot be read"
        );

        let request = w.requests.ask("operator").await.expect("ask");
        let batch = json!({"Records": [change, stream_record("INSERT", &RebuildRequests::key(request.id))]});
        assert_eq!(
            w.indexer.handle(&batch).await.expect("batch"),
            json!({"rebuilt": 5, "requests": 1})
        );
        assert_eq!(published_len(&w.blobs).await, 5);
    }
}
