//! The contract every `BlobStore` engine passes.
//!
//! Run it with [`blob_contract!`](crate::blob_contract), giving an expression that makes a
//! fresh engine for each case (a future of `Arc<dyn BlobStore>`). Presigned URLs must be
//! usable over HTTP while the engine lives, so an engine that serves them itself must
//! already be listening.

use bytes::Bytes;
use jiff::SignedDuration;
use std::sync::Arc;
use varoskapu_core::{BlobError, BlobPut, BlobStore, Sha256Digest};

/// Generates one `#[tokio::test]` per contract case for the engine `$make` builds.
#[macro_export]
macro_rules! blob_contract {
    ($make:expr) => {
        $crate::blob_contract!(@cases $make;
            put_then_get_and_head_round_trip,
            checksum_mismatch_is_rejected_and_stores_nothing,
            write_once_objects_cannot_be_written_again,
            missing_objects_are_reported_missing,
            presigned_upload_accepts_only_the_announced_bytes,
            presigned_upload_refuses_a_body_larger_than_announced,
            presigned_download_serves_the_object
        );
    };
    (@cases $make:expr; $($case:ident),+) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let store = $make.await;
                $crate::blob_contract::$case(store).await;
            }
        )+
    };
}

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{prefix}/{nanos:x}-{}", std::process::id())
}

fn pdf_bytes(tag: &str) -> Bytes {
    Bytes::from(format!("%PDF-1.7\n% Határozat {tag}\n%%EOF\n").into_bytes())
}

pub async fn put_then_get_and_head_round_trip(store: Arc<dyn BlobStore>) {
    let put = BlobPut::content_addressed(&unique("documents"), pdf_bytes("1"), "application/pdf");
    let key = put.key.clone();
    let meta = store.put(put.clone()).await.expect("put");
    assert_eq!(meta.key, key);
    assert_eq!(meta.sha256, put.sha256);
    assert_eq!(meta.size, put.bytes.len() as u64);

    let blob = store.get(&key).await.expect("get");
    assert_eq!(blob.bytes, put.bytes);
    assert_eq!(blob.meta.sha256, put.sha256);
    assert_eq!(blob.meta.content_type, "application/pdf");

    let head = store.head(&key).await.expect("head").expect("exists");
    assert_eq!(head, meta);

    // Ordinary objects may be replaced.
    let mut replacement = put.clone();
    replacement.bytes = pdf_bytes("2");
    replacement.sha256 = Sha256Digest::of(&replacement.bytes);
    store.put(replacement.clone()).await.expect("overwrite");
    assert_eq!(store.get(&key).await.expect("get").bytes, replacement.bytes);
}

pub async fn checksum_mismatch_is_rejected_and_stores_nothing(store: Arc<dyn BlobStore>) {
    let mut put = BlobPut::content_addressed(&unique("uploads"), pdf_bytes("x"), "application/pdf");
    put.sha256 = Sha256Digest::of(b"something else");
    let err = store.put(put.clone()).await.expect_err("mismatch");
    assert!(matches!(err, BlobError::ChecksumMismatch { .. }), "{err:?}");
    assert_eq!(store.head(&put.key).await.expect("head"), None);
}

pub async fn write_once_objects_cannot_be_written_again(store: Arc<dyn BlobStore>) {
    let put = BlobPut::content_addressed(&unique("signed"), pdf_bytes("signed"), "application/pdf")
        .write_once();
    store.put(put.clone()).await.expect("first write");
    let mut second = put.clone();
    second.bytes = pdf_bytes("forged");
    second.sha256 = Sha256Digest::of(&second.bytes);
    assert_eq!(
        store.put(second).await.expect_err("second write"),
        BlobError::AlreadyExists
    );
    assert_eq!(
        store
            .put(put.clone())
            .await
            .expect_err("even the same bytes"),
        BlobError::AlreadyExists
    );
    assert_eq!(store.get(&put.key).await.expect("get").bytes, put.bytes);
}

pub async fn missing_objects_are_reported_missing(store: Arc<dyn BlobStore>) {
    let key = unique("nothing");
    assert_eq!(store.head(&key).await.expect("head"), None);
    assert_eq!(store.get(&key).await.expect_err("get"), BlobError::NotFound);
    assert!(matches!(
        store.get("../etc/passwd").await,
        Err(BlobError::InvalidKey(_))
    ));
}

