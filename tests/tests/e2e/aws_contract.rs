//! The port contracts run against the AWS engines on a DynamoDB/S3-compatible server
//! (moto), which the test script starts and names in `VAROSKAPU_TEST_AWS_ENDPOINT`.
//! Without it the cases say they were skipped and pass, so `cargo test` works offline.

use jiff::SignedDuration;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use varoskapu_aws::AwsConfig;
use varoskapu_core::{BlobStore, ManualClock, Sha256Digest, Table};

use varoskapu_tests::moto::ENDPOINT_VAR;

/// A table or bucket name no other case or run uses (S3 allows lower case and dashes).
fn unique_name(kind: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "vk-{kind}-{:x}-{:x}-{}",
        nanos & 0xffff_ffff_ffff,
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A fresh table and bucket on the test server, or `None` (after saying so) without one.
async fn provisioned() -> Option<AwsConfig> {
    let endpoint = varoskapu_tests::moto::aws_endpoint()?;
    assert!(
        std::env::var_os("AWS_ACCESS_KEY_ID").is_some(),
        "{ENDPOINT_VAR} is set but AWS_ACCESS_KEY_ID is not: export the test server's \
         credentials (moto accepts AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test)"
    );
    let config = AwsConfig {
        table: unique_name("table"),
        documents_bucket: unique_name("bucket"),
        region: std::env::var("AWS_REGION").unwrap_or_else(|_| "eu-central-1".into()),
        endpoint_url: Some(endpoint),
    };
    config
        .provision()
        .await
        .expect("provision table and bucket");
    Some(config)
}

async fn table_engine() -> Option<(Arc<dyn Table>, Arc<ManualClock>)> {
    let config = provisioned().await?;
    let clock = Arc::new(ManualClock::new(jiff::Timestamp::now()));
    let engines = config.engines(clock.clone()).await;
    Some((Arc::new(engines.table), clock))
}

async fn blob_engine() -> Option<Arc<dyn BlobStore>> {
    let config = provisioned().await?;
    let clock = Arc::new(ManualClock::new(jiff::Timestamp::now()));
    Some(Arc::new(config.engines(clock).await.blobs))
}

// The suites await the expression inside each generated test function, so the `return`
// in the `None` arm ends that test early: that is how a case skips without a server.
varoskapu_tests::table_contract!({
    match table_engine().await {
        Some(engine) => std::future::ready(engine),
        None => return,
    }
});

mod dynamodb_audit_log {
    use super::*;
    varoskapu_tests::audit_contract!({
        match table_engine().await {
            Some(engine) => std::future::ready(engine),
            None => return,
        }
    });
}

// moto verifies neither presigned signatures nor `x-amz-checksum-sha256`, so the three
// presigned cases (a tampered URL refused, other bytes refused, a body longer than
// announced refused) cannot hold on it; S3 does all three. The rest of the suite runs as is; the presigned round trips follow below.
varoskapu_tests::blob_contract!(@cases {
    match blob_engine().await {
        Some(store) => std::future::ready(store),
        None => return,
    }
};
    put_then_get_and_head_round_trip,
    checksum_mismatch_is_rejected_and_stores_nothing,
    write_once_objects_cannot_be_written_again,
    missing_objects_are_reported_missing
);

/// The part of the presigned contract moto can check: the announced request, sent as
/// given, stores the bytes with their digest, and the download URL serves them.
#[tokio::test]
async fn presigned_upload_and_download_round_trip_on_moto() {
    let Some(store) = blob_engine().await else {
        return;
    };
    let client = reqwest::Client::new();
    let bytes = bytes::Bytes::from_static(b"%PDF-1.7\n% feltoltes\n%%EOF\n");
    let sha = Sha256Digest::of(&bytes);
    let key = format!("uploads/{}", unique_name("upload"));
    let upload = store
        .presign_upload(
            &key,
            sha,
            bytes.len() as u64,
            "application/pdf",
            SignedDuration::from_mins(5),
        )
        .await
        .expect("presign upload");
    assert_eq!(upload.method, "PUT");
    assert!(
        upload
            .headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("x-amz-checksum-sha256")),
        "the client must send the checksum S3 verifies: {:?}",
        upload.headers
    );
    let response = upload
        .headers
        .iter()
        .fold(client.put(&upload.url), |r, (k, v)| r.header(k, v))
        .body(bytes.clone())
        .send()
        .await
        .expect("upload");
    assert!(
        response.status().is_success(),
        "upload: {}",
        response.status()
    );
    let blob = store.get(&key).await.expect("uploaded object");
    assert_eq!((blob.bytes.clone(), blob.meta.sha256), (bytes.clone(), sha));

    let download = store
        .presign_download(&key, SignedDuration::from_mins(5))
        .await
        .expect("presign download");
    let response = client.get(&download.url).send().await.expect("download");
    assert!(
        response.status().is_success(),
        "download: {}",
        response.status()
    );
    assert_eq!(response.bytes().await.expect("body"), bytes);
}

