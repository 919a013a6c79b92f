//! `DynamoTable`: the `Table` port on one DynamoDB table.
//!
//! Every write is an `UpdateItem` (also inside transactions) so that the version bump
//! `version = if_not_exists(version, 0) + 1` happens in DynamoDB, atomically with the
//! condition. DynamoDB deletes expired items lazily, so expiry is decided here with the
//! injected clock: reads filter on `ttl`, and conditions treat an expired item as absent.

use crate::attribute::from_attribute_map;
use crate::cursor;
use crate::expression::{Expr, attr};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, ReturnValue, TransactWriteItem, Update as DynamoUpdate,
};
use std::collections::HashMap;
use std::sync::Arc;
use varoskapu_core::Cause;
use varoskapu_core::table::{validate_item, validate_transaction};
use varoskapu_core::{
    Clock, Condition, IndexKeys, IndexName, Item, ItemWrite, Key, Page, Query, SortKey, Table,
    TableError, TxOp, Update,
};

/// How many DynamoDB pages one `query` call reads at most while filling a page that
/// expired items thinned out; beyond that it returns a short page and a cursor.
const MAX_ROUND_TRIPS_PER_PAGE: usize = 8;

/// The production `Table`: a DynamoDB table with the single-table layout of the template.
#[derive(Clone)]
pub struct DynamoTable {
    client: Client,
    table: String,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for DynamoTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynamoTable")
            .field("table", &self.table)
            .finish_non_exhaustive()
    }
}

impl DynamoTable {
    /// Wraps a table; `clock` decides which items have expired.
    pub fn new(client: Client, table: impl Into<String>, clock: Arc<dyn Clock>) -> Self {
        Self {
            client,
            table: table.into(),
            clock,
        }
    }

    /// The table's name, for diagnostics and provisioning.
    pub fn table_name(&self) -> &str {
        &self.table
    }

    fn now(&self) -> i64 {
        self.clock.unix_seconds()
    }

    /// A request for `UpdateItem`'s parts, shared by single writes and transactions.
    fn put_parts(&self, item: &ItemWrite, condition: &Condition) -> WriteParts {
        let mut expr = Expr::default();
        let update = expr.put(item);
        let condition = expr.condition(condition, self.now());
        WriteParts {
            key: key_attributes(&item.key),
            update,
            condition,
            expr,
        }
    }

    fn update_parts(&self, key: &Key, update: &Update, condition: &Condition) -> WriteParts {
        let mut expr = Expr::default();
        let update = expr.update(update);
        let condition = Some(expr.update_condition(condition, self.now()));
        WriteParts {
            key: key_attributes(key),
            update,
            condition,
            expr,
        }
    }

