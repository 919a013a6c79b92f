//! Writes to a data folder as fast as it can, printing a line for every acknowledged
//! write, until it is killed. The crash test kills it with SIGKILL and checks that every
//! acknowledged write is still there.

use bytes::Bytes;
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use varoskapu_core::{BlobPut, BlobStore, Condition, ItemWrite, Key, SystemClock, Table, TxOp};
use varoskapu_embedded::{FsBlobStore, SqliteTable};

/// Items written together in one transaction.
const BATCH: usize = 5;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = || anyhow::anyhow!("usage: write-load DATA_DIR FIRST_ROUND");
    let dir = PathBuf::from(args.next().ok_or_else(usage)?);
    let first_round: u64 = args.next().ok_or_else(usage)?.parse()?;
    let clock = Arc::new(SystemClock);
    let table = SqliteTable::open(&dir.join("varoskapu.db"), clock.clone())?;
    let blobs = FsBlobStore::open(&dir.join("blobs"), "http://127.0.0.1:9", clock)?;
    let mut out = std::io::stdout().lock();
    for round in first_round.. {
        let ops = (0..BATCH)
            .map(|i| TxOp::Put {
                item: ItemWrite::new(
                    Key::new("LOAD", format!("{round:08}#{i}")),
                    json!({"round": round, "i": i, "padding": "ő".repeat(200)})
                        .as_object()
                        .cloned()
                        .unwrap_or_default(),
                ),
                condition: Condition::NotExists,
            })
            .collect();
        table.transact(ops).await?;
        writeln!(out, "tx {round}")?;
        if round % 4 == 0 {
            let put = BlobPut::content_addressed(
                "load",
                Bytes::from(format!("document {round} ").repeat(500)),
                "text/plain",
            )
            .write_once();
            let key = put.key.clone();
            blobs.put(put).await?;
            writeln!(out, "blob {key}")?;
        }
        out.flush()?;
    }
    Ok(())
}
