//! `Table` on SQLite: one table with the same keys and index columns as the DynamoDB
//! table, in WAL mode with full fsync, so that an acknowledged write survives a crash.

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rusqlite::{
    Connection, OpenFlags, OptionalExtension, Row, TransactionBehavior, params_from_iter,
};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use varoskapu_core::Cause;
use varoskapu_core::table::{validate_item, validate_transaction};
use varoskapu_core::{
    Clock, Condition, IndexKeys, IndexName, Item, ItemWrite, Key, Page, Query, SortKey, Table,
    TableError, TxOp, Update,
};

/// The items, in a rowid table whose key is a unique index of its own: a lookup walks an
/// index of small cells (the key and a row id) and reads one row. (In a `WITHOUT ROWID`
/// table, which SQLite meant for rows of a few hundred bytes, every cell of the key's
/// b-tree is the whole item, so each comparison on the way to a key read the overflow
/// pages of a neighbouring case type or person record, past the page cache.)
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS items (
    pk      TEXT NOT NULL,
    sk      TEXT NOT NULL,
    version INTEGER NOT NULL,
    ttl     INTEGER,
    gsi1pk  TEXT, gsi1sk TEXT,
    gsi2pk  TEXT, gsi2sk TEXT,
    gsi3pk  TEXT, gsi3sk TEXT,
    data    TEXT NOT NULL,
    PRIMARY KEY (pk, sk)
);
CREATE INDEX IF NOT EXISTS items_gsi1 ON items (gsi1pk, gsi1sk, pk, sk) WHERE gsi1pk IS NOT NULL;
CREATE INDEX IF NOT EXISTS items_gsi2 ON items (gsi2pk, gsi2sk, pk, sk) WHERE gsi2pk IS NOT NULL;
CREATE INDEX IF NOT EXISTS items_gsi3 ON items (gsi3pk, gsi3sk, pk, sk) WHERE gsi3pk IS NOT NULL;
CREATE INDEX IF NOT EXISTS items_ttl ON items (ttl) WHERE ttl IS NOT NULL;
";

/// The columns in the order [`read_row`] reads them; a macro so the constant statements
/// below can be assembled at compile time.
macro_rules! columns {
    () => {
        "pk, sk, version, ttl, gsi1pk, gsi1sk, gsi2pk, gsi2sk, gsi3pk, gsi3sk, data"
    };
}

const COLUMNS: &str = columns!();

/// Writes one whole item (prepared once per connection).
const STORE: &str = concat!(
    "INSERT OR REPLACE INTO items (",
    columns!(),
    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
);

/// One unexpired item by its key (prepared once per connection).
const LOAD: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM items WHERE pk = ?1 AND sk = ?2 AND (ttl IS NULL OR ttl > ?3)"
);

/// The embedded `Table` engine.
///
/// Writes go through one connection (SQLite allows one writer at a time, and the write
/// transactions are short), on a thread of its own that commits the writes waiting for
/// it together: see [`write_in_batches`]. Reads of a database file take a connection of
/// their own from [`Readers`], so that in WAL mode they run beside the writer and beside
/// each other instead of queueing behind one lock; each read sees every write
/// acknowledged before it.
#[derive(Clone)]
pub struct SqliteTable {
    conn: Arc<Mutex<Connection>>,
    writes: std::sync::mpsc::Sender<Box<dyn PendingWrite>>,
    readers: Option<Arc<Readers>>,
    clock: Arc<dyn Clock>,
}

/// Read connections to a database file, opened when first needed and kept for reuse.
struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

/// How long a connection waits for a lock another holds: another process (the admin CLI)
/// may hold the write lock for a moment.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// More idle read connections than this are closed rather than kept.
const MAX_IDLE_READERS: usize = 8;

