//! The outbox in the table: each message is one item under its recipient
//! (`NOTIFY#<recipient>`, sorted by its time-ordered id), listed in time order on an index
//! for the local mailbox, and on a second index while it waits for delivery.
//!
//! A sender delivers a message at most once per claim: it claims the item with a
//! conditional write on the version it read (two senders never both win), sends, and
//! marks it sent with a write conditional on its claim. A failed attempt hands the claim
//! back with the time of the next try; only a sender that dies between the receiving
//! server's acknowledgement and its mark leaves a claim in doubt, which is taken up again
//! once its lease is over (the message keeps its `Message-ID`, so a receiver can tell).

use super::Message;
use crate::clock::Clock;
use crate::table::{Condition, IndexName, Item, ItemWrite, Key, Query, Table, TableError, Update};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// How long the outbox keeps a message.
pub const OUTBOX_DAYS: i64 = 30;

/// Index partition of every message, in time order.
const ALL_PARTITION: &str = "OUTBOX";
/// Index partition of the messages waiting for delivery.
const PENDING_PARTITION: &str = "OUTBOX#PENDING";

fn partition(recipient: &str) -> String {
    format!("NOTIFY#{recipient}")
}

/// Where a message is on its way out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Waiting for a sender (the local mailbox shows it either way).
    #[default]
    Queued,
    /// A sender claimed it and is sending.
    Sending,
    /// The receiving server acknowledged it.
    Sent,
    /// The receiving server refused it for good.
    Failed,
    /// Nobody to send it to: the recipient has no address (or the account is gone).
    NoAddress,
    /// Mail to the recipient's address is stopped (it bounced for good, or she complained).
    Suppressed,
}

impl DeliveryState {
    /// The state's name, as the mailbox and the CLI show it.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Queued => "queued",
            DeliveryState::Sending => "sending",
            DeliveryState::Sent => "sent",
            DeliveryState::Failed => "failed",
            DeliveryState::NoAddress => "no_address",
            DeliveryState::Suppressed => "suppressed",
        }
    }
}

/// The item as stored: the message with its delivery's progress beside it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stored {
    #[serde(flatten)]
    message: Message,
    #[serde(default)]
    queued_at: i64,
    #[serde(default)]
    state: DeliveryState,
    #[serde(default)]
    attempts: u32,
    #[serde(default)]
    next_attempt_at: i64,
    #[serde(default)]
    claim: Option<String>,
    #[serde(default)]
    claimed_at: Option<i64>,
    #[serde(default)]
    sent_at: Option<i64>,
    #[serde(default)]
    last_error: Option<String>,
}

/// One message of the outbox with its delivery's progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// The message's id (a UUID v7: ids sort by time).
    pub id: String,
    pub message: Message,
    /// When it was queued (Unix seconds; 0 for messages queued before this was recorded).
    pub queued_at: i64,
    pub state: DeliveryState,
    /// Failed attempts so far.
    pub attempts: u32,
    /// Not to be tried before this (Unix seconds).
    pub next_attempt_at: i64,
    pub sent_at: Option<i64>,
    /// Why the last attempt failed (the receiving server's answer, never logged).
    pub last_error: Option<String>,
    claimed_at: Option<i64>,
    version: u64,
}

impl OutboxEntry {
    fn from_item(item: &Item) -> Result<Self, TableError> {
        let stored: Stored = item.parse()?;
        Ok(Self {
            id: item.key.sk.clone(),
            message: stored.message,
            queued_at: stored.queued_at,
            state: stored.state,
            attempts: stored.attempts,
            next_attempt_at: stored.next_attempt_at,
            sent_at: stored.sent_at,
            last_error: stored.last_error,
            claimed_at: stored.claimed_at,
            version: item.version,
        })
    }

    fn key(&self) -> Key {
        Key::new(partition(&self.message.recipient), self.id.clone())
    }
}

/// A sender's claim on one message: only its holder may mark the message sent or failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub entry: OutboxEntry,
    token: String,
}

/// Reads and delivers the outbox.
#[derive(Clone)]
pub struct Outbox {
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
}

