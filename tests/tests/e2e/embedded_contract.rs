//! The port contract suites on the embedded engines: SQLite table (and the audit log over
//! it), blob folder; and on the memory table the use cases' unit tests run on.

use std::sync::Arc;
use varoskapu_core::{BlobStore, ManualClock, MemoryTable, SystemClock, Table};
use varoskapu_embedded::{FsBlobStore, SqliteTable};

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(jiff::Timestamp::now()))
}

/// Each case gets its own database file, as a real data folder would hold.
async fn sqlite() -> (Arc<dyn Table>, Arc<ManualClock>) {
    let dir = tempfile::tempdir().expect("tempdir").keep();
    let clock = clock();
    let table = SqliteTable::open(&dir.join("varoskapu.db"), clock.clone()).expect("open");
    (Arc::new(table), clock)
}

/// A fresh memory table.
async fn memory() -> (Arc<dyn Table>, Arc<ManualClock>) {
    let clock = clock();
    (Arc::new(MemoryTable::new(clock.clone())), clock)
}

/// A blob folder with its presigned-URL routes listening on loopback.
async fn blob_folder() -> Arc<dyn BlobStore> {
    let dir = tempfile::tempdir().expect("tempdir").keep();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let store = FsBlobStore::open(&dir, &base, Arc::new(SystemClock)).expect("open");
    let router = store.router();
    tokio::spawn(async move { axum::serve(listener, router).await });
    Arc::new(store)
}

mod sqlite_table {
    use super::*;
    varoskapu_tests::table_contract!(sqlite());
}

mod sqlite_audit_log {
    use super::*;
    varoskapu_tests::audit_contract!(sqlite());
}

mod memory_table {
    use super::*;
    varoskapu_tests::table_contract!(memory());
}

mod memory_audit_log {
    use super::*;
    varoskapu_tests::audit_contract!(memory());
}

mod fs_blob_store {
    use super::*;
    varoskapu_tests::blob_contract!(blob_folder());
}
