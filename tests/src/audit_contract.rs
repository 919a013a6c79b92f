//! The audit log's contract on every `Table` engine: appends are race-free and gap-free
//! per stream, and verification names the first broken link when an entry is deleted,
//! edited or moved in the table, when a stream's tail is cut off or rewritten behind an
//! anchor, or when an anchor itself is altered or removed. Anchors are signed and
//! timestamped with a fresh local document key and TSA.
//!
//! Run it with [`audit_contract!`](crate::audit_contract), giving an expression that makes
//! a fresh, empty engine for each case (as [`table_contract!`](crate::table_contract)).

use futures::future::join_all;
use jiff::SignedDuration;
use std::sync::Arc;
use varoskapu_core::audit::{AuditLog, AuditStream, Break, BrokenLink, VerifyReport};
use varoskapu_core::cases::Actor;
use varoskapu_core::{Clock, ItemWrite, Key, Table, TableError, UuidV7Ids};
use varoskapu_documents::{CmsNotary, CmsSealCheck, LocalKeys};

pub use crate::table_contract::Engine;

/// Generates one `#[tokio::test]` per contract case for the engine `$make` builds.
#[macro_export]
macro_rules! audit_contract {
    ($make:expr) => {
        $crate::audit_contract!(@cases $make;
            appended_entries_form_one_intact_chain_per_stream,
            racing_appends_to_one_stream_leave_one_gap_free_chain,
            an_append_that_lost_its_head_is_sealed_again_and_a_failed_change_records_nothing,
            a_deleted_entry_is_named_by_verify,
            an_edited_entry_is_named_by_verify,
            reordered_entries_are_named_by_verify,
            an_anchor_reveals_a_cut_off_tail_and_a_rewritten_stream,
            an_altered_or_removed_anchor_is_named_by_verify,
            the_day_is_anchored_once_by_the_first_write_after_midnight
        );
    };
    (@cases $make:expr; $($case:ident),+) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let engine = $make.await;
                $crate::audit_contract::$case(engine).await;
            }
        )+
    };
}

/// An audit log over the engine, anchoring with a fresh document key, and its checker.
struct Fixture {
    log: AuditLog,
    table: Arc<dyn Table>,
    clock: Arc<varoskapu_core::ManualClock>,
    check: CmsSealCheck,
    _keys: tempfile::TempDir,
}

fn fixture((table, clock): Engine) -> Fixture {
    let keys_dir = tempfile::tempdir().expect("tempdir");
    let dyn_clock: Arc<dyn Clock> = clock.clone();
    let keys = LocalKeys::load_or_create(keys_dir.path(), dyn_clock.as_ref()).expect("keys");
    let notary = CmsNotary {
        signer: Arc::new(keys.signer().expect("signer")),
        tsa: Arc::new(keys.tsa(dyn_clock.clone())),
    };
    let roots = varoskapu_documents::verify::load_roots(&LocalKeys::root_pem_path(keys_dir.path()))
        .expect("roots");
    Fixture {
        log: AuditLog::new(table.clone(), dyn_clock, Arc::new(UuidV7Ids))
            .with_notary(Arc::new(notary)),
        table,
        clock,
        check: CmsSealCheck { roots },
        _keys: keys_dir,
    }
}

fn stream(name: &str) -> AuditStream {
    AuditStream::register(name)
}

impl Fixture {
    /// Records `n` reads by clerk `c<i>` on `stream`, a second apart.
    async fn record(&self, stream: &AuditStream, n: usize) {
        for i in 0..n {
            let event = self.log.event(
                stream.clone(),
                &Actor::Clerk(format!("c{i}")),
                "read",
                Some("192.0.2.1"),
            );
            self.log.record(event).await.expect("recorded");
            self.clock.advance(SignedDuration::from_secs(1));
        }
    }

    async fn verify(&self) -> VerifyReport {
        self.log.verify(&self.check).await.expect("verify runs")
    }

    fn key(stream: &AuditStream, seq: u64) -> Key {
        Key::new(format!("AUDIT#{stream}"), format!("{seq:012}"))
    }

    /// Overwrites an item's data as someone with write access to the table could.
    async fn overwrite(&self, key: &Key, data: serde_json::Map<String, serde_json::Value>) {
        let item = self.table.get(key).await.expect("get").expect("item");
        let mut write = ItemWrite::new(key.clone(), data);
        write.index_keys = item.index_keys;
        self.table
            .put(write, varoskapu_core::Condition::None)
            .await
            .expect("overwrite");
    }
}

fn first(report: &VerifyReport) -> BrokenLink {
    report
        .first_broken()
        .cloned()
        .unwrap_or_else(|| panic!("tampering not detected: {report}"))
}

