//! The `Notifier` port: messages to a person's e-mail address (SES in AWS, an outbox locally).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use varoskapu_core::{
    Clock, Condition, IdGenerator, ItemWrite, Key, Query, SortKey, Table, TableError,
};

/// A message to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub to: String,
    /// What the message is for (`verify_email`, `already_registered`, `password_reset`).
    pub kind: String,
    pub subject: String,
    pub body: String,
    /// The one-time token the message carries, if any (the outbox keeps it for the CLI and tests).
    #[serde(default)]
    pub token: Option<String>,
}

/// Why a message could not be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotifyError {
    #[error("the message could not be queued: {0}")]
    Unavailable(String),
}

impl From<TableError> for NotifyError {
    fn from(e: TableError) -> Self {
        NotifyError::Unavailable(e.to_string())
    }
}

/// Sends messages to people.
#[async_trait]
pub trait Notifier: Send + Sync + 'static {
    async fn send(&self, message: Notification) -> Result<(), NotifyError>;
}

/// The embedded notifier: messages land in the table, where the CLI and tests read them.
pub struct TableOutbox {
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

const OUTBOX_DAYS: i64 = 7;

impl TableOutbox {
    pub fn new(table: Arc<dyn Table>, clock: Arc<dyn Clock>, ids: Arc<dyn IdGenerator>) -> Self {
        Self { table, clock, ids }
    }

    /// Messages sent to an address, oldest first.
    pub async fn messages_to(
        table: &dyn Table,
        email: &str,
    ) -> Result<Vec<Notification>, TableError> {
        let mut out = Vec::new();
        let mut cursor = None;
        loop {
            let page = table
                .query(
                    Query::partition(format!("OUTBOX#{}", email.trim().to_lowercase()))
                        .sort_key(SortKey::Any)
                        .after(cursor),
                )
                .await?;
            for item in &page.items {
                out.push(item.parse()?);
            }
            cursor = page.cursor;
            if cursor.is_none() {
                return Ok(out);
            }
        }
    }
}

#[async_trait]
impl Notifier for TableOutbox {
    async fn send(&self, message: Notification) -> Result<(), NotifyError> {
        let now = self.clock.now();
        // UUID v7 ids sort by time, so the outbox reads in sending order.
        let key = Key::new(
            format!("OUTBOX#{}", message.to.trim().to_lowercase()),
            format!("{}", self.ids.new_id()),
        );
        let item = ItemWrite::from_serde(key, &message)?
            .expires_at(now.as_second() + OUTBOX_DAYS * 86_400);
        self.table.put(item, Condition::NotExists).await?;
        tracing::info!(kind = %message.kind, "notification queued in the outbox");
        Ok(())
    }
}
