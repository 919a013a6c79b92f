//! AWS-specific behaviour of the engines on moto (the shared contract suites in `tests/`
//! cover the ports): the stored layout, cursors over indexes, and start-up configuration.
//! Skipped, with a line saying so, when `VAROSKAPU_TEST_AWS_ENDPOINT` is not set (a
//! failure under `CI=true`).

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::json;
use std::sync::Arc;
use varoskapu_aws::AwsConfig;
use varoskapu_core::{
    BlobPut, BlobStore, Clock, Condition, IndexName, ItemWrite, Key, ManualClock, Query, Table,
    TableError, TxOp, Update,
};

struct Fixture {
    config: AwsConfig,
    sdk: aws_config::SdkConfig,
    clock: Arc<ManualClock>,
}

async fn fixture() -> Option<Fixture> {
    let endpoint = varoskapu_tests::moto::aws_endpoint()?;
    let id = uuid::Uuid::now_v7().simple().to_string();
    let config = AwsConfig::from_lookup(|name| match name {
        "VAROSKAPU_TABLE" => Some(format!("table-{id}")),
        "VAROSKAPU_DOCUMENTS_BUCKET" => Some(format!("bucket-{id}")),
        "AWS_REGION" => Some("eu-central-1".into()),
        "VAROSKAPU_AWS_ENDPOINT_URL" => Some(endpoint.clone()),
        _ => None,
    })
    .expect("config");
    config.provision().await.expect("provision");
    let sdk = config.sdk_config().await;
    let clock = Arc::new(ManualClock::new(jiff::Timestamp::now()));
    Some(Fixture { config, sdk, clock })
}

fn data(value: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    value.as_object().cloned().expect("object")
}

#[tokio::test]
async fn items_are_stored_as_native_attributes() {
    let Some(f) = fixture().await else { return };
    let table = f.config.engines(f.clock.clone()).await.table;
    let key = Key::new("CASE#1", "META");
    let item = ItemWrite::new(
        key.clone(),
        data(json!({"n": 3, "tags": ["a"], "m": {"b": true}})),
    )
    .with_index(IndexName::Gsi2, Key::new("OWNER#1", "CASE#1"))
    .expires_at(f.clock.unix_seconds() + 60);
    table.put(item, Condition::NotExists).await.expect("put");

    let raw = f
        .config
        .dynamodb_client(&f.sdk)
        .get_item()
        .table_name(&f.config.table)
        .key("pk", AttributeValue::S(key.pk.clone()))
        .key("sk", AttributeValue::S(key.sk.clone()))
        .send()
        .await
        .expect("raw get")
        .item
        .expect("item");
    assert_eq!(raw["version"], AttributeValue::N("1".into()));
    assert_eq!(raw["gsi2pk"], AttributeValue::S("OWNER#1".into()));
    assert!(!raw.contains_key("gsi1pk"));
    assert!(matches!(raw["ttl"], AttributeValue::N(_)));
    let AttributeValue::M(stored) = &raw["data"] else {
        panic!("data is a map")
    };
    assert_eq!(stored["n"], AttributeValue::N("3".into()));
    assert_eq!(
        stored["tags"],
        AttributeValue::L(vec![AttributeValue::S("a".into())])
    );

    // A wholesale put drops the index key and ttl the new item lacks.
    let replaced = table
        .put(
            ItemWrite::new(key.clone(), data(json!({}))),
            Condition::Version(1),
        )
        .await
        .expect("replace");
    assert_eq!(replaced.version, 2);
    assert_eq!(replaced.ttl, None);
    assert_eq!(replaced.index_keys.get(IndexName::Gsi2), None);
}

