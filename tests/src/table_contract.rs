//! The contract every `Table` engine passes: one case per behaviour the domain relies on.
//!
//! Run it with [`table_contract!`](crate::table_contract), giving an expression that makes
//! a fresh engine for each case (a future of `(Arc<dyn Table>, Arc<ManualClock>)`); the
//! clock is the one the engine judges `ttl` by.

use futures::future::join_all;
use jiff::SignedDuration;
use serde_json::{Value, json};
use std::sync::Arc;
use varoskapu_core::{
    Clock, Condition, IndexName, Item, ItemWrite, Key, ManualClock, Query, SortKey, Table,
    TableError, TxOp, Update,
};

/// An engine under test with the clock it reads.
pub type Engine = (Arc<dyn Table>, Arc<ManualClock>);

/// Generates one `#[tokio::test]` per contract case for the engine `$make` builds.
#[macro_export]
macro_rules! table_contract {
    ($make:expr) => {
        $crate::table_contract!(@cases $make;
            put_then_get_round_trips_data_and_counts_versions,
            conditional_put_on_an_existing_key_fails,
            stale_version_update_fails,
            update_of_a_missing_item_fails,
            update_sets_and_removes_fields,
            field_condition_guards_a_state_change,
            conditional_delete,
            transaction_with_one_failing_condition_writes_nothing,
            transaction_applies_every_operation,
            oversized_or_duplicate_transactions_are_refused,
            prefix_query_pages_in_order,
            descending_range_query_pages_in_order,
            index_query_finds_only_indexed_items_in_order,
            expired_items_are_invisible,
            get_many_answers_in_the_order_asked,
            racing_claims_of_one_key_have_exactly_one_winner,
            malformed_cursor_is_refused
        );
    };
    (@cases $make:expr; $($case:ident),+) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let engine = $make.await;
                $crate::table_contract::$case(engine).await;
            }
        )+
    };
}

/// A partition name no other case or run uses, so engines can be shared between cases.
fn partition(name: &str) -> String {
    format!("{name}#{}", uuid_like())
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "{nanos:x}{:x}{:x}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn write(key: &Key, data: Value) -> ItemWrite {
    ItemWrite::new(
        key.clone(),
        data.as_object().cloned().expect("test data is an object"),
    )
}

fn sks(items: &[Item]) -> Vec<String> {
    items.iter().map(|i| i.key.sk.clone()).collect()
}

/// Reads every page of a query, checking no page exceeds the limit.
async fn all_pages(table: &dyn Table, query: Query) -> Vec<Item> {
    let mut out = Vec::new();
    let mut cursor = None;
    for _ in 0..1000 {
        let page = table
            .query(query.clone().after(cursor))
            .await
            .expect("query succeeds");
        if let Some(limit) = query.limit {
            assert!(page.items.len() <= limit, "page larger than its limit");
        }
        out.extend(page.items);
        cursor = page.cursor;
        if cursor.is_none() {
            return out;
        }
    }
    panic!("pagination never ended");
}

pub async fn put_then_get_round_trips_data_and_counts_versions((table, _): Engine) {
    let key = Key::new(partition("CITIZEN"), "PROFILE");
    let data = json!({"name": "Kovács Ődön", "age": 42, "ratio": 0.5, "tags": ["a", "b"],
                      "address": {"city": "Győr", "zip": "9021"}, "verified": false, "note": null});
    let stored = table
        .put(write(&key, data.clone()), Condition::NotExists)
        .await
        .expect("first put");
    assert_eq!(stored.version, 1);
    let read = table.get(&key).await.expect("get").expect("item is there");
    assert_eq!(Value::Object(read.data.clone()), data);
    assert_eq!(read.version, 1);

    let again = table
        .put(write(&key, json!({"name": "Új Név"})), Condition::None)
        .await
        .expect("unconditional overwrite");
    assert_eq!(again.version, 2);
    let read = table.get(&key).await.expect("get").expect("item");
    assert_eq!(Value::Object(read.data), json!({"name": "Új Név"}));
    assert!(
        table
            .get(&Key::new(partition("NOBODY"), "X"))
            .await
            .expect("get")
            .is_none()
    );
}

