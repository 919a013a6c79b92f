//! Where cases, case types, upload intents and internal notes live in the table, and which
//! index answers which question (audit entries: [`crate::audit::log`]):
//!
//! | item | pk / sk | index |
//! |---|---|---|
//! | case type | `CASETYPE` / `<id>` | |
//! | case | `CASE#<id>` / `CASE` | gsi1 `CASEQ#<status>` / `<due>#<id>` (queue, not drafts); gsi2 `CASESOF#<owner>` / `<created>#<id>` (a citizen's cases); gsi3 `CASEDIARY` / `<due>#<id>` (open cases only) |
//! | upload intent | `CASE#<id>` / `UPLOAD#<upload id>` (ttl) | |
//! | internal note | `CASE#<id>` / `NOTE#<note id>` | |

use super::case::Case;
use super::case_type::CaseType;
use super::status::CaseStatus;
use crate::table::{
    Condition, IndexName, Item, ItemWrite, Key, Query, SortKey, Table, TableError, TxOp,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use uuid::Uuid;

/// Most items one listing reads; queues and diaries longer than this are paged by status.
const LIST_LIMIT: usize = 1000;

/// A case as stored, with the version its next write must name.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCase {
    pub case: Case,
    pub version: u64,
}

/// A pending upload: announced by the citizen, not yet attached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadIntent {
    pub id: Uuid,
    pub case_id: Uuid,
    pub kind: String,
    pub sha256: String,
    pub size: u64,
    pub blob_key: String,
    pub expires_at: Timestamp,
}

/// A clerk's internal note; never shown to the citizen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Note {
    pub id: Uuid,
    pub case_id: Uuid,
    pub author: super::case::Actor,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub text: String,
}

/// What importing a catalogue entry did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Imported {
    Added,
    Updated,
    Unchanged,
}

/// Case records over the table.
#[derive(Clone)]
pub struct CaseStore {
    pub table: Arc<dyn Table>,
}

fn case_key(id: Uuid) -> Key {
    Key::new(format!("CASE#{id}"), "CASE")
}

fn case_type_key(id: &str) -> Key {
    Key::new("CASETYPE", id)
}

fn upload_key(case_id: Uuid, upload_id: Uuid) -> Key {
    Key::new(format!("CASE#{case_id}"), format!("UPLOAD#{upload_id}"))
}

/// Sort keys of cases without a deadline (drafts) sort last.
fn due_sort(case: &Case) -> String {
    case.deadline
        .as_ref()
        .map(|d| d.due().to_string())
        .unwrap_or_else(|| "9999-12-31".into())
}

impl CaseStore {
    pub fn new(table: Arc<dyn Table>) -> Self {
        Self { table }
    }

