//! `S3BlobStore`: the `BlobStore` port on one S3 bucket.
//!
//! S3 checks the SHA-256 of every upload (`x-amz-checksum-sha256`), the hex digest is kept
//! in user metadata so that reads verify the bytes again, and write-once objects are
//! created with `If-None-Match: *` so that a second writer is refused by S3 itself.
//! Ordinary overwrites carry `If-Match` with the ETag of an object seen not to be
//! write-once, so no write of any kind replaces a write-once object.

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ChecksumAlgorithm;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::collections::HashMap;
use std::time::{Duration, SystemTime};
use varoskapu_core::Cause;
use varoskapu_core::blob::{validate_blob_key, verify_put};
use varoskapu_core::{
    Blob, BlobError, BlobMeta, BlobPut, BlobStore, PresignedRequest, Sha256Digest,
};

/// User metadata key of the hex SHA-256 (sent as `x-amz-meta-sha256`).
const SHA256_METADATA: &str = "sha256";

/// The production `BlobStore`: one S3 bucket.
#[derive(Debug, Clone)]
pub struct S3BlobStore {
    client: Client,
    bucket: String,
}

/// User metadata key marking an object that must never be replaced.
const WRITE_ONCE_METADATA: &str = "write-once";

/// How often an ordinary put retries when another writer replaced the object meanwhile.
const MAX_PUT_ATTEMPTS: usize = 4;

/// What a conditional `PutObject` requires of the object currently under the key.
enum Precondition {
    Absent,
    Etag(String),
}

/// Why a `PutObject` failed.
enum PutFailure {
    Precondition,
    Other(BlobError),
}

impl PutFailure {
    fn into_blob_error(self) -> BlobError {
        match self {
            PutFailure::Precondition => BlobError::AlreadyExists,
            PutFailure::Other(e) => e,
        }
    }
}

/// The parts of the current object a conditional overwrite needs.
struct Current {
    etag: String,
    write_once: bool,
}

impl S3BlobStore {
    /// Wraps a bucket; the client decides endpoint, region and credentials.
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }

    /// The bucket's name, for diagnostics.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    async fn put_object(
        &self,
        put: &BlobPut,
        precondition: Precondition,
    ) -> Result<BlobMeta, PutFailure> {
        let mut request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(&put.key)
            .content_type(&put.content_type)
            // AWS documents Content-MD5 or x-amz-sdk-checksum-algorithm as required on a put
            // into a bucket with default Object Lock retention (the documents bucket). S3
            // takes x-amz-checksum-sha256 alone too, but moto refuses such a put there;
            // naming the algorithm satisfies both without a second digest. The value is
            // ours, so the SDK computes nothing and streams no trailer.
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
            .checksum_sha256(STANDARD.encode(put.sha256.0))
            .metadata(SHA256_METADATA, put.sha256.to_hex())
            .body(ByteStream::from(put.bytes.clone()));
        if put.write_once {
            request = request.metadata(WRITE_ONCE_METADATA, "true");
        }
        request = match precondition {
            Precondition::Absent => request.if_none_match("*"),
            Precondition::Etag(etag) => request.if_match(etag),
        };
        request.send().await.map_err(|e| {
            // 412 when the condition fails; 409 when a concurrent conditional write won.
            if matches!(
                e.code(),
                Some("PreconditionFailed" | "ConditionalRequestConflict")
            ) || matches!(http_status(&e), Some(412 | 409))
            {
                PutFailure::Precondition
            } else {
                PutFailure::Other(unavailable("PutObject", e))
            }
        })?;
        Ok(BlobMeta {
            key: put.key.clone(),
            size: put.bytes.len() as u64,
            sha256: put.sha256,
            content_type: put.content_type.clone(),
        })
    }

    async fn current(&self, key: &str) -> Result<Option<Current>, BlobError> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(output) => Ok(Some(Current {
                etag: output
                    .e_tag
                    .ok_or_else(|| BlobError::Corrupt(format!("{key}: no ETag")))?,
                write_once: output
                    .metadata
                    .as_ref()
                    .and_then(|m| m.get(WRITE_ONCE_METADATA))
                    .is_some_and(|v| v == "true"),
            })),
            Err(e)
                if e.as_service_error().is_some_and(|s| s.is_not_found())
                    || http_status(&e) == Some(404) =>
            {
                Ok(None)
            }
            Err(e) => Err(unavailable("HeadObject", e)),
        }
    }
}