pub async fn conditional_put_on_an_existing_key_fails((table, _): Engine) {
    let key = Key::new(partition("EMAIL"), "anna@example.hu");
    table
        .put(write(&key, json!({"owner": "first"})), Condition::NotExists)
        .await
        .expect("first claim");
    let err = table
        .put(
            write(&key, json!({"owner": "second"})),
            Condition::NotExists,
        )
        .await
        .expect_err("second claim must fail");
    assert_eq!(err, TableError::ConditionFailed);
    let read = table.get(&key).await.expect("get").expect("item");
    assert_eq!(
        read.data["owner"], "first",
        "the failed write changed nothing"
    );
}

pub async fn stale_version_update_fails((table, _): Engine) {
    let key = Key::new(partition("CASE"), "META");
    table
        .put(
            write(&key, json!({"status": "draft"})),
            Condition::NotExists,
        )
        .await
        .expect("create");
    let v2 = table
        .update(
            &key,
            Update::default().set("status", "submitted"),
            Condition::Version(1),
        )
        .await
        .expect("update at the current version");
    assert_eq!(v2.version, 2);
    let err = table
        .update(
            &key,
            Update::default().set("status", "withdrawn"),
            Condition::Version(1),
        )
        .await
        .expect_err("stale version");
    assert_eq!(err, TableError::ConditionFailed);
    let err = table
        .put(write(&key, json!({"status": "x"})), Condition::Version(1))
        .await
        .expect_err("stale version put");
    assert_eq!(err, TableError::ConditionFailed);
    let read = table.get(&key).await.expect("get").expect("item");
    assert_eq!(read.data["status"], "submitted");
    assert_eq!(read.version, 2);
}

pub async fn update_of_a_missing_item_fails((table, _): Engine) {
    let key = Key::new(partition("CASE"), "META");
    let err = table
        .update(&key, Update::default().set("a", 1), Condition::None)
        .await
        .expect_err("missing item");
    assert_eq!(err, TableError::ConditionFailed);
    assert!(
        table.get(&key).await.expect("get").is_none(),
        "no item created"
    );
}

pub async fn update_sets_and_removes_fields((table, _): Engine) {
    let key = Key::new(partition("CASE"), "META");
    table
        .put(
            write(&key, json!({"a": 1, "b": "two", "c": [3]})),
            Condition::None,
        )
        .await
        .expect("create");
    let updated = table
        .update(
            &key,
            Update::default()
                .set("b", "kettő")
                .set("d", json!({"nested": true}))
                .remove("c")
                .index(IndexName::Gsi1, Some(Key::new("STATUS#open", "2026-01-01"))),
            Condition::Exists,
        )
        .await
        .expect("update");
    assert_eq!(
        Value::Object(updated.data.clone()),
        json!({"a": 1, "b": "kettő", "d": {"nested": true}})
    );
    assert_eq!(
        updated.index_keys.get(IndexName::Gsi1),
        Some(&Key::new("STATUS#open", "2026-01-01"))
    );
    let read = table.get(&key).await.expect("get").expect("item");
    assert_eq!(read, updated);
}

pub async fn field_condition_guards_a_state_change((table, _): Engine) {
    let key = Key::new(partition("CASE"), "META");
    table
        .put(write(&key, json!({"status": "draft"})), Condition::None)
        .await
        .expect("create");
    let err = table
        .update(
            &key,
            Update::default().set("status", "decided"),
            Condition::field_equals("status", "submitted"),
        )
        .await
        .expect_err("not in the expected state");
    assert_eq!(err, TableError::ConditionFailed);
    table
        .update(
            &key,
            Update::default().set("status", "submitted"),
            Condition::All(vec![
                Condition::field_equals("status", "draft"),
                Condition::Version(1),
            ]),
        )
        .await
        .expect("transition from the expected state");
}

pub async fn conditional_delete((table, _): Engine) {
    let key = Key::new(partition("SESSION"), "S");
    table
        .put(write(&key, json!({"x": 1})), Condition::None)
        .await
        .expect("create");
    let err = table
        .delete(&key, Condition::Version(7))
        .await
        .expect_err("wrong version");
    assert_eq!(err, TableError::ConditionFailed);
    assert!(table.get(&key).await.expect("get").is_some());
    table
        .delete(&key, Condition::Version(1))
        .await
        .expect("delete");
    assert!(table.get(&key).await.expect("get").is_none());
    table
        .delete(&key, Condition::None)
        .await
        .expect("deleting an absent item without a condition is fine");
    assert_eq!(
        table.delete(&key, Condition::Exists).await,
        Err(TableError::ConditionFailed)
    );
}

