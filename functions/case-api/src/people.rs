//! The people the case functions name (applicants, clerks, signatories), read from the
//! account records in the table: the `PersonDirectory` of both the Lambda functions and
//! the local server.

use async_trait::async_trait;
use serde::Deserialize;
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
        // Only the fields that name and reach the person are read (never the credentials).
        let named: NamedAccount = item.parse().map_err(|e| PeopleError(e.to_string()))?;
        Ok(Some(Person {
            account: id.to_string(),
            name: named.name,
            family_name: named.family_name,
            given_name: named.given_name,
            email: Some(named.email),
            organisation: None,
        }))
    }
}

/// The part of an account record that names the person.
#[derive(Deserialize)]
struct NamedAccount {
    email: String,
    name: String,
    #[serde(default)]
    given_name: Option<String>,
    #[serde(default)]
    family_name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use varoskapu_accounts::{Accounts, NewAccount, Role};
    use varoskapu_core::SystemClock;
    use varoskapu_embedded::SqliteTable;

    #[tokio::test]
    async fn an_account_is_named_family_name_first_and_an_unknown_one_is_nobody() {
        let clock = Arc::new(SystemClock);
        let table: Arc<dyn Table> = Arc::new(SqliteTable::in_memory(clock.clone()).expect("table"));
        let accounts = Accounts::with_outbox(table.clone(), clock, "http://x");
        let anna = accounts
            .create(NewAccount {
                email: "Anna@Example.hu".into(),
                name: "Kiss Anna Mária".into(),
                password: "correct horse battery staple".into(),
                roles: vec![Role::Citizen],
            })
            .await
            .expect("account");
        let people = AccountDirectory::new(table);
        let person = people
            .person(&anna.id.to_string())
            .await
            .expect("lookup")
            .expect("known");
        assert_eq!(person.formal_name(), "Kiss Anna Mária");
        assert_eq!(person.given_name.as_deref(), Some("Anna Mária"));
        assert_eq!(person.email.as_deref(), Some("anna@example.hu"));
        let nobody = people.person(&Uuid::now_v7().to_string()).await;
        assert_eq!(nobody, Ok(None));
        assert_eq!(people.person("not-an-id").await, Ok(None));
    }
}
