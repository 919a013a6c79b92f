//! A person's consent to let a third-party client receive the scopes it asks for; asked
//! once per client and remembered until the client asks for more.

use serde::{Deserialize, Serialize};
use std::sync::Arc;
use uuid::Uuid;
use varoskapu_core::{Condition, ItemWrite, Key, Query, Table, TableError};

#[derive(Debug, Serialize, Deserialize)]
struct Consent {
    scopes: Vec<String>,
}

/// A consent as the account page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GivenConsent {
    pub client_id: String,
    pub scopes: Vec<String>,
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

    fn partition(account: Uuid) -> String {
        format!("CONSENT#{account}")
    }

    fn key(account: Uuid, client_id: &str) -> Key {
        Key::new(Self::partition(account), client_id.to_owned())
    }

    /// Every client the person consented to, with the scopes granted, by client id.
    pub async fn of(&self, account: Uuid) -> Result<Vec<GivenConsent>, TableError> {
        let mut all = Vec::new();
        let mut cursor = None;
        loop {
            let page = self
                .table
                .query(Query::partition(Self::partition(account)).after(cursor))
                .await?;
            for item in &page.items {
                let consent: Consent = item.parse()?;
                all.push(GivenConsent {
                    client_id: item.key.sk.clone(),
                    scopes: consent.scopes,
                });
            }
            cursor = page.cursor;
            if cursor.is_none() {
                return Ok(all);
            }
        }
    }

    /// Forgets the consent; the client has to ask again. `false` if there was none.
    pub async fn withdraw(&self, account: Uuid, client_id: &str) -> Result<bool, TableError> {
        match self
            .table
            .delete(&Self::key(account, client_id), Condition::Exists)
            .await
        {
            Ok(()) => Ok(true),
            Err(e) if e.is_condition_failure() => Ok(false),
            Err(e) => Err(e),
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use varoskapu_core::{Clock, SystemClock};
    use varoskapu_embedded::SqliteTable;

    #[tokio::test]
    async fn a_withdrawn_consent_is_asked_for_again_and_listed_no_more() {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let consents = Consents::new(Arc::new(
            SqliteTable::in_memory(clock).expect("in-memory SQLite"),
        ));
        let anna = Uuid::now_v7();
        let scopes = vec!["openid".to_owned(), "profile".to_owned()];
        consents
            .grant(anna, "meals", &scopes)
            .await
            .expect("grants");
        consents
            .grant(anna, "parking", &scopes[..1])
            .await
            .expect("grants");
        consents
            .grant(Uuid::now_v7(), "meals", &scopes)
            .await
            .expect("grants");
        let listed = consents.of(anna).await.expect("lists");
        assert_eq!(
            listed
                .iter()
                .map(|c| c.client_id.as_str())
                .collect::<Vec<_>>(),
            ["meals", "parking"]
        );
        assert!(consents.withdraw(anna, "meals").await.expect("withdraws"));
        assert!(
            !consents
                .withdraw(anna, "meals")
                .await
                .expect("already gone")
        );
        assert!(
            !consents
                .covers(anna, "meals", &scopes)
                .await
                .expect("reads")
        );
        assert_eq!(consents.of(anna).await.expect("lists").len(), 1);
    }
}