impl Readers {
    fn take(&self) -> Result<Connection, TableError> {
        let idle = lock(&self.idle).pop();
        match idle {
            Some(conn) => Ok(conn),
            None => {
                let conn = Connection::open_with_flags(
                    &self.path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
                .map_err(unavailable)?;
                conn.busy_timeout(BUSY_TIMEOUT).map_err(unavailable)?;
                Ok(conn)
            }
        }
    }

    fn give_back(&self, conn: Connection) {
        let mut idle = lock(&self.idle);
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
    }
}

impl SqliteTable {
    /// Opens (creating if needed) the database file and its schema.
    pub fn open(path: &Path, clock: Arc<dyn Clock>) -> Result<Self, TableError> {
        let conn = Connection::open(path).map_err(unavailable)?;
        let mut table = Self::configure(conn, clock)?;
        table.readers = Some(Arc::new(Readers {
            path: path.to_owned(),
            idle: Mutex::new(Vec::new()),
        }));
        Ok(table)
    }

    /// A private in-memory database, for tests and benchmarks of the engine itself.
    pub fn in_memory(clock: Arc<dyn Clock>) -> Result<Self, TableError> {
        Self::configure(Connection::open_in_memory().map_err(unavailable)?, clock)
    }

    fn configure(conn: Connection, clock: Arc<dyn Clock>) -> Result<Self, TableError> {
        conn.busy_timeout(BUSY_TIMEOUT).map_err(unavailable)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(unavailable)?;
        // FULL: a write is on disk before it is acknowledged.
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(unavailable)?;
        migrate_from_without_rowid(&conn)?;
        conn.execute_batch(SCHEMA).map_err(unavailable)?;
        let conn = Arc::new(Mutex::new(conn));
        let (writes, queue) = std::sync::mpsc::channel();
        let writer = Arc::clone(&conn);
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || write_in_batches(&writer, &queue))
            .map_err(|e| {
                TableError::Unavailable(Cause::with_source("cannot start the writer", e))
            })?;
        Ok(Self {
            conn,
            writes,
            // A private in-memory database has no file another connection could open.
            readers: None,
            clock,
        })
    }

    /// Deletes expired items for good (reads already ignore them); returns how many.
    pub async fn purge_expired(&self) -> Result<usize, TableError> {
        let now = self.clock.unix_seconds();
        self.with_conn(move |conn| {
            conn.execute(
                "DELETE FROM items WHERE ttl IS NOT NULL AND ttl <= ?1",
                [now],
            )
            .map_err(unavailable)
        })
        .await
    }

    async fn with_conn<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, TableError> + Send + 'static,
    ) -> Result<T, TableError> {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            let mut guard = lock(&conn);
            work(&mut guard)
        })
        .await
        .map_err(|e| {
            TableError::Unavailable(Cause::with_source(format!("storage task failed: {e}"), e))
        })?
    }

    /// Runs `work`, which only reads, on a read connection (the writer's for an in-memory
    /// database).
    async fn with_reader<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, TableError> + Send + 'static,
    ) -> Result<T, TableError> {
        let Some(readers) = self.readers.clone() else {
            return self.with_conn(move |conn| work(conn)).await;
        };
        tokio::task::spawn_blocking(move || {
            let conn = readers.take()?;
            let out = work(&conn);
            readers.give_back(conn);
            out
        })
        .await
        .map_err(|e| {
            TableError::Unavailable(Cause::with_source(format!("storage task failed: {e}"), e))
        })?
    }

    /// Runs `work`, a read of a few items by their keys, on the calling task when it can
    /// finish without waiting, and on the blocking pool otherwise.
    ///
    /// A read by primary key touches a handful of pages that are almost always cached, and
    /// in WAL mode it never waits for the writer: it takes microseconds, less than the two
    /// thread hand-offs of the blocking pool (which were most of the CPU of a UserInfo or
    /// token request). The rare read that would wait (`SQLITE_BUSY` while another
    /// connection recovers or resets the WAL) is not waited for here: the connection's
    /// busy timeout is off for the attempt, and the read is retried on the blocking pool.
    /// Queries, which may scan many rows, always go to the pool.
    async fn read_by_key<T: Send + 'static>(
        &self,
        work: impl Fn(&Connection) -> Result<T, TableError> + Send + 'static,
    ) -> Result<T, TableError> {
        if let Some(readers) = &self.readers {
            let conn = readers.take()?;
            conn.busy_timeout(Duration::ZERO).map_err(unavailable)?;
            let out = work(&conn);
            conn.busy_timeout(BUSY_TIMEOUT).map_err(unavailable)?;
            readers.give_back(conn);
            match out {
                Err(ref e) if is_busy(e) => {}
                out => return out,
            }
        }
        self.with_reader(work).await
    }

    /// Runs `work` in an immediate (write-locking) transaction, as if alone: its writes
    /// are kept only if it succeeds, and it is answered once they are on disk.
    async fn write_tx<T: Send + 'static>(
        &self,
        work: impl FnOnce(&rusqlite::Transaction<'_>, i64) -> Result<T, TableError> + Send + 'static,
    ) -> Result<T, TableError> {
        let (write, answered) = Pending::queued(work, self.clock.unix_seconds());
        self.writes
            .send(write)
            .map_err(|_| TableError::Unavailable(Cause::new("the table's writer has stopped")))?;
        answered.await.unwrap_or_else(|_| {
            Err(TableError::Unavailable(Cause::new(
                "the write was lost with its batch",
            )))
        })
    }
}