/// Every entry of a recipient, oldest first.
pub(super) async fn entries_of(
    table: &dyn Table,
    recipient: &str,
) -> Result<Vec<OutboxEntry>, TableError> {
    collect(table, Query::partition(partition(recipient)), usize::MAX).await
}

async fn collect(
    table: &dyn Table,
    query: Query,
    most: usize,
) -> Result<Vec<OutboxEntry>, TableError> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = table.query(query.clone().after(cursor)).await?;
        for item in &page.items {
            out.push(OutboxEntry::from_item(item)?);
            if out.len() >= most {
                return Ok(out);
            }
        }
        cursor = page.cursor;
        if cursor.is_none() {
            return Ok(out);
        }
    }
}

impl Outbox {
    pub fn new(table: Arc<dyn Table>, clock: Arc<dyn Clock>) -> Self {
        Self { table, clock }
    }

    pub(super) fn table(&self) -> &dyn Table {
        self.table.as_ref()
    }

    /// The item that queues `message` under `id` (a new UUID v7), waiting for delivery.
    pub fn item(&self, message: &Message, id: &str) -> Result<ItemWrite, TableError> {
        let now = self.clock.unix_seconds();
        let stored = Stored {
            message: message.clone(),
            queued_at: now,
            state: DeliveryState::Queued,
            attempts: 0,
            next_attempt_at: now,
            claim: None,
            claimed_at: None,
            sent_at: None,
            last_error: None,
        };
        Ok(
            ItemWrite::from_serde(Key::new(partition(&message.recipient), id), &stored)?
                .with_index(IndexName::Gsi1, Key::new(ALL_PARTITION, id))
                .with_index(IndexName::Gsi2, Key::new(PENDING_PARTITION, id))
                .expires_at(now + OUTBOX_DAYS * 86_400),
        )
    }

    /// The newest `most` messages to anyone, newest first.
    pub async fn newest(&self, most: usize) -> Result<Vec<OutboxEntry>, TableError> {
        collect(
            self.table.as_ref(),
            Query::index(IndexName::Gsi1, ALL_PARTITION).descending(),
            most,
        )
        .await
    }

    /// The messages of these recipients, newest first.
    pub async fn messages_of(&self, recipients: &[String]) -> Result<Vec<OutboxEntry>, TableError> {
        let mut out = Vec::new();
        for recipient in recipients {
            out.extend(entries_of(self.table.as_ref(), recipient).await?);
        }
        out.sort_by(|a, b| b.id.cmp(&a.id));
        out.dedup_by(|a, b| a.id == b.id);
        Ok(out)
    }

    /// One message of a recipient.
    pub async fn entry(
        &self,
        recipient: &str,
        id: &str,
    ) -> Result<Option<OutboxEntry>, TableError> {
        match self.table.get(&Key::new(partition(recipient), id)).await? {
            Some(item) => Ok(Some(OutboxEntry::from_item(&item)?)),
            None => Ok(None),
        }
    }

    /// Up to `most` messages due for an attempt now, oldest first: queued ones whose next
    /// attempt has come, and claims in doubt whose `lease` (seconds) is over.
    pub async fn due(&self, most: usize, lease: i64) -> Result<Vec<OutboxEntry>, TableError> {
        let now = self.clock.unix_seconds();
        let mut out = Vec::new();
        let mut cursor = None;
        loop {
            let page = self
                .table
                .query(Query::index(IndexName::Gsi2, PENDING_PARTITION).after(cursor))
                .await?;
            for item in &page.items {
                let entry = OutboxEntry::from_item(item)?;
                let due = match entry.state {
                    DeliveryState::Queued => entry.next_attempt_at <= now,
                    DeliveryState::Sending => entry.claimed_at.is_none_or(|at| at + lease <= now),
                    _ => false,
                };
                if due {
                    out.push(entry);
                    if out.len() >= most {
                        return Ok(out);
                    }
                }
            }
            cursor = page.cursor;
            if cursor.is_none() {
                return Ok(out);
            }
        }
    }

