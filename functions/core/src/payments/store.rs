//! Payment records over the table: payments (by case, and open ones for matching),
//! claimed references, bank statements and their entries (the matching queue), and
//! overpayments. Every uniqueness is a conditional write.

use super::camt::StatementEntry;
use super::matching::Suggestion;
use super::payment::{Overpayment, Payment, SettlementSource};
use super::reference::PaymentReference;
use crate::cases::Actor;
use crate::table::{
    Condition, IndexName, Item, ItemWrite, Key, Query, Table, TableError, TxOp, Update,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;

const OPEN_PAYMENTS: &str = "PAYMENTS#OPEN";
const MATCH_QUEUE: &str = "MATCHQUEUE";
const OVERPAYMENTS: &str = "OVERPAYMENTS";
/// Most items a listing returns.
const LIST_LIMIT: usize = 500;

/// Where an imported entry stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntryStatus {
    /// Settled a payment.
    Matched,
    /// Waits for a clerk.
    Queued,
    /// A clerk found no payment for it: to be returned to the sender.
    Unmatched,
    /// Not money for a fee (a debit…).
    Skipped,
}

/// One change of an entry, kept with it (who linked or unlinked what).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EntryEvent {
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub actor: Actor,
    /// `imported`, `matched`, `queued`, `linked`, `unlinked`.
    pub action: String,
    pub payment_id: Option<Uuid>,
    pub remark: Option<String>,
}

/// An imported bank statement entry and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BankEntry {
    pub entry: StatementEntry,
    pub statement_id: String,
    pub status: EntryStatus,
    pub payment_id: Option<Uuid>,
    pub suggestion: Option<Suggestion>,
    /// Why it waits for a clerk.
    pub reason: Option<String>,
    pub history: Vec<EntryEvent>,
}

/// Payment records over the table.
#[derive(Clone)]
pub struct PaymentStore {
    pub table: Arc<dyn Table>,
}

fn payment_key(id: Uuid) -> Key {
    Key::new(format!("PAYMENT#{id}"), "PAYMENT")
}

fn reference_key(reference: &PaymentReference) -> Key {
    Key::new(format!("PAYREF#{reference}"), "REF")
}

fn entry_key(entry_id: &str) -> Key {
    Key::new(format!("BANKENTRY#{entry_id}"), "ENTRY")
}

fn statement_key(id: &str) -> Key {
    Key::new(format!("STATEMENT#{id}"), "STATEMENT")
}

impl PaymentStore {
    pub fn new(table: Arc<dyn Table>) -> Self {
        Self { table }
    }

    /// Writes a payment, with its index keys, expecting `version` (`None`: a new one).
    pub fn save_op(payment: &Payment, version: Option<u64>) -> Result<TxOp, TableError> {
        let mut item = ItemWrite::from_serde(payment_key(payment.id), payment)?.with_index(
            IndexName::Gsi1,
            Key::new(
                format!("PAYMENTS#CASE#{}", payment.case_id),
                format!("{}#{}", payment.created_at, payment.id),
            ),
        );
        if payment.status.is_open() {
            item = item.with_index(
                IndexName::Gsi2,
                Key::new(OPEN_PAYMENTS, payment.id.to_string()),
            );
        }
        Ok(TxOp::Put {
            item,
            condition: version.map_or(Condition::NotExists, Condition::Version),
        })
    }

    /// Claims a reference for a payment; fails if another payment holds it.
    pub fn claim_reference_op(reference: &PaymentReference, payment: Uuid) -> TxOp {
        let mut data = serde_json::Map::new();
        data.insert("payment_id".into(), json!(payment));
        TxOp::Put {
            item: ItemWrite::new(reference_key(reference), data),
            condition: Condition::NotExists,
        }
    }

    /// A payment and its version.
    pub async fn load(&self, id: Uuid) -> Result<Option<(Payment, u64)>, TableError> {
        match self.table.get(&payment_key(id)).await? {
            Some(item) => Ok(Some((item.parse()?, item.version))),
            None => Ok(None),
        }
    }