    /// Adds a case type unless one with its id exists (seeding is idempotent).
    pub async fn add_case_type(&self, case_type: &CaseType) -> Result<bool, TableError> {
        let item = ItemWrite::from_serde(case_type_key(&case_type.id), case_type)?;
        match self.table.put(item, Condition::NotExists).await {
            Ok(_) => Ok(true),
            Err(TableError::ConditionFailed) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Writes a case type of the municipality's catalogue: added when new, replaced when its
    /// definition changed (by a write naming the version read, so that two imports racing
    /// never lose one silently), left alone when it is the same.
    pub async fn import_case_type(&self, case_type: &CaseType) -> Result<Imported, TableError> {
        let key = case_type_key(&case_type.id);
        loop {
            let item = ItemWrite::from_serde(key.clone(), case_type)?;
            let (condition, outcome) = match self.table.get(&key).await? {
                None => (Condition::NotExists, Imported::Added),
                Some(stored) if stored.parse::<CaseType>().ok().as_ref() == Some(case_type) => {
                    return Ok(Imported::Unchanged);
                }
                Some(stored) => (Condition::Version(stored.version), Imported::Updated),
            };
            match self.table.put(item, condition).await {
                Ok(_) => return Ok(outcome),
                // Another writer came between the read and the write: judge again.
                Err(TableError::ConditionFailed) => continue,
                Err(e) => return Err(e),
            }
        }
    }

    pub async fn case_type(&self, id: &str) -> Result<Option<CaseType>, TableError> {
        match self.table.get(&case_type_key(id)).await? {
            Some(item) => Ok(Some(item.parse()?)),
            None => Ok(None),
        }
    }

    /// The whole catalogue, ordered by id.
    pub async fn case_types(&self) -> Result<Vec<CaseType>, TableError> {
        self.collect(Query::partition("CASETYPE"))
            .await?
            .iter()
            .map(Item::parse)
            .collect()
    }

    pub async fn load(&self, id: Uuid) -> Result<Option<StoredCase>, TableError> {
        match self.table.get(&case_key(id)).await? {
            Some(item) => Ok(Some(StoredCase {
                case: item.parse()?,
                version: item.version,
            })),
            None => Ok(None),
        }
    }

    /// The item of a case with the index keys its status calls for.
    pub fn case_item(case: &Case) -> Result<ItemWrite, TableError> {
        let due = due_sort(case);
        let mut item = ItemWrite::from_serde(case_key(case.id), case)?.with_index(
            IndexName::Gsi2,
            Key::new(
                format!("CASESOF#{}", case.owner),
                format!("{}#{}", case.created_at, case.id),
            ),
        );
        if case.status != CaseStatus::Draft {
            item = item.with_index(
                IndexName::Gsi1,
                Key::new(
                    format!("CASEQ#{}", case.status),
                    format!("{due}#{}", case.id),
                ),
            );
        }
        if case.status.is_open() && case.deadline.is_some() {
            item = item.with_index(
                IndexName::Gsi3,
                Key::new("CASEDIARY", format!("{due}#{}", case.id)),
            );
        }
        Ok(item)
    }

    /// The operation writing `case` over the stored `version` (`None`: a new case).
    pub fn save_op(case: &Case, version: Option<u64>) -> Result<TxOp, TableError> {
        Ok(TxOp::Put {
            item: Self::case_item(case)?,
            condition: match version {
                Some(v) => Condition::Version(v),
                None => Condition::NotExists,
            },
        })
    }

    /// Writes `case` if nobody changed it since `version` was read.
    pub async fn save(&self, case: &Case, version: Option<u64>) -> Result<u64, TableError> {
        let condition = match version {
            Some(v) => Condition::Version(v),
            None => Condition::NotExists,
        };
        Ok(self
            .table
            .put(Self::case_item(case)?, condition)
            .await?
            .version)
    }

    /// A citizen's cases, newest first.
    pub async fn cases_of(&self, owner: &str) -> Result<Vec<Case>, TableError> {
        let query = Query::index(IndexName::Gsi2, format!("CASESOF#{owner}")).descending();
        self.parse_all(query).await
    }

    /// Cases in `status`, earliest deadline first.
    pub async fn in_status(&self, status: CaseStatus) -> Result<Vec<Case>, TableError> {
        self.parse_all(Query::index(IndexName::Gsi1, format!("CASEQ#{status}")))
            .await
    }

    /// Open cases with a deadline, earliest first.
    pub async fn open_by_deadline(&self) -> Result<Vec<Case>, TableError> {
        self.parse_all(Query::index(IndexName::Gsi3, "CASEDIARY"))
            .await
    }

    /// The operation recording an upload intent that vanishes at its expiry.
    pub fn upload_op(intent: &UploadIntent) -> Result<TxOp, TableError> {
        let item = ItemWrite::from_serde(upload_key(intent.case_id, intent.id), intent)?
            .expires_at(intent.expires_at.as_second());
        Ok(TxOp::Put {
            item,
            condition: Condition::NotExists,
        })
    }

    pub async fn upload(
        &self,
        case_id: Uuid,
        upload_id: Uuid,
    ) -> Result<Option<UploadIntent>, TableError> {
        match self.table.get(&upload_key(case_id, upload_id)).await? {
            Some(item) => Ok(Some(item.parse()?)),
            None => Ok(None),
        }
    }

    /// The operation consuming an upload intent once its document is attached.
    pub fn consume_upload_op(case_id: Uuid, upload_id: Uuid) -> TxOp {
        TxOp::Delete {
            key: upload_key(case_id, upload_id),
            condition: Condition::Exists,
        }
    }

    /// The operation adding an internal note.
    pub fn note_op(note: &Note) -> Result<TxOp, TableError> {
        Ok(TxOp::Put {
            item: ItemWrite::from_serde(
                Key::new(
                    format!("CASE#{}", note.case_id),
                    format!("NOTE#{}", note.id),
                ),
                note,
            )?,
            condition: Condition::NotExists,
        })
    }

    /// A case's internal notes, oldest first.
    pub async fn notes(&self, case_id: Uuid) -> Result<Vec<Note>, TableError> {
        let query =
            Query::partition(format!("CASE#{case_id}")).sort_key(SortKey::Prefix("NOTE#".into()));
        self.parse_all(query).await
    }

    async fn parse_all<T: serde::de::DeserializeOwned>(
        &self,
        query: Query,
    ) -> Result<Vec<T>, TableError> {
        self.collect(query).await?.iter().map(Item::parse).collect()
    }

    async fn collect(&self, query: Query) -> Result<Vec<Item>, TableError> {
        let mut out = Vec::new();
        let mut cursor = None;
        loop {
            let page = self.table.query(query.clone().after(cursor)).await?;
            out.extend(page.items);
            cursor = page.cursor;
            if cursor.is_none() || out.len() >= LIST_LIMIT {
                return Ok(out);
            }
        }
    }
}