pub async fn appended_entries_form_one_intact_chain_per_stream(engine: Engine) {
    let f = fixture(engine);
    f.record(&stream("a"), 3).await;
    f.record(&stream("b"), 2).await;
    let trail = f.log.trail(&stream("a")).await.expect("trail");
    assert_eq!(trail.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(trail[0].prev, None);
    assert!(
        trail
            .windows(2)
            .all(|w| w[1].prev.as_ref() == Some(&w[0].hash))
    );
    assert_eq!(trail[2].actor, Actor::Clerk("c2".into()));
    assert_eq!(trail[2].origin.as_deref(), Some("192.0.2.1"));
    let report = f.verify().await;
    assert!(report.is_intact(), "{report}");
    assert_eq!((report.streams, report.entries), (2, 5), "{report}");
    assert_eq!(report.unanchored, 5);
}

pub async fn racing_appends_to_one_stream_leave_one_gap_free_chain(engine: Engine) {
    let f = fixture(engine);
    let s = stream("race");
    let appends = (0..16).map(|i| {
        let log = f.log.clone();
        let s = s.clone();
        tokio::spawn(async move {
            let event = log.event(s, &Actor::Clerk(format!("c{i}")), "read", None);
            log.record(event).await
        })
    });
    for result in join_all(appends).await {
        result.expect("task").expect("every append lands");
    }
    let trail = f.log.trail(&s).await.expect("trail");
    assert_eq!(
        trail.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (1..=16).collect::<Vec<u64>>()
    );
    let mut actors: Vec<_> = trail.iter().filter_map(|e| e.actor.account()).collect();
    actors.sort_unstable();
    actors.dedup();
    assert_eq!(actors.len(), 16, "each append exactly once");
    let report = f.verify().await;
    assert!(report.is_intact(), "{report}");
}

pub async fn an_append_that_lost_its_head_is_sealed_again_and_a_failed_change_records_nothing(
    engine: Engine,
) {
    let f = fixture(engine);
    let s = stream("change");
    // Sealed onto the empty stream, then another writer appends first.
    let sealed = f
        .log
        .seal(vec![f.log.event(s.clone(), &Actor::System, "late", None)])
        .await
        .expect("sealed");
    f.record(&s, 1).await;
    f.log
        .commit(sealed)
        .await
        .expect("sealed again onto the new head");
    let trail = f.log.trail(&s).await.expect("trail");
    assert_eq!(
        trail
            .iter()
            .map(|e| (e.seq, e.action.as_str()))
            .collect::<Vec<_>>(),
        [(1, "read"), (2, "late")]
    );
    // A change whose own condition fails takes its audit entry with it.
    let mut ops = vec![varoskapu_core::TxOp::Check {
        key: Key::new("NOTHING", "HERE"),
        condition: varoskapu_core::Condition::Exists,
    }];
    ops.extend(
        f.log
            .seal(vec![f.log.event(s.clone(), &Actor::System, "failed", None)])
            .await
            .expect("sealed"),
    );
    let err = f.log.commit(ops).await.expect_err("the change fails");
    assert!(
        matches!(&err, TableError::TransactionFailed { failed } if failed == &[0]),
        "{err:?}"
    );
    assert_eq!(f.log.trail(&s).await.expect("trail").len(), 2);
    assert!(f.verify().await.is_intact());
}

pub async fn a_deleted_entry_is_named_by_verify(engine: Engine) {
    let f = fixture(engine);
    let s = stream("deleted");
    f.record(&s, 5).await;
    f.table
        .delete(&Fixture::key(&s, 3), varoskapu_core::Condition::None)
        .await
        .expect("delete");
    let broken = first(&f.verify().await);
    assert_eq!(
        (broken.stream.as_ref(), broken.seq, &broken.problem),
        (Some(&s), 3, &Break::Missing),
        "{broken}"
    );
    assert!(
        broken.to_string().contains("entry 3: is missing"),
        "{broken}"
    );
}

pub async fn an_edited_entry_is_named_by_verify(engine: Engine) {
    let f = fixture(engine);
    let s = stream("edited");
    f.record(&s, 4).await;
    let key = Fixture::key(&s, 2);
    let mut data = f.table.get(&key).await.expect("get").expect("item").data;
    data.insert("origin".into(), "198.51.100.66".into());
    f.overwrite(&key, data).await;
    let broken = first(&f.verify().await);
    assert_eq!(
        (broken.stream.as_ref(), broken.seq, &broken.problem),
        (Some(&s), 2, &Break::Altered),
        "{broken}"
    );
}

pub async fn reordered_entries_are_named_by_verify(engine: Engine) {
    let f = fixture(engine);
    let s = stream("reordered");
    f.record(&s, 4).await;
    let (two, three) = (Fixture::key(&s, 2), Fixture::key(&s, 3));
    let a = f.table.get(&two).await.expect("get").expect("item").data;
    let b = f.table.get(&three).await.expect("get").expect("item").data;
    f.overwrite(&two, b).await;
    f.overwrite(&three, a).await;
    let broken = first(&f.verify().await);
    assert_eq!(
        (broken.stream.as_ref(), broken.seq, &broken.problem),
        (Some(&s), 2, &Break::OutOfPlace { holds: 3 }),
        "{broken}"
    );
}

pub async fn an_anchor_reveals_a_cut_off_tail_and_a_rewritten_stream(engine: Engine) {
    let f = fixture(engine);
    let (tail, rewritten) = (stream("tail"), stream("rewritten"));
    f.record(&tail, 3).await;
    f.record(&rewritten, 3).await;
    let anchor = f
        .log
        .anchor(f.clock.now())
        .await
        .expect("anchored")
        .expect("an anchor");
    assert_eq!(anchor.body.heads.len(), 2);
    assert!(f.verify().await.is_intact());
    // The newest entry of one stream is removed: its chain alone cannot tell.
    f.table
        .delete(&Fixture::key(&tail, 3), varoskapu_core::Condition::None)
        .await
        .expect("delete");
    // The other stream is rewritten from entry 2 on with hashes and links recomputed.
    let mut prev = f.log.trail(&rewritten).await.expect("trail")[0]
        .hash
        .clone();
    for seq in 2..=3 {
        let key = Fixture::key(&rewritten, seq);
        let item = f.table.get(&key).await.expect("get").expect("item");
        let mut entry: varoskapu_core::audit::AuditEntry = item.parse().expect("entry");
        entry.actor = Actor::Clerk("someone-else".into());
        entry.prev = Some(prev.clone());
        entry.hash = entry.computed_hash();
        prev = entry.hash.clone();
        let data = serde_json::to_value(&entry).expect("json");
        f.overwrite(&key, data.as_object().cloned().expect("object"))
            .await;
    }
    let report = f.verify().await;
    let broken: Vec<_> = report
        .broken
        .iter()
        .map(|b| (b.stream.clone(), b.seq, b.problem.clone()))
        .collect();
    assert!(
        broken.contains(&(Some(tail.clone()), 3, Break::Missing)),
        "{report}"
    );
    assert!(
        broken.contains(&(
            Some(rewritten.clone()),
            3,
            Break::DiffersFromAnchor { anchor: 1 }
        )),
        "{report}"
    );
}

pub async fn an_altered_or_removed_anchor_is_named_by_verify(engine: Engine) {
    let f = fixture(engine);
    let s = stream("anchored");
    for _ in 0..3 {
        f.record(&s, 1).await;
        f.log
            .anchor(f.clock.now())
            .await
            .expect("anchor")
            .expect("made");
    }
    let report = f.verify().await;
    assert!(report.is_intact() && report.anchors == 3, "{report}");
    let key = Key::new("AUDITANCHOR", format!("{:012}", 2));
    let mut data = f.table.get(&key).await.expect("get").expect("item").data;
    data["heads"][0]["seq"] = 1.into();
    f.overwrite(&key, data).await;
    let broken = first(&f.verify().await);
    assert_eq!(
        (broken.stream, broken.seq, broken.problem),
        (None, 2, Break::AnchorAltered)
    );
    f.table
        .delete(&key, varoskapu_core::Condition::None)
        .await
        .expect("delete");
    let broken = first(&f.verify().await);
    assert_eq!(
        (broken.stream, broken.seq, broken.problem),
        (None, 2, Break::AnchorMissing)
    );
}

pub async fn the_day_is_anchored_once_by_the_first_write_after_midnight(engine: Engine) {
    let f = fixture(engine);
    let s = stream("daily");
    f.record(&s, 2).await;
    assert!(f.log.anchors().await.expect("anchors").is_empty());
    // A quarter of an hour after the next midnight (UTC) the next write anchors the day.
    let now = f.clock.now().as_second();
    let midnight = now - now.rem_euclid(86_400) + 86_400;
    f.clock
        .set(jiff::Timestamp::from_second(midnight + 20 * 60).expect("time"));
    f.record(&s, 1).await;
    let anchors = f.log.anchors().await.expect("anchors");
    assert_eq!(anchors.len(), 1, "{anchors:?}");
    assert_eq!(anchors[0].body.cutoff.as_second(), midnight);
    assert_eq!(anchors[0].body.heads[0].seq, 2);
    // Later writes that day, and racing anchorers, make no second anchor.
    f.record(&s, 1).await;
    let cutoff = anchors[0].body.cutoff;
    let racers = (0..4).map(|_| {
        let log = f.log.clone();
        tokio::spawn(async move { log.anchor(cutoff).await })
    });
    for result in join_all(racers).await {
        assert_eq!(result.expect("task").expect("no error"), None);
    }
    assert_eq!(f.log.anchors().await.expect("anchors").len(), 1);
    let report = f.verify().await;
    assert!(report.is_intact(), "{report}");
    assert_eq!(report.unanchored, 2, "{report}");
}
