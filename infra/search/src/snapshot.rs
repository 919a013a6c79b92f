//! The index for AWS, kept in object storage: Lambda functions share no disk.
//!
//! The indexer function (fed by DynamoDB Streams, concurrency 1) holds the index in
//! memory; after each batch it writes every file of the index as one archive under
//! `<prefix>/snapshots/<version>` (write-once, the version one more than the last), then
//! points the small marker `<prefix>/current` at it. The query functions load the
//! snapshot the marker names and look at the marker again at most every `max_age`.
//!
//! Freshness: a query function sees a change at most `max_age` (the marker check
//! interval, [`DEFAULT_MAX_AGE`] unless set) plus the indexer's batch delay (the stream's
//! batching window and the time to publish) after it was written to the table.
//! A publication that wrote its snapshot but not the marker leaves that version taken;
//! the next publication skips it (its batch is delivered again, so nothing is lost). This
//! relies on the one writer (the function's reserved concurrency of 1): two writers at
//! once could each take a version and one's changes would be hidden by the other's.
//! A rebuild writes a fresh index without reading the published one, so it also repairs
//! a snapshot that can no longer be read.
//!
//! Snapshots are never deleted through the port (it has no delete): a lifecycle rule on
//! `<prefix>/snapshots/` expires the old ones.

use crate::blocking;
use crate::engine::{Core, Merging, unavailable};
use async_trait::async_trait;
use bytes::Bytes;
use jiff::civil::Date;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use tantivy::Directory;
use tantivy::directory::RamDirectory;
use varoskapu_core::crm::person::PersonId;
use varoskapu_core::crm::search::{
    Criteria, PageRequest, PersonDoc, PersonIndex, SearchError, SearchPage,
};
use varoskapu_core::{BlobError, BlobPut, BlobStore, Sha256Digest};

/// How often a query function looks at the marker unless told otherwise.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(10);
const MAGIC: &[u8] = b"VKSEARCH1\n";
const CONTENT_TYPE: &str = "application/vnd.varoskapu.search-snapshot";
/// The largest file name and file an archive may hold; anything larger is corruption.
const MAX_NAME: usize = 255;
const MAX_FILE: u64 = 4 << 30;
/// How many versions of failed publications a publication skips before it gives up.
const MAX_ORPHANS: u64 = 16;

/// The loaded index and the version it came from (0: none published yet).
struct Loaded {
    core: Arc<Core>,
    version: u64,
    /// A write reached memory but not the store: reload before the next write.
    stale: bool,
}

/// The S3-stored search index (see the module's documentation).
pub struct SnapshotIndex {
    blobs: Arc<dyn BlobStore>,
    prefix: String,
    max_age: Duration,
    loaded: RwLock<Arc<Loaded>>,
    /// Writes and loads one at a time.
    gate: tokio::sync::Mutex<()>,
    last_check: Mutex<Instant>,
}

impl SnapshotIndex {
    /// The index under `prefix`: the latest published snapshot, or an empty index when
    /// none was published yet.
    pub async fn load_or_create(
        blobs: Arc<dyn BlobStore>,
        prefix: &str,
    ) -> Result<Self, SearchError> {
        let index = Self::unloaded(blobs, prefix)?;
        {
            let _gate = index.gate.lock().await;
            index.catch_up().await?;
        }
        Ok(index)
    }

    /// The index under `prefix`, read only when first used: the writer's, which must start
    /// even when the published snapshot cannot be read, since a rebuild repairs that.
    pub fn unloaded(blobs: Arc<dyn BlobStore>, prefix: &str) -> Result<Self, SearchError> {
        let core = Core::open(Box::new(RamDirectory::create()), Merging::InWrite)?;
        Ok(Self {
            blobs,
            prefix: prefix.trim_end_matches('/').to_owned(),
            max_age: DEFAULT_MAX_AGE,
            loaded: RwLock::new(Arc::new(Loaded {
                core: Arc::new(core),
                version: 0,
                stale: true,
            })),
            gate: tokio::sync::Mutex::new(()),
            last_check: Mutex::new(Instant::now()),
        })
    }

