//! The `Table` port: a store shaped like one DynamoDB table (single-table design).
//!
//! Items have a partition key `pk` and a sort key `sk`, up to three generic secondary
//! index keys, an optional `ttl` (Unix seconds; an expired item is invisible at once,
//! whatever the engine's clean-up lag), a `version` the engine bumps on every write, and a
//! JSON object of data. Uniqueness and ordering are enforced by conditions on single writes
//! and on transactions, never by read-then-write.

pub mod memory;

use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Most operations one transaction may hold (DynamoDB's limit is 100; 25 keeps us portable).
pub const MAX_TRANSACTION_OPS: usize = 25;

/// The primary key of an item.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            sk: sk.into(),
        }
    }
}

/// The generic global secondary indexes every engine provides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IndexName {
    Gsi1,
    Gsi2,
    Gsi3,
}

impl IndexName {
    pub const ALL: [IndexName; 3] = [IndexName::Gsi1, IndexName::Gsi2, IndexName::Gsi3];

    /// The index's name as deployed (`gsi1`…).
    pub fn name(self) -> &'static str {
        match self {
            IndexName::Gsi1 => "gsi1",
            IndexName::Gsi2 => "gsi2",
            IndexName::Gsi3 => "gsi3",
        }
    }

    /// Attribute holding the index's partition key.
    pub fn pk_attribute(self) -> &'static str {
        match self {
            IndexName::Gsi1 => "gsi1pk",
            IndexName::Gsi2 => "gsi2pk",
            IndexName::Gsi3 => "gsi3pk",
        }
    }

    /// Attribute holding the index's sort key.
    pub fn sk_attribute(self) -> &'static str {
        match self {
            IndexName::Gsi1 => "gsi1sk",
            IndexName::Gsi2 => "gsi2sk",
            IndexName::Gsi3 => "gsi3sk",
        }
    }

    fn slot(self) -> usize {
        self as usize
    }
}

/// Index keys of one item; an item without a key for an index is absent from it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexKeys([Option<Key>; 3]);

impl IndexKeys {
    pub fn get(&self, index: IndexName) -> Option<&Key> {
        self.0[index.slot()].as_ref()
    }

    pub fn set(&mut self, index: IndexName, key: Option<Key>) {
        self.0[index.slot()] = key;
    }
}

/// A stored item as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub key: Key,
    pub data: Map<String, Value>,
    pub index_keys: IndexKeys,
    pub ttl: Option<i64>,
    /// 1 after the first write, bumped by every later write.
    pub version: u64,
}

impl Item {
    /// Deserializes the item's data into a domain type.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, TableError> {
        // From the borrowed map: only the values `T` keeps are copied, not the whole item.
        T::deserialize(&self.data)
            .map_err(|e| TableError::Corrupt(format!("{}/{}: {e}", self.key.pk, self.key.sk)))
    }

    /// Whether the item has expired at `now` (Unix seconds) and must be treated as absent.
    pub fn is_expired(&self, now: i64) -> bool {
        self.ttl.is_some_and(|ttl| ttl <= now)
    }
}

/// A whole item to write (replacing any previous item under the same key).
#[derive(Debug, Clone, PartialEq)]
pub struct ItemWrite {
    pub key: Key,
    pub data: Map<String, Value>,
    pub index_keys: IndexKeys,
    pub ttl: Option<i64>,
}

impl ItemWrite {
    pub fn new(key: Key, data: Map<String, Value>) -> Self {
        Self {
            key,
            data,
            index_keys: IndexKeys::default(),
            ttl: None,
        }
    }

    /// Builds an item from any value that serializes to a JSON object.
    pub fn from_serde<T: Serialize>(key: Key, value: &T) -> Result<Self, TableError> {
        match serde_json::to_value(value) {
            Ok(Value::Object(data)) => Ok(Self::new(key, data)),
            Ok(_) => Err(TableError::Invalid(
                "item data must be a JSON object".into(),
            )),
            Err(e) => Err(TableError::Invalid(e.to_string())),
        }
    }

