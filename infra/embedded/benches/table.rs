//! Throughput of the SQLite `Table` engine on a file in WAL mode with full fsync, as the
//! local server runs it: single puts, gets, a page of a partition query, and a
//! five-item transaction.
//!
//! `cargo bench -p varoskapu-embedded --bench table`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use varoskapu_core::{Condition, ItemWrite, Key, Query, SortKey, SystemClock, Table, TxOp};
use varoskapu_embedded::SqliteTable;

fn case(n: u64) -> ItemWrite {
    let data = json!({
        "status": "submitted", "type": "resident-parking-permit",
        "applicant": "Kovács Ödön", "arrival_number": format!("2026/{n:06}"),
        "submitted_at": "2026-11-24T09:00:00Z", "fee": {"amount": 3000, "currency": "HUF"}
    });
    ItemWrite::new(
        Key::new("CITIZEN#bench", format!("CASE#{n:010}")),
        data.as_object().cloned().unwrap_or_default(),
    )
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let table =
        SqliteTable::open(&dir.path().join("bench.db"), Arc::new(SystemClock)).expect("open");
    rt.block_on(async {
        for n in 0..10_000 {
            table.put(case(n), Condition::None).await.expect("seed");
        }
    });
    let next = AtomicU64::new(1_000_000);

    let mut group = c.benchmark_group("sqlite_table");
    group.throughput(Throughput::Elements(1));
    group.bench_function("put_if_absent", |b| {
        b.to_async(&rt).iter(|| async {
            let n = next.fetch_add(1, Ordering::Relaxed);
            table.put(case(n), Condition::NotExists).await.expect("put");
        })
    });
    group.bench_function("get", |b| {
        let mut n = 0u64;
        b.to_async(&rt).iter(|| {
            n = (n + 7919) % 10_000;
            let key = Key::new("CITIZEN#bench", format!("CASE#{n:010}"));
            let table = &table;
            async move { table.get(&key).await.expect("get").expect("item") }
        })
    });
    group.bench_function("query_page_of_50", |b| {
        b.to_async(&rt).iter(|| async {
            let page = table
                .query(
                    Query::partition("CITIZEN#bench")
                        .sort_key(SortKey::Prefix("CASE#00000050".into()))
                        .limit(50),
                )
                .await
                .expect("query");
            assert_eq!(page.items.len(), 50);
        })
    });
    group.bench_function("transaction_of_5", |b| {
        b.to_async(&rt).iter(|| async {
            let ops = (0..5)
                .map(|_| TxOp::Put {
                    item: case(next.fetch_add(1, Ordering::Relaxed)),
                    condition: Condition::NotExists,
                })
                .collect();
            table.transact(ops).await.expect("transact");
        })
    });
    group.finish();
}

criterion_group!(table_benches, benches);
criterion_main!(table_benches);