/// At most this many waiting writes share one transaction; the rest take the next.
const MAX_BATCH: usize = 64;

/// The writer thread, until the table is dropped. Group commit: the writes that queued
/// while it was busy (each commit is an fsync under `synchronous=FULL`) run in one
/// transaction, each in a savepoint of its own, and are answered after its one commit.
/// Alone, a write commits at once, as it would by itself.
fn write_in_batches(
    conn: &Mutex<Connection>,
    queue: &std::sync::mpsc::Receiver<Box<dyn PendingWrite>>,
) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        batch.extend(queue.try_iter().take(MAX_BATCH - 1));
        // A write that panics loses its batch (each caller is told), not the writer.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            commit_batch(&mut lock(conn), batch)
        }));
    }
}

/// Runs `batch` in one transaction and answers each write. A write that fails is rolled
/// back to its savepoint alone; the others keep theirs.
fn commit_batch(conn: &mut Connection, mut batch: Vec<Box<dyn PendingWrite>>) {
    let committed = (|| {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(unavailable)?;
        for write in &mut batch {
            write.run(&tx)?;
        }
        tx.commit().map_err(unavailable)
    })();
    for write in batch {
        write.answer(committed.clone());
    }
}

/// A write waiting in [`SqliteTable::write_tx`] for its batch.
trait PendingWrite: Send {
    /// Runs the write in its savepoint of `tx`; an error here (of the savepoint itself)
    /// fails the whole batch.
    fn run(&mut self, tx: &rusqlite::Transaction<'_>) -> Result<(), TableError>;
    /// Answers the caller once the batch has committed, or failed.
    fn answer(self: Box<Self>, committed: Result<(), TableError>);
}

struct Pending<T, F> {
    work: Option<F>,
    now: i64,
    outcome: Option<Result<T, TableError>>,
    answer: tokio::sync::oneshot::Sender<Result<T, TableError>>,
}

impl<T, F> Pending<T, F>
where
    T: Send + 'static,
    F: FnOnce(&rusqlite::Transaction<'_>, i64) -> Result<T, TableError> + Send + 'static,
{
    /// `work` as a write for the writer's queue, and where its answer will come.
    fn queued(
        work: F,
        now: i64,
    ) -> (
        Box<dyn PendingWrite>,
        tokio::sync::oneshot::Receiver<Result<T, TableError>>,
    ) {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let write = Self {
            work: Some(work),
            now,
            outcome: None,
            answer,
        };
        (Box::new(write), answered)
    }
}

impl<T, F> PendingWrite for Pending<T, F>
where
    T: Send + 'static,
    F: FnOnce(&rusqlite::Transaction<'_>, i64) -> Result<T, TableError> + Send + 'static,
{
    fn run(&mut self, tx: &rusqlite::Transaction<'_>) -> Result<(), TableError> {
        let Some(work) = self.work.take() else {
            return Ok(());
        };
        tx.execute_batch("SAVEPOINT write").map_err(unavailable)?;
        let outcome = work(tx, self.now);
        let end = if outcome.is_ok() {
            "RELEASE write"
        } else {
            "ROLLBACK TO write; RELEASE write"
        };
        tx.execute_batch(end).map_err(unavailable)?;
        self.outcome = Some(outcome);
        Ok(())
    }

    fn answer(self: Box<Self>, committed: Result<(), TableError>) {
        let answer = match (self.outcome, committed) {
            // Its own refusal stands whatever became of the others.
            (Some(Err(refused)), _) => Err(refused),
            (Some(Ok(out)), Ok(())) => Ok(out),
            (_, Err(failed)) => Err(failed),
            (None, Ok(())) => Err(TableError::Unavailable(Cause::new(
                "the write did not run in its batch",
            ))),
        };
        // A caller that stopped waiting needs no answer.
        let _ = self.answer.send(answer);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Moves the items of a data folder made before [`SCHEMA`]'s rowid table into one, in a
/// single transaction: the old table and its indexes are renamed away, the new ones made,
/// the items copied, the old table dropped. A folder already moved is left alone.
fn migrate_from_without_rowid(conn: &Connection) -> Result<(), TableError> {
    const OLD: &str = "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'items'";
    let is_old = |conn: &Connection| -> Result<bool, TableError> {
        let sql: Option<String> = conn
            .query_row(OLD, [], |row| row.get(0))
            .optional()
            .map_err(unavailable)?;
        Ok(sql.is_some_and(|sql| sql.to_ascii_uppercase().contains("WITHOUT ROWID")))
    };
    if !is_old(conn)? {
        return Ok(());
    }
    let tx = rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate)
        .map_err(unavailable)?;
    // Another process may have moved them while this one waited for the lock.
    if is_old(&tx)? {
        tx.execute_batch(
            "ALTER TABLE items RENAME TO items_without_rowid;
            DROP INDEX IF EXISTS items_gsi1;
            DROP INDEX IF EXISTS items_gsi2;
            DROP INDEX IF EXISTS items_gsi3;
            DROP INDEX IF EXISTS items_ttl;",
        )
        .map_err(unavailable)?;
        tx.execute_batch(SCHEMA).map_err(unavailable)?;
        tx.execute_batch(concat!(
            "INSERT INTO items (",
            columns!(),
            ") SELECT ",
            columns!(),
            " FROM items_without_rowid; DROP TABLE items_without_rowid;"
        ))
        .map_err(unavailable)?;
    }
    tx.commit().map_err(unavailable)
}

fn unavailable(e: rusqlite::Error) -> TableError {
    TableError::Unavailable(Cause::of(e))
}

/// Whether SQLite refused for a lock another connection holds (`SQLITE_BUSY`).
fn is_busy(e: &TableError) -> bool {
    matches!(e, TableError::Unavailable(cause)
        if cause.downcast_ref::<rusqlite::Error>().and_then(rusqlite::Error::sqlite_error_code)
            == Some(rusqlite::ErrorCode::DatabaseBusy))
}

fn read_row(row: &Row<'_>) -> rusqlite::Result<(Item, String)> {
    let mut index_keys = IndexKeys::default();
    for (i, index) in IndexName::ALL.into_iter().enumerate() {
        let pk: Option<String> = row.get(4 + 2 * i)?;
        let sk: Option<String> = row.get(5 + 2 * i)?;
        if let (Some(pk), Some(sk)) = (pk, sk) {
            index_keys.set(index, Some(Key { pk, sk }));
        }
    }
    let version: i64 = row.get(2)?;
    let item = Item {
        key: Key {
            pk: row.get(0)?,
            sk: row.get(1)?,
        },
        data: Map::new(),
        index_keys,
        ttl: row.get(3)?,
        version: version as u64,
    };
    Ok((item, row.get(10)?))
}

fn finish_item((mut item, data): (Item, String)) -> Result<Item, TableError> {
    match serde_json::from_str(&data) {
        Ok(Value::Object(map)) => {
            item.data = map;
            Ok(item)
        }
        _ => Err(TableError::Corrupt(format!(
            "{}/{}: data is not a JSON object",
            item.key.pk, item.key.sk
        ))),
    }
}

/// The current, unexpired item under `key`.
fn load(conn: &Connection, key: &Key, now: i64) -> Result<Option<Item>, TableError> {
    let row = conn
        .prepare_cached(LOAD)
        .and_then(|mut stmt| {
            stmt.query_row(rusqlite::params![key.pk, key.sk, now], read_row)
                .optional()
        })
        .map_err(unavailable)?;
    row.map(finish_item).transpose()
}

fn store(conn: &Connection, item: &Item) -> Result<(), TableError> {
    let data = serde_json::to_string(&item.data).map_err(|e| TableError::Invalid(e.to_string()))?;
    let index = |i: IndexName| item.index_keys.get(i);
    let mut stmt = conn.prepare_cached(STORE).map_err(unavailable)?;
    stmt.execute(rusqlite::params![
        item.key.pk,
        item.key.sk,
        item.version as i64,
        item.ttl,
        index(IndexName::Gsi1).map(|k| &k.pk),
        index(IndexName::Gsi1).map(|k| &k.sk),
        index(IndexName::Gsi2).map(|k| &k.pk),
        index(IndexName::Gsi2).map(|k| &k.sk),
        index(IndexName::Gsi3).map(|k| &k.pk),
        index(IndexName::Gsi3).map(|k| &k.sk),
        data,
    ])
    .map_err(unavailable)?;
    Ok(())
}

fn remove(conn: &Connection, key: &Key) -> Result<(), TableError> {
    conn.execute(
        "DELETE FROM items WHERE pk = ?1 AND sk = ?2",
        rusqlite::params![key.pk, key.sk],
    )
    .map_err(unavailable)?;
    Ok(())
}

fn next_version(current: Option<&Item>) -> u64 {
    current.map_or(1, |c| c.version + 1)
}

fn put_item(
    conn: &Connection,
    write: ItemWrite,
    current: Option<&Item>,
) -> Result<Item, TableError> {
    let item = Item {
        key: write.key,
        data: write.data,
        index_keys: write.index_keys,
        ttl: write.ttl,
        version: next_version(current),
    };
    store(conn, &item)?;
    Ok(item)
}

fn update_item(conn: &Connection, update: &Update, current: Item) -> Result<Item, TableError> {
    let mut item = current;
    update.apply(&mut item);
    item.version += 1;
    store(conn, &item)?;
    Ok(item)
}

/// The position of an item in a query's order, as carried by the cursor.
fn cursor_of(item: &Item, index: Option<IndexName>) -> String {
    let position: Vec<&str> = match index.and_then(|i| item.index_keys.get(i)) {
        Some(ik) => vec![&ik.sk, &item.key.pk, &item.key.sk],
        None => vec![&item.key.sk],
    };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&position).unwrap_or_default())
}

fn parse_cursor(cursor: &str, index: Option<IndexName>) -> Result<Vec<String>, TableError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| TableError::InvalidCursor)?;
    let position: Vec<String> =
        serde_json::from_slice(&bytes).map_err(|_| TableError::InvalidCursor)?;
    let expected = if index.is_some() { 3 } else { 1 };
    if position.len() == expected {
        Ok(position)
    } else {
        Err(TableError::InvalidCursor)
    }
}