#[async_trait]
impl BlobStore for S3BlobStore {
    async fn put(&self, put: BlobPut) -> Result<BlobMeta, BlobError> {
        verify_put(&put)?;
        if put.write_once {
            return match self.put_object(&put, Precondition::Absent).await {
                Err(PutFailure::Precondition) => Err(BlobError::AlreadyExists),
                other => other.map_err(PutFailure::into_blob_error),
            };
        }
        // An ordinary put may replace an ordinary object but never a write-once one; the
        // ETag condition makes "it was not write-once when we looked" hold at the write.
        for _ in 0..MAX_PUT_ATTEMPTS {
            let precondition = match self.current(&put.key).await? {
                None => Precondition::Absent,
                Some(current) if current.write_once => return Err(BlobError::AlreadyExists),
                Some(current) => Precondition::Etag(current.etag),
            };
            match self.put_object(&put, precondition).await {
                Err(PutFailure::Precondition) => continue,
                other => return other.map_err(PutFailure::into_blob_error),
            }
        }
        Err(BlobError::Unavailable(
            format!("{}: concurrent writers kept replacing the object", put.key).into(),
        ))
    }

    async fn get(&self, key: &str) -> Result<Blob, BlobError> {
        validate_blob_key(key)?;
        let output = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| {
                if e.as_service_error().is_some_and(|s| s.is_no_such_key())
                    || http_status(&e) == Some(404)
                {
                    BlobError::NotFound
                } else {
                    unavailable("GetObject", e)
                }
            })?;
        let expected = stored_digest(key, output.metadata.as_ref())?;
        let content_type = output
            .content_type
            .clone()
            .unwrap_or_else(|| "application/octet-stream".to_owned());
        let bytes = output
            .body
            .collect()
            .await
            .map_err(|e| {
                BlobError::Unavailable(Cause::with_source(format!("GetObject body: {e}"), e))
            })?
            .into_bytes();
        let actual = Sha256Digest::of(&bytes);
        if actual != expected {
            return Err(BlobError::Corrupt(format!(
                "{key}: stored digest {expected}, bytes hash to {actual}"
            )));
        }
        Ok(Blob {
            meta: BlobMeta {
                key: key.to_owned(),
                size: bytes.len() as u64,
                sha256: expected,
                content_type,
            },
            bytes,
        })
    }

    async fn head(&self, key: &str) -> Result<Option<BlobMeta>, BlobError> {
        validate_blob_key(key)?;
        let output = match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(output) => output,
            Err(e)
                if e.as_service_error().is_some_and(|s| s.is_not_found())
                    || http_status(&e) == Some(404) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(unavailable("HeadObject", e)),
        };
        let sha256 = stored_digest(key, output.metadata.as_ref())?;
        let size = output
            .content_length
            .and_then(|n| u64::try_from(n).ok())
            .ok_or_else(|| BlobError::Corrupt(format!("{key}: no content length")))?;
        Ok(Some(BlobMeta {
            key: key.to_owned(),
            size,
            sha256,
            content_type: output
                .content_type
                .unwrap_or_else(|| "application/octet-stream".to_owned()),
        }))
    }

    async fn presign_upload(
        &self,
        key: &str,
        sha256: Sha256Digest,
        size: u64,
        content_type: &str,
        expires_in: jiff::SignedDuration,
    ) -> Result<PresignedRequest, BlobError> {
        validate_blob_key(key)?;
        let size = i64::try_from(size)
            .map_err(|_| BlobError::Unavailable("an upload cannot be that large".into()))?;
        let (config, expires_at) = presigning(expires_in)?;
        // The length, checksum, metadata and condition headers are signed: S3 refuses a
        // request without them, a body of another length (the signed `content-length`
        // differs from the one sent) and bytes whose SHA-256 differs from the signed one.
        let presigned = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_length(size)
            .content_type(content_type)
            .checksum_sha256(STANDARD.encode(sha256.0))
            .metadata(SHA256_METADATA, sha256.to_hex())
            // One upload per URL, and never over an existing object (a signed document).
            .if_none_match("*")
            .presigned(config)
            .await
            .map_err(|e| unavailable("PutObject presigning", e))?;
        Ok(to_port(&presigned, expires_at))
    }

    async fn presign_download(
        &self,
        key: &str,
        expires_in: jiff::SignedDuration,
    ) -> Result<PresignedRequest, BlobError> {
        validate_blob_key(key)?;
        let (config, expires_at) = presigning(expires_in)?;
        let presigned = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(config)
            .await
            .map_err(|e| unavailable("GetObject presigning", e))?;
        Ok(to_port(&presigned, expires_at))
    }
}

