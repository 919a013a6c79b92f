//! The people the case functions name (applicants, clerks, signatories), read from the
//! account records in the table: the `PersonDirectory` of both the Lambda functions and
//! the local server.

use async_trait::async_trait;
use std::sync::Arc;
use uuid::Uuid;
use varoskapu_accounts::Account;
use varoskapu_core::Table;
use varoskapu_core::people::{PeopleError, Person, PersonDirectory};

/// Accounts as the directory of people.
#[derive(Clone)]
pub struct AccountDirectory {
    table: Arc<dyn Table>,
}

impl AccountDirectory {
    pub fn new(table: Arc<dyn Table>) -> Self {
        Self { table }
    }
}

#[async_trait]
impl PersonDirectory for AccountDirectory {
    async fn person(&self, account: &str) -> Result<Option<Person>, PeopleError> {
        let Ok(id) = Uuid::parse_str(account) else {
            return Ok(None);
        };
        let item = self
            .table
            .get(&Account::key(id))
            .await
            .map_err(|e| PeopleError(e.to_string()))?;
        let Some(item) = item else {
            return Ok(None);
        };
        let account: Account = item.parse().map_err(|e| PeopleError(e.to_string()))?;
        Ok(Some(Person {
            account: account.id.to_string(),
            name: account.name,
            family_name: account.family_name,
            given_name: account.given_name,
            email: Some(account.email),
            organisation: None,
        }))
    }
}