fn run_query(conn: &Connection, query: &Query, now: i64) -> Result<Page, TableError> {
    let (pk_col, sk_col) = match query.index {
        Some(i) => (i.pk_attribute(), i.sk_attribute()),
        None => ("pk", "sk"),
    };
    let mut sql =
        format!("SELECT {COLUMNS} FROM items WHERE {pk_col} = ? AND (ttl IS NULL OR ttl > ?)");
    let mut args: Vec<rusqlite::types::Value> = vec![query.pk.clone().into(), now.into()];
    match &query.sk {
        SortKey::Any => {}
        SortKey::Prefix(p) => {
            sql.push_str(&format!(
                " AND {sk_col} >= ? AND substr({sk_col}, 1, length(?)) = ?"
            ));
            args.extend([p.clone().into(), p.clone().into(), p.clone().into()]);
        }
        SortKey::Between(lo, hi) => {
            sql.push_str(&format!(" AND {sk_col} BETWEEN ? AND ?"));
            args.extend([lo.clone().into(), hi.clone().into()]);
        }
        SortKey::AtLeast(lo) => {
            sql.push_str(&format!(" AND {sk_col} >= ?"));
            args.push(lo.clone().into());
        }
        SortKey::AtMost(hi) => {
            sql.push_str(&format!(" AND {sk_col} <= ?"));
            args.push(hi.clone().into());
        }
    }
    let (cmp, dir) = if query.ascending {
        (">", "ASC")
    } else {
        ("<", "DESC")
    };
    let order_columns = if query.index.is_some() {
        format!("{sk_col}, pk, sk")
    } else {
        "sk".to_owned()
    };
    if let Some(cursor) = &query.cursor {
        let position = parse_cursor(cursor, query.index)?;
        let marks = vec!["?"; position.len()].join(", ");
        sql.push_str(&format!(" AND ({order_columns}) {cmp} ({marks})"));
        args.extend(position.into_iter().map(Into::into));
    }
    let order = order_columns
        .split(", ")
        .map(|c| format!("{c} {dir}"))
        .collect::<Vec<_>>()
        .join(", ");
    sql.push_str(&format!(" ORDER BY {order}"));
    if let Some(limit) = query.limit {
        // One more than asked tells whether another page follows.
        sql.push_str(&format!(" LIMIT {}", limit.saturating_add(1)));
    }
    let mut stmt = conn.prepare_cached(&sql).map_err(unavailable)?;
    let rows = stmt
        .query_map(params_from_iter(args), read_row)
        .map_err(unavailable)?;
    let mut items = Vec::new();
    for row in rows {
        items.push(finish_item(row.map_err(unavailable)?)?);
    }
    let cursor = match query.limit {
        Some(limit) if items.len() > limit => {
            items.truncate(limit);
            items.last().map(|last| cursor_of(last, query.index))
        }
        _ => None,
    };
    Ok(Page { items, cursor })
}