/// Presigning that starts now; SigV4 allows 1 second to 7 days.
fn presigning(
    expires_in: jiff::SignedDuration,
) -> Result<(PresigningConfig, jiff::Timestamp), BlobError> {
    let duration = Duration::try_from(expires_in)
        .map_err(|_| BlobError::Unavailable("a presigned URL cannot expire in the past".into()))?;
    let now = jiff::Timestamp::now();
    let expires_at = now.checked_add(expires_in).map_err(|e| {
        BlobError::Unavailable(Cause::with_source(format!("presigned URL expiry: {e}"), e))
    })?;
    let start = SystemTime::UNIX_EPOCH + Duration::from_secs(now.as_second().max(0).unsigned_abs());
    let config = PresigningConfig::builder()
        .start_time(start)
        .expires_in(duration)
        .build()
        .map_err(|e| {
            BlobError::Unavailable(Cause::with_source(format!("presigned URL expiry: {e}"), e))
        })?;
    // The signature counts from the whole second it was made in.
    let expires_at = jiff::Timestamp::from_second(now.as_second())
        .ok()
        .and_then(|t| t.checked_add(expires_in).ok())
        .unwrap_or(expires_at);
    Ok((config, expires_at))
}

fn to_port(
    presigned: &aws_sdk_s3::presigning::PresignedRequest,
    expires_at: jiff::Timestamp,
) -> PresignedRequest {
    PresignedRequest {
        method: presigned.method().to_owned(),
        url: presigned.uri().to_owned(),
        headers: presigned
            .headers()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect(),
        expires_at,
    }
}

/// The digest recorded at upload; an object without one was not written through the port.
fn stored_digest(
    key: &str,
    metadata: Option<&HashMap<String, String>>,
) -> Result<Sha256Digest, BlobError> {
    metadata
        .and_then(|m| m.get(SHA256_METADATA))
        .and_then(|hex| Sha256Digest::from_hex(hex))
        .ok_or_else(|| BlobError::Corrupt(format!("{key}: no recorded SHA-256")))
}

fn http_status<E>(error: &SdkError<E, HttpResponse>) -> Option<u16> {
    error.raw_response().map(|r| r.status().as_u16())
}

fn unavailable<E, R>(operation: &str, error: SdkError<E, R>) -> BlobError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let description = match (error.code(), error.message()) {
        (Some(code), Some(message)) => format!("{operation}: {code}: {message}"),
        (Some(code), None) => format!("{operation}: {code}"),
        _ => format!(
            "{operation}: {}",
            aws_sdk_s3::error::DisplayErrorContext(&error)
        ),
    };
    tracing::warn!(error = %description, "S3 request failed");
    BlobError::Unavailable(Cause::with_source(description, error))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};

    fn store() -> S3BlobStore {
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("eu-central-1"))
            .credentials_provider(Credentials::new(
                "AKIDEXAMPLE",
                "secret",
                None,
                None,
                "test",
            ))
            .build();
        S3BlobStore::new(Client::from_conf(config), "documents")
    }

    #[tokio::test]
    async fn a_presigned_upload_signs_the_checksum_and_length_so_s3_refuses_other_bytes() {
        let sha = Sha256Digest::of(b"the announced bytes");
        let presigned = store()
            .presign_upload(
                "uploads/x",
                sha,
                19,
                "application/pdf",
                jiff::SignedDuration::from_mins(5),
            )
            .await
            .unwrap();
        assert_eq!(presigned.method, "PUT");
        let header = |name: &str| {
            presigned
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        assert_eq!(
            header("x-amz-checksum-sha256"),
            Some(STANDARD.encode(sha.0))
        );
        assert_eq!(header("x-amz-meta-sha256"), Some(sha.to_hex()));
        assert_eq!(header("if-none-match"), Some("*".to_owned()));
        let signed = presigned
            .url
            .split(['?', '&'])
            .find_map(|p| p.strip_prefix("X-Amz-SignedHeaders="))
            .unwrap();
        assert!(signed.contains("x-amz-checksum-sha256"), "{signed}");
        // The announced size: S3 refuses a body of another length.
        assert_eq!(header("content-length"), Some("19".to_owned()));
        assert!(signed.contains("content-length"), "{signed}");
        assert!(signed.contains("x-amz-meta-sha256"), "{signed}");
    }

    #[tokio::test]
    async fn presigned_urls_expire_when_announced() {
        let before = jiff::Timestamp::now();
        let presigned = store()
            .presign_download("documents/x", jiff::SignedDuration::from_mins(10))
            .await
            .unwrap();
        let expires_in = presigned.expires_at.duration_since(before);
        // SigV4 counts in whole seconds from a signing time taken just after `before`.
        assert!(expires_in <= jiff::SignedDuration::from_secs(601));
        assert!(expires_in > jiff::SignedDuration::from_mins(9));
        assert!(presigned.url.contains("X-Amz-Expires=600"));
        assert!(
            store()
                .presign_download("documents/x", jiff::SignedDuration::from_hours(24 * 8))
                .await
                .is_err()
        );
    }
}