    /// How often queries look for a newer snapshot.
    pub fn with_max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// The version of the snapshot in use (0 before the first publication).
    pub fn version(&self) -> u64 {
        self.current().version
    }

    fn current(&self) -> Arc<Loaded> {
        match self.loaded.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn swap(&self, loaded: Loaded) {
        let loaded = Arc::new(loaded);
        match self.loaded.write() {
            Ok(mut guard) => *guard = loaded,
            Err(poisoned) => *poisoned.into_inner() = loaded,
        }
    }

    /// Looks at the marker unless it was looked at less than `max_age` ago, and loads the
    /// snapshot it names when that is not the one in use.
    pub async fn refresh_if_older_than(&self, max_age: Duration) -> Result<(), SearchError> {
        {
            let mut last = self
                .last_check
                .lock()
                .map_err(|_| unavailable("the refresh clock panicked"))?;
            if last.elapsed() < max_age {
                return Ok(());
            }
            *last = Instant::now();
        }
        let _gate = self.gate.lock().await;
        self.catch_up().await.map(|_| ())
    }

    /// Loads the published snapshot if it is not the one in use; the version in use.
    async fn catch_up(&self) -> Result<Arc<Loaded>, SearchError> {
        let version = read_marker(self.blobs.as_ref(), &self.prefix).await?;
        let current = self.current();
        if version == current.version && !current.stale {
            return Ok(current);
        }
        let core = load(self.blobs.as_ref(), &self.prefix, version).await?;
        self.swap(Loaded {
            core,
            version,
            stale: false,
        });
        Ok(self.current())
    }

    /// Replaces the index with one built from `docs` alone, without reading the published
    /// snapshot: a rebuild also repairs a snapshot that can no longer be read.
    async fn replace(&self, docs: Vec<PersonDoc>) -> Result<(), SearchError> {
        let _gate = self.gate.lock().await;
        let version = read_marker(self.blobs.as_ref(), &self.prefix).await?;
        let (core, files) = blocking(move || {
            let core = Core::open(Box::new(RamDirectory::create()), Merging::InWrite)?;
            // Each publication is at most one rebuild, so no earlier generation is larger
            // than the marker's version.
            core.follow_generation(version);
            core.rebuild(&docs)?;
            let files = core.files()?;
            Ok((Arc::new(core), files))
        })
        .await?;
        let published = self.publish(version + 1, &files).await;
        self.swap(Loaded {
            core,
            version: published.as_ref().map_or(version, |v| *v),
            stale: published.is_err(),
        });
        published.map(|_| ())
    }

    /// Applies a change to the latest snapshot and publishes the result.
    async fn write(
        &self,
        change: impl FnOnce(&Core) -> Result<(), SearchError> + Send + 'static,
    ) -> Result<(), SearchError> {
        let _gate = self.gate.lock().await;
        let current = self.catch_up().await?;
        let core = current.core.clone();
        let files = blocking(move || {
            change(&core)?;
            core.files()
        })
        .await;
        let published = match files {
            Ok(files) => self.publish(current.version + 1, &files).await,
            Err(e) => Err(e),
        };
        self.swap(Loaded {
            core: current.core.clone(),
            version: published.as_ref().map_or(current.version, |v| *v),
            stale: published.is_err(),
        });
        published.map(|_| ())
    }

    /// Writes the snapshot as `version` (or the first free version after it) and points
    /// the marker at it; the version published.
    async fn publish(&self, version: u64, files: &[(String, Vec<u8>)]) -> Result<u64, SearchError> {
        let archive = Bytes::from(archive(files));
        let sha256 = Sha256Digest::of(&archive);
        // What the marker named when this publication began.
        let base = version.saturating_sub(1);
        let mut version = version;
        loop {
            let put = BlobPut {
                key: snapshot_key(&self.prefix, version),
                sha256,
                bytes: archive.clone(),
                content_type: CONTENT_TYPE.to_owned(),
                // One version is written once: a second indexer racing this one fails here
                // instead of replacing what the first published.
                write_once: true,
            };
            match self.blobs.put(put).await {
                Ok(_) => break,
                Err(BlobError::AlreadyExists) => {
                    // Taken, yet the marker still names the version before it: a
                    // publication that wrote its snapshot but failed to move the marker
                    // (its batch failed, and the stream delivers it again). Skip it, or
                    // the index could never be written again.
                    let marker = read_marker(self.blobs.as_ref(), &self.prefix).await?;
                    if marker != base || version - base >= MAX_ORPHANS {
                        return Err(unavailable(format!(
                            "snapshot {version} was published by another indexer"
                        )));
                    }
                    version += 1;
                }
                Err(e) => return Err(unavailable(e)),
            }
        }
        let marker = Bytes::from(version.to_string());
        self.blobs
            .put(BlobPut {
                key: marker_key(&self.prefix),
                sha256: Sha256Digest::of(&marker),
                bytes: marker,
                content_type: "text/plain".to_owned(),
                write_once: false,
            })
            .await
            .map_err(unavailable)?;
        Ok(version)
    }

    async fn reader(&self) -> Result<Arc<Core>, SearchError> {
        if self.current().stale {
            let _gate = self.gate.lock().await;
            self.catch_up().await?;
        }
        self.refresh_if_older_than(self.max_age).await?;
        Ok(self.current().core.clone())
    }
}

fn marker_key(prefix: &str) -> String {
    format!("{prefix}/current")
}

fn snapshot_key(prefix: &str, version: u64) -> String {
    format!("{prefix}/snapshots/{version:020}")
}

async fn read_marker(blobs: &dyn BlobStore, prefix: &str) -> Result<u64, SearchError> {
    match blobs.get(&marker_key(prefix)).await {
        Ok(blob) => std::str::from_utf8(&blob.bytes)
            .ok()
            .and_then(|text| text.trim().parse().ok())
            .ok_or_else(|| unavailable("the search snapshot marker is unreadable")),
        Err(BlobError::NotFound) => Ok(0),
        Err(e) => Err(unavailable(e)),
    }
}

/// The index of snapshot `version` in memory (an empty one for version 0).
async fn load(blobs: &dyn BlobStore, prefix: &str, version: u64) -> Result<Arc<Core>, SearchError> {
    let bytes = if version == 0 {
        None
    } else {
        Some(
            blobs
                .get(&snapshot_key(prefix, version))
                .await
                .map_err(unavailable)?
                .bytes,
        )
    };
    blocking(move || {
        let dir = RamDirectory::create();
        if let Some(bytes) = bytes {
            for (name, data) in unarchive(&bytes)? {
                dir.atomic_write(Path::new(name), data)
                    .map_err(unavailable)?;
            }
        }
        Core::open(Box::new(dir), Merging::InWrite).map(Arc::new)
    })
    .await
}

/// Files as one blob: a magic line, then per file its name's length (u16), the name, its
/// length (u64) and its bytes, all lengths big-endian.
pub(crate) fn archive(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let size = files
        .iter()
        .map(|(n, d)| 10 + n.len() + d.len())
        .sum::<usize>();
    let mut out = Vec::with_capacity(MAGIC.len() + size);
    out.extend_from_slice(MAGIC);
    for (name, data) in files {
        out.extend_from_slice(&(name.len() as u16).to_be_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&(data.len() as u64).to_be_bytes());
        out.extend_from_slice(data);
    }
    out
}

/// The files of an archive; refuses truncated archives and names that are not plain file
/// names.
fn take<'a>(
    corrupt: impl Fn(&str) -> SearchError,
    n: usize,
    rest: &mut &'a [u8],
) -> Result<&'a [u8], SearchError> {
    if rest.len() < n {
        return Err(corrupt("truncated"));
    }
    let (head, tail) = rest.split_at(n);
    *rest = tail;
    Ok(head)
}

