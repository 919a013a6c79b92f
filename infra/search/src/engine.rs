//! One tantivy index and the blocking operations on it; the async faces
//! ([`crate::TantivyIndex`], [`crate::SnapshotIndex`]) run these on tokio's blocking pool.

use crate::collect::{Hit, Keyset};
use crate::cursor::Cursor;
use crate::query::{criteria_query, quick_query};
use crate::schema::{FOLDED, Fields, folded_analyzer, id_of_sort_key, schema, to_document};
use jiff::civil::Date;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use tantivy::directory::error::OpenReadError;
use tantivy::indexer::NoMergePolicy;
use tantivy::query::{Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{Directory, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};
use varoskapu_core::Sha256Digest;
use varoskapu_core::crm::person::PersonId;
use varoskapu_core::crm::search::{Criteria, PageRequest, PersonDoc, SearchError, SearchPage};

/// Page size when the caller names none, and the largest page served.
pub(crate) const DEFAULT_LIMIT: usize = 50;
pub(crate) const MAX_LIMIT: usize = 200;
/// The writer's indexing memory, shared by its threads: a rebuild of 100,000 persons fits
/// in a few flushes.
const WRITER_HEAP: usize = 64 * 1024 * 1024;
const WRITER_THREADS: usize = 2;
/// A snapshot index merges its segments by hand once it has more than this many, so that
/// no merge runs while its files are being copied out.
const MAX_SNAPSHOT_SEGMENTS: usize = 6;

pub(crate) fn unavailable(e: impl std::fmt::Display) -> SearchError {
    SearchError::Unavailable(e.to_string())
}

/// How the index merges its segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Merging {
    /// Tantivy's own background merges (an index in a folder or in memory).
    Background,
    /// Merges only inside a write (an index copied out as a snapshot after each write).
    InWrite,
}

pub(crate) struct Core {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    /// Tantivy allows one writer per index; opened on the first write, so a read-only
    /// copy never holds indexing memory.
    writer: Mutex<Option<IndexWriter<TantivyDocument>>>,
    /// Bumped by every rebuild and kept in the commit's payload: cursors name it.
    generation: AtomicU64,
    merging: Merging,
}

impl Core {
    pub(crate) fn open(dir: Box<dyn Directory>, merging: Merging) -> Result<Self, SearchError> {
        let (schema, fields) = schema();
        let index = Index::open_or_create(dir, schema).map_err(unavailable)?;
        index.tokenizers().register(FOLDED, folded_analyzer());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(unavailable)?;
        let generation = index
            .load_metas()
            .map_err(unavailable)?
            .payload
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        Ok(Self {
            index,
            reader,
            fields,
            writer: Mutex::new(None),
            generation: AtomicU64::new(generation),
            merging,
        })
    }

    /// Opens the writer now, so that a second process on the same folder fails at start.
    pub(crate) fn open_writer(&self) -> Result<(), SearchError> {
        self.write(|_, _| Ok(false))
    }

    /// Runs `change` on the writer and commits it (unless it returns `false`); on a
    /// failure nothing of it stays.
    fn write(
        &self,
        change: impl FnOnce(&mut IndexWriter<TantivyDocument>, &Fields) -> tantivy::Result<bool>,
    ) -> Result<(), SearchError> {
        let mut guard = self
            .writer
            .lock()
            .map_err(|_| unavailable("the index writer panicked"))?;
        if guard.is_none() {
            let writer = self
                .index
                .writer_with_num_threads(WRITER_THREADS, WRITER_HEAP)
                .map_err(unavailable)?;
            if self.merging == Merging::InWrite {
                writer.set_merge_policy(Box::new(NoMergePolicy));
            }
            *guard = Some(writer);
        }
        let Some(writer) = guard.as_mut() else {
            return Err(unavailable("no index writer"));
        };
        let result = (|| {
            if !change(writer, &self.fields)? {
                return Ok(());
            }
            let mut prepared = writer.prepare_commit()?;
            prepared.set_payload(&self.generation.load(Ordering::SeqCst).to_string());
            prepared.commit()?;
            if self.merging == Merging::InWrite {
                let segments = self.index.searchable_segment_ids()?;
                if segments.len() > MAX_SNAPSHOT_SEGMENTS {
                    writer.merge(&segments).wait()?;
                    writer.garbage_collect_files().wait()?;
                }
            }
            self.reader.reload()
        })();
        if let Err(e) = result {
            let _ = writer.rollback();
            return Err(unavailable(e));
        }
        Ok(())
    }

    fn id_term(&self, id: PersonId) -> Term {
        Term::from_field_text(self.fields.id, &id.to_string())
    }

    pub(crate) fn put(&self, docs: &[PersonDoc]) -> Result<(), SearchError> {
        self.write(|writer, f| {
            for doc in docs {
                writer.delete_term(self.id_term(doc.id));
                writer.add_document(to_document(f, doc))?;
            }
            Ok(true)
        })
    }

    pub(crate) fn remove(&self, ids: &[PersonId]) -> Result<(), SearchError> {
        self.write(|writer, _| {
            for id in ids {
                writer.delete_term(self.id_term(*id));
            }
            Ok(true)
        })
    }

    /// Makes the next rebuild's generation larger than `generation`: a fresh index that
    /// replaces another must not take its cursors for its own.
    pub(crate) fn follow_generation(&self, generation: u64) {
        self.generation.fetch_max(generation, Ordering::SeqCst);
    }

