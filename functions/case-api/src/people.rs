//! The people the case functions name (applicants, clerks, signatories), read from the
//! account records in the table: the `PersonDirectory` of both the Lambda functions and
//! the local server.

use async_trait::async_trait;
use serde::Deserialize;
use std::sync::Arc;
use uuid::Uuid;
use varoskapu_accounts::account::{email_key, normalize_email};
use varoskapu_accounts::{Account, Role};
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

    /// The clerk who signs in with `email`, for giving her a case by the address colleagues
    /// know her by; `None` when nobody, or nobody with the clerk's role, has that address.
    pub async fn clerk_by_email(&self, email: &str) -> Result<Option<Person>, PeopleError> {
        let Some(email) = normalize_email(email) else {
            return Ok(None);
        };
        let owner = self
            .table
            .get(&email_key(&email))
            .await
            .map_err(|e| PeopleError(e.to_string()))?;
        let Some(owner) = owner else {
            return Ok(None);
        };
        let owner: EmailOwner = owner.parse().map_err(|e| PeopleError(e.to_string()))?;
        let Some(named) = self.named(owner.account_id).await? else {
            return Ok(None);
        };
        if !named.roles.contains(&Role::Clerk) {
            return Ok(None);
        }
        Ok(Some(named.person(owner.account_id)))
    }

    async fn named(&self, id: Uuid) -> Result<Option<NamedAccount>, PeopleError> {
        let item = self
            .table
            .get(&Account::key(id))
            .await
            .map_err(|e| PeopleError(e.to_string()))?;
        match item {
            // Only the fields that name and reach the person are read (never the credentials).
            Some(item) => Ok(Some(item.parse().map_err(|e| PeopleError(e.to_string()))?)),
            None => Ok(None),
        }
    }
}

#[async_trait]
impl PersonDirectory for AccountDirectory {
    async fn person(&self, account: &str) -> Result<Option<Person>, PeopleError> {
        let Ok(id) = Uuid::parse_str(account) else {
            return Ok(None);
        };
        Ok(self.named(id).await?.map(|named| named.person(id)))
    }
}

/// The item that makes an e-mail address one account's.
#[derive(Deserialize)]
struct EmailOwner {
    account_id: Uuid,
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
    #[serde(default)]
    roles: Vec<Role>,
}

impl NamedAccount {
    fn person(self, id: Uuid) -> Person {
        Person {
            account: id.to_string(),
            name: self.name,
            family_name: self.family_name,
            given_name: self.given_name,
            email: Some(self.email),
            organisation: None,
        }
    }
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
        assert_eq!(people.clerk_by_email("anna@example.hu").await, Ok(None));
        let clerk = accounts
            .create(NewAccount {
                email: "Bea@Example.hu".into(),
                name: "Nagy Bea".into(),
                password: "correct horse battery staple".into(),
                roles: vec![Role::Clerk],
            })
            .await
            .expect("account");
        let found = people
            .clerk_by_email(" BEA@example.hu ")
            .await
            .expect("lookup")
            .expect("a clerk");
        assert_eq!(found.account, clerk.id.to_string());
        assert_eq!(people.clerk_by_email("nobody@example.hu").await, Ok(None));
        let nobody = people.person(&Uuid::now_v7().to_string()).await;
        assert_eq!(nobody, Ok(None));
        assert_eq!(people.person("not-an-id").await, Ok(None));
    }
}
