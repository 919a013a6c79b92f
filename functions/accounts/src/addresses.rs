//! Where notices reach a person: the accounts store as the `AddressBook` of the sending
//! adapters (SES in AWS).
//!
//! Messages name their recipient by account id (the token subject), except the ones sent
//! before an account is verified or while it is being recovered, which name the address
//! itself; both are answered here.

use crate::account::{Account, normalize_email};
use async_trait::async_trait;
use std::sync::Arc;
use uuid::Uuid;
use varoskapu_core::Table;
use varoskapu_core::notify::{AddressBook, NotifyError};

/// The accounts' e-mail addresses, read from the table at the moment a notice is sent.
#[derive(Clone)]
pub struct AccountAddresses {
    table: Arc<dyn Table>,
}

impl AccountAddresses {
    pub fn new(table: Arc<dyn Table>) -> Self {
        Self { table }
    }
}

#[async_trait]
impl AddressBook for AccountAddresses {
    async fn email_of(&self, recipient: &str) -> Result<Option<String>, NotifyError> {
        if recipient.contains('@') {
            return Ok(normalize_email(recipient));
        }
        let Ok(id) = Uuid::parse_str(recipient) else {
            return Ok(None);
        };
        let Some(item) = self.table.get(&Account::key(id)).await? else {
            return Ok(None);
        };
        let account: Account = item.parse()?;
        Ok(Some(account.email))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Accounts, NewAccount, Role};
    use varoskapu_core::SystemClock;
    use varoskapu_embedded::SqliteTable;

    #[tokio::test]
    async fn an_account_id_is_looked_up_and_an_address_is_its_own_answer() {
        let clock = Arc::new(SystemClock);
        let table: Arc<dyn Table> = Arc::new(SqliteTable::in_memory(clock.clone()).unwrap());
        let accounts = Accounts::with_outbox(table.clone(), clock, "http://x");
        let anna = accounts
            .create(NewAccount {
                email: "Anna@Example.hu".into(),
                name: "Kiss Anna".into(),
                password: "correct horse battery staple".into(),
                roles: vec![Role::Citizen],
            })
            .await
            .unwrap();
        let book = AccountAddresses::new(table);

        let found = book.email_of(&anna.id.to_string()).await.unwrap();
        assert_eq!(found.as_deref(), Some("anna@example.hu"));
        let direct = book.email_of(" Bela@Example.hu ").await.unwrap();
        assert_eq!(direct.as_deref(), Some("bela@example.hu"));
        let gone = book.email_of(&Uuid::now_v7().to_string()).await.unwrap();
        assert_eq!(gone, None);
        assert_eq!(book.email_of("not-an-account").await.unwrap(), None);
    }
}
