//! The `PersonIndex` contract on every engine of this crate: the tantivy index in memory
//! and in a folder, and the snapshot index on the folder blob store and on S3 (moto; skipped
//! locally without it, a failure under `CI=true`).

use std::sync::Arc;
use std::time::Duration;
use varoskapu_core::crm::search::{PageRequest, PersonIndex};
use varoskapu_core::{BlobStore, SystemClock};
use varoskapu_embedded::FsBlobStore;
use varoskapu_search::{SnapshotIndex, TantivyIndex};
use varoskapu_tests::search_contract::{self, JOZSEF, person, persons, pid};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_index_in_memory_keeps_the_contract() {
    search_contract::run(&TantivyIndex::in_memory()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_index_in_a_folder_keeps_the_contract_and_its_documents_across_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("search");
    {
        let index = TantivyIndex::open_in(&path).expect("open");
        search_contract::run(&index).await;
        index.rebuild(persons()).await.expect("rebuild");
    }
    let reopened = TantivyIndex::open_in(&path).expect("reopen");
    assert_eq!(reopened.len().await.expect("len"), persons().len());
    let found = reopened
        .quick("kovacs jozsef", PageRequest::default())
        .await
        .expect("quick");
    assert_eq!(found.ids[0], pid(JOZSEF));
    // A cursor handed out before the restart still pages the same search.
    let first = reopened
        .quick(
            "budapest",
            PageRequest {
                limit: 1,
                after: None,
            },
        )
        .await
        .expect("quick");
    drop(reopened);
    let again = TantivyIndex::open_in(&path).expect("reopen");
    let second = again
        .quick(
            "budapest",
            PageRequest {
                limit: 1,
                after: first.next,
            },
        )
        .await
        .expect("the old cursor is good");
    assert_ne!(second.ids, first.ids);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_writer_on_the_same_folder_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let _first = TantivyIndex::open_in(dir.path()).expect("open");
    assert!(TantivyIndex::open_in(dir.path()).is_err());
}

fn folder_store(dir: &std::path::Path) -> Arc<dyn BlobStore> {
    Arc::new(FsBlobStore::open(dir, "http://127.0.0.1:9", Arc::new(SystemClock)).expect("store"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_snapshot_index_on_a_folder_keeps_the_contract() {
    let dir = tempfile::tempdir().expect("temp dir");
    let blobs = folder_store(dir.path());
    let index = SnapshotIndex::load_or_create(blobs.clone(), "search")
        .await
        .expect("index");
    search_contract::run(&index).await;
    freshness(blobs.clone(), "search").await;
    repairs(blobs, "search-repairs").await;
}

async fn put_raw(blobs: &dyn BlobStore, key: String, bytes: &'static [u8]) {
    blobs
        .put(varoskapu_core::BlobPut {
            key,
            sha256: varoskapu_core::Sha256Digest::of(bytes),
            bytes: bytes::Bytes::from_static(bytes),
            content_type: "application/octet-stream".into(),
            write_once: false,
        })
        .await
        .expect("put");
}

fn snapshot_key(prefix: &str, version: u64) -> String {
    format!("{prefix}/snapshots/{version:020}")
}

/// What the operator's rebuild repairs: a published snapshot that cannot be read (the
/// readers and the incremental writer refuse it, the rebuild replaces it), and a snapshot
/// left by a publication whose marker never moved (the next one skips its version).
async fn repairs(blobs: Arc<dyn BlobStore>, prefix: &str) {
    put_raw(blobs.as_ref(), snapshot_key(prefix, 5), b"not a snapshot").await;
    put_raw(blobs.as_ref(), format!("{prefix}/current"), b"5").await;
    assert!(
        SnapshotIndex::load_or_create(blobs.clone(), prefix)
            .await
            .is_err(),
        "a reader refuses the corrupt snapshot"
    );
    let writer = SnapshotIndex::unloaded(blobs.clone(), prefix).expect("writer");
    assert!(
        writer
            .put(vec![person(90, "Javított", "Jenő")])
            .await
            .is_err(),
        "a change cannot be applied to what cannot be read"
    );
    writer.rebuild(persons()).await.expect("rebuild");
    assert_eq!(writer.version(), 6);
    let reader = SnapshotIndex::load_or_create(blobs.clone(), prefix)
        .await
        .expect("the rebuilt snapshot loads");
    assert_eq!(reader.len().await.expect("len"), persons().len());

    // Snapshot 7 was written by a publication that failed before the marker moved.
    put_raw(
        blobs.as_ref(),
        snapshot_key(prefix, 7),
        b"half a publication",
    )
    .await;
    writer
        .put(vec![person(91, "Árva", "Verzió")])
        .await
        .expect("the next publication skips the orphan");
    assert_eq!(writer.version(), 8);
    let reader = SnapshotIndex::load_or_create(blobs.clone(), prefix)
        .await
        .expect("reader");
    assert_eq!(
        reader
            .quick("arva verzio", PageRequest::default())
            .await
            .expect("quick")
            .ids,
        vec![pid(91)]
    );
}

/// A reader loaded before a write sees it once it looks at the marker, not before; a new
/// writer starts from the latest snapshot.
async fn freshness(blobs: Arc<dyn BlobStore>, prefix: &str) {
    let writer = SnapshotIndex::load_or_create(blobs.clone(), prefix)
        .await
        .expect("writer");
    writer.rebuild(persons()).await.expect("rebuild");
    let reader = SnapshotIndex::load_or_create(blobs.clone(), prefix)
        .await
        .expect("reader")
        .with_max_age(Duration::from_secs(3600));
    assert_eq!(reader.version(), writer.version());
    let quick = async |index: &SnapshotIndex, text: &str| {
        index
            .quick(text, PageRequest::default())
            .await
            .expect("quick")
            .ids
    };
    assert!(quick(&reader, "Újonnan Érkezett").await.is_empty());

    // One change-stream batch reaches the indexer.
    writer
        .put(vec![person(77, "Újonnan", "Érkezett")])
        .await
        .expect("put");
    assert_eq!(quick(&writer, "ujonnan erkezett").await, vec![pid(77)]);
    assert!(
        quick(&reader, "ujonnan erkezett").await.is_empty(),
        "not before the marker is looked at"
    );
    reader
        .refresh_if_older_than(Duration::from_secs(3600))
        .await
        .expect("refresh");
    assert!(
        quick(&reader, "ujonnan erkezett").await.is_empty(),
        "looked at just now"
    );
    reader
        .refresh_if_older_than(Duration::ZERO)
        .await
        .expect("refresh");
    assert_eq!(quick(&reader, "ujonnan erkezett").await, vec![pid(77)]);
    assert_eq!(reader.version(), writer.version());

    // The indexer restarts (a new execution environment): it goes on from the latest.
    let restarted = SnapshotIndex::load_or_create(blobs.clone(), prefix)
        .await
        .expect("restarted");
    assert_eq!(restarted.len().await.expect("len"), persons().len() + 1);
    restarted.remove(&[pid(77)]).await.expect("remove");
    assert!(restarted.version() > writer.version());
    // The old writer, now behind, catches up before it writes, so nothing is lost.
    writer
        .put(vec![person(78, "Második", "Érkező")])
        .await
        .expect("put");
    reader
        .refresh_if_older_than(Duration::ZERO)
        .await
        .expect("refresh");
    assert!(quick(&reader, "ujonnan erkezett").await.is_empty());
    assert_eq!(quick(&reader, "masodik erkezo").await, vec![pid(78)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_snapshot_index_on_s3_keeps_the_contract_and_readers_catch_up() {
    let Some(endpoint) = varoskapu_tests::moto::aws_endpoint() else {
        return;
    };
    let id = uuid_like();
    let config = varoskapu_aws::AwsConfig::from_lookup(|name| match name {
        "VAROSKAPU_TABLE" => Some(format!("table-{id}")),
        "VAROSKAPU_DOCUMENTS_BUCKET" => Some(format!("bucket-{id}")),
        "AWS_REGION" => Some("eu-central-1".into()),
        "VAROSKAPU_AWS_ENDPOINT_URL" => Some(endpoint.clone()),
        _ => None,
    })
    .expect("config");
    config.provision().await.expect("provision");
    let sdk = config.sdk_config().await;
    let blobs: Arc<dyn BlobStore> = Arc::new(config.documents(&sdk));
    let index = SnapshotIndex::load_or_create(blobs.clone(), "crm/search")
        .await
        .expect("index");
    search_contract::run(&index).await;
    freshness(blobs.clone(), "crm/search-fresh").await;
    repairs(blobs, "crm/search-repairs").await;
}

fn uuid_like() -> String {
    format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    )
}