    pub fn with_index(mut self, index: IndexName, key: Key) -> Self {
        self.index_keys.set(index, Some(key));
        self
    }

    /// Makes the item vanish at `ttl` (Unix seconds).
    pub fn expires_at(mut self, ttl: i64) -> Self {
        self.ttl = Some(ttl);
        self
    }
}

/// A partial change of an existing item's data, index keys and ttl.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Update {
    /// Top-level data fields to set.
    pub set: Map<String, Value>,
    /// Top-level data fields to remove.
    pub remove: Vec<String>,
    /// Index keys to set (`Some`) or drop (`None`).
    pub index_keys: Vec<(IndexName, Option<Key>)>,
    /// New ttl: `Some(None)` clears it.
    pub ttl: Option<Option<i64>>,
}

impl Update {
    pub fn set(mut self, field: impl Into<String>, value: impl Into<Value>) -> Self {
        self.set.insert(field.into(), value.into());
        self
    }

    pub fn remove(mut self, field: impl Into<String>) -> Self {
        self.remove.push(field.into());
        self
    }

    pub fn index(mut self, index: IndexName, key: Option<Key>) -> Self {
        self.index_keys.push((index, key));
        self
    }

    pub fn ttl(mut self, ttl: Option<i64>) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// Applies the update to an item's parts; engines that update in place share this.
    pub fn apply(&self, item: &mut Item) {
        for field in &self.remove {
            item.data.remove(field);
        }
        for (field, value) in &self.set {
            item.data.insert(field.clone(), value.clone());
        }
        for (index, key) in &self.index_keys {
            item.index_keys.set(*index, key.clone());
        }
        if let Some(ttl) = self.ttl {
            item.ttl = ttl;
        }
    }

    pub fn validate(&self) -> Result<(), TableError> {
        for field in self.set.keys().chain(self.remove.iter()) {
            validate_field_name(field)?;
        }
        if self.set.keys().any(|f| self.remove.contains(f)) {
            return Err(TableError::Invalid(
                "a field cannot be both set and removed".into(),
            ));
        }
        Ok(())
    }
}

/// Data field names are plain identifiers so that every engine can address them.
pub fn validate_field_name(field: &str) -> Result<(), TableError> {
    let ok = !field.is_empty()
        && field.len() <= 64
        && field
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(TableError::Invalid(format!("invalid field name {field:?}")))
    }
}

/// A condition a write requires of the item currently stored under its key.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// No requirement.
    None,
    /// No (unexpired) item exists under the key.
    NotExists,
    /// An (unexpired) item exists under the key.
    Exists,
    /// The item exists and has exactly this version (optimistic locking).
    Version(u64),
    /// The item exists and its top-level data field equals this scalar value.
    FieldEquals { field: String, value: Value },
    /// Every condition holds.
    All(Vec<Condition>),
}

impl Condition {
    pub fn field_equals(field: impl Into<String>, value: impl Into<Value>) -> Self {
        Condition::FieldEquals {
            field: field.into(),
            value: value.into(),
        }
    }

    /// Evaluates the condition against the current, unexpired item (`None` if absent).
    pub fn holds(&self, current: Option<&Item>) -> bool {
        match self {
            Condition::None => true,
            Condition::NotExists => current.is_none(),
            Condition::Exists => current.is_some(),
            Condition::Version(v) => current.is_some_and(|item| item.version == *v),
            Condition::FieldEquals { field, value } => {
                current.is_some_and(|item| item.data.get(field) == Some(value))
            }
            Condition::All(all) => all.iter().all(|c| c.holds(current)),
        }
    }

    pub fn validate(&self) -> Result<(), TableError> {
        match self {
            Condition::FieldEquals { field, value } => {
                validate_field_name(field)?;
                if value.is_object() || value.is_array() {
                    return Err(TableError::Invalid(
                        "conditions compare scalar values only".into(),
                    ));
                }
                Ok(())
            }
            Condition::All(all) => all.iter().try_for_each(Condition::validate),
            _ => Ok(()),
        }
    }
}

