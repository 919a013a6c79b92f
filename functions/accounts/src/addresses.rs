//! Where notices reach a person: the accounts store as the `AddressBook` of the sending
//! adapters (SES in AWS).
//!
//! Messages name their recipient by account id (the token subject); only a message to an
//! address no account holds names the address itself. Both are answered here, both ways:
//! the address of a recipient, and the recipients whose messages reach an address.

use crate::account::{Account, email_key, normalize_email};
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

    async fn recipients_of(&self, address: &str) -> Result<Vec<String>, NotifyError> {
        let Some(address) = normalize_email(address) else {
            return Ok(vec![address.to_owned()]);
        };
        let mut recipients = vec![address.clone()];
        if let Some(item) = self.table.get(&email_key(&address)).await? {
            let owner: Owner = item.parse()?;
            recipients.push(owner.account_id.to_string());
        }
        Ok(recipients)
    }
}

/// The account an address belongs to (the uniqueness item sign-up writes).
#[derive(serde::Deserialize)]
struct Owner {
    account_id: Uuid,
}

/// The messages that reach `address`, oldest first, for the tests of the mails.
#[cfg(test)]
pub(crate) async fn mail_to(
    table: &Arc<dyn Table>,
    address: &str,
) -> Result<Vec<varoskapu_core::notify::Message>, NotifyError> {
    varoskapu_core::notify::OutboxNotifier::messages_to_address(
        table.as_ref(),
        &AccountAddresses::new(table.clone()),
        address,
    )
    .await
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
        assert_eq!(
            book.recipients_of("ANNA@example.hu").await.unwrap(),
            ["anna@example.hu".to_owned(), anna.id.to_string()]
        );
        assert_eq!(
            book.recipients_of("bela@example.hu").await.unwrap(),
            ["bela@example.hu"]
        );
    }
}
