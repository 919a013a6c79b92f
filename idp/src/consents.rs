//! A person's consent to let a third-party client receive the scopes it asks for; asked
//! once per client and remembered until the client asks for more.

use serde::{Deserialize, Serialize};
use std::sync::Arc;
use uuid::Uuid;
use varoskapu_core::{Condition, ItemWrite, Key, Table, TableError};

#[derive(Debug, Serialize, Deserialize)]
struct Consent {
    scopes: Vec<String>,
}

/// Consents on the table.
#[derive(Clone)]
pub struct Consents {
    table: Arc<dyn Table>,
}

impl Consents {
    pub fn new(table: Arc<dyn Table>) -> Self {
        Self { table }
    }

    fn key(account: Uuid, client_id: &str) -> Key {
        Key::new(format!("CONSENT#{account}"), client_id.to_owned())
    }

    /// Whether the person already consented to every one of these scopes for the client.
    pub async fn covers(
        &self,
        account: Uuid,
        client_id: &str,
        scopes: &[String],
    ) -> Result<bool, TableError> {
        let Some(item) = self.table.get(&Self::key(account, client_id)).await? else {
            return Ok(false);
        };
        let consent: Consent = item.parse()?;
        Ok(scopes.iter().all(|s| consent.scopes.contains(s)))
    }

    /// Records consent to these scopes (in addition to earlier ones).
    pub async fn grant(
        &self,
        account: Uuid,
        client_id: &str,
        scopes: &[String],
    ) -> Result<(), TableError> {
        let key = Self::key(account, client_id);
        let mut all: Vec<String> = match self.table.get(&key).await? {
            Some(item) => item.parse::<Consent>()?.scopes,
            None => Vec::new(),
        };
        for scope in scopes {
            if !all.contains(scope) {
                all.push(scope.clone());
            }
        }
        let item = ItemWrite::from_serde(key, &Consent { scopes: all })?;
        self.table.put(item, Condition::None).await?;
        Ok(())
    }
}