/// Which sort keys a query selects. Ranges are inclusive; order is by UTF-8 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortKey {
    Any,
    Prefix(String),
    Between(String, String),
    AtLeast(String),
    AtMost(String),
}

impl SortKey {
    pub fn matches(&self, sk: &str) -> bool {
        match self {
            SortKey::Any => true,
            SortKey::Prefix(p) => sk.starts_with(p.as_str()),
            SortKey::Between(lo, hi) => lo.as_str() <= sk && sk <= hi.as_str(),
            SortKey::AtLeast(lo) => lo.as_str() <= sk,
            SortKey::AtMost(hi) => sk <= hi.as_str(),
        }
    }
}

/// A query of one partition, of the table or of a secondary index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub index: Option<IndexName>,
    pub pk: String,
    pub sk: SortKey,
    pub ascending: bool,
    /// Most items to return in one page; engines may return fewer and still a cursor.
    pub limit: Option<usize>,
    /// The `cursor` of the previous page.
    pub cursor: Option<String>,
}

impl Query {
    pub fn partition(pk: impl Into<String>) -> Self {
        Self {
            index: None,
            pk: pk.into(),
            sk: SortKey::Any,
            ascending: true,
            limit: None,
            cursor: None,
        }
    }

    pub fn index(index: IndexName, pk: impl Into<String>) -> Self {
        Self {
            index: Some(index),
            ..Self::partition(pk)
        }
    }

    pub fn sort_key(mut self, sk: SortKey) -> Self {
        self.sk = sk;
        self
    }

    pub fn descending(mut self) -> Self {
        self.ascending = false;
        self
    }

    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }

    pub fn after(mut self, cursor: Option<String>) -> Self {
        self.cursor = cursor;
        self
    }
}

/// One page of query results.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub items: Vec<Item>,
    /// Present when more items may follow; pass it as the next query's cursor.
    pub cursor: Option<String>,
}

/// One operation of a transaction.
#[derive(Debug, Clone, PartialEq)]
pub enum TxOp {
    Put {
        item: ItemWrite,
        condition: Condition,
    },
    Update {
        key: Key,
        update: Update,
        condition: Condition,
    },
    Delete {
        key: Key,
        condition: Condition,
    },
    /// Only checks a condition on an item the transaction does not write.
    Check {
        key: Key,
        condition: Condition,
    },
}

impl TxOp {
    pub fn key(&self) -> &Key {
        match self {
            TxOp::Put { item, .. } => &item.key,
            TxOp::Update { key, .. } | TxOp::Delete { key, .. } | TxOp::Check { key, .. } => key,
        }
    }

    pub fn condition(&self) -> &Condition {
        match self {
            TxOp::Put { condition, .. }
            | TxOp::Update { condition, .. }
            | TxOp::Delete { condition, .. }
            | TxOp::Check { condition, .. } => condition,
        }
    }
}

/// Checks what every engine refuses before touching storage.
pub fn validate_transaction(ops: &[TxOp]) -> Result<(), TableError> {
    if ops.is_empty() || ops.len() > MAX_TRANSACTION_OPS {
        return Err(TableError::TooManyOperations(ops.len()));
    }
    let mut keys: Vec<&Key> = ops.iter().map(TxOp::key).collect();
    keys.sort();
    if keys.windows(2).any(|w| w[0] == w[1]) {
        return Err(TableError::Invalid(
            "two operations of one transaction target the same item".into(),
        ));
    }
    for op in ops {
        op.condition().validate()?;
        match op {
            TxOp::Put { item, .. } => validate_item(item)?,
            TxOp::Update { update, .. } => update.validate()?,
            _ => {}
        }
    }
    Ok(())
}

/// Checks an item's keys and data field names.
pub fn validate_item(item: &ItemWrite) -> Result<(), TableError> {
    if item.key.pk.is_empty() || item.key.sk.is_empty() {
        return Err(TableError::Invalid("pk and sk must not be empty".into()));
    }
    item.data.keys().try_for_each(|f| validate_field_name(f))
}