pub(crate) fn unarchive(bytes: &[u8]) -> Result<Vec<(&str, &[u8])>, SearchError> {
    let corrupt = |what: &str| unavailable(format!("the search snapshot is corrupt: {what}"));
    let mut rest = bytes
        .strip_prefix(MAGIC)
        .ok_or_else(|| corrupt("not a snapshot"))?;
    let mut files = Vec::new();
    while !rest.is_empty() {
        let len = u16::from_be_bytes(
            take(corrupt, 2, &mut rest)?
                .try_into()
                .map_err(|_| corrupt("length"))?,
        );
        let name = std::str::from_utf8(take(corrupt, usize::from(len), &mut rest)?)
            .map_err(|_| corrupt("a file name that is not UTF-8"))?;
        let plain = !name.is_empty()
            && name.len() <= MAX_NAME
            && name != "."
            && name != ".."
            && !name.contains(['/', '\\', '\0']);
        if !plain {
            return Err(corrupt("a file name that is not a plain name"));
        }
        let size = u64::from_be_bytes(
            take(corrupt, 8, &mut rest)?
                .try_into()
                .map_err(|_| corrupt("size"))?,
        );
        if size > MAX_FILE {
            return Err(corrupt("a file too large"));
        }
        let size = usize::try_from(size).map_err(|_| corrupt("a file too large"))?;
        files.push((name, take(corrupt, size, &mut rest)?));
    }
    Ok(files)
}

