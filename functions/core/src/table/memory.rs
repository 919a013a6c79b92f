//! A `Table` in memory, with the semantics of the engines (conditions, versions, ttl,
//! all-or-nothing transactions, paged queries in sort-key order), for fast unit tests of
//! the use cases. It passes the same contract suite as SQLite and DynamoDB.

use super::{
    Condition, IndexName, Item, ItemWrite, Key, Page, Query, Table, TableError, TxOp, Update,
    validate_item, validate_transaction,
};
use crate::Clock;
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// The items of one process's table, judged expired by `clock`.
#[derive(Clone)]
pub struct MemoryTable {
    items: Arc<Mutex<BTreeMap<Key, Item>>>,
    clock: Arc<dyn Clock>,
}

impl MemoryTable {
    /// An empty table whose `ttl`s are judged by `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            items: Arc::new(Mutex::new(BTreeMap::new())),
            clock,
        }
    }

    fn lock(&self) -> Result<MutexGuard<'_, BTreeMap<Key, Item>>, TableError> {
        self.items
            .lock()
            .map_err(|_| TableError::Unavailable("a writer panicked".into()))
    }
}

/// The unexpired item under `key`.
fn live(items: &BTreeMap<Key, Item>, key: &Key, now: i64) -> Option<Item> {
    items.get(key).filter(|item| !item.is_expired(now)).cloned()
}

fn put_item(items: &mut BTreeMap<Key, Item>, write: ItemWrite, current: Option<&Item>) -> Item {
    let item = Item {
        key: write.key,
        data: write.data,
        index_keys: write.index_keys,
        ttl: write.ttl,
        version: current.map_or(1, |c| c.version + 1),
    };
    items.insert(item.key.clone(), item.clone());
    item
}

fn update_item(items: &mut BTreeMap<Key, Item>, update: &Update, current: Item) -> Item {
    let mut item = current;
    update.apply(&mut item);
    item.version += 1;
    items.insert(item.key.clone(), item.clone());
    item
}

/// An item's position in a query's order: the index's sort key and the primary key, or
/// the sort key alone.
fn position(item: &Item, index: Option<IndexName>) -> Vec<String> {
    match index.and_then(|i| item.index_keys.get(i)) {
        Some(ik) => vec![ik.sk.clone(), item.key.pk.clone(), item.key.sk.clone()],
        None => vec![item.key.sk.clone()],
    }
}

fn cursor_of(item: &Item, index: Option<IndexName>) -> String {
    hex::encode(serde_json::to_vec(&position(item, index)).unwrap_or_default())
}

fn parse_cursor(cursor: &str, index: Option<IndexName>) -> Result<Vec<String>, TableError> {
    let bytes = hex::decode(cursor).map_err(|_| TableError::InvalidCursor)?;
    let position: Vec<String> =
        serde_json::from_slice(&bytes).map_err(|_| TableError::InvalidCursor)?;
    let expected = if index.is_some() { 3 } else { 1 };
    if position.len() == expected {
        Ok(position)
    } else {
        Err(TableError::InvalidCursor)
    }
}

#[async_trait]
impl Table for MemoryTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, TableError> {
        let now = self.clock.unix_seconds();
        Ok(live(&*self.lock()?, key, now))
    }

    async fn put(&self, item: ItemWrite, condition: Condition) -> Result<Item, TableError> {
        validate_item(&item)?;
        condition.validate()?;
        let now = self.clock.unix_seconds();
        let mut items = self.lock()?;
        let current = live(&items, &item.key, now);
        if !condition.holds(current.as_ref()) {
            return Err(TableError::ConditionFailed);
        }
        Ok(put_item(&mut items, item, current.as_ref()))
    }

    async fn update(
        &self,
        key: &Key,
        update: Update,
        condition: Condition,
    ) -> Result<Item, TableError> {
        update.validate()?;
        condition.validate()?;
        let now = self.clock.unix_seconds();
        let mut items = self.lock()?;
        match live(&items, key, now) {
            Some(current) if condition.holds(Some(&current)) => {
                Ok(update_item(&mut items, &update, current))
            }
            _ => Err(TableError::ConditionFailed),
        }
    }

    async fn delete(&self, key: &Key, condition: Condition) -> Result<(), TableError> {
        condition.validate()?;
        let now = self.clock.unix_seconds();
        let mut items = self.lock()?;
        if !condition.holds(live(&items, key, now).as_ref()) {
            return Err(TableError::ConditionFailed);
        }
        items.remove(key);
        Ok(())
    }

    async fn query(&self, query: Query) -> Result<Page, TableError> {
        if query.limit == Some(0) {
            return Err(TableError::Invalid(
                "a query's limit must be positive".into(),
            ));
        }
        let after = query
            .cursor
            .as_deref()
            .map(|c| parse_cursor(c, query.index))
            .transpose()?;
        let now = self.clock.unix_seconds();
        let items = self.lock()?;
        let mut found: Vec<Item> = items
            .values()
            .filter(|item| !item.is_expired(now))
            .filter(|item| {
                let (pk, sk) = match query.index {
                    Some(index) => match item.index_keys.get(index) {
                        Some(ik) => (&ik.pk, &ik.sk),
                        None => return false,
                    },
                    None => (&item.key.pk, &item.key.sk),
                };
                *pk == query.pk && query.sk.matches(sk)
            })
            .cloned()
            .collect();
        drop(items);
        found.sort_by_cached_key(|item| position(item, query.index));
        if !query.ascending {
            found.reverse();
        }
        if let Some(after) = after {
            found.retain(|item| {
                let at = position(item, query.index);
                if query.ascending {
                    at > after
                } else {
                    at < after
                }
            });
        }
        let limit = query.limit.unwrap_or(usize::MAX);
        let cursor = (found.len() > limit)
            .then(|| {
                found
                    .get(limit - 1)
                    .map(|last| cursor_of(last, query.index))
            })
            .flatten();
        found.truncate(limit);
        Ok(Page {
            items: found,
            cursor,
        })
    }

    async fn transact(&self, ops: Vec<TxOp>) -> Result<(), TableError> {
        validate_transaction(&ops)?;
        let now = self.clock.unix_seconds();
        let mut items = self.lock()?;
        let currents: Vec<Option<Item>> =
            ops.iter().map(|op| live(&items, op.key(), now)).collect();
        let failed: Vec<usize> = ops
            .iter()
            .zip(&currents)
            .enumerate()
            .filter(|(_, (op, current))| {
                !op.condition().holds(current.as_ref())
                    || (matches!(op, TxOp::Update { .. }) && current.is_none())
            })
            .map(|(i, _)| i)
            .collect();
        if !failed.is_empty() {
            return Err(TableError::TransactionFailed { failed });
        }
        for (op, current) in ops.into_iter().zip(currents) {
            match op {
                TxOp::Put { item, .. } => {
                    put_item(&mut items, item, current.as_ref());
                }
                TxOp::Update { update, .. } => {
                    if let Some(current) = current {
                        update_item(&mut items, &update, current);
                    }
                }
                TxOp::Delete { key, .. } => {
                    items.remove(&key);
                }
                TxOp::Check { .. } => {}
            }
        }
        Ok(())
    }
}
