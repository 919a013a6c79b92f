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

/// A bucket as the template makes the documents bucket: Object Lock with a default
/// retention (GOVERNANCE here, so that moto may clean up; the mode does not change puts).
async fn bucket_with_default_retention(f: &Fixture) -> String {
    use aws_sdk_s3::types::{
        DefaultRetention, ObjectLockConfiguration, ObjectLockEnabled, ObjectLockRetentionMode,
        ObjectLockRule,
    };
    let name = format!("locked-{}", uuid::Uuid::now_v7().simple());
    let s3 = f.config.s3_client(&f.sdk);
    varoskapu_aws::create_bucket(&s3, &name, true)
        .await
        .expect("bucket");
    s3.put_object_lock_configuration()
        .bucket(&name)
        .object_lock_configuration(
            ObjectLockConfiguration::builder()
                .object_lock_enabled(ObjectLockEnabled::Enabled)
                .rule(
                    ObjectLockRule::builder()
                        .default_retention(
                            DefaultRetention::builder()
                                .mode(ObjectLockRetentionMode::Governance)
                                .days(1)
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("default retention");
    name
}

#[tokio::test]
async fn documents_are_stored_in_a_bucket_with_default_object_lock_retention() {
    let Some(f) = fixture().await else { return };
    let bucket = bucket_with_default_retention(&f).await;
    let blobs = varoskapu_aws::S3BlobStore::new(f.config.s3_client(&f.sdk), bucket);
    let signed = BlobPut::content_addressed(
        "documents",
        bytes::Bytes::from_static(b"%PDF-1.7 decision"),
        "application/pdf",
    )
    .write_once();
    blobs
        .put(signed.clone())
        .await
        .expect("a put naming its checksum algorithm is taken under default retention");
    assert_eq!(
        blobs.get(&signed.key).await.expect("get").bytes,
        signed.bytes
    );
    // The second writer is still refused by S3 itself.
    assert_eq!(
        blobs.put(signed).await.expect_err("second"),
        varoskapu_core::BlobError::AlreadyExists
    );
}

/// Where moto differs from S3: real S3 takes a put carrying only `x-amz-checksum-sha256`
/// into a bucket with default retention; moto (5.x) insists on `Content-MD5` or
/// `x-amz-sdk-checksum-algorithm`, which is why the adapter names the algorithm. If this
/// starts to pass, moto has caught up and the comment in `S3BlobStore::put_object` can go.
#[tokio::test]
async fn moto_refuses_a_checksum_only_put_under_default_retention() {
    use base64::Engine as _;
    let Some(f) = fixture().await else { return };
    let bucket = bucket_with_default_retention(&f).await;
    let body = b"%PDF-1.7 decision".to_vec();
    let digest = varoskapu_core::Sha256Digest::of(&body);
    let refused = f
        .config
        .s3_client(&f.sdk)
        .put_object()
        .bucket(&bucket)
        .key("documents/checksum-only")
        .checksum_sha256(base64::engine::general_purpose::STANDARD.encode(digest.0))
        .body(aws_sdk_s3::primitives::ByteStream::from(body))
        .send()
        .await;
    assert!(
        refused.is_err(),
        "moto now takes a checksum-only put under default retention, as S3 does"
    );
}

/// Where moto differs from S3: moto applies a bucket policy's Deny without evaluating its
/// condition. The template's buckets deny requests whose `aws:SecureTransport` is false;
/// on moto that would refuse every request, TLS or not, so the tests' buckets carry no
/// policy and the deploy rehearsal's IAM gate evaluates the template's policies instead.
/// Here a Deny that cannot apply to this plain-http request (it names SecureTransport
/// true) still refuses it on moto; S3 would serve it. On AWS the adapter only speaks
/// https (the SDK's endpoints, Amazon's roots), so the template's policy never refuses it.
#[tokio::test]
async fn moto_denies_by_a_bucket_policy_whose_condition_does_not_hold() {
    let Some(f) = fixture().await else { return };
    let s3 = f.config.s3_client(&f.sdk);
    let bucket = f.config.documents_bucket.clone();
    assert!(
        f.config
            .endpoint_url
            .as_deref()
            .is_some_and(|u| u.starts_with("http://")),
        "this request is plain http, so SecureTransport is false"
    );
    let policy = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenySecureTransportOnly",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")],
            "Condition": {"Bool": {"aws:SecureTransport": "true"}}
        }]
    });
    s3.put_bucket_policy()
        .bucket(&bucket)
        .policy(policy.to_string())
        .send()
        .await
        .expect("policy");
    let blobs = f.config.engines(f.clock.clone()).await.blobs;
    let put = BlobPut::content_addressed(
        "documents",
        bytes::Bytes::from_static(b"plain"),
        "text/plain",
    );
    assert!(
        blobs.put(put).await.is_err(),
        "moto now evaluates policy conditions, as S3 does"
    );
}