    async fn update_item(&self, parts: WriteParts) -> Result<Item, TableError> {
        let output = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(parts.key))
            .update_expression(parts.update)
            .set_condition_expression(parts.condition)
            .set_expression_attribute_names(parts.expr.names())
            .set_expression_attribute_values(parts.expr.values())
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(|e| single_write_error("UpdateItem", e))?;
        let attributes = output
            .attributes
            .ok_or_else(|| TableError::Corrupt("UpdateItem returned no attributes".into()))?;
        parse_item(&attributes)
    }

    fn transact_item(&self, op: &TxOp) -> Result<TransactWriteItem, TableError> {
        let built = match op {
            TxOp::Put { item, condition } => {
                let parts = self.put_parts(item, condition);
                TransactWriteItem::builder().update(parts.transact_update(&self.table)?)
            }
            TxOp::Update {
                key,
                update,
                condition,
            } => {
                let parts = self.update_parts(key, update, condition);
                TransactWriteItem::builder().update(parts.transact_update(&self.table)?)
            }
            TxOp::Delete { key, condition } => {
                let mut expr = Expr::default();
                let condition = expr.condition(condition, self.now());
                let delete = Delete::builder()
                    .table_name(&self.table)
                    .set_key(Some(key_attributes(key)))
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(expr.names())
                    .set_expression_attribute_values(expr.values())
                    .build()
                    .map_err(build_error)?;
                TransactWriteItem::builder().delete(delete)
            }
            TxOp::Check { key, condition } => {
                let mut expr = Expr::default();
                // DynamoDB requires a condition on a check; an empty one always holds.
                let condition = expr.condition(condition, self.now()).unwrap_or_else(|| {
                    let pk = expr.name(attr::PK);
                    format!("(attribute_exists({pk}) OR attribute_not_exists({pk}))")
                });
                let check = ConditionCheck::builder()
                    .table_name(&self.table)
                    .set_key(Some(key_attributes(key)))
                    .condition_expression(condition)
                    .set_expression_attribute_names(expr.names())
                    .set_expression_attribute_values(expr.values())
                    .build()
                    .map_err(build_error)?;
                TransactWriteItem::builder().condition_check(check)
            }
        };
        Ok(built.build())
    }

    /// Reads one DynamoDB page of `query`, starting after `start`.
    async fn query_once(
        &self,
        query: &Query,
        start: Option<HashMap<String, AttributeValue>>,
        limit: Option<i32>,
    ) -> Result<(Vec<Item>, Option<HashMap<String, AttributeValue>>), TableError> {
        let (pk_attr, sk_attr) = key_schema(query.index);
        let mut expr = Expr::default();
        let pk = expr.name(pk_attr);
        let pk_value = expr.value(AttributeValue::S(query.pk.clone()));
        let mut key_condition = format!("{pk} = {pk_value}");
        // Named only when used: DynamoDB refuses unused placeholders.
        let sk = |expr: &mut Expr| expr.name(sk_attr);
        let text = |expr: &mut Expr, s: &str| expr.value(AttributeValue::S(s.to_owned()));
        match &query.sk {
            SortKey::Any => {}
            SortKey::Prefix(prefix) => {
                let sk = sk(&mut expr);
                let p = text(&mut expr, prefix);
                key_condition.push_str(&format!(" AND begins_with({sk}, {p})"));
            }
            SortKey::Between(lo, hi) => {
                let sk = sk(&mut expr);
                let lo = text(&mut expr, lo);
                let hi = text(&mut expr, hi);
                key_condition.push_str(&format!(" AND {sk} BETWEEN {lo} AND {hi}"));
            }
            SortKey::AtLeast(lo) => {
                let sk = sk(&mut expr);
                let lo = text(&mut expr, lo);
                key_condition.push_str(&format!(" AND {sk} >= {lo}"));
            }
            SortKey::AtMost(hi) => {
                let sk = sk(&mut expr);
                let hi = text(&mut expr, hi);
                key_condition.push_str(&format!(" AND {sk} <= {hi}"));
            }
        }
        let ttl = expr.name(attr::TTL);
        let now = expr.value(AttributeValue::N(self.now().to_string()));
        let filter = format!("attribute_not_exists({ttl}) OR {ttl} > {now}");
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(query.index.map(|i| i.name().to_owned()))
            // Only the base table offers strongly consistent reads.
            .consistent_read(query.index.is_none())
            .key_condition_expression(key_condition)
            .filter_expression(filter)
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
            .scan_index_forward(query.ascending)
            .set_limit(limit)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| other_error("Query", e))?;
        let items = output
            .items
            .unwrap_or_default()
            .iter()
            .map(parse_item)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((items, output.last_evaluated_key))
    }
}

/// The parts of an `UpdateItem`, usable alone or inside a transaction.
struct WriteParts {
    key: HashMap<String, AttributeValue>,
    update: String,
    condition: Option<String>,
    expr: Expr,
}

impl WriteParts {
    fn transact_update(self, table: &str) -> Result<DynamoUpdate, TableError> {
        DynamoUpdate::builder()
            .table_name(table)
            .set_key(Some(self.key))
            .update_expression(self.update)
            .set_condition_expression(self.condition)
            .set_expression_attribute_names(self.expr.names())
            .set_expression_attribute_values(self.expr.values())
            .build()
            .map_err(build_error)
    }
}