/// The announced size is a signed header of the upload URL: S3 refuses a body of another
/// length (the `content-length` sent differs from the signed one, `SignatureDoesNotMatch`).
/// moto verifies no presigned signature, so on it the signing is what can be checked.
#[tokio::test]
async fn presigned_upload_signs_the_announced_length_on_moto() {
    let Some(store) = blob_engine().await else {
        return;
    };
    let bytes = bytes::Bytes::from_static(b"%PDF-1.7\n% bejelentett meret\n%%EOF\n");
    let sha = Sha256Digest::of(&bytes);
    let key = format!("uploads/{}", unique_name("sized"));
    let upload = store
        .presign_upload(
            &key,
            sha,
            bytes.len() as u64,
            "application/pdf",
            SignedDuration::from_mins(5),
        )
        .await
        .expect("presign upload");
    let length = upload
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .map(|(_, value)| value.clone());
    assert_eq!(
        length,
        Some(bytes.len().to_string()),
        "{:?}",
        upload.headers
    );
    let signed = upload
        .url
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("X-Amz-SignedHeaders="))
        .expect("signed headers");
    assert!(
        signed.split("%3B").any(|h| h == "content-length"),
        "content-length is signed: {signed}"
    );
    // moto stores a longer body all the same (it checks neither the signature nor the
    // checksum; tried: 200 OK), so the refusal itself is S3's to show.
}

/// The template itself is read (the deploy rehearsal tries the policies on every call):
/// every function that reaches the table carries the policy denying replacement and
/// deletion of audit items, and that policy names both audit partitions. The table engine
/// appends with a conditional UpdateItem, which IAM cannot tell from an overwrite, so
/// UpdateItem stays allowed and an overwrite is caught by the hash chain and its anchors.
#[test]
fn every_function_that_reaches_the_table_may_not_replace_or_delete_audit_items() {
    let template =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml"))
            .expect("template.yaml");
    // Each resource starts at a line indented by exactly two spaces.
    let mut resources: Vec<String> = Vec::new();
    for line in template.lines() {
        let top = line.starts_with("  ") && line[2..].starts_with(|c: char| c.is_alphanumeric());
        match resources.last_mut() {
            Some(resource) if !top => {
                resource.push('\n');
                resource.push_str(line);
            }
            _ => resources.push(line.trim().to_owned()),
        }
    }
    let functions: Vec<&String> = resources
        .iter()
        .filter(|r| r.contains("Type: AWS::Serverless::Function") && r.contains("Table.Arn"))
        .collect();
    assert!(functions.len() >= 4, "found {} functions", functions.len());
    for function in functions {
        let name = function.split(':').next().unwrap_or_default();
        assert!(
            function.contains("- !Ref AuditAppendOnlyPolicy"),
            "{name} lacks AuditAppendOnlyPolicy"
        );
    }
    let policy = resources
        .iter()
        .find(|r| r.starts_with("AuditAppendOnlyPolicy:"))
        .expect("the policy");
    for expected in [
        "Effect: Deny",
        "dynamodb:PutItem",
        "dynamodb:DeleteItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:LeadingKeys",
        "\"AUDIT#*\"",
        "\"AUDITANCHOR\"",
    ] {
        assert!(
            policy.contains(expected),
            "{expected} missing in:\n{policy}"
        );
    }
    assert_eq!(varoskapu_core::audit::STREAM_PREFIX, "AUDIT#");
}