#[tokio::test]
async fn index_cursors_resume_where_the_page_ended() {
    let Some(f) = fixture().await else { return };
    let table = f.config.engines(f.clock.clone()).await.table;
    for i in 0..5 {
        let item = ItemWrite::new(Key::new(format!("CASE#{i}"), "META"), data(json!({"i": i})))
            .with_index(IndexName::Gsi3, Key::new("QUEUE", "same-deadline"));
        table.put(item, Condition::None).await.expect("put");
    }
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = table
            .query(
                Query::index(IndexName::Gsi3, "QUEUE")
                    .limit(2)
                    .after(cursor),
            )
            .await
            .expect("query");
        seen.extend(page.items.into_iter().map(|i| i.key.pk));
        cursor = page.cursor;
        if cursor.is_none() {
            break;
        }
    }
    seen.sort();
    assert_eq!(seen, ["CASE#0", "CASE#1", "CASE#2", "CASE#3", "CASE#4"]);
    // A cursor of another partition, or of the table, does not fit an index query.
    table
        .put(
            ItemWrite::new(Key::new("CASE#0", "NOTE#1"), data(json!({}))),
            Condition::None,
        )
        .await
        .expect("put");
    let other = table
        .query(Query::partition("CASE#0").limit(1))
        .await
        .expect("query")
        .cursor;
    let mut other_partition = Query::index(IndexName::Gsi3, "QUEUE").limit(1);
    other_partition.cursor = table
        .query(Query::index(IndexName::Gsi3, "QUEUE").limit(1))
        .await
        .expect("query")
        .cursor;
    other_partition.pk = "ELSEWHERE".into();
    assert_eq!(
        table.query(other_partition).await,
        Err(TableError::InvalidCursor)
    );
    assert_eq!(
        table
            .query(Query::index(IndexName::Gsi3, "QUEUE").after(other))
            .await,
        Err(TableError::InvalidCursor),
        "a table cursor does not fit an index query"
    );
    assert_eq!(
        table
            .query(Query::index(IndexName::Gsi3, "QUEUE").after(Some("e30".into())))
            .await,
        Err(TableError::InvalidCursor)
    );
}

#[tokio::test]
async fn a_transaction_reports_every_failed_condition() {
    let Some(f) = fixture().await else { return };
    let table = f.config.engines(f.clock.clone()).await.table;
    let a = Key::new("P", "a");
    table
        .put(
            ItemWrite::new(a.clone(), data(json!({"s": "x"}))),
            Condition::None,
        )
        .await
        .expect("seed");
    let err = table
        .transact(vec![
            TxOp::Check {
                key: a.clone(),
                condition: Condition::NotExists,
            },
            TxOp::Update {
                key: Key::new("P", "missing"),
                update: Update::default().set("s", "y"),
                condition: Condition::None,
            },
            TxOp::Check {
                key: a.clone(),
                condition: Condition::None,
            },
        ])
        .await;
    // Two operations on one key are refused before sending.
    assert!(matches!(err, Err(TableError::Invalid(_))));
    let err = table
        .transact(vec![
            TxOp::Check {
                key: a.clone(),
                condition: Condition::NotExists,
            },
            TxOp::Update {
                key: Key::new("P", "missing"),
                update: Update::default().set("s", "y"),
                condition: Condition::None,
            },
            TxOp::Put {
                item: ItemWrite::new(Key::new("P", "new"), data(json!({}))),
                condition: Condition::NotExists,
            },
        ])
        .await;
    assert_eq!(
        err,
        Err(TableError::TransactionFailed { failed: vec![0, 1] })
    );
}

#[tokio::test]
async fn write_once_blobs_are_refused_by_s3() {
    let Some(f) = fixture().await else { return };
    let blobs = f.config.engines(f.clock.clone()).await.blobs;
    let put = BlobPut::content_addressed(
        "signed",
        bytes::Bytes::from_static(b"%PDF-1.7"),
        "application/pdf",
    )
    .write_once();
    blobs.put(put.clone()).await.expect("first");
    assert_eq!(
        blobs.put(put.clone()).await.expect_err("second"),
        varoskapu_core::BlobError::AlreadyExists
    );
    let head = blobs.head(&put.key).await.expect("head").expect("exists");
    assert_eq!(head.sha256, put.sha256);
}

#[tokio::test]
async fn an_ordinary_put_cannot_replace_a_write_once_object() {
    let Some(f) = fixture().await else { return };
    let blobs = f.config.engines(f.clock.clone()).await.blobs;
    let signed = BlobPut::content_addressed(
        "signed",
        bytes::Bytes::from_static(b"%PDF-1.7 signed"),
        "application/pdf",
    )
    .write_once();
    blobs.put(signed.clone()).await.expect("first");
    let mut forged = signed.clone();
    forged.write_once = false;
    forged.bytes = bytes::Bytes::from_static(b"%PDF-1.7 forged");
    forged.sha256 = varoskapu_core::Sha256Digest::of(&forged.bytes);
    assert_eq!(
        blobs.put(forged).await.expect_err("plain overwrite"),
        varoskapu_core::BlobError::AlreadyExists
    );
    assert_eq!(
        blobs.get(&signed.key).await.expect("get").bytes,
        signed.bytes
    );
}