/// What can go wrong with a table operation.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TableError {
    #[error("the write's condition does not hold")]
    ConditionFailed,
    #[error("transaction cancelled: the conditions of operations {failed:?} do not hold")]
    TransactionFailed { failed: Vec<usize> },
    #[error("the write conflicted with a concurrent transaction; retry it")]
    Conflict,
    #[error("a transaction holds 1 to 25 operations, not {0}")]
    TooManyOperations(usize),
    #[error("invalid request: {0}")]
    Invalid(String),
    #[error("invalid continuation cursor")]
    InvalidCursor,
    #[error("stored item is malformed: {0}")]
    Corrupt(String),
    #[error("storage unavailable: {0}")]
    Unavailable(#[source] crate::Cause),
}

impl TableError {
    /// Whether any condition of a single write or transaction failed.
    pub fn is_condition_failure(&self) -> bool {
        matches!(
            self,
            TableError::ConditionFailed | TableError::TransactionFailed { .. }
        )
    }
}

/// A DynamoDB-shaped table.
#[async_trait]
pub trait Table: Send + Sync + 'static {
    /// Reads an item; expired items read as absent.
    async fn get(&self, key: &Key) -> Result<Option<Item>, TableError>;

    /// Reads several items, answered in the order of `keys`; expired items read as absent.
    /// An engine whose reads cost a round trip each overrides this to make one.
    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, TableError> {
        futures::future::try_join_all(keys.iter().map(|key| self.get(key))).await
    }

    /// Writes a whole item if `condition` holds, returning it with its new version.
    async fn put(&self, item: ItemWrite, condition: Condition) -> Result<Item, TableError>;

    /// Changes an existing item if `condition` holds; a missing item fails the condition.
    async fn update(
        &self,
        key: &Key,
        update: Update,
        condition: Condition,
    ) -> Result<Item, TableError>;

    /// Deletes an item if `condition` holds; deleting an absent item with no condition is fine.
    async fn delete(&self, key: &Key, condition: Condition) -> Result<(), TableError>;

    /// Reads one page of a partition of the table or of an index.
    async fn query(&self, query: Query) -> Result<Page, TableError>;

    /// Applies every operation or none; reports which conditions failed.
    async fn transact(&self, ops: Vec<TxOp>) -> Result<(), TableError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item(version: u64, data: Value) -> Item {
        Item {
            key: Key::new("a", "b"),
            data: data.as_object().cloned().unwrap_or_default(),
            index_keys: IndexKeys::default(),
            ttl: None,
            version,
        }
    }

    #[test]
    fn conditions_evaluate_against_the_current_item() {
        let current = item(3, json!({"status": "draft"}));
        assert!(Condition::NotExists.holds(None));
        assert!(!Condition::NotExists.holds(Some(&current)));
        assert!(Condition::Version(3).holds(Some(&current)));
        assert!(!Condition::Version(2).holds(Some(&current)));
        assert!(!Condition::Version(3).holds(None));
        assert!(Condition::field_equals("status", "draft").holds(Some(&current)));
        assert!(!Condition::field_equals("status", "submitted").holds(Some(&current)));
        assert!(
            !Condition::All(vec![Condition::Version(3), Condition::field_equals("x", 1)])
                .holds(Some(&current))
        );
    }

    #[test]
    fn transactions_refuse_duplicates_and_oversize() {
        let check = |k: &str| TxOp::Check {
            key: Key::new(k, "x"),
            condition: Condition::Exists,
        };
        assert_eq!(
            validate_transaction(&[]),
            Err(TableError::TooManyOperations(0))
        );
        let many: Vec<_> = (0..26).map(|i| check(&i.to_string())).collect();
        assert_eq!(
            validate_transaction(&many),
            Err(TableError::TooManyOperations(26))
        );
        assert!(validate_transaction(&[check("a"), check("a")]).is_err());
        assert!(validate_transaction(&[check("a"), check("b")]).is_ok());
    }

    #[test]
    fn field_names_are_restricted_to_identifiers() {
        assert!(validate_field_name("status_2").is_ok());
        assert!(validate_field_name("a.b").is_err());
        assert!(validate_field_name("").is_err());
        assert!(validate_field_name("#x").is_err());
    }
}