#[async_trait]
impl Table for SqliteTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, TableError> {
        let key = key.clone();
        let now = self.clock.unix_seconds();
        self.read_by_key(move |conn| load(conn, &key, now)).await
    }

    /// One read transaction for all of `keys`, so that they are read from the same
    /// snapshot.
    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, TableError> {
        let keys = keys.to_vec();
        let now = self.clock.unix_seconds();
        self.read_by_key(move |conn| {
            let tx = conn.unchecked_transaction().map_err(unavailable)?;
            let items = keys
                .iter()
                .map(|key| load(&tx, key, now))
                .collect::<Result<Vec<_>, _>>()?;
            tx.finish().map_err(unavailable)?;
            Ok(items)
        })
        .await
    }

    async fn put(&self, item: ItemWrite, condition: Condition) -> Result<Item, TableError> {
        validate_item(&item)?;
        condition.validate()?;
        self.write_tx(move |tx, now| {
            let current = load(tx, &item.key, now)?;
            if !condition.holds(current.as_ref()) {
                return Err(TableError::ConditionFailed);
            }
            put_item(tx, item, current.as_ref())
        })
        .await
    }

    async fn update(
        &self,
        key: &Key,
        update: Update,
        condition: Condition,
    ) -> Result<Item, TableError> {
        update.validate()?;
        condition.validate()?;
        let key = key.clone();
        self.write_tx(move |tx, now| match load(tx, &key, now)? {
            Some(current) if condition.holds(Some(&current)) => update_item(tx, &update, current),
            _ => Err(TableError::ConditionFailed),
        })
        .await
    }

    async fn delete(&self, key: &Key, condition: Condition) -> Result<(), TableError> {
        condition.validate()?;
        let key = key.clone();
        self.write_tx(move |tx, now| {
            let current = load(tx, &key, now)?;
            if !condition.holds(current.as_ref()) {
                return Err(TableError::ConditionFailed);
            }
            remove(tx, &key)
        })
        .await
    }

    async fn query(&self, query: Query) -> Result<Page, TableError> {
        if query.limit == Some(0) {
            return Err(TableError::Invalid(
                "a query's limit must be positive".into(),
            ));
        }
        let now = self.clock.unix_seconds();
        self.with_reader(move |conn| run_query(conn, &query, now))
            .await
    }

    async fn transact(&self, ops: Vec<TxOp>) -> Result<(), TableError> {
        validate_transaction(&ops)?;
        self.write_tx(move |tx, now| {
            let mut currents = Vec::with_capacity(ops.len());
            let mut failed = Vec::new();
            for (i, op) in ops.iter().enumerate() {
                let current = load(tx, op.key(), now)?;
                let holds = op.condition().holds(current.as_ref())
                    && !(matches!(op, TxOp::Update { .. }) && current.is_none());
                if !holds {
                    failed.push(i);
                }
                currents.push(current);
            }
            if !failed.is_empty() {
                // Dropping the transaction rolls it back.
                return Err(TableError::TransactionFailed { failed });
            }
            for (op, current) in ops.into_iter().zip(currents) {
                match op {
                    TxOp::Put { item, .. } => {
                        put_item(tx, item, current.as_ref())?;
                    }
                    TxOp::Update { update, .. } => {
                        if let Some(current) = current {
                            update_item(tx, &update, current)?;
                        }
                    }
                    TxOp::Delete { key, .. } => remove(tx, &key)?,
                    TxOp::Check { .. } => {}
                }
            }
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use varoskapu_core::SystemClock;

    fn write_of(
        key: &Key,
        then: Result<(), TableError>,
    ) -> (
        Box<dyn PendingWrite>,
        tokio::sync::oneshot::Receiver<Result<(), TableError>>,
    ) {
        let key = key.clone();
        let work = move |tx: &rusqlite::Transaction<'_>, _now: i64| {
            put_item(tx, ItemWrite::new(key, Map::new()), None)?;
            then
        };
        Pending::queued(work, 0)
    }

    #[tokio::test]
    async fn writes_committed_together_keep_theirs_when_another_of_the_batch_fails() {
        let dir = tempfile::tempdir().expect("tempdir");
        let table = SqliteTable::open(&dir.path().join("varoskapu.db"), Arc::new(SystemClock))
            .expect("open");
        let keys = ["A", "B", "C"].map(|pk| Key::new(pk, "ITEM"));
        let (first, first_answer) = write_of(&keys[0], Ok(()));
        // Writes its item, then fails: the item must not stay.
        let (second, second_answer) = write_of(&keys[1], Err(TableError::ConditionFailed));
        let (third, third_answer) = write_of(&keys[2], Ok(()));
        commit_batch(&mut lock(&table.conn), vec![first, second, third]);

        assert_eq!(first_answer.await.expect("answered"), Ok(()));
        assert_eq!(
            second_answer.await.expect("answered"),
            Err(TableError::ConditionFailed)
        );
        assert_eq!(third_answer.await.expect("answered"), Ok(()));
        let found = table.get_many(&keys).await.expect("reads");
        assert_eq!(
            found.iter().map(Option::is_some).collect::<Vec<_>>(),
            [true, false, true]
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writes_each_see_the_ones_before_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let table = SqliteTable::open(&dir.path().join("varoskapu.db"), Arc::new(SystemClock))
            .expect("open");
        // Two claims of each of 20 keys at once: one of each pair is first.
        let claims = (0..40).map(|i| {
            let table = table.clone();
            tokio::spawn(async move {
                let key = Key::new(format!("NUMBER#{}", i % 20), "CLAIM");
                table
                    .put(ItemWrite::new(key, Map::new()), Condition::NotExists)
                    .await
            })
        });
        let outcomes = futures::future::join_all(claims).await;
        let won = outcomes.iter().filter(|o| matches!(o, Ok(Ok(_)))).count();
        let refused = outcomes
            .iter()
            .filter(|o| matches!(o, Ok(Err(TableError::ConditionFailed))))
            .count();
        assert_eq!((won, refused), (20, 20));
    }

    #[tokio::test]
    async fn a_data_folder_of_the_earlier_schema_keeps_its_items_and_their_indexes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("varoskapu.db");
        {
            let old = Connection::open(&path).expect("old database");
            old.execute_batch(
                "CREATE TABLE items (
                    pk TEXT NOT NULL, sk TEXT NOT NULL, version INTEGER NOT NULL,
                    ttl INTEGER, gsi1pk TEXT, gsi1sk TEXT, gsi2pk TEXT, gsi2sk TEXT,
                    gsi3pk TEXT, gsi3sk TEXT, data TEXT NOT NULL, PRIMARY KEY (pk, sk)
                ) WITHOUT ROWID;
                CREATE INDEX items_gsi1 ON items (gsi1pk, gsi1sk, pk, sk)
                    WHERE gsi1pk IS NOT NULL;
                INSERT INTO items VALUES ('CASE#1', 'CASE', 3, NULL, 'OWNER#7', 'CASE#1',
                    NULL, NULL, NULL, NULL, '{\"status\":\"submitted\"}');",
            )
            .expect("an item of the earlier schema");
        }

        let table = SqliteTable::open(&path, Arc::new(SystemClock)).expect("opens and moves");
        let item = table
            .get(&Key::new("CASE#1", "CASE"))
            .await
            .expect("reads")
            .expect("the item is still there");
        assert_eq!(
            (item.version, item.data["status"].as_str()),
            (3, Some("submitted"))
        );
        let page = table
            .query(Query::index(IndexName::Gsi1, "OWNER#7"))
            .await
            .expect("queries its index");
        assert_eq!(page.items.len(), 1, "the index was built again");
        let sql: String = Connection::open(&path)
            .expect("look")
            .query_row(
                "SELECT sql FROM sqlite_schema WHERE name = 'items'",
                [],
                |row| row.get(0),
            )
            .expect("schema");
        assert!(!sql.contains("WITHOUT ROWID"), "{sql}");
        drop(table);
        SqliteTable::open(&path, Arc::new(SystemClock)).expect("opens again, nothing to move");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_read_while_another_process_holds_the_database_waits_for_it_instead_of_failing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("varoskapu.db");
        let key = Key::new("CASE#1", "CASE");
        SqliteTable::open(&path, Arc::new(SystemClock))
            .expect("open")
            .put(ItemWrite::new(key.clone(), Map::new()), Condition::None)
            .await
            .expect("written");
        // Another process takes the database for itself (exclusive locking mode holds the
        // lock from its first write until it lets go), then lets go a moment later. A
        // table's own writer would keep it from taking the lock, so this table's writes go
        // elsewhere and only its reads open the file.
        let other = Connection::open(&path).expect("other connection");
        other
            .pragma_update(None, "locking_mode", "EXCLUSIVE")
            .expect("exclusive");
        other
            .execute_batch("BEGIN IMMEDIATE; UPDATE items SET version = version; COMMIT;")
            .expect("the other process writes");
        let table = SqliteTable {
            readers: Some(Arc::new(Readers {
                path: path.clone(),
                idle: Mutex::new(Vec::new()),
            })),
            ..SqliteTable::in_memory(Arc::new(SystemClock)).expect("in memory")
        };
        let released = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            drop(other);
        });

        let items = table.get_many(std::slice::from_ref(&key)).await;
        let item = table.get(&key).await;
        released.join().expect("released");
        assert_eq!(
            items.expect("the read waited for the lock").len(),
            1,
            "one answer per key"
        );
        assert!(item.expect("the read waited for the lock").is_some());
    }
}