#[async_trait]
impl Table for DynamoTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, TableError> {
        validate_key(key)?;
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_attributes(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| other_error("GetItem", e))?;
        let Some(attributes) = output.item else {
            return Ok(None);
        };
        let item = parse_item(&attributes)?;
        Ok((!item.is_expired(self.now())).then_some(item))
    }

    async fn put(&self, item: ItemWrite, condition: Condition) -> Result<Item, TableError> {
        validate_item(&item)?;
        validate_index_keys(index_keys_of(&item))?;
        condition.validate()?;
        self.update_item(self.put_parts(&item, &condition)).await
    }

    async fn update(
        &self,
        key: &Key,
        update: Update,
        condition: Condition,
    ) -> Result<Item, TableError> {
        validate_key(key)?;
        update.validate()?;
        validate_index_keys(update.index_keys.iter().filter_map(|(_, k)| k.as_ref()))?;
        condition.validate()?;
        self.update_item(self.update_parts(key, &update, &condition))
            .await
    }

    async fn delete(&self, key: &Key, condition: Condition) -> Result<(), TableError> {
        validate_key(key)?;
        condition.validate()?;
        let mut expr = Expr::default();
        let condition = expr.condition(&condition, self.now());
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_attributes(key)))
            .set_condition_expression(condition)
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
            .send()
            .await
            .map_err(|e| single_write_error("DeleteItem", e))?;
        Ok(())
    }

    async fn query(&self, query: Query) -> Result<Page, TableError> {
        let (pk_attr, sk_attr) = key_schema(query.index);
        let allowed: Vec<&str> = match query.index {
            None => vec![attr::PK, attr::SK],
            Some(_) => vec![attr::PK, attr::SK, pk_attr, sk_attr],
        };
        if query.pk.is_empty() {
            return Err(TableError::Invalid(
                "the partition key must not be empty".into(),
            ));
        }
        let mut start = query
            .cursor
            .as_deref()
            .map(|c| cursor::decode(c, &allowed))
            .transpose()?;
        // A cursor of another partition would make DynamoDB answer with a generic
        // validation error; it is the caller's cursor that is wrong.
        if let Some(start) = &start
            && start.get(pk_attr) != Some(&AttributeValue::S(query.pk.clone()))
        {
            return Err(TableError::InvalidCursor);
        }
        let wanted = match query.limit {
            Some(0) => return Err(TableError::Invalid("a page holds at least one item".into())),
            Some(n) => Some(i32::try_from(n).unwrap_or(i32::MAX)),
            None => None,
        };
        let mut items: Vec<Item> = Vec::new();
        for _ in 0..MAX_ROUND_TRIPS_PER_PAGE {
            let remaining = wanted.map(|w| w - i32::try_from(items.len()).unwrap_or(i32::MAX));
            let (mut page, last) = self.query_once(&query, start, remaining).await?;
            items.append(&mut page);
            start = last;
            // Without a limit DynamoDB pages by size, and one page is what the caller asked for.
            let full = wanted.is_none_or(|w| items.len() >= usize::try_from(w).unwrap_or(0));
            if start.is_none() || full {
                break;
            }
        }
        let cursor = start.as_ref().map(cursor::encode).transpose()?;
        Ok(Page { items, cursor })
    }

    async fn transact(&self, ops: Vec<TxOp>) -> Result<(), TableError> {
        validate_transaction(&ops)?;
        for op in &ops {
            validate_key(op.key())?;
            match op {
                TxOp::Put { item, .. } => validate_index_keys(index_keys_of(item))?,
                TxOp::Update { update, .. } => {
                    validate_index_keys(update.index_keys.iter().filter_map(|(_, k)| k.as_ref()))?
                }
                _ => {}
            }
        }
        let items = ops
            .iter()
            .map(|op| self.transact_item(op))
            .collect::<Result<Vec<_>, _>>()?;
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map_err(transaction_error)?;
        Ok(())
    }
}

/// The index keys a whole-item write sets.
fn index_keys_of(item: &ItemWrite) -> impl Iterator<Item = &Key> {
    IndexName::ALL
        .into_iter()
        .filter_map(|i| item.index_keys.get(i))
}

fn validate_key(key: &Key) -> Result<(), TableError> {
    if key.pk.is_empty() || key.sk.is_empty() {
        return Err(TableError::Invalid("pk and sk must not be empty".into()));
    }
    Ok(())
}

/// DynamoDB refuses empty strings as index key attributes.
fn validate_index_keys<'a>(mut keys: impl Iterator<Item = &'a Key>) -> Result<(), TableError> {
    if keys.any(|k| k.pk.is_empty() || k.sk.is_empty()) {
        return Err(TableError::Invalid("index keys must not be empty".into()));
    }
    Ok(())
}

fn key_schema(index: Option<IndexName>) -> (&'static str, &'static str) {
    match index {
        None => (attr::PK, attr::SK),
        Some(index) => (index.pk_attribute(), index.sk_attribute()),
    }
}

