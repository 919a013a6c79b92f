//! Verifying the audit log: every stream's chain (places, hashes, links), every anchor
//! (sequence, digest, link, seal), that every anchored head is still in its stream, and
//! that no entry older than the last anchor escaped it. Each broken stream is reported at
//! its first broken link.

use super::anchor::{ANCHOR_GRACE, Anchor, SealCheck};
use super::entry::{AuditEntry, AuditStream};
use super::log::AuditLog;
use crate::table::{Item, Query, TableError};
use jiff::Timestamp;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// What is wrong at a broken link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// The entry is gone (deleted), though later entries or an anchor name it.
    Missing,
    /// The entry's fields no longer give its hash (edited).
    Altered,
    /// The place holds another entry (entries moved or swapped).
    OutOfPlace { holds: u64 },
    /// The entry does not link to the one before it (replaced or reordered).
    WrongLink,
    /// The item cannot be read as an entry.
    Unreadable(String),
    /// The entry differs from the head an anchor recorded.
    DiffersFromAnchor { anchor: u64 },
    /// The entry was written before an anchor's cut-off but no anchor records it.
    NotAnchored { cutoff: Timestamp },
    /// The anchor is gone.
    AnchorMissing,
    /// The anchor's contents no longer give its digest, or it is unreadable.
    AnchorAltered,
    /// The anchor does not link to the one before it.
    AnchorWrongLink,
    /// The anchor's signature or timestamp does not hold.
    AnchorSeal(String),
}

/// A broken link: in a stream (`stream` and entry `seq`) or in the anchors (`stream`
/// `None`, `seq` the anchor's sequence).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    pub stream: Option<AuditStream>,
    pub seq: u64,
    pub problem: Break,
}

impl fmt::Display for BrokenLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match &self.problem {
            Break::Missing => "is missing (removed from the log)".to_owned(),
            Break::Altered => "was altered (its contents do not give its hash)".to_owned(),
            Break::OutOfPlace { holds } => format!("holds entry {holds} (entries were moved)"),
            Break::WrongLink => "does not link to the entry before it".to_owned(),
            Break::Unreadable(why) => format!("cannot be read ({why})"),
            Break::DiffersFromAnchor { anchor } => {
                format!("differs from what anchor {anchor} recorded")
            }
            Break::NotAnchored { cutoff } => {
                format!("is older than the anchor cut-off {cutoff} but no anchor records it")
            }
            Break::AnchorMissing => "is missing (removed)".to_owned(),
            Break::AnchorAltered => "was altered (its contents do not give its digest)".to_owned(),
            Break::AnchorWrongLink => "does not link to the anchor before it".to_owned(),
            Break::AnchorSeal(why) => format!("has no valid signature and timestamp ({why})"),
        };
        match &self.stream {
            Some(stream) => write!(f, "stream {stream}, entry {}: {what}", self.seq),
            None => write!(f, "anchor {}: {what}", self.seq),
        }
    }
}

/// The outcome of [`AuditLog::verify`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VerifyReport {
    pub streams: usize,
    pub entries: usize,
    pub anchors: usize,
    /// The last anchor's cut-off and the time its timestamp vouches for.
    pub last_anchor: Option<(Timestamp, Timestamp)>,
    /// Entries after their stream's last anchored head: protected by the chain only.
    pub unanchored: usize,
    /// The first broken link of each broken stream, then the anchors' problems.
    pub broken: Vec<BrokenLink>,
}

impl VerifyReport {
    pub fn is_intact(&self) -> bool {
        self.broken.is_empty()
    }

    /// The first broken link, if any.
    pub fn first_broken(&self) -> Option<&BrokenLink> {
        self.broken.first()
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_intact() {
            write!(
                f,
                "INTACT: {} entries in {} streams, every chain unbroken; {} anchors signed and \
                 timestamped",
                self.entries, self.streams, self.anchors
            )?;
            if let Some((cutoff, stamped)) = self.last_anchor {
                write!(f, ", the last up to {cutoff} (timestamped {stamped})")?;
            }
            write!(
                f,
                "; {} entries since are protected by their chain only.",
                self.unanchored
            )
        } else {
            writeln!(
                f,
                "BROKEN: {} of {} streams or the anchors are broken ({} entries, {} intact                  anchors checked); the first broken link of each:",
                self.broken.len(),
                self.streams,
                self.entries,
                self.anchors
            )?;
            for link in &self.broken {
                writeln!(f, "  {link}")?;
            }
            Ok(())
        }
    }
}

/// A stream's entries up to its first broken link (which is reported).
struct CheckedStream {
    hashes: Vec<String>,
    entries: Vec<AuditEntry>,
    broken: Option<BrokenLink>,
}

fn check_stream(stream: &AuditStream, items: &[Item]) -> CheckedStream {
    let mut out = CheckedStream {
        hashes: Vec::new(),
        entries: Vec::new(),
        broken: None,
    };
    let broken = |seq, problem| {
        Some(BrokenLink {
            stream: Some(stream.clone()),
            seq,
            problem,
        })
    };
    let mut prev: Option<String> = None;
    for (i, item) in items.iter().enumerate() {
        let expected = i as u64 + 1;
        let place = item.key.sk.parse::<u64>().unwrap_or(0);
        if place != expected {
            out.broken = broken(expected, Break::Missing);
            return out;
        }
        let entry: AuditEntry = match item.parse() {
            Ok(entry) => entry,
            Err(e) => {
                out.broken = broken(expected, Break::Unreadable(e.to_string()));
                return out;
            }
        };
        if entry.seq != place || &entry.stream != stream {
            out.broken = broken(expected, Break::OutOfPlace { holds: entry.seq });
            return out;
        }
        if entry.computed_hash() != entry.hash {
            out.broken = broken(expected, Break::Altered);
            return out;
        }
        if entry.prev != prev {
            out.broken = broken(expected, Break::WrongLink);
            return out;
        }
        prev = Some(entry.hash.clone());
        out.hashes.push(entry.hash.clone());
        out.entries.push(entry);
    }
    out
}

