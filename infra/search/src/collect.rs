//! A collector that counts every match and keeps the first `limit` of them in the order
//! of the office's lists, starting after a given position: best score first, then by
//! folded family name, given name and id (the `sort` fast field).

use std::collections::BinaryHeap;
use std::sync::Arc;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, Dictionary};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

/// One result: `rank` orders scores (lower is better), `key` is the sort key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Hit {
    pub rank: u32,
    pub key: String,
}

/// A score as a rank; scores are never negative, and their bits order as they do.
fn rank_of(score: Score) -> u32 {
    u32::MAX - score.max(0.0).to_bits()
}

pub(crate) struct Fruit {
    pub total: usize,
    /// In order, at most `limit`.
    pub hits: Vec<Hit>,
}

pub(crate) struct Keyset {
    scored: bool,
    after: Option<Hit>,
    limit: usize,
}

impl Keyset {
    pub(crate) fn new(scored: bool, after: Option<Hit>, limit: usize) -> Self {
        Self {
            scored,
            after,
            limit,
        }
    }
}

pub(crate) struct SegmentKeyset {
    scored: bool,
    limit: usize,
    total: usize,
    /// `(rank, first ord after the key)` of the position to start after.
    after: Option<(u32, u64)>,
    ords: Option<(Arc<Dictionary>, Column<u64>)>,
    /// The best `limit` so far, the worst on top.
    best: BinaryHeap<(u32, u64)>,
}

/// The first ord whose term sorts after `key`.
fn first_ord_after(dict: &Dictionary, key: &str) -> std::io::Result<u64> {
    let (mut lo, mut hi) = (0u64, dict.num_terms() as u64);
    let mut term = Vec::new();
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        dict.ord_to_term(mid, &mut term)?;
        if term.as_slice() <= key.as_bytes() {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    Ok(lo)
}

impl Collector for Keyset {
    type Fruit = Fruit;
    type Child = SegmentKeyset;

    fn for_segment(
        &self,
        _segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentKeyset> {
        let ords = reader.fast_fields().str("sort")?.map(|c| c.into_parts());
        let after = match (&self.after, &ords) {
            (Some(after), Some((dict, _))) => {
                Some((after.rank, first_ord_after(dict, &after.key)?))
            }
            (Some(after), None) => Some((after.rank, u64::MAX)),
            (None, _) => None,
        };
        Ok(SegmentKeyset {
            scored: self.scored,
            limit: self.limit,
            total: 0,
            after,
            ords,
            best: BinaryHeap::with_capacity(self.limit + 1),
        })
    }

    fn requires_scoring(&self) -> bool {
        self.scored
    }

    fn merge_fruits(&self, fruits: Vec<Fruit>) -> tantivy::Result<Fruit> {
        let total = fruits.iter().map(|f| f.total).sum();
        let mut hits: Vec<Hit> = fruits.into_iter().flat_map(|f| f.hits).collect();
        hits.sort();
        hits.truncate(self.limit);
        Ok(Fruit { total, hits })
    }
}

impl SegmentCollector for SegmentKeyset {
    type Fruit = Fruit;

    fn collect(&mut self, doc: DocId, score: Score) {
        self.total += 1;
        let Some((_, column)) = &self.ords else {
            return;
        };
        let Some(ord) = column.first(doc) else {
            return;
        };
        let rank = if self.scored { rank_of(score) } else { 0 };
        if let Some((after_rank, first_ord)) = self.after
            && (rank < after_rank || (rank == after_rank && ord < first_ord))
        {
            return;
        }
        if self.best.len() == self.limit {
            match self.best.peek() {
                Some(worst) if (rank, ord) < *worst => {
                    self.best.pop();
                }
                _ => return,
            }
        }
        if self.limit > 0 {
            self.best.push((rank, ord));
        }
    }

    fn harvest(self) -> Fruit {
        let mut hits = Vec::with_capacity(self.best.len());
        if let Some((dict, _)) = &self.ords {
            let mut term = Vec::new();
            for (rank, ord) in self.best.into_sorted_vec() {
                if dict.ord_to_term(ord, &mut term).unwrap_or(false)
                    && let Ok(key) = std::str::from_utf8(&term)
                {
                    hits.push(Hit {
                        rank,
                        key: key.to_owned(),
                    });
                }
            }
        }
        Fruit {
            total: self.total,
            hits,
        }
    }
}