    pub(crate) fn rebuild(&self, docs: &[PersonDoc]) -> Result<(), SearchError> {
        let before = self.generation.fetch_add(1, Ordering::SeqCst);
        let result = self.write(|writer, f| {
            writer.delete_all_documents()?;
            for doc in docs {
                writer.add_document(to_document(f, doc))?;
            }
            Ok(true)
        });
        if result.is_err() {
            self.generation.store(before, Ordering::SeqCst);
        }
        result
    }

    pub(crate) fn len(&self) -> usize {
        usize::try_from(self.reader.searcher().num_docs()).unwrap_or(usize::MAX)
    }

    pub(crate) fn quick(&self, text: &str, page: &PageRequest) -> Result<SearchPage, SearchError> {
        let digest = query_digest("quick", text.trim().as_bytes());
        match quick_query(&self.fields, text) {
            Some(query) => self.page(query.as_ref(), true, &digest, page),
            None => {
                // Nothing to search for; a cursor is still checked, as for any search.
                Cursor::parse(page.after.as_deref(), self.generation(), &digest)?;
                Ok(SearchPage::default())
            }
        }
    }

    pub(crate) fn advanced(
        &self,
        criteria: &Criteria,
        today: Date,
        page: &PageRequest,
    ) -> Result<SearchPage, SearchError> {
        let described = serde_json::to_vec(&(criteria, today)).map_err(unavailable)?;
        let digest = query_digest("advanced", &described);
        let query = criteria_query(&self.fields, criteria, today);
        self.page(query.as_ref(), false, &digest, page)
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// One page of `query`'s results, best first then by name.
    fn page(
        &self,
        query: &dyn Query,
        scored: bool,
        digest: &str,
        page: &PageRequest,
    ) -> Result<SearchPage, SearchError> {
        let limit = match page.limit {
            0 => DEFAULT_LIMIT,
            n => n.min(MAX_LIMIT),
        };
        let resume = Cursor::parse(page.after.as_deref(), self.generation(), digest)?;
        let searcher = self.reader.searcher();
        // Resume after the last person of the previous page, where they now sort; should
        // they be gone, after the results shown before them.
        let (after, skip, shown) = match &resume {
            None => (None, 0, 0),
            Some(cursor) => {
                let found = searcher
                    .search(
                        &TermQuery::new(
                            Term::from_field_text(self.fields.id, &cursor.id.to_string()),
                            IndexRecordOption::Basic,
                        ),
                        &Keyset::new(false, None, 1),
                    )
                    .map_err(unavailable)?;
                match found.hits.into_iter().next() {
                    Some(hit) => (
                        Some(Hit {
                            rank: cursor.rank,
                            ..hit
                        }),
                        0,
                        cursor.shown,
                    ),
                    // The last person shown is gone: the results before them stay.
                    None => (None, cursor.shown.saturating_sub(1), cursor.shown),
                }
            }
        };
        let fruit = searcher
            .search(query, &Keyset::new(scored, after, skip + limit + 1))
            .map_err(unavailable)?;
        let mut hits: Vec<Hit> = fruit.hits.into_iter().skip(skip).collect();
        let more = hits.len() > limit;
        hits.truncate(limit);
        let ids = hits
            .iter()
            .map(|h| id_of_sort_key(&h.key).map(PersonId))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| unavailable("a document without a person id"))?;
        let next = match hits.last() {
            Some(last) if more => Some(
                Cursor {
                    generation: self.generation(),
                    digest: digest.to_owned(),
                    rank: last.rank,
                    id: ids[ids.len() - 1].0,
                    shown: shown + hits.len(),
                }
                .encode(),
            ),
            _ => None,
        };
        Ok(SearchPage {
            ids,
            total: fruit.total,
            next,
        })
    }

    /// Every file of the committed index, read under the writer's lock so that no commit
    /// or merge changes them meanwhile.
    pub(crate) fn files(&self) -> Result<Vec<(String, Vec<u8>)>, SearchError> {
        let _writer = self
            .writer
            .lock()
            .map_err(|_| unavailable("the index writer panicked"))?;
        let metas = self.index.load_metas().map_err(unavailable)?;
        let mut paths: Vec<PathBuf> = metas.list_segment_files().into_iter().collect();
        paths.push(PathBuf::from("meta.json"));
        paths.push(PathBuf::from(".managed.json"));
        paths.sort();
        let dir = self.index.directory();
        let mut files = Vec::with_capacity(paths.len());
        for path in paths {
            match dir.atomic_read(&path) {
                Ok(bytes) => files.push((file_name(&path)?, bytes)),
                Err(OpenReadError::FileDoesNotExist(_)) => {}
                Err(e) => return Err(unavailable(e)),
            }
        }
        Ok(files)
    }
}

fn file_name(path: &Path) -> Result<String, SearchError> {
    path.to_str()
        .map(str::to_owned)
        .ok_or_else(|| unavailable("an index file name that is not UTF-8"))
}

/// What a cursor binds itself to: the kind of search and what was asked.
fn query_digest(kind: &str, described: &[u8]) -> String {
    let mut bytes = kind.as_bytes().to_vec();
    bytes.push(0);
    bytes.extend_from_slice(described);
    Sha256Digest::of(&bytes).to_hex()[..16].to_owned()
}