pub async fn transaction_with_one_failing_condition_writes_nothing((table, _): Engine) {
    let p = partition("TX");
    let existing = Key::new(&p, "existing");
    table
        .put(write(&existing, json!({"n": 1})), Condition::None)
        .await
        .expect("seed");
    let ops = vec![
        TxOp::Put {
            item: write(&Key::new(&p, "new-a"), json!({"n": 2})),
            condition: Condition::NotExists,
        },
        TxOp::Update {
            key: existing.clone(),
            update: Update::default().set("n", 99),
            condition: Condition::Version(1),
        },
        TxOp::Put {
            item: write(&Key::new(&p, "new-b"), json!({"n": 3})),
            condition: Condition::Version(5),
        },
    ];
    let err = table.transact(ops).await.expect_err("one condition fails");
    assert_eq!(err, TableError::TransactionFailed { failed: vec![2] });
    assert!(
        table
            .get(&Key::new(&p, "new-a"))
            .await
            .expect("get")
            .is_none()
    );
    let read = table.get(&existing).await.expect("get").expect("item");
    assert_eq!(read.data["n"], 1);
    assert_eq!(read.version, 1);
}

pub async fn transaction_applies_every_operation((table, _): Engine) {
    let p = partition("TX");
    let counter = Key::new(&p, "COUNTER");
    let doomed = Key::new(&p, "DOOMED");
    let guard = Key::new(&p, "GUARD");
    for key in [&counter, &doomed, &guard] {
        table
            .put(write(key, json!({"last": 0})), Condition::None)
            .await
            .expect("seed");
    }
    table
        .transact(vec![
            TxOp::Update {
                key: counter.clone(),
                update: Update::default().set("last", 1),
                condition: Condition::Version(1),
            },
            TxOp::Put {
                item: write(&Key::new(&p, "CASE#1"), json!({"number": 1})),
                condition: Condition::NotExists,
            },
            TxOp::Delete {
                key: doomed.clone(),
                condition: Condition::Exists,
            },
            TxOp::Check {
                key: guard.clone(),
                condition: Condition::field_equals("last", 0),
            },
        ])
        .await
        .expect("all conditions hold");
    let c = table.get(&counter).await.expect("get").expect("counter");
    assert_eq!((c.data["last"].clone(), c.version), (json!(1), 2));
    assert!(
        table
            .get(&Key::new(&p, "CASE#1"))
            .await
            .expect("get")
            .is_some()
    );
    assert!(table.get(&doomed).await.expect("get").is_none());
    assert_eq!(
        table
            .get(&guard)
            .await
            .expect("get")
            .expect("guard")
            .version,
        1
    );
}

pub async fn oversized_or_duplicate_transactions_are_refused((table, _): Engine) {
    let p = partition("TX");
    let ops: Vec<TxOp> = (0..26)
        .map(|i| TxOp::Put {
            item: write(&Key::new(&p, format!("{i:02}")), json!({"i": i})),
            condition: Condition::None,
        })
        .collect();
    assert_eq!(
        table.transact(ops).await,
        Err(TableError::TooManyOperations(26))
    );
    let dup = vec![
        TxOp::Put {
            item: write(&Key::new(&p, "same"), json!({})),
            condition: Condition::None,
        },
        TxOp::Delete {
            key: Key::new(&p, "same"),
            condition: Condition::None,
        },
    ];
    assert!(matches!(
        table.transact(dup).await,
        Err(TableError::Invalid(_))
    ));
    let page = table.query(Query::partition(&p)).await.expect("query");
    assert!(page.items.is_empty(), "refused transactions wrote nothing");
}

async fn seed_sorted(table: &dyn Table, p: &str) -> Vec<String> {
    let mut expected = Vec::new();
    // Written out of order, with neighbours that must not match the prefix.
    for i in [7, 3, 11, 0, 5, 9, 1, 12, 4, 8, 2, 10, 6] {
        let sk = format!("CASE#2026-11-{:02}", i + 1);
        table
            .put(write(&Key::new(p, &sk), json!({"i": i})), Condition::None)
            .await
            .expect("seed");
        expected.push(sk);
    }
    for sk in ["CASA#x", "CASE", "CASF#0", "PROFILE"] {
        table
            .put(write(&Key::new(p, sk), json!({})), Condition::None)
            .await
            .expect("seed");
    }
    expected.sort();
    expected
}

