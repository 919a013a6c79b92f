//! Where person records live in the table, and the items that keep their look-ups exact.
//!
//! - the record: `crm-person#<id>` / `record`, listed by name in the `crm-persons` partition
//!   of gsi2 (what a reindex walks);
//! - each account link: a claim item `crm-account#<account>` / `claim` naming the record,
//!   written by a not-exists put in the same transaction as the record, so two records can
//!   never be linked to one account (a merge moves the claim to the survivor);
//! - each e-mail address: `crm-email#<address>` / `crm-person#<id>`, so that a bounce finds
//!   every record holding the address without a scan.

use super::person::{PersonId, PersonRecord};
use crate::{Condition, IndexName, ItemWrite, Key, Query, SortKey, Table, TableError, TxOp};
use std::collections::BTreeSet;
use std::sync::Arc;
use uuid::Uuid;

const RECORD: &str = "record";
const CLAIM: &str = "claim";
/// The gsi2 partition listing every record by name.
pub const LISTING: &str = "crm-persons";
/// The gsi3 partition listing the records a clerk must look at, by name.
pub const ATTENTION: &str = "crm-attention";

/// A record as read, with the version a later write must match.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPerson {
    pub record: PersonRecord,
    pub version: u64,
}

#[derive(Clone)]
pub struct PersonStore {
    table: Arc<dyn Table>,
}

impl PersonStore {
    pub fn new(table: Arc<dyn Table>) -> Self {
        Self { table }
    }

    pub fn table(&self) -> &Arc<dyn Table> {
        &self.table
    }

    fn partition(id: PersonId) -> String {
        format!("crm-person#{id}")
    }

    pub fn key(id: PersonId) -> Key {
        Key::new(Self::partition(id), RECORD)
    }

    fn account_partition(account: &str) -> String {
        format!("crm-account#{account}")
    }

    fn email_partition(address: &str) -> String {
        format!("crm-email#{}", address.to_lowercase())
    }

    /// The id a record's table key names, for readers of the change stream.
    pub fn id_of(key: &Key) -> Option<PersonId> {
        let id = key.pk.strip_prefix("crm-person#")?;
        (key.sk == RECORD)
            .then(|| Uuid::parse_str(id).ok().map(PersonId))
            .flatten()
    }

    pub async fn get(&self, id: PersonId) -> Result<Option<StoredPerson>, TableError> {
        match self.table.get(&Self::key(id)).await? {
            Some(item) => Ok(Some(StoredPerson {
                record: item.parse()?,
                version: item.version,
            })),
            None => Ok(None),
        }
    }

    /// The record linked to an account (directly or through a merge), if any.
    pub async fn by_account(&self, account: &str) -> Result<Option<StoredPerson>, TableError> {
        let claim = Key::new(Self::account_partition(account), CLAIM);
        let Some(item) = self.table.get(&claim).await? else {
            return Ok(None);
        };
        let claim: AccountClaim = item.parse()?;
        self.get(claim.person).await
    }