    /// The payment holding a reference.
    pub async fn by_reference(
        &self,
        reference: &PaymentReference,
    ) -> Result<Option<Payment>, TableError> {
        let Some(item) = self.table.get(&reference_key(reference)).await? else {
            return Ok(None);
        };
        let id = item
            .data
            .get("payment_id")
            .and_then(|v| v.as_str())
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| TableError::Corrupt("reference without payment".into()))?;
        Ok(self.load(id).await?.map(|(p, _)| p))
    }

    /// The payments of a case, oldest first.
    pub async fn of_case(&self, case_id: Uuid) -> Result<Vec<Payment>, TableError> {
        self.parse_all(Query::index(
            IndexName::Gsi1,
            format!("PAYMENTS#CASE#{case_id}"),
        ))
        .await
    }

    /// Payments still waiting for money.
    pub async fn open(&self) -> Result<Vec<Payment>, TableError> {
        self.parse_all(Query::index(IndexName::Gsi2, OPEN_PAYMENTS))
            .await
    }

    /// Records a statement once; `false` if it was imported before.
    pub async fn record_statement(&self, id: &str, at: Timestamp) -> Result<bool, TableError> {
        let mut data = serde_json::Map::new();
        data.insert("imported_at".into(), json!(at));
        match self
            .table
            .put(
                ItemWrite::new(statement_key(id), data),
                Condition::NotExists,
            )
            .await
        {
            Ok(_) => Ok(true),
            Err(TableError::ConditionFailed) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Writes an entry: new (`None`) or expecting `version`.
    pub fn entry_op(entry: &BankEntry, version: Option<u64>) -> Result<TxOp, TableError> {
        let mut item = ItemWrite::from_serde(entry_key(&entry.entry.entry_id), entry)?;
        if entry.status == EntryStatus::Queued {
            item = item.with_index(
                IndexName::Gsi1,
                Key::new(
                    MATCH_QUEUE,
                    format!(
                        "{}#{}",
                        entry.entry.booking_date.as_deref().unwrap_or("0000-00-00"),
                        entry.entry.entry_id
                    ),
                ),
            );
        }
        Ok(TxOp::Put {
            item,
            condition: version.map_or(Condition::NotExists, Condition::Version),
        })
    }

    /// An entry and its version.
    pub async fn entry(&self, entry_id: &str) -> Result<Option<(BankEntry, u64)>, TableError> {
        match self.table.get(&entry_key(entry_id)).await? {
            Some(item) => Ok(Some((item.parse()?, item.version))),
            None => Ok(None),
        }
    }

    /// Entries waiting for a clerk, by booking date.
    pub async fn queue(&self) -> Result<Vec<BankEntry>, TableError> {
        self.parse_all(Query::index(IndexName::Gsi1, MATCH_QUEUE))
            .await
    }

    /// Records an overpayment once per source of money.
    pub fn overpayment_op(overpayment: &Overpayment) -> Result<TxOp, TableError> {
        let item = ItemWrite::from_serde(
            Self::overpayment_key(overpayment.payment_id, &overpayment.source),
            overpayment,
        )?
        .with_index(
            IndexName::Gsi3,
            Key::new(
                OVERPAYMENTS,
                format!("{}#{}", overpayment.recorded_at, overpayment.payment_id),
            ),
        );
        Ok(TxOp::Put {
            item,
            condition: Condition::NotExists,
        })
    }

    fn overpayment_key(payment_id: Uuid, source: &SettlementSource) -> Key {
        Key::new(
            format!("PAYMENT#{payment_id}"),
            format!("OVERPAYMENT#{}", source.key()),
        )
    }

    /// One overpayment with its version, if recorded.
    pub async fn overpayment(
        &self,
        payment_id: Uuid,
        source: &SettlementSource,
    ) -> Result<Option<(Overpayment, u64)>, TableError> {
        match self
            .table
            .get(&Self::overpayment_key(payment_id, source))
            .await?
        {
            Some(item) => Ok(Some((item.parse()?, item.version))),
            None => Ok(None),
        }
    }

    /// Records an overpayment as refunded (at `version`) and takes it off the list of
    /// refunds to make.
    pub fn refunded_op(overpayment: &Overpayment, version: u64) -> Result<TxOp, TableError> {
        let refund = serde_json::to_value(&overpayment.refund)
            .map_err(|e| TableError::Invalid(e.to_string()))?;
        Ok(TxOp::Update {
            key: Self::overpayment_key(overpayment.payment_id, &overpayment.source),
            update: Update::default()
                .set("refunded", true)
                .set("refund", refund)
                .index(IndexName::Gsi3, None),
            condition: Condition::All(vec![
                Condition::Version(version),
                Condition::field_equals("refunded", false),
            ]),
        })
    }

    /// Overpayments, oldest first (refunds to make).
    pub async fn overpayments(&self) -> Result<Vec<Overpayment>, TableError> {
        self.parse_all(Query::index(IndexName::Gsi3, OVERPAYMENTS))
            .await
    }

    /// Takes the next invoice number of `year` and writes it onto the payment, unless
    /// the payment has one already; returns the payment's number.
    pub async fn claim_invoice_number(
        &self,
        payment: Uuid,
        year: i16,
    ) -> Result<Option<String>, TableError> {
        let counter = Key::new("COUNTER#INVOICE", year.to_string());
        for _ in 0..64 {
            let current = self.table.get(&counter).await?;
            let (next, condition) = match &current {
                Some(item) => (
                    item.data.get("last").and_then(|v| v.as_u64()).unwrap_or(0) + 1,
                    Condition::Version(item.version),
                ),
                None => (1, Condition::NotExists),
            };
            let number = format!("VK-{year}-{next:06}");
            let mut data = serde_json::Map::new();
            data.insert("last".into(), json!(next));
            let ops = vec![
                TxOp::Put {
                    item: ItemWrite::new(counter.clone(), data),
                    condition,
                },
                TxOp::Update {
                    key: payment_key(payment),
                    update: Update::default().set("invoice_number", number.clone()),
                    condition: Condition::field_equals("invoice_number", serde_json::Value::Null),
                },
            ];
            match self.table.transact(ops).await {
                Ok(()) => return Ok(Some(number)),
                Err(TableError::TransactionFailed { failed }) if failed.contains(&1) => {
                    return Ok(self
                        .load(payment)
                        .await?
                        .and_then(|(p, _)| p.invoice_number));
                }
                Err(e) if e.is_condition_failure() || e == TableError::Conflict => continue,
                Err(e) => return Err(e),
            }
        }
        Err(TableError::Conflict)
    }

    async fn parse_all<T: serde::de::DeserializeOwned>(
        &self,
        query: Query,
    ) -> Result<Vec<T>, TableError> {
        let mut out: Vec<Item> = Vec::new();
        let mut cursor = None;
        loop {
            let page = self.table.query(query.clone().after(cursor)).await?;
            out.extend(page.items);
            cursor = page.cursor;
            if cursor.is_none() || out.len() >= LIST_LIMIT {
                break;
            }
        }
        out.iter().map(Item::parse).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ManualClock, MemoryTable};
    use futures::executor::block_on;

    fn store() -> (PaymentStore, Arc<dyn Table>) {
        let clock = Arc::new(ManualClock::new(Timestamp::UNIX_EPOCH));
        let table: Arc<dyn Table> = Arc::new(MemoryTable::new(clock));
        (PaymentStore::new(table.clone()), table)
    }

    #[test]
    fn a_bank_statement_is_imported_once() {
        let (store, _) = store();
        let at = Timestamp::UNIX_EPOCH;
        assert!(block_on(store.record_statement("STMT-2026-11-30", at)).expect("first"));
        assert!(!block_on(store.record_statement("STMT-2026-11-30", at)).expect("again"));
        assert!(block_on(store.record_statement("STMT-2026-12-01", at)).expect("next day"));
    }

    #[test]
    fn no_invoice_number_is_spent_on_a_missing_payment() {
        let (store, table) = store();
        let number = block_on(store.claim_invoice_number(Uuid::nil(), 2026)).expect("claim");
        assert_eq!(number, None);
        let counter = block_on(table.get(&Key::new("COUNTER#INVOICE", "2026"))).expect("get");
        assert!(counter.is_none(), "the counter moves only with a payment");
    }

    #[test]
    fn a_new_store_has_no_open_payments_or_queued_entries() {
        let (store, _) = store();
        assert!(block_on(store.open()).expect("open").is_empty());
        assert!(block_on(store.queue()).expect("queue").is_empty());
        assert!(block_on(store.load(Uuid::nil())).expect("load").is_none());
    }
}
