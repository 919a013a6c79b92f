//! The CRM's search index on tantivy: in a folder, in memory, or as a snapshot in object storage.
//!
//! [`TantivyIndex`] is the local server's index (a folder of the data directory) and the
//! tests' (in memory). [`SnapshotIndex`] is the AWS one: Lambda functions share no disk,
//! so the indexer function publishes the whole index to S3 after each batch of changes
//! and the query functions load the latest snapshot into memory.
//!
//! Both order quick results by how well each word matched (whole word, then beginning,
//! then one or two letters off) and then by folded family name, given name and id;
//! advanced results by name only. A page cursor names the last person shown by id (no
//! personal data in URLs), the search it belongs to and the index's rebuild generation:
//! it survives ordinary writes between pages, a cursor of another search or from before
//! a rebuild is refused with `BadCursor`. `len` counts every document held, merged
//! records included (they are kept so that a later put replaces them, and never shown).

mod collect;
mod cursor;
mod engine;
mod query;
mod schema;
mod snapshot;

pub use snapshot::{DEFAULT_MAX_AGE, SnapshotIndex};

use async_trait::async_trait;
use engine::{Core, Merging, unavailable};
use jiff::civil::Date;
use std::path::Path;
use std::sync::Arc;
use tantivy::directory::{MmapDirectory, RamDirectory};
use varoskapu_core::crm::person::PersonId;
use varoskapu_core::crm::search::{
    Criteria, PageRequest, PersonDoc, PersonIndex, SearchError, SearchPage,
};

/// Runs a blocking index operation on tokio's blocking pool, so that a long write (a
/// rebuild of 100,000 persons) never stalls the runtime's request threads.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, SearchError> + Send + 'static,
) -> Result<T, SearchError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| unavailable(format!("the index task failed: {e}")))?
}

/// The tantivy index of one process: in a folder (kept across restarts) or in memory.
/// Every write is committed and visible to the next query.
#[derive(Clone)]
pub struct TantivyIndex {
    core: Arc<Core>,
}

impl TantivyIndex {
    /// The index in `dir`, created if missing, with what it held before a restart. Fails
    /// when another process holds the folder's index open for writing.
    pub fn open_in(dir: &Path) -> Result<Self, SearchError> {
        std::fs::create_dir_all(dir).map_err(unavailable)?;
        let directory = MmapDirectory::open(dir).map_err(unavailable)?;
        let core = Core::open(Box::new(directory), Merging::Background)?;
        core.open_writer()?;
        Ok(Self {
            core: Arc::new(core),
        })
    }

    /// An empty index held in memory.
    pub fn in_memory() -> Self {
        let core = Core::open(Box::new(RamDirectory::create()), Merging::Background)
            .unwrap_or_else(|e| unreachable!("a new index in memory always opens: {e}"));
        Self {
            core: Arc::new(core),
        }
    }
}

#[async_trait]
impl PersonIndex for TantivyIndex {
    async fn put(&self, docs: Vec<PersonDoc>) -> Result<(), SearchError> {
        let core = self.core.clone();
        blocking(move || core.put(&docs)).await
    }

    async fn remove(&self, ids: &[PersonId]) -> Result<(), SearchError> {
        let (core, ids) = (self.core.clone(), ids.to_vec());
        blocking(move || core.remove(&ids)).await
    }

    async fn rebuild(&self, docs: Vec<PersonDoc>) -> Result<(), SearchError> {
        let core = self.core.clone();
        blocking(move || core.rebuild(&docs)).await
    }

    async fn quick(&self, text: &str, page: PageRequest) -> Result<SearchPage, SearchError> {
        let (core, text) = (self.core.clone(), text.to_owned());
        blocking(move || core.quick(&text, &page)).await
    }

    async fn advanced(
        &self,
        criteria: &Criteria,
        today: Date,
        page: PageRequest,
    ) -> Result<SearchPage, SearchError> {
        let (core, criteria) = (self.core.clone(), criteria.clone());
        blocking(move || core.advanced(&criteria, today, &page)).await
    }

    async fn len(&self) -> Result<usize, SearchError> {
        Ok(self.core.len())
    }
}
