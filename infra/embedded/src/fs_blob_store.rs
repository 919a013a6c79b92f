//! `BlobStore` on a data folder. Each object is one file holding a metadata line and the
//! bytes, written to a temporary file, fsynced, then renamed (or hard-linked, for
//! write-once objects, which fails atomically if the object exists), and the directory is
//! fsynced, so an acknowledged object survives a crash whole or not at all.
//!
//! Presigned URLs are HMAC-signed tokens served by [`FsBlobStore::router`]: the local
//! server's equivalent of S3's presigned requests. An upload token binds the digest and
//! the exact size announced; the route refuses any other size, a larger body as soon as
//! its length or its bytes pass the size.

use async_trait::async_trait;
use axum::Router;
use axum::body::{Body, Bytes as BodyBytes};
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use futures::StreamExt;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use varoskapu_core::Cause;
use varoskapu_core::blob::{validate_blob_key, verify_put};
use varoskapu_core::{
    Blob, BlobError, BlobMeta, BlobPut, BlobStore, Clock, PresignedRequest, Sha256Digest,
};
use varoskapu_http::{Problem, ProblemKind};

const MAGIC: &[u8] = b"VKBLOB1\n";
/// Path prefix of the presigned-URL routes.
pub const PRESIGNED_PATH: &str = "/blob-store";

#[derive(Debug, Serialize, Deserialize)]
struct StoredMeta {
    sha256: String,
    content_type: String,
    size: u64,
    write_once: bool,
}

/// What a presigned token allows.
#[derive(Debug, Serialize, Deserialize)]
struct Grant {
    /// `PUT` or `GET`.
    m: String,
    k: String,
    /// Digest the uploaded bytes must have (uploads only).
    h: Option<String>,
    /// Exact size in bytes of the upload (uploads only).
    #[serde(default)]
    n: Option<u64>,
    ct: Option<String>,
    exp: i64,
}

/// The embedded `BlobStore` engine.
#[derive(Clone)]
pub struct FsBlobStore {
    inner: Arc<Inner>,
}

struct Inner {
    root: PathBuf,
    /// Where clients reach [`FsBlobStore::router`], e.g. `http://127.0.0.1:8080`.
    public_base_url: String,
    signing_key: [u8; 32],
    clock: Arc<dyn Clock>,
}

impl FsBlobStore {
    /// Opens the store under `root`; the presigning key lives in `root/presign.key` and is
    /// created on first use.
    pub fn open(
        root: &Path,
        public_base_url: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, BlobError> {
        for dir in ["objects", "tmp", "used-tokens"] {
            fs::create_dir_all(root.join(dir)).map_err(io_error)?;
        }
        let signing_key = load_or_create_key(&root.join("presign.key"))?;
        Ok(Self {
            inner: Arc::new(Inner {
                root: root.to_owned(),
                public_base_url: public_base_url.trim_end_matches('/').to_owned(),
                signing_key,
                clock,
            }),
        })
    }

    /// The routes that serve presigned uploads and downloads.
    pub fn router(&self) -> Router {
        Router::new()
            .route(
                &format!("{PRESIGNED_PATH}/{{token}}"),
                get(presigned_get).put(presigned_put),
            )
            .with_state(self.clone())
    }

    fn object_path(&self, key: &str) -> PathBuf {
        self.inner.root.join("objects").join(key)
    }

    fn sign(&self, grant: &Grant) -> String {
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(grant).unwrap_or_default());
        let mut mac = self.mac();
        mac.update(payload.as_bytes());
        let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{payload}.{sig}")
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC accepts keys of any length.
        Hmac::<Sha256>::new_from_slice(&self.inner.signing_key).expect("HMAC takes any key")
    }

    /// Checks a token's signature (in constant time) and expiry.
    fn open_token(&self, token: &str) -> Result<Grant, Problem> {
        let refused = || Problem::with_detail(ProblemKind::Forbidden, "invalid or expired URL");
        let (payload, sig) = token.split_once('.').ok_or_else(refused)?;
        let sig = URL_SAFE_NO_PAD.decode(sig).map_err(|_| refused())?;
        let mut mac = self.mac();
        mac.update(payload.as_bytes());
        mac.verify_slice(&sig).map_err(|_| refused())?;
        let grant: Grant = URL_SAFE_NO_PAD
            .decode(payload)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or_else(refused)?;
        if grant.exp <= self.inner.clock.unix_seconds() {
            return Err(refused());
        }
        Ok(grant)
    }

    fn presigned(&self, grant: Grant, headers: Vec<(String, String)>) -> PresignedRequest {
        let method = grant.m.clone();
        let expires_at = jiff::Timestamp::from_second(grant.exp).unwrap_or(jiff::Timestamp::MAX);
        PresignedRequest {
            method,
            url: format!(
                "{}{PRESIGNED_PATH}/{}",
                self.inner.public_base_url,
                self.sign(&grant)
            ),
            headers,
            expires_at,
        }
    }

