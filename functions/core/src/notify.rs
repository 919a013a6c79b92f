//! The `Notifier` port for messages to a person (e-mail through SES in AWS, an outbox in
//! the table locally), with attachments such as a booking's `.ics`.
//!
//! Every message is addressed to the person by their account id (the token subject), so
//! that functions never handle e-mail addresses; the sending adapter looks the address up
//! through the [`AddressBook`] at the last moment. Registration, reset and "already
//! registered" mails go to the account id too: sign-up writes the (unverified) account
//! before it mails the link. Only a message to an address no account holds names the
//! address itself, and the [`AddressBook`] answers both, so a person's mailbox shows them
//! together.

pub mod outbox;
pub mod suppression;

use crate::clock::{Clock, IdGenerator};
use crate::table::{Table, TableError, TxOp};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub use outbox::{Claim, DeliveryState, Outbox, OutboxEntry};

/// A file sent along with a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    /// Text attachments only (iCalendar, plain text).
    pub content: String,
}

/// A message to one person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// The person it is for: their account id (token subject); an e-mail address only for
    /// an address no account holds.
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

    /// The write that queues `message` in the outbox, for a notifier that delivers from
    /// the outbox: the caller commits it in the transaction of the change the message
    /// reports, so the message exists exactly when the change does. `None` for a notifier
    /// that sends at once (then the caller calls [`Notifier::send`] after its commit).
    fn queue_op(&self, message: &Message) -> Result<Option<TxOp>, NotifyError> {
        let _ = message;
        Ok(None)
    }
}

/// Finds where a message's recipient is reached by e-mail (the accounts store implements
/// it), so that a sending adapter looks an address up only at the moment it sends.
#[async_trait]
pub trait AddressBook: Send + Sync + 'static {
    /// The recipient's address, or `None` if there is none (or the account is gone).
    async fn email_of(&self, recipient: &str) -> Result<Option<String>, NotifyError>;

    /// Every recipient whose messages reach `address`: the address itself, and the account
    /// that holds it, if any (the mailbox of a person lists both).
    async fn recipients_of(&self, address: &str) -> Result<Vec<String>, NotifyError> {
        Ok(vec![address.to_owned()])
    }
}

/// The embedded notifier: messages land in the table's outbox, where the local mailbox,
/// the SMTP relay and the CLI read them.
#[derive(Clone)]
pub struct OutboxNotifier {
    outbox: Outbox,
    ids: Arc<dyn IdGenerator>,
}

impl OutboxNotifier {
    pub fn new(table: Arc<dyn Table>, clock: Arc<dyn Clock>, ids: Arc<dyn IdGenerator>) -> Self {
        Self {
            outbox: Outbox::new(table, clock),
            ids,
        }
    }

    /// Messages sent to a recipient, oldest first.
    pub async fn messages_to(
        table: &dyn Table,
        recipient: &str,
    ) -> Result<Vec<Message>, TableError> {
        Ok(outbox::entries_of(table, recipient)
            .await?
            .into_iter()
            .map(|e| e.message)
            .collect())
    }

    /// Messages that reach `address` (sent to it or to the account holding it), oldest first.
    pub async fn messages_to_address(
        table: &dyn Table,
        addresses: &dyn AddressBook,
        address: &str,
    ) -> Result<Vec<Message>, NotifyError> {
        let mut entries = Vec::new();
        for recipient in addresses.recipients_of(address).await? {
            entries.extend(outbox::entries_of(table, &recipient).await?);
        }
        entries.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(entries.into_iter().map(|e| e.message).collect())
    }
}

#[async_trait]
impl Notifier for OutboxNotifier {
    async fn send(&self, message: Message) -> Result<(), NotifyError> {
        let item = self.outbox.item(&message, &self.ids.new_id().to_string())?;
        self.outbox
            .table()
            .put(item, crate::table::Condition::NotExists)
            .await?;
        Ok(())
    }

    fn queue_op(&self, message: &Message) -> Result<Option<TxOp>, NotifyError> {
        let item = self.outbox.item(message, &self.ids.new_id().to_string())?;
        Ok(Some(TxOp::Put {
            item,
            condition: crate::table::Condition::NotExists,
        }))
    }
}