impl AuditLog {
    /// Checks every stream and anchor; `seals` checks the anchors' signatures and
    /// timestamps against the municipality's trust anchors.
    pub async fn verify(&self, seals: &dyn SealCheck) -> Result<VerifyReport, TableError> {
        let mut report = VerifyReport::default();
        let anchor_items = self
            .items(Query::partition(super::anchor::ANCHOR_PARTITION))
            .await?;
        // Streams come from the time index and from the anchors, so that a stream emptied
        // of its entries is still looked for.
        let mut streams: BTreeSet<AuditStream> = self
            .entries_between(None, None)
            .await?
            .into_iter()
            .map(|e| e.stream)
            .collect();
        let anchors: Vec<(u64, Result<Anchor, String>)> = anchor_items
            .iter()
            .map(|item| {
                (
                    item.key.sk.parse::<u64>().unwrap_or(0),
                    item.parse::<Anchor>().map_err(|e| e.to_string()),
                )
            })
            .collect();
        for (_, anchor) in &anchors {
            if let Ok(anchor) = anchor {
                streams.extend(anchor.body.heads.iter().map(|h| h.stream.clone()));
            }
        }

        let mut checked: BTreeMap<AuditStream, CheckedStream> = BTreeMap::new();
        for stream in streams {
            let items = self.items(Query::partition(stream.partition())).await?;
            report.entries += items.len();
            checked.insert(stream.clone(), check_stream(&stream, &items));
        }
        report.streams = checked.len();

        // Anchors: contiguous, intact, linked, sealed, and their heads still in place.
        let mut anchor_breaks = Vec::new();
        let mut anchored: BTreeMap<AuditStream, u64> = BTreeMap::new();
        let mut prev_digest: Option<String> = None;
        let mut last_cutoff = None;
        for (i, (place, anchor)) in anchors.iter().enumerate() {
            let expected = i as u64 + 1;
            let link = |problem| BrokenLink {
                stream: None,
                seq: expected,
                problem,
            };
            if *place != expected {
                anchor_breaks.push(link(Break::AnchorMissing));
                break;
            }
            let Ok(anchor) = anchor else {
                anchor_breaks.push(link(Break::AnchorAltered));
                break;
            };
            let digest = anchor.body.digest();
            if hex::encode(digest) != anchor.digest || anchor.body.sequence != expected {
                anchor_breaks.push(link(Break::AnchorAltered));
                break;
            }
            if anchor.body.prev != prev_digest {
                anchor_breaks.push(link(Break::AnchorWrongLink));
                break;
            }
            let stamped = match anchor.seal_bytes() {
                Some(seal) => seals.check(&digest, &seal),
                None => Err("the seal is not base64".into()),
            };
            let stamped = match stamped {
                // Timestamps are to the second; a cut-off is not.
                Ok(at) if at + jiff::SignedDuration::from_secs(1) < anchor.body.cutoff => {
                    Err(format!(
                        "timestamped at {at}, before its cut-off {}",
                        anchor.body.cutoff
                    ))
                }
                other => other,
            };
            let stamped = match stamped {
                Ok(at) => at,
                Err(why) => {
                    anchor_breaks.push(link(Break::AnchorSeal(why)));
                    break;
                }
            };
            for head in &anchor.body.heads {
                let Some(stream) = checked.get_mut(&head.stream) else {
                    continue;
                };
                let intact = head.seq as usize <= stream.hashes.len();
                let index = head.seq.saturating_sub(1) as usize;
                if intact && stream.hashes.get(index) == Some(&head.hash) {
                    let top = anchored.entry(head.stream.clone()).or_default();
                    *top = (*top).max(head.seq);
                    continue;
                }
                // A break already reported before this head explains it.
                if stream.broken.as_ref().is_some_and(|b| b.seq <= head.seq) {
                    continue;
                }
                let problem = if intact {
                    Break::DiffersFromAnchor { anchor: expected }
                } else {
                    Break::Missing
                };
                let seq = if intact {
                    head.seq
                } else {
                    stream.hashes.len() as u64 + 1
                };
                stream.broken = Some(BrokenLink {
                    stream: Some(head.stream.clone()),
                    seq,
                    problem,
                });
            }
            prev_digest = Some(anchor.digest.clone());
            last_cutoff = Some(anchor.body.cutoff);
            report.last_anchor = Some((anchor.body.cutoff, stamped));
            report.anchors += 1;
        }

        for (stream, checked) in &mut checked {
            let top = anchored.get(stream).copied().unwrap_or(0);
            for entry in &checked.entries {
                if entry.seq <= top {
                    continue;
                }
                report.unanchored += 1;
                let escaped = last_cutoff.is_some_and(|c| entry.at < c - ANCHOR_GRACE);
                if escaped && checked.broken.is_none() {
                    checked.broken = Some(BrokenLink {
                        stream: Some(stream.clone()),
                        seq: entry.seq,
                        problem: Break::NotAnchored {
                            cutoff: last_cutoff.unwrap_or(entry.at),
                        },
                    });
                }
            }
        }
        report
            .broken
            .extend(checked.into_values().filter_map(|c| c.broken));
        report.broken.extend(anchor_breaks);
        Ok(report)
    }
}