    fn expiry(&self, expires_in: jiff::SignedDuration) -> i64 {
        self.inner.clock.unix_seconds() + expires_in.as_secs().max(1)
    }

    fn token_marker(&self, token: &str) -> PathBuf {
        self.inner
            .root
            .join("used-tokens")
            .join(Sha256Digest::of(token.as_bytes()).to_hex())
    }

    fn write_blocking(&self, put: &BlobPut) -> Result<BlobMeta, BlobError> {
        let path = self.object_path(&put.key);
        let parent = path
            .parent()
            .ok_or_else(|| BlobError::InvalidKey(put.key.clone()))?;
        fs::create_dir_all(parent).map_err(io_error)?;
        if let Some(existing) = read_meta(&path)?
            && existing.write_once
        {
            return Err(BlobError::AlreadyExists);
        }
        let meta = StoredMeta {
            sha256: put.sha256.to_hex(),
            content_type: put.content_type.clone(),
            size: put.bytes.len() as u64,
            write_once: put.write_once,
        };
        let tmp = self.inner.root.join("tmp").join(format!(
            "{}.{}",
            Sha256Digest::of(put.key.as_bytes()).to_hex(),
            rand::random::<u64>()
        ));
        let result = (|| {
            let mut file = File::create(&tmp).map_err(io_error)?;
            file.write_all(MAGIC).map_err(io_error)?;
            serde_json::to_writer(&mut file, &meta)
                .map_err(|e| BlobError::Unavailable(Cause::of(e)))?;
            file.write_all(b"\n").map_err(io_error)?;
            file.write_all(&put.bytes).map_err(io_error)?;
            file.sync_all().map_err(io_error)?;
            if put.write_once {
                // A hard link never replaces an existing file: exactly one writer wins.
                fs::hard_link(&tmp, &path).map_err(|e| match e.kind() {
                    ErrorKind::AlreadyExists => BlobError::AlreadyExists,
                    _ => io_error(e),
                })
            } else {
                fs::rename(&tmp, &path).map_err(io_error)
            }
        })();
        let _ = fs::remove_file(&tmp);
        result?;
        File::open(parent)
            .and_then(|dir| dir.sync_all())
            .map_err(io_error)?;
        Ok(BlobMeta {
            key: put.key.clone(),
            size: meta.size,
            sha256: put.sha256,
            content_type: meta.content_type,
        })
    }

    fn read_blocking(&self, key: &str) -> Result<Blob, BlobError> {
        let path = self.object_path(key);
        let mut file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == ErrorKind::NotFound => return Err(BlobError::NotFound),
            Err(e) => return Err(io_error(e)),
        };
        let mut raw = Vec::new();
        file.read_to_end(&mut raw).map_err(io_error)?;
        let (meta, body) = split_file(&raw)?;
        let bytes = Bytes::copy_from_slice(body);
        let expected = Sha256Digest::from_hex(&meta.sha256)
            .ok_or_else(|| BlobError::Corrupt(format!("{key}: bad digest")))?;
        if Sha256Digest::of(&bytes) != expected || bytes.len() as u64 != meta.size {
            return Err(BlobError::Corrupt(format!(
                "{key}: bytes do not match their SHA-256"
            )));
        }
        Ok(Blob {
            meta: to_meta(key, meta, expected),
            bytes,
        })
    }
}

fn to_meta(key: &str, meta: StoredMeta, sha256: Sha256Digest) -> BlobMeta {
    BlobMeta {
        key: key.to_owned(),
        size: meta.size,
        sha256,
        content_type: meta.content_type,
    }
}

fn split_file(raw: &[u8]) -> Result<(StoredMeta, &[u8]), BlobError> {
    let corrupt = || BlobError::Corrupt("unreadable object file".into());
    let rest = raw.strip_prefix(MAGIC).ok_or_else(corrupt)?;
    let newline = rest.iter().position(|b| *b == b'\n').ok_or_else(corrupt)?;
    let meta: StoredMeta = serde_json::from_slice(&rest[..newline]).map_err(|_| corrupt())?;
    Ok((meta, &rest[newline + 1..]))
}

/// Reads just the metadata line of an object file.
fn read_meta(path: &Path) -> Result<Option<StoredMeta>, BlobError> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(e)),
    };
    let mut head = Vec::new();
    file.take(4096).read_to_end(&mut head).map_err(io_error)?;
    let rest = head
        .strip_prefix(MAGIC)
        .ok_or_else(|| BlobError::Corrupt("unreadable object file".into()))?;
    let newline = rest
        .iter()
        .position(|b| *b == b'\n')
        .ok_or_else(|| BlobError::Corrupt("unreadable object file".into()))?;
    serde_json::from_slice(&rest[..newline])
        .map(Some)
        .map_err(|_| BlobError::Corrupt("unreadable object metadata".into()))
}