fn key_attributes(key: &Key) -> HashMap<String, AttributeValue> {
    HashMap::from([
        (attr::PK.to_owned(), AttributeValue::S(key.pk.clone())),
        (attr::SK.to_owned(), AttributeValue::S(key.sk.clone())),
    ])
}

/// Reads an item in the layout `put` writes.
fn parse_item(attributes: &HashMap<String, AttributeValue>) -> Result<Item, TableError> {
    let text = |name: &str| -> Result<Option<String>, TableError> {
        match attributes.get(name) {
            None => Ok(None),
            Some(AttributeValue::S(s)) => Ok(Some(s.clone())),
            Some(_) => Err(TableError::Corrupt(format!("{name} is not a string"))),
        }
    };
    let number = |name: &str| -> Result<Option<&str>, TableError> {
        match attributes.get(name) {
            None => Ok(None),
            Some(AttributeValue::N(n)) => Ok(Some(n.as_str())),
            Some(_) => Err(TableError::Corrupt(format!("{name} is not a number"))),
        }
    };
    let (Some(pk), Some(sk)) = (text(attr::PK)?, text(attr::SK)?) else {
        return Err(TableError::Corrupt("an item lacks pk or sk".into()));
    };
    let corrupt = |what: &str| TableError::Corrupt(format!("{pk}/{sk}: {what}"));
    let version = number(attr::VERSION)?
        .ok_or_else(|| corrupt("no version"))?
        .parse::<u64>()
        .map_err(|_| corrupt("unreadable version"))?;
    let ttl = number(attr::TTL)?
        .map(|t| t.parse::<i64>().map_err(|_| corrupt("unreadable ttl")))
        .transpose()?;
    let data = match attributes.get(attr::DATA) {
        Some(AttributeValue::M(map)) => from_attribute_map(map).map_err(|e| corrupt(&e))?,
        _ => return Err(corrupt("data is not a map")),
    };
    let mut index_keys = IndexKeys::default();
    for index in IndexName::ALL {
        if let (Some(ipk), Some(isk)) = (text(index.pk_attribute())?, text(index.sk_attribute())?) {
            index_keys.set(index, Some(Key::new(ipk, isk)));
        }
    }
    Ok(Item {
        key: Key::new(pk, sk),
        data,
        index_keys,
        ttl,
        version,
    })
}

fn build_error(e: aws_sdk_dynamodb::error::BuildError) -> TableError {
    TableError::Invalid(e.to_string())
}

/// A short description of an SDK error: its code and message, never the request.
fn describe<E, R>(operation: &str, error: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match (error.code(), error.message()) {
        (Some(code), Some(message)) => format!("{operation}: {code}: {message}"),
        (Some(code), None) => format!("{operation}: {code}"),
        _ => format!(
            "{operation}: {}",
            aws_sdk_dynamodb::error::DisplayErrorContext(error)
        ),
    }
}

fn other_error<E, R>(operation: &str, error: SdkError<E, R>) -> TableError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    if error.code() == Some("ValidationException") {
        // The request was refused as malformed (item too large, key too long…): the
        // caller's input, not the service's health.
        return TableError::Invalid(describe(operation, &error));
    }
    let description = describe(operation, &error);
    tracing::warn!(error = %description, "DynamoDB request failed");
    TableError::Unavailable(Cause::with_source(description, error))
}

fn single_write_error<E, R>(operation: &str, error: SdkError<E, R>) -> TableError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    if error.code() == Some("ConditionalCheckFailedException") {
        return TableError::ConditionFailed;
    }
    other_error(operation, error)
}

fn transaction_error<R: std::fmt::Debug + Send + Sync + 'static>(
    error: SdkError<TransactWriteItemsError, R>,
) -> TableError {
    if let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) =
        error.as_service_error()
    {
        let reasons = cancelled.cancellation_reasons();
        let failed: Vec<usize> = reasons
            .iter()
            .enumerate()
            .filter(|(_, r)| r.code() == Some("ConditionalCheckFailed"))
            .map(|(i, _)| i)
            .collect();
        if !failed.is_empty() {
            return TableError::TransactionFailed { failed };
        }
        if reasons
            .iter()
            .any(|r| r.code() == Some("TransactionConflict"))
        {
            return TableError::Conflict;
        }
    }
    if error.code() == Some("TransactionConflictException") {
        return TableError::Conflict;
    }
    other_error("TransactWriteItems", error)
}
