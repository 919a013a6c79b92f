//! Addresses nothing may be sent to: hard bounces and complaints. Every sender asks here
//! before it hands a message to the mail service, so one bounce stops all mail to the
//! address, whichever record or account holds it.

use crate::{Condition, ItemWrite, Key, Table, TableError};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Why an address is suppressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuppressionReason {
    HardBounce,
    Complaint,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    pub address: String,
    pub reason: SuppressionReason,
    pub at: Timestamp,
}

#[derive(Clone)]
pub struct SuppressionList {
    table: Arc<dyn Table>,
}

impl SuppressionList {
    pub fn new(table: Arc<dyn Table>) -> Self {
        Self { table }
    }

    fn key(address: &str) -> Key {
        Key::new(
            format!("mail-suppressed#{}", address.trim().to_lowercase()),
            "suppressed",
        )
    }

    /// Stops mail to `address` (kept until an operator lifts it).
    pub async fn suppress(
        &self,
        address: &str,
        reason: SuppressionReason,
        at: Timestamp,
    ) -> Result<(), TableError> {
        let entry = Suppression {
            address: address.trim().to_lowercase(),
            reason,
            at,
        };
        self.table
            .put(
                ItemWrite::from_serde(Self::key(address), &entry)?,
                Condition::None,
            )
            .await?;
        Ok(())
    }

    /// Why mail to `address` is stopped, if it is.
    pub async fn get(&self, address: &str) -> Result<Option<Suppression>, TableError> {
        match self.table.get(&Self::key(address)).await? {
            Some(item) => Ok(Some(item.parse()?)),
            None => Ok(None),
        }
    }

    /// Lets mail go to `address` again (an operator's decision, e.g. a mailbox restored).
    pub async fn lift(&self, address: &str) -> Result<(), TableError> {
        self.table
            .delete(&Self::key(address), Condition::None)
            .await
    }
}