fn io_error(e: std::io::Error) -> BlobError {
    BlobError::Unavailable(Cause::of(e))
}

fn load_or_create_key(path: &Path) -> Result<[u8; 32], BlobError> {
    if let Ok(existing) = fs::read(path)
        && let Ok(key) = <[u8; 32]>::try_from(existing.as_slice())
    {
        return Ok(key);
    }
    let key: [u8; 32] = rand::random();
    let tmp = path.with_extension("tmp");
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&tmp)
        .map_err(io_error)?;
    file.write_all(&key).map_err(io_error)?;
    file.sync_all().map_err(io_error)?;
    fs::rename(&tmp, path).map_err(io_error)?;
    Ok(key)
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, BlobError> + Send + 'static,
) -> Result<T, BlobError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| {
        BlobError::Unavailable(Cause::with_source(format!("storage task failed: {e}"), e))
    })?
}

#[async_trait]
impl BlobStore for FsBlobStore {
    async fn put(&self, put: BlobPut) -> Result<BlobMeta, BlobError> {
        verify_put(&put)?;
        let this = self.clone();
        blocking(move || this.write_blocking(&put)).await
    }

    async fn get(&self, key: &str) -> Result<Blob, BlobError> {
        validate_blob_key(key)?;
        let this = self.clone();
        let key = key.to_owned();
        blocking(move || this.read_blocking(&key)).await
    }

    async fn head(&self, key: &str) -> Result<Option<BlobMeta>, BlobError> {
        validate_blob_key(key)?;
        let path = self.object_path(key);
        let key = key.to_owned();
        blocking(move || {
            let Some(meta) = read_meta(&path)? else {
                return Ok(None);
            };
            let sha = Sha256Digest::from_hex(&meta.sha256)
                .ok_or_else(|| BlobError::Corrupt(format!("{key}: bad digest")))?;
            Ok(Some(to_meta(&key, meta, sha)))
        })
        .await
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
        let grant = Grant {
            m: "PUT".into(),
            k: key.to_owned(),
            h: Some(sha256.to_hex()),
            n: Some(size),
            ct: Some(content_type.to_owned()),
            exp: self.expiry(expires_in),
        };
        Ok(self.presigned(
            grant,
            vec![("content-type".into(), content_type.to_owned())],
        ))
    }

    async fn presign_download(
        &self,
        key: &str,
        expires_in: jiff::SignedDuration,
    ) -> Result<PresignedRequest, BlobError> {
        validate_blob_key(key)?;
        let grant = Grant {
            m: "GET".into(),
            k: key.to_owned(),
            h: None,
            n: None,
            ct: None,
            exp: self.expiry(expires_in),
        };
        Ok(self.presigned(grant, Vec::new()))
    }
}

/// The body of an upload of exactly `size` bytes: a larger one is refused with 413 as
/// soon as its announced length or its bytes pass `size` (never buffered beyond it), a
/// shorter one with 400.
async fn exact_body(headers: &HeaderMap, body: Body, size: u64) -> Result<BodyBytes, Problem> {
    let too_large = || {
        Problem::with_detail(
            ProblemKind::PayloadTooLarge,
            format!("this upload URL takes exactly the {size} bytes announced"),
        )
        .extension("announced_size", size)
    };
    let too_short = |got: u64| {
        Problem::with_detail(
            ProblemKind::BadRequest,
            format!("the body is {got} bytes; this upload URL takes exactly the {size} announced"),
        )
        .extension("announced_size", size)
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(n) if n > size => return Err(too_large()),
        Some(n) if n < size => return Err(too_short(n)),
        _ => {}
    }
    let limit = usize::try_from(size).map_err(|_| too_large())?;
    let mut bytes = bytes::BytesMut::with_capacity(limit.min(16 * 1024 * 1024));
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| {
            Problem::with_detail(ProblemKind::BadRequest, "the upload was interrupted")
        })?;
        if bytes.len() + chunk.len() > limit {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    if bytes.len() < limit {
        return Err(too_short(bytes.len() as u64));
    }
    Ok(bytes.freeze())
}