fn request(
    client: &reqwest::Client,
    method: &str,
    url: &str,
    headers: &[(String, String)],
) -> reqwest::RequestBuilder {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    headers
        .iter()
        .fold(client.request(method, url), |r, (k, v)| r.header(k, v))
}

pub async fn presigned_upload_accepts_only_the_announced_bytes(store: Arc<dyn BlobStore>) {
    let client = reqwest::Client::new();
    let bytes = pdf_bytes("upload");
    let sha = Sha256Digest::of(&bytes);
    let key = unique("uploads");

    let size = bytes.len() as u64;
    let forged = store
        .presign_upload(
            &key,
            sha,
            size,
            "application/pdf",
            SignedDuration::from_mins(5),
        )
        .await
        .expect("presign");
    assert_eq!(forged.method, "PUT");
    let resp = request(&client, &forged.method, &forged.url, &forged.headers)
        .body(pdf_bytes("tampered"))
        .send()
        .await
        .expect("send");
    assert!(
        resp.status().is_client_error(),
        "other bytes refused: {}",
        resp.status()
    );
    assert_eq!(store.head(&key).await.expect("head"), None);

    let presigned = store
        .presign_upload(
            &key,
            sha,
            size,
            "application/pdf",
            SignedDuration::from_mins(5),
        )
        .await
        .expect("presign");
    let resp = request(
        &client,
        &presigned.method,
        &presigned.url,
        &presigned.headers,
    )
    .body(bytes.clone())
    .send()
    .await
    .expect("send");
    assert!(resp.status().is_success(), "upload: {}", resp.status());
    let blob = store.get(&key).await.expect("uploaded object");
    assert_eq!(blob.bytes, bytes);
    assert_eq!(blob.meta.sha256, sha);
}

/// A body larger than the announced size is refused at the URL and stores nothing, even
/// when it starts with the announced bytes.
pub async fn presigned_upload_refuses_a_body_larger_than_announced(store: Arc<dyn BlobStore>) {
    let client = reqwest::Client::new();
    let bytes = pdf_bytes("announced");
    let sha = Sha256Digest::of(&bytes);
    let key = unique("uploads");
    let presigned = store
        .presign_upload(
            &key,
            sha,
            bytes.len() as u64,
            "application/pdf",
            SignedDuration::from_mins(5),
        )
        .await
        .expect("presign");
    let mut larger = bytes.to_vec();
    larger.extend(std::iter::repeat_n(b' ', 64 * 1024));
    // The client's own length goes with the body; the announced one is not sent twice.
    let headers: Vec<(String, String)> = presigned
        .headers
        .iter()
        .filter(|(name, _)| !name.eq_ignore_ascii_case("content-length"))
        .cloned()
        .collect();
    let resp = request(&client, &presigned.method, &presigned.url, &headers)
        .body(larger)
        .send()
        .await
        .expect("send");
    assert!(
        resp.status().is_client_error(),
        "a larger body refused: {}",
        resp.status()
    );
    assert_eq!(store.head(&key).await.expect("head"), None);
}

pub async fn presigned_download_serves_the_object(store: Arc<dyn BlobStore>) {
    let client = reqwest::Client::new();
    let put = BlobPut::content_addressed(&unique("documents"), pdf_bytes("dl"), "application/pdf");
    store.put(put.clone()).await.expect("put");
    let presigned = store
        .presign_download(&put.key, SignedDuration::from_mins(5))
        .await
        .expect("presign");
    assert_eq!(presigned.method, "GET");
    let resp = request(&client, "GET", &presigned.url, &presigned.headers)
        .send()
        .await
        .expect("send");
    assert!(resp.status().is_success(), "download: {}", resp.status());
    assert_eq!(resp.bytes().await.expect("body"), put.bytes);

    let mut tampered = presigned.url.clone();
    tampered.push('0');
    let resp = request(&client, "GET", &tampered, &presigned.headers)
        .send()
        .await
        .expect("send");
    assert!(resp.status().is_client_error(), "tampered URL refused");
}