pub async fn prefix_query_pages_in_order((table, _): Engine) {
    let p = partition("CITIZEN");
    let expected = seed_sorted(&*table, &p).await;
    let query = Query::partition(&p)
        .sort_key(SortKey::Prefix("CASE#".into()))
        .limit(4);
    let first = table.query(query.clone()).await.expect("query");
    assert_eq!(sks(&first.items), expected[..4].to_vec());
    assert!(first.cursor.is_some());
    assert_eq!(sks(&all_pages(&*table, query).await), expected);
    let everything = all_pages(&*table, Query::partition(&p)).await;
    assert_eq!(everything.len(), expected.len() + 4);
}

pub async fn descending_range_query_pages_in_order((table, _): Engine) {
    let p = partition("CITIZEN");
    let expected = seed_sorted(&*table, &p).await;
    let query = Query::partition(&p)
        .sort_key(SortKey::Between(
            "CASE#2026-11-03".into(),
            "CASE#2026-11-10".into(),
        ))
        .descending()
        .limit(3);
    let mut want: Vec<String> = expected
        .iter()
        .filter(|sk| sk.as_str() >= "CASE#2026-11-03" && sk.as_str() <= "CASE#2026-11-10")
        .cloned()
        .collect();
    want.reverse();
    assert_eq!(want.len(), 8);
    assert_eq!(sks(&all_pages(&*table, query).await), want);

    let at_least = all_pages(
        &*table,
        Query::partition(&p)
            .sort_key(SortKey::AtLeast("CASE#2026-11-12".into()))
            .limit(2),
    )
    .await;
    assert_eq!(
        sks(&at_least),
        vec!["CASE#2026-11-12", "CASE#2026-11-13", "CASF#0", "PROFILE"]
    );
    let at_most = all_pages(
        &*table,
        Query::partition(&p)
            .sort_key(SortKey::AtMost("CASE".into()))
            .descending(),
    )
    .await;
    assert_eq!(sks(&at_most), vec!["CASE", "CASA#x"]);
}

pub async fn index_query_finds_only_indexed_items_in_order((table, _): Engine) {
    let p = partition("CASE");
    let status = partition("STATUS#submitted");
    // Three cases in the queue (two share a deadline), one not indexed at all.
    let deadlines = [
        ("c1", "2026-12-03"),
        ("c2", "2026-12-01"),
        ("c3", "2026-12-03"),
    ];
    for (id, deadline) in deadlines {
        let item = write(&Key::new(&p, id), json!({"id": id}))
            .with_index(IndexName::Gsi1, Key::new(&status, deadline))
            .with_index(IndexName::Gsi2, Key::new(partition("OWNER"), id));
        table.put(item, Condition::None).await.expect("seed");
    }
    table
        .put(
            write(&Key::new(&p, "c4"), json!({"id": "c4"})),
            Condition::None,
        )
        .await
        .expect("seed");

    let found = all_pages(&*table, Query::index(IndexName::Gsi1, &status).limit(1)).await;
    let ids: Vec<_> = found.iter().map(|i| i.data["id"].clone()).collect();
    assert_eq!(ids.len(), 3);
    assert_eq!(ids[0], "c2", "earliest deadline first");
    assert_eq!(
        found[0].index_keys.get(IndexName::Gsi1),
        Some(&Key::new(&status, "2026-12-01"))
    );
    let later = all_pages(
        &*table,
        Query::index(IndexName::Gsi1, &status)
            .sort_key(SortKey::AtLeast("2026-12-02".into()))
            .descending(),
    )
    .await;
    assert_eq!(later.len(), 2);

    // Moving an item out of the index removes it from the index's queries.
    table
        .update(
            &Key::new(&p, "c2"),
            Update::default().index(IndexName::Gsi1, None),
            Condition::Exists,
        )
        .await
        .expect("update");
    let remaining = all_pages(&*table, Query::index(IndexName::Gsi1, &status)).await;
    assert_eq!(remaining.len(), 2);
    assert!(
        table
            .query(Query::index(IndexName::Gsi3, &status))
            .await
            .expect("query")
            .items
            .is_empty()
    );
}

