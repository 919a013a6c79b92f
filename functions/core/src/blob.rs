//! The `BlobStore` port: object storage for documents, with SHA-256 checked on the way in
//! and on the way out, write-once objects for signed documents, and presigned URLs so that
//! clients upload and download without the bytes passing through a function.

use async_trait::async_trait;
use bytes::Bytes;
use sha2::{Digest, Sha256};
use std::fmt;

/// A SHA-256 digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sha256Digest(pub [u8; 32]);

impl Sha256Digest {
    pub fn of(bytes: &[u8]) -> Self {
        Self(Sha256::digest(bytes).into())
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    pub fn from_hex(text: &str) -> Option<Self> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(text, &mut out).ok()?;
        Some(Self(out))
    }
}

impl fmt::Debug for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.to_hex())
    }
}

impl fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// An object to store.
#[derive(Debug, Clone)]
pub struct BlobPut {
    pub key: String,
    pub bytes: Bytes,
    /// The digest the writer claims; the store refuses bytes that do not match it.
    pub sha256: Sha256Digest,
    pub content_type: String,
    /// A write-once object can never be written again (signed documents).
    pub write_once: bool,
}

impl BlobPut {
    /// An object keyed by its own digest under `prefix` (`prefix/<hex>`).
    pub fn content_addressed(prefix: &str, bytes: Bytes, content_type: &str) -> Self {
        let sha256 = Sha256Digest::of(&bytes);
        Self {
            key: content_key(prefix, &sha256),
            bytes,
            sha256,
            content_type: content_type.to_owned(),
            write_once: false,
        }
    }

    pub fn write_once(mut self) -> Self {
        self.write_once = true;
        self
    }
}

/// The key of content-addressed bytes under `prefix`.
pub fn content_key(prefix: &str, sha256: &Sha256Digest) -> String {
    format!("{}/{}", prefix.trim_end_matches('/'), sha256.to_hex())
}

/// What is known about a stored object without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobMeta {
    pub key: String,
    pub size: u64,
    pub sha256: Sha256Digest,
    pub content_type: String,
}

/// A stored object with its bytes, already verified against its digest.
#[derive(Debug, Clone)]
pub struct Blob {
    pub meta: BlobMeta,
    pub bytes: Bytes,
}

/// An HTTP request a client may make without credentials until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresignedRequest {
    pub method: String,
    pub url: String,
    /// Headers the client must send exactly as given.
    pub headers: Vec<(String, String)>,
    pub expires_at: jiff::Timestamp,
}

/// What can go wrong with object storage.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlobError {
    #[error("no object under this key")]
    NotFound,
    #[error("the object is write-once and already exists")]
    AlreadyExists,
    #[error("the bytes do not match their SHA-256 (expected {expected}, got {actual})")]
    ChecksumMismatch {
        expected: Sha256Digest,
        actual: Sha256Digest,
    },
    #[error("stored object is corrupt: {0}")]
    Corrupt(String),
    #[error("invalid object key {0:?}")]
    InvalidKey(String),
    #[error("object storage unavailable: {0}")]
    Unavailable(#[source] crate::Cause),
}

/// Keys are relative paths of safe characters, so every engine maps them the same way.
pub fn validate_blob_key(key: &str) -> Result<(), BlobError> {
    let ok = !key.is_empty()
        && key.len() <= 512
        && !key.starts_with('/')
        && !key.ends_with('/')
        && key
            .split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != ".." && !seg.starts_with('.'))
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(BlobError::InvalidKey(key.to_owned()))
    }
}

/// Checks a write before any engine stores it.
pub fn verify_put(put: &BlobPut) -> Result<(), BlobError> {
    validate_blob_key(&put.key)?;
    let actual = Sha256Digest::of(&put.bytes);
    if actual != put.sha256 {
        return Err(BlobError::ChecksumMismatch {
            expected: put.sha256,
            actual,
        });
    }
    Ok(())
}

/// Object storage.
#[async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// Stores an object; fails on a digest mismatch or if a write-once object exists.
    async fn put(&self, put: BlobPut) -> Result<BlobMeta, BlobError>;

    /// Reads an object and verifies its bytes against the stored digest.
    async fn get(&self, key: &str) -> Result<Blob, BlobError>;

    /// Reads an object's metadata, `None` if absent.
    async fn head(&self, key: &str) -> Result<Option<BlobMeta>, BlobError>;

    /// A URL through which a client uploads exactly the bytes with this digest and size:
    /// a body of another size is refused at the URL (a larger one before it is read
    /// whole), a body with another digest is never stored.
    async fn presign_upload(
        &self,
        key: &str,
        sha256: Sha256Digest,
        size: u64,
        content_type: &str,
        expires_in: jiff::SignedDuration,
    ) -> Result<PresignedRequest, BlobError>;

    /// A URL through which a client downloads an object.
    async fn presign_download(
        &self,
        key: &str,
        expires_in: jiff::SignedDuration,
    ) -> Result<PresignedRequest, BlobError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cannot_escape_the_store() {
        for bad in [
            "", "/a", "a/", "a/../b", "a//b", ".hidden", "a/.tmp", "a b", "ü",
        ] {
            assert!(validate_blob_key(bad).is_err(), "{bad:?} accepted");
        }
        for good in ["documents/ab12", "uploads/2026/x_y-z.pdf"] {
            assert!(validate_blob_key(good).is_ok(), "{good:?} refused");
        }
    }

    #[test]
    fn a_put_with_the_wrong_digest_is_refused() {
        let mut put =
            BlobPut::content_addressed("docs", Bytes::from_static(b"hello"), "text/plain");
        assert!(verify_put(&put).is_ok());
        put.bytes = Bytes::from_static(b"hellO");
        assert!(matches!(
            verify_put(&put),
            Err(BlobError::ChecksumMismatch { .. })
        ));
    }
}