    /// The records holding an e-mail address (any case).
    pub async fn by_email(&self, address: &str) -> Result<Vec<PersonId>, TableError> {
        let mut ids = Vec::new();
        let mut cursor = None;
        loop {
            let page = self
                .table
                .query(
                    Query::partition(Self::email_partition(address))
                        .sort_key(SortKey::Prefix("crm-person#".into()))
                        .after(cursor),
                )
                .await?;
            ids.extend(page.items.iter().filter_map(|item| {
                item.key
                    .sk
                    .strip_prefix("crm-person#")
                    .and_then(|id| Uuid::parse_str(id).ok())
                    .map(PersonId)
            }));
            match page.cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(ids),
            }
        }
    }

    /// One page of every record, by name; `None` as the cursor once all are read.
    pub async fn list(
        &self,
        after: Option<String>,
        limit: usize,
    ) -> Result<(Vec<StoredPerson>, Option<String>), TableError> {
        let page = self
            .table
            .query(
                Query::index(IndexName::Gsi2, LISTING)
                    .limit(limit)
                    .after(after),
            )
            .await?;
        let records = page
            .items
            .iter()
            .map(|item| {
                Ok(StoredPerson {
                    record: item.parse()?,
                    version: item.version,
                })
            })
            .collect::<Result<Vec<_>, TableError>>()?;
        Ok((records, page.cursor))
    }

    /// The records a clerk must look at (see [`PersonRecord::needs_attention`]), by name.
    pub async fn needing_attention(&self, limit: usize) -> Result<Vec<StoredPerson>, TableError> {
        let page = self
            .table
            .query(Query::index(IndexName::Gsi3, ATTENTION).limit(limit))
            .await?;
        page.items
            .iter()
            .map(|item| {
                Ok(StoredPerson {
                    record: item.parse()?,
                    version: item.version,
                })
            })
            .collect()
    }

    /// Every record (a reindex, the duplicate scan).
    pub async fn all(&self) -> Result<Vec<StoredPerson>, TableError> {
        let mut all = Vec::new();
        let mut cursor = None;
        loop {
            let (page, next) = self.list(cursor, 500).await?;
            all.extend(page);
            match next {
                Some(next) => cursor = Some(next),
                None => return Ok(all),
            }
        }
    }

    /// The operations that write `record` over `previous` (`None`: a new record): the
    /// record under its version, the account claim and the e-mail look-ups that changed.
    pub fn save_ops(
        record: &PersonRecord,
        previous: Option<&StoredPerson>,
    ) -> Result<Vec<TxOp>, TableError> {
        // Lower case is enough for a stable listing order; search folds accents itself.
        let sort_name = format!(
            "{} {} {}",
            record.identity.family_name.to_lowercase(),
            record.identity.given_name.to_lowercase(),
            record.id
        );
        let mut item = ItemWrite::from_serde(Self::key(record.id), record)?
            .with_index(IndexName::Gsi2, Key::new(LISTING, sort_name.clone()));
        if record.needs_attention() {
            item = item.with_index(IndexName::Gsi3, Key::new(ATTENTION, sort_name));
        }
        let mut ops = vec![TxOp::Put {
            item,
            condition: match previous {
                Some(stored) => Condition::Version(stored.version),
                None => Condition::NotExists,
            },
        }];
        let before = previous.and_then(|p| p.record.account.as_deref());
        if before != record.account.as_deref() {
            if let Some(old) = before {
                ops.push(TxOp::Delete {
                    key: Key::new(Self::account_partition(old), CLAIM),
                    condition: Condition::None,
                });
            }
            if let Some(new) = &record.account {
                let claim = serde_json::json!({ "person": record.id });
                ops.push(TxOp::Put {
                    item: ItemWrite::from_serde(
                        Key::new(Self::account_partition(new), CLAIM),
                        &claim,
                    )?,
                    condition: Condition::NotExists,
                });
            }
        }
        let emails = |r: &PersonRecord| -> BTreeSet<String> {
            r.emails.iter().map(|e| e.address.to_lowercase()).collect()
        };
        let old = previous.map(|p| emails(&p.record)).unwrap_or_default();
        let new = emails(record);
        let member = Self::partition(record.id);
        for gone in old.difference(&new) {
            ops.push(TxOp::Delete {
                key: Key::new(Self::email_partition(gone), member.clone()),
                condition: Condition::None,
            });
        }
        for added in new.difference(&old) {
            ops.push(TxOp::Put {
                item: ItemWrite::from_serde(
                    Key::new(Self::email_partition(added), member.clone()),
                    &serde_json::json!({ "person": record.id }),
                )?,
                condition: Condition::None,
            });
        }
        Ok(ops)
    }

    /// The operations of two records written together (a merge), where a claim or an
    /// e-mail look-up moves from one to the other: one transaction may touch an item once,
    /// so a delete and a put of the same key become the put alone, unconditioned.
    pub fn save_both_ops(mut first: Vec<TxOp>, second: Vec<TxOp>) -> Vec<TxOp> {
        for op in second {
            let key = op.key().clone();
            match first.iter().position(|o| o.key() == &key) {
                Some(at) => {
                    if let TxOp::Put { item, .. } = op {
                        first[at] = TxOp::Put {
                            item,
                            condition: Condition::None,
                        };
                    } else if !matches!(first[at], TxOp::Put { .. }) {
                        first[at] = op;
                    } else if let TxOp::Put { condition, .. } = &mut first[at] {
                        *condition = Condition::None;
                    }
                }
                None => first.push(op),
            }
        }
        first
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct AccountClaim {
    person: PersonId,
}