#[async_trait]
impl PersonIndex for SnapshotIndex {
    async fn put(&self, docs: Vec<PersonDoc>) -> Result<(), SearchError> {
        self.write(move |core| core.put(&docs)).await
    }

    async fn remove(&self, ids: &[PersonId]) -> Result<(), SearchError> {
        let ids = ids.to_vec();
        self.write(move |core| core.remove(&ids)).await
    }

    async fn rebuild(&self, docs: Vec<PersonDoc>) -> Result<(), SearchError> {
        self.replace(docs).await
    }

    async fn quick(&self, text: &str, page: PageRequest) -> Result<SearchPage, SearchError> {
        let (core, text) = (self.reader().await?, text.to_owned());
        blocking(move || core.quick(&text, &page)).await
    }

    async fn advanced(
        &self,
        criteria: &Criteria,
        today: Date,
        page: PageRequest,
    ) -> Result<SearchPage, SearchError> {
        let (core, criteria) = (self.reader().await?, criteria.clone());
        blocking(move || core.advanced(&criteria, today, &page)).await
    }

    async fn len(&self) -> Result<usize, SearchError> {
        Ok(self.reader().await?.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_archive_gives_back_its_files() {
        let files = vec![
            ("meta.json".to_owned(), b"{}".to_vec()),
            ("a.idx".to_owned(), vec![0u8; 1000]),
            ("empty".to_owned(), Vec::new()),
        ];
        let bytes = archive(&files);
        let back = unarchive(&bytes).expect("unarchive");
        assert_eq!(back.len(), 3);
        for ((name, data), (n, d)) in files.iter().zip(back) {
            assert_eq!((name.as_str(), data.as_slice()), (n, d));
        }
    }

    #[test]
    fn a_truncated_or_escaping_archive_is_refused() {
        let bytes = archive(&[("meta.json".to_owned(), b"{}".to_vec())]);
        assert!(unarchive(&bytes[..bytes.len() - 1]).is_err());
        assert!(unarchive(b"something else").is_err());
        for evil in ["../meta.json", "a/b", "..", ""] {
            let bytes = archive(&[(evil.to_owned(), b"x".to_vec())]);
            assert!(unarchive(&bytes).is_err(), "{evil:?} accepted");
        }
    }
}
