//! The case use cases on the production engines (DynamoDB and S3, against moto's server,
//! which the test script starts and names in `VAROSKAPU_TEST_AWS_ENDPOINT`): concurrent
//! submissions draw gap-free arrival numbers by conditional transactions, a retried
//! submission returns the first result, and an upload goes through a presigned S3 URL.
//! Without the endpoint the cases say they were skipped and pass.

use crate::common::{self, Fixture};
use futures::future::join_all;
use serde_json::{Value, json};
use std::sync::Arc;
use varoskapu_aws::{AwsConfig, S3BlobStore};
use varoskapu_case_api::forms::JsonSchemaForms;
use varoskapu_core::cases::{CaseStatus, UploadRequest};
use varoskapu_core::{Clock, Sha256Digest, SystemClock};

/// The use cases over a fresh table and buckets on the test server, or `None` without one.
async fn on_aws() -> Option<Fixture> {
    let endpoint = varoskapu_tests::moto::aws_endpoint()?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let config = AwsConfig {
        table: format!("vk-cases-{nanos:x}"),
        documents_bucket: format!("vk-cases-docs-{nanos:x}"),
        region: std::env::var("AWS_REGION").unwrap_or_else(|_| "eu-central-1".into()),
        endpoint_url: Some(endpoint),
    };
    config
        .provision()
        .await
        .expect("provision table and bucket");
    let uploads_bucket = format!("vk-cases-uploads-{nanos:x}");
    let sdk = config.sdk_config().await;
    let s3 = config.s3_client(&sdk);
    varoskapu_aws::create_bucket(&s3, &uploads_bucket, false)
        .await
        .expect("uploads bucket");
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let engines = config.engines(clock.clone()).await;
    Some(
        common::cases_over(
            Arc::new(engines.table),
            Arc::new(S3BlobStore::new(s3, uploads_bucket)),
            Arc::new(engines.blobs),
            clock,
        )
        .await,
    )
}

fn form() -> Value {
    json!({"purpose": "munkáltató részére"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_submissions_draw_gap_free_arrival_numbers_on_dynamodb() {
    let Some(f) = on_aws().await else {
        return;
    };
    let mut drafts = Vec::new();
    for _ in 0..6 {
        let case = f
            .cases
            .create_draft(&common::citizen("citizen-1"), "certificate", form())
            .await
            .expect("draft");
        drafts.push(case.id);
    }
    let results = join_all(drafts.iter().map(|id| {
        let cases = f.cases.clone();
        let id = *id;
        async move {
            cases
                .submit(
                    &common::citizen("citizen-1"),
                    id,
                    None,
                    &JsonSchemaForms,
                    None,
                )
                .await
        }
    }))
    .await;
    let mut numbers: Vec<u32> = results
        .into_iter()
        .map(|r| {
            let case = r.expect("submitted");
            assert_eq!(case.status, CaseStatus::Submitted);
            assert!(case.receipt.is_some());
            case.arrival_number
                .and_then(|n| n.split_once('/').and_then(|(_, n)| n.parse().ok()))
                .expect("arrival number")
        })
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=6).collect::<Vec<u32>>());
}

#[tokio::test]
async fn a_retried_submission_and_an_s3_upload_on_the_production_engines() {
    let Some(f) = on_aws().await else {
        return;
    };
    let case = f
        .cases
        .create_draft(&common::citizen("citizen-2"), "certificate", form())
        .await
        .expect("draft");
    let pdf = b"%PDF-1.4\n%%EOF\n".to_vec();
    let grant = f
        .cases
        .upload_intent(
            &common::citizen("citizen-2"),
            case.id,
            UploadRequest {
                kind: "evidence".into(),
                sha256: Sha256Digest::of(&pdf).to_hex(),
                size: pdf.len() as u64,
                media_type: "application/pdf".into(),
            },
        )
        .await
        .expect("upload intent");
    let mut put = reqwest::Client::new()
        .request(
            grant.request.method.parse().expect("method"),
            &grant.request.url,
        )
        .body(pdf.clone());
    for (name, value) in &grant.request.headers {
        put = put.header(name, value);
    }
    let response = put.send().await.expect("presigned put");
    assert!(response.status().is_success(), "{}", response.status());
    let attached = f
        .cases
        .attach(&common::citizen("citizen-2"), case.id, grant.upload_id)
        .await
        .expect("attached");
    assert_eq!(attached.media_type, "application/pdf");
    let first = f
        .cases
        .submit(
            &common::citizen("citizen-2"),
            case.id,
            None,
            &JsonSchemaForms,
            Some(("key-1", "fp")),
        )
        .await
        .expect("submitted");
    let again = f
        .cases
        .submit(
            &common::citizen("citizen-2"),
            case.id,
            None,
            &JsonSchemaForms,
            Some(("key-1", "fp")),
        )
        .await
        .expect("replayed");
    assert_eq!(first.arrival_number, again.arrival_number);
    assert_eq!(first.receipt, again.receipt);
    // Nobody else reads it.
    assert!(f.cases.case_of("citizen-3", case.id).await.is_err());
}