pub async fn expired_items_are_invisible((table, clock): Engine) {
    let p = partition("CODE");
    let now = clock.unix_seconds();
    let short = Key::new(&p, "short");
    let long = Key::new(&p, "long");
    table
        .put(
            write(&short, json!({"code": "a"})).expires_at(now + 60),
            Condition::NotExists,
        )
        .await
        .expect("put");
    table
        .put(
            write(&long, json!({"code": "b"})).expires_at(now + 3600),
            Condition::NotExists,
        )
        .await
        .expect("put");
    assert!(table.get(&short).await.expect("get").is_some());

    clock.advance(SignedDuration::from_secs(61));
    assert!(
        table.get(&short).await.expect("get").is_none(),
        "expired item is gone"
    );
    let page = table.query(Query::partition(&p)).await.expect("query");
    assert_eq!(sks(&page.items), vec!["long"]);
    assert_eq!(
        table
            .update(&short, Update::default().set("x", 1), Condition::None)
            .await,
        Err(TableError::ConditionFailed),
        "an expired item cannot be updated"
    );
    table
        .put(write(&short, json!({"code": "c"})), Condition::NotExists)
        .await
        .expect("an expired key can be claimed again");
    let read = table.get(&short).await.expect("get").expect("item");
    assert_eq!(read.data["code"], "c");
    assert_eq!(read.ttl, None);
}

pub async fn get_many_answers_in_the_order_asked((table, clock): Engine) {
    let p = partition("MANY");
    let now = clock.unix_seconds();
    let (a, b, gone, missing) = (
        Key::new(&p, "a"),
        Key::new(&p, "b"),
        Key::new(&p, "gone"),
        Key::new(&p, "missing"),
    );
    for (key, n) in [(&a, 1), (&b, 2)] {
        table
            .put(write(key, json!({"n": n})), Condition::NotExists)
            .await
            .expect("put");
    }
    table
        .put(
            write(&gone, json!({"n": 3})).expires_at(now + 60),
            Condition::NotExists,
        )
        .await
        .expect("put");
    clock.advance(SignedDuration::from_secs(61));

    let read = table
        .get_many(&[b.clone(), missing, a.clone(), gone, b.clone()])
        .await
        .expect("get_many");
    let numbers: Vec<Option<i64>> = read
        .iter()
        .map(|item| item.as_ref().and_then(|i| i.data["n"].as_i64()))
        .collect();
    assert_eq!(numbers, [Some(2), None, Some(1), None, Some(2)]);
    assert_eq!(read[2].as_ref().map(|i| &i.key), Some(&a));
    assert!(
        table.get_many(&[]).await.expect("no keys").is_empty(),
        "asking for nothing reads nothing"
    );
}

pub async fn racing_claims_of_one_key_have_exactly_one_winner((table, _): Engine) {
    let key = Key::new(partition("SLOT"), "2026-12-01T09:00#seat1");
    let attempts = (0..50).map(|i| {
        let table = Arc::clone(&table);
        let key = key.clone();
        tokio::spawn(async move {
            table
                .put(write(&key, json!({"holder": i})), Condition::NotExists)
                .await
        })
    });
    let results: Vec<_> = join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.expect("task"))
        .collect();
    let winners: Vec<_> = results.iter().filter(|r| r.is_ok()).collect();
    assert_eq!(winners.len(), 1, "exactly one claim wins: {results:?}");
    for r in &results {
        if let Err(e) = r {
            assert!(
                matches!(e, TableError::ConditionFailed | TableError::Conflict),
                "losers see a conflict, got {e:?}"
            );
        }
    }
    let stored = table.get(&key).await.expect("get").expect("item");
    let winner = winners[0].as_ref().expect("winner");
    assert_eq!(stored.data["holder"], winner.data["holder"]);
}

pub async fn malformed_cursor_is_refused((table, _): Engine) {
    let p = partition("X");
    let err = table
        .query(Query::partition(&p).after(Some("not a cursor!".into())))
        .await
        .expect_err("bad cursor");
    assert_eq!(err, TableError::InvalidCursor);
}