    /// Claims a due message for sending; `None` if another sender changed it first.
    pub async fn claim(
        &self,
        entry: &OutboxEntry,
        token: &str,
    ) -> Result<Option<Claim>, TableError> {
        let update = Update::default()
            .set("state", "sending")
            .set("claim", token)
            .set("claimed_at", self.clock.unix_seconds());
        match self
            .table
            .update(&entry.key(), update, Condition::Version(entry.version))
            .await
        {
            Ok(item) => Ok(Some(Claim {
                entry: OutboxEntry::from_item(&item)?,
                token: token.to_owned(),
            })),
            Err(e) if e.is_condition_failure() => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn held(claim: &Claim) -> Condition {
        Condition::field_equals("claim", claim.token.as_str())
    }

    /// Records that the receiving server acknowledged the message: it is never sent again.
    /// `false` if the claim was lost (its lease ran out and another sender took it).
    pub async fn mark_sent(&self, claim: &Claim) -> Result<bool, TableError> {
        let update = Update::default()
            .set("state", "sent")
            .set("sent_at", self.clock.unix_seconds())
            .remove("claim")
            .remove("last_error")
            .index(IndexName::Gsi2, None);
        self.settle(claim, update).await
    }

    /// Hands the claim back after a failed attempt, to be tried again at `next_attempt_at`.
    pub async fn retry_later(
        &self,
        claim: &Claim,
        error: &str,
        next_attempt_at: i64,
    ) -> Result<bool, TableError> {
        let update = Update::default()
            .set("state", "queued")
            .set("attempts", claim.entry.attempts + 1)
            .set("next_attempt_at", next_attempt_at)
            .set("last_error", error)
            .remove("claim");
        self.settle(claim, update).await
    }

    /// The addresses mail is stopped to, on this outbox's table.
    pub fn suppressions(&self) -> super::suppression::SuppressionList {
        super::suppression::SuppressionList::new(self.table.clone())
    }

    /// Gives the message up for good (`Failed`, `NoAddress`, `Suppressed`); it is never
    /// tried again.
    pub async fn give_up(
        &self,
        claim: &Claim,
        state: DeliveryState,
        error: &str,
    ) -> Result<bool, TableError> {
        let update = Update::default()
            .set("state", state.as_str())
            .set("attempts", claim.entry.attempts + 1)
            .set("last_error", error)
            .remove("claim")
            .index(IndexName::Gsi2, None);
        self.settle(claim, update).await
    }

    async fn settle(&self, claim: &Claim, update: Update) -> Result<bool, TableError> {
        match self
            .table
            .update(&claim.entry.key(), update, Self::held(claim))
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.is_condition_failure() => Ok(false),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryTable;
    use crate::clock::{IdGenerator, ManualClock, SequentialIds};
    use crate::notify::{Notifier, OutboxNotifier};
    use crate::table::TxOp;
    use futures::executor::block_on;
    use jiff::{SignedDuration, Timestamp};

    fn message(recipient: &str, subject: &str) -> Message {
        Message {
            recipient: recipient.into(),
            kind: "test".into(),
            subject: subject.into(),
            body: "body".into(),
            attachments: Vec::new(),
        }
    }

    fn setup() -> (Arc<ManualClock>, Arc<dyn Table>, OutboxNotifier, Outbox) {
        let clock = Arc::new(ManualClock::new(
            Timestamp::from_second(1_800_000_000).unwrap(),
        ));
        let table: Arc<dyn Table> = Arc::new(MemoryTable::new(clock.clone()));
        let ids: Arc<dyn IdGenerator> = Arc::new(SequentialIds::default());
        let notifier = OutboxNotifier::new(table.clone(), clock.clone(), ids);
        let outbox = Outbox::new(table.clone(), clock.clone());
        (clock, table, notifier, outbox)
    }

    #[test]
    fn messages_are_listed_newest_first_and_per_recipient() {
        block_on(async {
            let (_, table, notifier, outbox) = setup();
            notifier.send(message("a", "first")).await.unwrap();
            notifier.send(message("b", "second")).await.unwrap();
            notifier.send(message("a", "third")).await.unwrap();
            let subjects = |entries: Vec<OutboxEntry>| {
                entries
                    .into_iter()
                    .map(|e| e.message.subject)
                    .collect::<Vec<_>>()
            };
            assert_eq!(
                subjects(outbox.newest(10).await.unwrap()),
                ["third", "second", "first"]
            );
            assert_eq!(subjects(outbox.newest(1).await.unwrap()), ["third"]);
            assert_eq!(
                subjects(outbox.messages_of(&["a".into(), "b".into()]).await.unwrap()),
                ["third", "second", "first"]
            );
            let to_a = OutboxNotifier::messages_to(table.as_ref(), "a")
                .await
                .unwrap();
            assert_eq!(to_a.len(), 2);
        });
    }

    #[test]
    fn a_queued_message_is_committed_with_the_change_it_reports() {
        block_on(async {
            let (_, table, notifier, outbox) = setup();
            let op = notifier
                .queue_op(&message("a", "paid"))
                .unwrap()
                .expect("outbox op");
            let change = TxOp::Put {
                item: ItemWrite::new(Key::new("CHANGE", "1"), Default::default()),
                condition: Condition::NotExists,
            };
            table.transact(vec![change.clone(), op]).await.unwrap();
            assert_eq!(outbox.newest(10).await.unwrap().len(), 1);
            // A change that fails takes its message with it.
            let op = notifier
                .queue_op(&message("a", "never"))
                .unwrap()
                .expect("outbox op");
            assert!(table.transact(vec![change, op]).await.is_err());
            assert_eq!(outbox.newest(10).await.unwrap().len(), 1);
        });
    }

    #[test]
    fn only_one_of_two_senders_claims_a_message_and_a_sent_one_is_never_due_again() {
        block_on(async {
            let (_, _, notifier, outbox) = setup();
            notifier.send(message("a", "once")).await.unwrap();
            let due = outbox.due(10, 300).await.unwrap();
            assert_eq!(due.len(), 1);
            let first = outbox
                .claim(&due[0], "run-1")
                .await
                .unwrap()
                .expect("claimed");
            assert_eq!(outbox.claim(&due[0], "run-2").await.unwrap(), None);
            assert!(
                outbox.due(10, 300).await.unwrap().is_empty(),
                "claimed, lease running"
            );
            assert!(outbox.mark_sent(&first).await.unwrap());
            assert!(outbox.due(10, 300).await.unwrap().is_empty());
            let entry = outbox.newest(1).await.unwrap().remove(0);
            assert_eq!(entry.state, DeliveryState::Sent);
            assert!(entry.sent_at.is_some());
        });
    }

    #[test]
    fn a_failed_attempt_waits_for_its_next_try_and_a_lost_claim_marks_nothing() {
        block_on(async {
            let (clock, _, notifier, outbox) = setup();
            notifier.send(message("a", "retry")).await.unwrap();
            let due = outbox.due(10, 300).await.unwrap();
            let claim = outbox
                .claim(&due[0], "run-1")
                .await
                .unwrap()
                .expect("claimed");
            let later = clock.unix_seconds() + 60;
            assert!(outbox.retry_later(&claim, "421 busy", later).await.unwrap());
            assert!(outbox.due(10, 300).await.unwrap().is_empty());
            clock.advance(SignedDuration::from_secs(60));
            let due = outbox.due(10, 300).await.unwrap();
            assert_eq!((due.len(), due[0].attempts), (1, 1));
            assert_eq!(due[0].last_error.as_deref(), Some("421 busy"));
            // A claim in doubt (its sender died) is due again once its lease is over...
            let stale = outbox
                .claim(&due[0], "run-2")
                .await
                .unwrap()
                .expect("claimed");
            clock.advance(SignedDuration::from_secs(301));
            let due = outbox.due(10, 300).await.unwrap();
            assert_eq!(due.len(), 1);
            let fresh = outbox
                .claim(&due[0], "run-3")
                .await
                .unwrap()
                .expect("claimed");
            // ...and the sender that lost it can no longer mark it.
            assert!(!outbox.mark_sent(&stale).await.unwrap());
            assert!(
                outbox
                    .give_up(&fresh, DeliveryState::Failed, "550 no such user")
                    .await
                    .unwrap()
            );
            assert!(outbox.due(10, 300).await.unwrap().is_empty());
            assert_eq!(
                outbox.newest(1).await.unwrap()[0].state,
                DeliveryState::Failed
            );
        });
    }
}
