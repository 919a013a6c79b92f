//! `Idempotency-Key` support for writes a client may retry (submit case, pay fee, book).
//!
//! The record of a keyed request is written in the SAME transaction as the write it
//! guards, so a retry can never act twice: either the first attempt's transaction
//! committed (and the record tells the retry what it produced) or nothing happened.
//!
//! ```text
//! match idempotency::lookup(table, &scope, key, &fingerprint).await? {
//!     Replay::Stored(result) => return it,
//!     Replay::Fresh => {}
//! }
//! let mut ops = domain_ops();
//! ops.push(idempotency::record_op(&scope, key, &fingerprint, &result, expires_at)?);
//! match table.transact(ops).await {
//!     Err(e) if idempotency::lost_race(&e, ops_len_before) => lookup again and return it,
//!     ...
//! }
//! ```

use crate::blob::Sha256Digest;
use crate::table::{Condition, ItemWrite, Key, Table, TableError, TxOp};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// How long a key is remembered (the client's retry window).
pub const RETENTION_SECONDS: i64 = 24 * 3600;

/// Longest accepted key; keys are opaque client strings (usually UUIDs).
pub const MAX_KEY_LEN: usize = 128;

/// What a lookup found.
#[derive(Debug, Clone, PartialEq)]
pub enum Replay<T> {
    /// No earlier request with this key: go ahead.
    Fresh,
    /// The earlier request's result: return it instead of acting again.
    Stored(T),
}

/// Why a keyed request cannot go ahead.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IdempotencyError {
    #[error("the Idempotency-Key must be 1 to 128 visible ASCII characters")]
    InvalidKey,
    #[error("this Idempotency-Key was already used for a different request")]
    KeyReused,
    #[error(transparent)]
    Table(#[from] TableError),
}

/// Fingerprint of a request body, so a key reused for a different request is refused.
pub fn fingerprint(body: &[u8]) -> String {
    Sha256Digest::of(body).to_hex()
}

fn key_of(scope: &str, key: &str) -> Key {
    Key::new(format!("IDEMPOTENCY#{scope}"), key)
}

/// Checks a client-supplied key.
pub fn validate_key(key: &str) -> Result<(), IdempotencyError> {
    let ok =
        !key.is_empty() && key.len() <= MAX_KEY_LEN && key.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(())
    } else {
        Err(IdempotencyError::InvalidKey)
    }
}

/// Looks for an earlier request with `key` in `scope` (e.g. `book#<citizen id>`).
pub async fn lookup<T: DeserializeOwned>(
    table: &dyn Table,
    scope: &str,
    key: &str,
    fingerprint: &str,
) -> Result<Replay<T>, IdempotencyError> {
    validate_key(key)?;
    let Some(item) = table.get(&key_of(scope, key)).await? else {
        return Ok(Replay::Fresh);
    };
    if item.data.get("fingerprint").and_then(Value::as_str) != Some(fingerprint) {
        return Err(IdempotencyError::KeyReused);
    }
    let result = item.data.get("result").cloned().unwrap_or(Value::Null);
    serde_json::from_value(result)
        .map(Replay::Stored)
        .map_err(|e| TableError::Corrupt(e.to_string()).into())
}

/// The transaction operation that records `result` under `key`; it fails (and with it the
/// whole transaction) if another request with the same key got there first.
pub fn record_op<T: Serialize>(
    scope: &str,
    key: &str,
    fingerprint: &str,
    result: &T,
    now_unix: i64,
) -> Result<TxOp, IdempotencyError> {
    validate_key(key)?;
    let result = serde_json::to_value(result).map_err(|e| TableError::Invalid(e.to_string()))?;
    let data = json!({"fingerprint": fingerprint, "result": result});
    let item = ItemWrite::new(
        key_of(scope, key),
        data.as_object().cloned().unwrap_or_default(),
    )
    .expires_at(now_unix + RETENTION_SECONDS);
    Ok(TxOp::Put {
        item,
        condition: Condition::NotExists,
    })
}

/// Whether a failed transaction failed because of the idempotency record at `index`
/// (a concurrent retry committed first): then look the result up instead.
pub fn lost_race(error: &TableError, index: usize) -> bool {
    matches!(error, TableError::TransactionFailed { failed } if failed.contains(&index))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked() {
        assert!(validate_key("0b9c6f7e-2c1d-4a53-9d0e-5b4b1f7d2a10").is_ok());
        assert_eq!(validate_key(""), Err(IdempotencyError::InvalidKey));
        assert_eq!(validate_key("has space"), Err(IdempotencyError::InvalidKey));
        assert_eq!(
            validate_key(&"x".repeat(129)),
            Err(IdempotencyError::InvalidKey)
        );
    }

    #[test]
    fn record_is_claimed_only_if_absent_and_expires() {
        let op = record_op("book#c1", "k1", "fp", &json!({"id": 1}), 1_000).unwrap();
        match op {
            TxOp::Put { item, condition } => {
                assert_eq!(condition, Condition::NotExists);
                assert_eq!(item.ttl, Some(1_000 + RETENTION_SECONDS));
                assert_eq!(item.data["result"], json!({"id": 1}));
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(lost_race(
            &TableError::TransactionFailed { failed: vec![2] },
            2
        ));
        assert!(!lost_race(
            &TableError::TransactionFailed { failed: vec![0] },
            2
        ));
    }
}