#[tokio::test]
async fn a_presigned_url_for_aws_itself_is_https() {
    // No moto needed: presigning is local. Without an endpoint override the adapter
    // addresses AWS's own endpoints, which the buckets' SecureTransport policy requires.
    let config = AwsConfig::from_lookup(|name| match name {
        "VAROSKAPU_TABLE" => Some("t".into()),
        "VAROSKAPU_DOCUMENTS_BUCKET" => Some("b".into()),
        "AWS_REGION" => Some("eu-central-1".into()),
        _ => None,
    })
    .expect("config");
    let sdk = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("eu-central-1"))
        .credentials_provider(aws_sdk_s3::config::SharedCredentialsProvider::new(
            aws_sdk_s3::config::Credentials::for_tests(),
        ))
        .build();
    let blobs = varoskapu_aws::S3BlobStore::new(config.s3_client(&sdk), "b");
    let digest = varoskapu_core::Sha256Digest::of(b"x");
    let presigned = blobs
        .presign_upload(
            "uploads/x",
            digest,
            1,
            "text/plain",
            jiff::SignedDuration::from_secs(60),
        )
        .await
        .expect("presign");
    assert!(presigned.url.starts_with("https://"), "{}", presigned.url);
}

#[cfg(feature = "ssm")]
#[tokio::test]
async fn the_signing_chain_is_read_from_its_parameter_and_none_is_installed_at_first() {
    use varoskapu_aws::signing_chain::{
        SigningChainError, SigningChainParameter, signing_chain_parameter,
    };
    let Some(f) = fixture().await else { return };
    let stack = format!("stack-{}", uuid::Uuid::now_v7().simple());
    let name = signing_chain_parameter(&stack);
    let parameter = SigningChainParameter::new(&f.sdk, &name);
    // A first deploy: no parameter yet, which is "signing off", not an error.
    assert_eq!(parameter.read().await, Ok(None));

    let ssm = aws_sdk_ssm::Client::new(&f.sdk);
    let put = |value: &'static str| {
        ssm.put_parameter()
            .name(&name)
            .value(value)
            .r#type(aws_sdk_ssm::types::ParameterType::String)
            .overwrite(true)
            .send()
    };
    put(
        "-----BEGIN CERTIFICATE-----\nAQI=\n-----END CERTIFICATE-----\n\
         -----BEGIN CERTIFICATE-----\nAw==\n-----END CERTIFICATE-----\n",
    )
    .await
    .expect("install");
    assert_eq!(parameter.read().await, Ok(Some(vec![vec![1, 2], vec![3]])));

    // Whatever else was stored there is refused, naming the parameter.
    put("not a certificate").await.expect("overwrite");
    match parameter.read().await {
        Err(SigningChainError::Invalid { parameter, .. }) => assert_eq!(parameter, name),
        other => panic!("{other:?}"),
    }
}
