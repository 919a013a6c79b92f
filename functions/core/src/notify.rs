//! The `Notifier` port for messages to a person's account (e-mail through SES in AWS, an
//! outbox in the table locally), with attachments such as a booking's `.ics`.
//!
//! Messages are addressed to the account (token subject), not to an address, so that
//! functions never handle e-mail addresses; the sending adapter looks the address up.

use crate::clock::{Clock, IdGenerator};
use crate::table::{Condition, ItemWrite, Key, Query, Table, TableError};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A file sent along with a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    /// Text attachments only (iCalendar, plain text).
    pub content: String,
}

/// A message to one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// The account (token subject) it is for.
    pub recipient: String,
    /// What it is for (`appointment_booked`, `appointment_cancelled`, `appointment_reminder`…).
    pub kind: String,
    pub subject: String,
    pub body: String,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
}

/// Why a message could not be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotifyError {
    #[error("the message could not be sent: {0}")]
    Unavailable(#[source] crate::Cause),
}

impl From<TableError> for NotifyError {
    fn from(e: TableError) -> Self {
        NotifyError::Unavailable(crate::Cause::of(e))
    }
}

/// Sends messages to people.
#[async_trait]
pub trait Notifier: Send + Sync + 'static {
    async fn send(&self, message: Message) -> Result<(), NotifyError>;
}

/// Finds where a message's recipient is reached by e-mail (the accounts store implements
/// it), so that a sending adapter looks an address up only at the moment it sends.
#[async_trait]
pub trait AddressBook: Send + Sync + 'static {
    /// The recipient's address, or `None` if there is none (or the account is gone).
    async fn email_of(&self, recipient: &str) -> Result<Option<String>, NotifyError>;
}

/// How long the outbox keeps a message.
const OUTBOX_DAYS: i64 = 30;

/// The embedded notifier: messages land in the table, where the CLI and tests read them.
#[derive(Clone)]
pub struct OutboxNotifier {
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

fn partition(recipient: &str) -> String {
    format!("NOTIFY#{recipient}")
}

impl OutboxNotifier {
    pub fn new(table: Arc<dyn Table>, clock: Arc<dyn Clock>, ids: Arc<dyn IdGenerator>) -> Self {
        Self { table, clock, ids }
    }

    /// Messages sent to an account, oldest first.
    pub async fn messages_to(
        table: &dyn Table,
        recipient: &str,
    ) -> Result<Vec<Message>, TableError> {
        let mut out = Vec::new();
        let mut cursor = None;
        loop {
            let page = table
                .query(Query::partition(partition(recipient)).after(cursor))
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
impl Notifier for OutboxNotifier {
    async fn send(&self, message: Message) -> Result<(), NotifyError> {
        // UUID v7 ids sort by time, so the outbox reads in sending order.
        let key = Key::new(partition(&message.recipient), self.ids.new_id().to_string());
        let item = ItemWrite::from_serde(key, &message)?
            .expires_at(self.clock.unix_seconds() + OUTBOX_DAYS * 86_400);
        self.table.put(item, Condition::NotExists).await?;
        Ok(())
    }
}
