//! An in-memory `Table` with the port's conditional and transactional semantics, so that the
//! identity crates' tests run without any engine. Not for production: nothing is persisted.

use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use varoskapu_core::table::{validate_item, validate_transaction};
use varoskapu_core::{
    Clock, Condition, Item, ItemWrite, Key, Page, Query, Table, TableError, TxOp, Update,
};

/// A `Table` held in a map behind a mutex.
pub struct MemoryTable {
    items: Mutex<BTreeMap<Key, Item>>,
    clock: Arc<dyn Clock>,
}

impl MemoryTable {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            items: Mutex::new(BTreeMap::new()),
            clock,
        }
    }

    fn live<'a>(items: &'a BTreeMap<Key, Item>, key: &Key, now: i64) -> Option<&'a Item> {
        items.get(key).filter(|i| !i.is_expired(now))
    }

    fn write(items: &mut BTreeMap<Key, Item>, item: ItemWrite, now: i64) -> Item {
        let version = Self::live(items, &item.key, now).map_or(0, |i| i.version) + 1;
        let stored = Item {
            key: item.key.clone(),
            data: item.data,
            index_keys: item.index_keys,
            ttl: item.ttl,
            version,
        };
        items.insert(item.key, stored.clone());
        stored
    }

    fn apply_update(
        items: &mut BTreeMap<Key, Item>,
        key: &Key,
        update: &Update,
        now: i64,
    ) -> Option<Item> {
        let mut item = Self::live(items, key, now)?.clone();
        update.apply(&mut item);
        item.version += 1;
        items.insert(key.clone(), item.clone());
        Some(item)
    }
}

#[async_trait]
impl Table for MemoryTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, TableError> {
        let items = self
            .items
            .lock()
            .map_err(|_| TableError::Unavailable("poisoned".into()))?;
        Ok(Self::live(&items, key, self.clock.unix_seconds()).cloned())
    }

    async fn put(&self, item: ItemWrite, condition: Condition) -> Result<Item, TableError> {
        validate_item(&item)?;
        condition.validate()?;
        let now = self.clock.unix_seconds();
        let mut items = self
            .items
            .lock()
            .map_err(|_| TableError::Unavailable("poisoned".into()))?;
        if !condition.holds(Self::live(&items, &item.key, now)) {
            return Err(TableError::ConditionFailed);
        }
        Ok(Self::write(&mut items, item, now))
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
        let mut items = self
            .items
            .lock()
            .map_err(|_| TableError::Unavailable("poisoned".into()))?;
        let current = Self::live(&items, key, now);
        if current.is_none() || !condition.holds(current) {
            return Err(TableError::ConditionFailed);
        }
        Self::apply_update(&mut items, key, &update, now).ok_or(TableError::ConditionFailed)
    }

    async fn delete(&self, key: &Key, condition: Condition) -> Result<(), TableError> {
        condition.validate()?;
        let now = self.clock.unix_seconds();
        let mut items = self
            .items
            .lock()
            .map_err(|_| TableError::Unavailable("poisoned".into()))?;
        if !condition.holds(Self::live(&items, key, now)) {
            return Err(TableError::ConditionFailed);
        }
        items.remove(key);
        Ok(())
    }

    async fn query(&self, query: Query) -> Result<Page, TableError> {
        let now = self.clock.unix_seconds();
        let items = self
            .items
            .lock()
            .map_err(|_| TableError::Unavailable("poisoned".into()))?;
        let mut found: Vec<(Key, Item)> = items
            .values()
            .filter(|i| !i.is_expired(now))
            .filter_map(|i| {
                let key = match query.index {
                    None => i.key.clone(),
                    Some(index) => i.index_keys.get(index)?.clone(),
                };
                (key.pk == query.pk && query.sk.matches(&key.sk)).then(|| (key, i.clone()))
            })
            .collect();
        found.sort_by(|a, b| (&a.0.sk, &a.1.key).cmp(&(&b.0.sk, &b.1.key)));
        if !query.ascending {
            found.reverse();
        }
        let start = match &query.cursor {
            None => 0,
            Some(c) => c.parse::<usize>().map_err(|_| TableError::InvalidCursor)?,
        };
        let limit = query.limit.unwrap_or(usize::MAX);
        let end = start.saturating_add(limit).min(found.len());
        let cursor = (end < found.len()).then(|| end.to_string());
        let items = found
            .into_iter()
            .skip(start)
            .take(end.saturating_sub(start))
            .map(|(_, i)| i)
            .collect();
        Ok(Page { items, cursor })
    }

    async fn transact(&self, ops: Vec<TxOp>) -> Result<(), TableError> {
        validate_transaction(&ops)?;
        let now = self.clock.unix_seconds();
        let mut items = self
            .items
            .lock()
            .map_err(|_| TableError::Unavailable("poisoned".into()))?;
        let failed: Vec<usize> = ops
            .iter()
            .enumerate()
            .filter(|(_, op)| {
                let current = Self::live(&items, op.key(), now);
                let exists_needed = matches!(op, TxOp::Update { .. });
                (exists_needed && current.is_none()) || !op.condition().holds(current)
            })
            .map(|(i, _)| i)
            .collect();
        if !failed.is_empty() {
            return Err(TableError::TransactionFailed { failed });
        }
        for op in ops {
            match op {
                TxOp::Put { item, .. } => {
                    Self::write(&mut items, item, now);
                }
                TxOp::Update { key, update, .. } => {
                    Self::apply_update(&mut items, &key, &update, now);
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
