//! Acknowledged writes survive a crash: a writer is killed with SIGKILL in the middle of
//! its load, and everything it had acknowledged is found when the data folder is reopened;
//! transactions are found whole or not at all.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use varoskapu_core::{BlobStore, Key, Query, SortKey, SystemClock, Table};
use varoskapu_embedded::{FsBlobStore, SqliteTable};

const BATCH: usize = 5;

#[tokio::test]
async fn acknowledged_writes_survive_sigkill() {
    let dir = tempfile::tempdir().expect("tempdir");
    for attempt in 0..2 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_write-load"))
            .arg(dir.path())
            .arg((attempt * 1_000_000).to_string())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start writer");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut rounds = Vec::new();
        let mut blobs = Vec::new();
        // Kill it mid-load, after a good number of acknowledged writes.
        while rounds.len() < 150 {
            let line = lines.next().expect("writer is alive").expect("line");
            record(&line, &mut rounds, &mut blobs);
        }
        child.kill().expect("SIGKILL");
        // Lines acknowledged before the kill may still be in the pipe.
        for line in lines {
            match line {
                Ok(line) => record(&line, &mut rounds, &mut blobs),
                Err(_) => break,
            }
        }
        child.wait().expect("reaped");

        let clock = Arc::new(SystemClock);
        let table =
            SqliteTable::open(&dir.path().join("varoskapu.db"), clock.clone()).expect("reopen");
        for round in &rounds {
            for i in 0..BATCH {
                let key = Key::new("LOAD", format!("{round:08}#{i}"));
                assert!(
                    table.get(&key).await.expect("get").is_some(),
                    "attempt {attempt}: acknowledged item {key:?} lost"
                );
            }
        }
        // No transaction is found in part.
        let mut cursor = None;
        let mut per_round = std::collections::BTreeMap::<String, usize>::new();
        loop {
            let page = table
                .query(
                    Query::partition("LOAD")
                        .sort_key(SortKey::Any)
                        .limit(500)
                        .after(cursor),
                )
                .await
                .expect("query");
            for item in &page.items {
                let round = item.key.sk.split('#').next().unwrap_or_default().to_owned();
                *per_round.entry(round).or_default() += 1;
            }
            cursor = page.cursor;
            if cursor.is_none() {
                break;
            }
        }
        assert!(
            per_round.values().all(|n| *n == BATCH),
            "a transaction was torn"
        );

        let store = FsBlobStore::open(&dir.path().join("blobs"), "http://127.0.0.1:9", clock)
            .expect("reopen");
        for key in &blobs {
            store
                .get(key)
                .await
                .unwrap_or_else(|e| panic!("acknowledged blob {key} lost: {e}"));
        }
        assert!(!rounds.is_empty() && !blobs.is_empty());
        // The second attempt writes on top of the crashed folder: it must keep working.
        drop(table);
    }
}

fn record(line: &str, rounds: &mut Vec<u64>, blobs: &mut Vec<String>) {
    if let Some(round) = line.strip_prefix("tx ") {
        rounds.push(round.parse().expect("round"));
    } else if let Some(key) = line.strip_prefix("blob ") {
        blobs.push(key.to_owned());
    }
}