/// A presigned upload of exactly the bytes announced.
#[utoipa::path(put, path = "/blob-store/{token}", tag = "documents", operation_id = "presigned_upload",
    description = "A presigned upload URL handed out by the API (the local stand-in for an S3 presigned PUT). It binds the SHA-256 digest, the exact size and the media type announced; it may be used once.",
    params(("token" = String, Path, description = "The signed grant")),
    request_body(content = varoskapu_http::openapi::Binary, content_type = "application/octet-stream", description = "The document's bytes, sent with the media type announced"),
    responses(
        (status = 200, description = "Stored"),
        (status = 400, description = "The body is shorter than announced, or the upload was interrupted", content_type = "application/problem+json", body = varoskapu_http::Problem),
        (status = 403, description = "Invalid or expired URL, or one that does not allow uploads", content_type = "application/problem+json", body = varoskapu_http::Problem),
        (status = 409, description = "The object exists and is write-once", content_type = "application/problem+json", body = varoskapu_http::Problem),
        (status = 410, description = "This upload URL was already used", content_type = "application/problem+json", body = varoskapu_http::Problem),
        (status = 413, description = "The body is longer than announced", content_type = "application/problem+json", body = varoskapu_http::Problem),
        (status = 415, description = "The media type differs from the one announced", content_type = "application/problem+json", body = varoskapu_http::Problem),
        (status = 422, description = "The bytes do not match the announced SHA-256", content_type = "application/problem+json", body = varoskapu_http::Problem),
        (status = 500, description = "Internal error", content_type = "application/problem+json", body = varoskapu_http::Problem),
        (status = 503, description = "Storage is unavailable", content_type = "application/problem+json", body = varoskapu_http::Problem)))]
async fn presigned_put(
    State(store): State<FsBlobStore>,
    UrlPath(token): UrlPath<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, Problem> {
    let grant = store.open_token(&token)?;
    let (Some(sha_hex), Some(size), "PUT") = (grant.h.as_deref(), grant.n, grant.m.as_str()) else {
        return Err(Problem::with_detail(
            ProblemKind::Forbidden,
            "this URL does not allow uploads",
        ));
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if Some(content_type) != grant.ct.as_deref() {
        return Err(Problem::with_detail(
            ProblemKind::UnsupportedMediaType,
            "the content type differs from the one announced",
        ));
    }
    let marker = store.token_marker(&token);
    if marker.exists() {
        return Err(Problem::with_detail(
            ProblemKind::Gone,
            "this upload URL was already used",
        ));
    }
    let sha256 =
        Sha256Digest::from_hex(sha_hex).ok_or_else(|| Problem::new(ProblemKind::Forbidden))?;
    let body = exact_body(&headers, body, size).await?;
    store
        .put(BlobPut {
            key: grant.k,
            bytes: body,
            sha256,
            content_type: content_type.to_owned(),
            write_once: false,
        })
        .await?;
    // Marked after the write so that a refused upload may be retried with the right bytes.
    fs::write(&marker, b"").map_err(|e| Problem::internal(&e))?;
    Ok(StatusCode::OK)
}

/// A presigned download: the object's bytes with its media type.
#[utoipa::path(get, path = "/blob-store/{token}", tag = "documents", operation_id = "presigned_download",
    description = "A presigned download URL handed out by the API (the local stand-in for an S3 presigned GET). The token is signed and expires.",
    params(("token" = String, Path, description = "The signed grant")),
    responses(
        (status = 200, description = "The object's bytes, with the media type it was stored with", content_type = "application/octet-stream", body = varoskapu_http::openapi::Binary),
        (status = 400, description = "Invalid object key", content_type = "application/problem+json", body = varoskapu_http::Problem),
        (status = 403, description = "Invalid or expired URL, or one that does not allow downloads", content_type = "application/problem+json", body = varoskapu_http::Problem),
        (status = 404, description = "No such object", content_type = "application/problem+json", body = varoskapu_http::Problem),
        (status = 500, description = "Internal error", content_type = "application/problem+json", body = varoskapu_http::Problem),
        (status = 503, description = "Storage is unavailable", content_type = "application/problem+json", body = varoskapu_http::Problem)))]
async fn presigned_get(
    State(store): State<FsBlobStore>,
    UrlPath(token): UrlPath<String>,
) -> Result<Response, Problem> {
    let grant = store.open_token(&token)?;
    if grant.m != "GET" {
        return Err(Problem::with_detail(
            ProblemKind::Forbidden,
            "this URL does not allow downloads",
        ));
    }
    let blob = store.get(&grant.k).await?;
    let mut response = blob.bytes.into_response();
    if let Ok(ct) = HeaderValue::from_str(&blob.meta.content_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, ct);
    }
    Ok(response)
}

/// The OpenAPI description of [`FsBlobStore::router`] (public: the URL is the grant).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(presigned_get, presigned_put),
    components(schemas(varoskapu_http::Problem)),
    tags((name = "documents", description = "Documents: presigned uploads and downloads, timestamps"))
)]
pub struct PresignedApi;
