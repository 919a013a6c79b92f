//! What a signed-in person changes on the account page: the name, the password (the current
//! one required) and the e-mail address (confirmed from the new mailbox, the old one told).
//! Every change of a credential or address is mailed to the person.

use super::{AccountError, Accounts, EmailOwner};
use crate::account::{Account, AccountId, email_key, normalize_email, split_name};
use crate::password::Passwords;
use crate::tokens::{new_token, token_hash};
use serde::{Deserialize, Serialize};
use varoskapu_core::notify::Message;
use varoskapu_core::{Condition, ItemWrite, Key, TxOp, Update};

/// How long the confirmation link of a new e-mail address opens.
const EMAIL_CHANGE_TTL: i64 = 24 * 3600;

/// A pending change of address: whose, and to what.
#[derive(Debug, Serialize, Deserialize)]
struct EmailChange {
    account_id: AccountId,
    new_email: String,
}

fn email_change_key(token: &str) -> Key {
    Key::new(format!("EMAILCHANGE#{}", token_hash(token)), "EMAILCHANGE")
}

impl Accounts {
    async fn account(&self, id: AccountId) -> Result<Account, AccountError> {
        self.get(id).await?.ok_or(AccountError::NotFound)
    }

    /// A message to whoever `email` reaches: the account that holds it, by id (as every
    /// notice is addressed to the person), or the address itself while no account holds it
    /// (a new address being confirmed, the old one after a change).
    pub(super) async fn tell(
        &self,
        email: &str,
        kind: &str,
        subject: &str,
        body: &str,
    ) -> Result<(), AccountError> {
        let recipient = match self.find_by_email(email).await? {
            Some(holder) => holder.id.to_string(),
            None => email.to_owned(),
        };
        self.notifier
            .send(Message {
                recipient,
                kind: kind.into(),
                subject: subject.into(),
                body: body.into(),
                attachments: Vec::new(),
            })
            .await?;
        Ok(())
    }

    /// Changes the name shown to the municipality and the apps (family name first).
    pub async fn change_name(&self, id: AccountId, name: &str) -> Result<(), AccountError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(AccountError::InvalidName);
        }
        let (given, family) = split_name(name);
        let json = |v: Option<String>| serde_json::to_value(v).unwrap_or_default();
        let update = Update::default()
            .set("name", name)
            .set("given_name", json(given))
            .set("family_name", json(family));
        match self
            .table
            .update(&Account::key(id), update, Condition::Exists)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.is_condition_failure() => Err(AccountError::NotFound),
            Err(e) => Err(e.into()),
        }
    }

    /// Sets the case types of a staff member's post (empty: every case type). The ids are
    /// trimmed, and blank or repeated ones dropped; checking that each names a case type of
    /// the catalogue is the caller's, who knows the catalogue.
    pub async fn set_case_types(
        &self,
        id: AccountId,
        case_types: &[String],
    ) -> Result<(), AccountError> {
        let mut post: Vec<String> = Vec::new();
        for t in case_types
            .iter()
            .map(|t| t.trim())
            .filter(|t| !t.is_empty())
        {
            if !post.iter().any(|p| p == t) {
                post.push(t.to_owned());
            }
        }
        let update = Update::default().set(
            "case_types",
            serde_json::to_value(&post).unwrap_or_default(),
        );
        match self
            .table
            .update(&Account::key(id), update, Condition::Exists)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.is_condition_failure() => Err(AccountError::NotFound),
            Err(e) => Err(e.into()),
        }
    }

    /// Sets a new password after checking the current one (throttled like a sign-in). Every
    /// session and grant from before the change stops counting, this browser's too, and the
    /// person is told by mail.
    pub async fn change_password(
        &self,
        id: AccountId,
        current: &str,
        new_password: &str,
        client_address: Option<&str>,
    ) -> Result<(), AccountError> {
        let account = self.account(id).await?;
        self.authenticate(&account.email, current, client_address)
            .await?;
        if !Passwords::acceptable(new_password) {
            return Err(AccountError::WeakPassword);
        }
        let hash = self.hash(new_password).await?;
        let update = Update::default()
            .set("password_hash", hash)
            .set("credentials_changed_at", self.clock.unix_seconds());
        self.table
            .update(&Account::key(id), update, Condition::Exists)
            .await?;
        self.tell(
            &account.email,
            "password_changed",
            "Jelszava megváltozott / Your password was changed",
            "Városkapu-fiókja jelszavát megváltoztatták, és minden korábbi bejelentkezés véget ért. \
             Ha nem Ön volt, kérjen új jelszót a bejelentkezési oldalon.\n\
             The password of your Városkapu account was changed and every earlier sign-in has \
             ended. If this was not you, reset your password from the sign-in page.",
        )
        .await
    }

    /// Asks to move the account to a new address: the new address gets a confirmation link,
    /// the old one is told. The answer is the same when the new address belongs to another
    /// account (whose owner is told instead), so it reveals nobody's address.
    pub async fn request_email_change(
        &self,
        id: AccountId,
        new_email: &str,
        client_address: Option<&str>,
    ) -> Result<(), AccountError> {
        let new_email = normalize_email(new_email).ok_or(AccountError::InvalidEmail)?;
        let account = self.account(id).await?;
        if new_email == account.email {
            return Ok(());
        }
        if !self.may_mail(&new_email, client_address).await? {
            return Ok(());
        }
        if self.table.get(&email_key(&new_email)).await?.is_some() {
            return self
                .tell(
                    &new_email,
                    "email_change_refused",
                    "Címváltoztatási kísérlet / Address change attempt",
                    "Valaki egy másik Városkapu-fiókot erre a címre próbált áttenni. Ez a cím \
                     már az Ön fiókjáé, így semmi sem változott.\n\
                     Someone tried to move another Városkapu account to this address. It already \
                     belongs to your account, so nothing has changed.",
                )
                .await;
        }
        let token = new_token();
        let item = ItemWrite::from_serde(
            email_change_key(&token),
            &EmailChange {
                account_id: id,
                new_email: new_email.clone(),
            },
        )?
        .expires_at(self.clock.unix_seconds() + EMAIL_CHANGE_TTL);
        self.table.put(item, Condition::NotExists).await?;
        let link = format!(
            "{}/account/email/confirm?token={token}",
            self.config.public_base_url.trim_end_matches('/')
        );
        self.tell(
            &new_email,
            "email_change_confirm",
            "Új e-mail-cím megerősítése / Confirm your new e-mail address",
            &format!(
                "Erősítse meg, hogy Városkapu-fiókja ezt a címet használja: {link}\n\
                 Confirm that your Városkapu account uses this address: {link}"
            ),
        )
        .await?;
        self.tell(
            &account.email,
            "email_change_requested",
            "Címváltoztatás / Address change",
            &format!(
                "Fiókja e-mail-címét erre kérték megváltoztatni: {new_email}. A változás az új \
                 címre küldött link megnyitásával lép életbe. Ha nem Ön kérte, változtassa meg \
                 jelszavát.\nYou asked to change your account's address to {new_email}. It \
                 changes once the link sent there is opened. If this was not you, change your \
                 password."
            ),
        )
        .await
    }

    /// Moves the account to the address the token was mailed to: the old address's
    /// uniqueness item goes, the new one's is taken (refused if taken meanwhile), all in one
    /// transaction with spending the token. Both addresses are told.
    pub async fn confirm_email_change(&self, token: &str) -> Result<AccountId, AccountError> {
        let key = email_change_key(token);
        let Some(item) = self.table.get(&key).await? else {
            return Err(AccountError::InvalidToken);
        };
        let change: EmailChange = item.parse()?;
        let account = self.account(change.account_id).await?;
        let ops = vec![
            TxOp::Delete {
                key,
                condition: Condition::Version(item.version),
            },
            TxOp::Delete {
                key: email_key(&account.email),
                condition: Condition::Exists,
            },
            TxOp::Put {
                item: ItemWrite::from_serde(
                    email_key(&change.new_email),
                    &EmailOwner {
                        account_id: account.id,
                    },
                )?,
                condition: Condition::NotExists,
            },
            TxOp::Update {
                key: Account::key(account.id),
                update: Update::default()
                    .set("email", change.new_email.clone())
                    .set("email_verified", true),
                condition: Condition::field_equals("email", account.email.clone()),
            },
        ];
        match self.table.transact(ops).await {
            Err(e) if e.is_condition_failure() => return Err(AccountError::InvalidToken),
            other => other?,
        }
        let body = format!(
            "Városkapu-fiókja mostantól ezt a címet használja: {new}.\n\
             Your Városkapu account now uses this address: {new}.",
            new = change.new_email
        );
        let subject = "E-mail-cím megváltozott / Address changed";
        self.tell(&account.email, "email_changed", subject, &body)
            .await?;
        self.tell(&change.new_email, "email_changed", subject, &body)
            .await?;
        Ok(account.id)
    }
}

#[cfg(test)]
mod tests {
    use crate::account::{NewAccount, Role};
    use crate::service::{AccountError, accounts};
    use crate::tokens::token_in;

    async fn person(accounts: &crate::Accounts, email: &str) -> crate::Account {
        accounts
            .create(NewAccount {
                email: email.into(),
                password: "a long password".into(),
                name: "Kovács Anna".into(),
                roles: vec![Role::Citizen],
            })
            .await
            .expect("creates")
    }

    #[tokio::test]
    async fn a_new_address_counts_only_once_confirmed_from_its_mailbox() {
        let (accounts, table) = accounts();
        let anna = person(&accounts, "anna@example.hu").await;
        accounts
            .request_email_change(anna.id, "anna@uj.hu", None)
            .await
            .expect("asks");
        let old = crate::addresses::mail_to(&table, "anna@example.hu")
            .await
            .expect("reads");
        assert!(old.iter().any(|m| m.kind == "email_change_requested"));
        assert!(
            accounts
                .find_by_email("anna@uj.hu")
                .await
                .expect("reads")
                .is_none()
        );
        let mail = crate::addresses::mail_to(&table, "anna@uj.hu")
            .await
            .expect("reads");
        let token = token_in(&mail[0].body).expect("link");
        accounts.confirm_email_change(&token).await.expect("moves");
        let moved = accounts.get(anna.id).await.expect("reads").expect("there");
        assert_eq!(moved.email, "anna@uj.hu");
        assert!(
            accounts
                .find_by_email("anna@example.hu")
                .await
                .expect("reads")
                .is_none()
        );
        assert_eq!(
            accounts.confirm_email_change(&token).await,
            Err(AccountError::InvalidToken)
        );
        // The old address is free for someone else now.
        person(&accounts, "anna@example.hu").await;
    }

    #[tokio::test]
    async fn an_address_of_another_account_is_never_taken_and_its_owner_is_told() {
        let (accounts, table) = accounts();
        let anna = person(&accounts, "anna@example.hu").await;
        person(&accounts, "bela@example.hu").await;
        accounts
            .request_email_change(anna.id, "bela@example.hu", None)
            .await
            .expect("same answer");
        let mail = crate::addresses::mail_to(&table, "bela@example.hu")
            .await
            .expect("reads");
        assert_eq!(mail.len(), 1);
        assert_eq!(mail[0].kind, "email_change_refused");
        assert!(token_in(&mail[0].body).is_none());
    }

    #[tokio::test]
    async fn a_password_change_needs_the_current_password_and_is_mailed() {
        let (accounts, table) = accounts();
        let anna = person(&accounts, "anna@example.hu").await;
        assert_eq!(
            accounts
                .change_password(anna.id, "wrong password", "a brand new password", None)
                .await,
            Err(AccountError::InvalidCredentials)
        );
        assert_eq!(
            accounts
                .change_password(anna.id, "a long password", "password123", None)
                .await,
            Err(AccountError::WeakPassword)
        );
        accounts
            .change_password(anna.id, "a long password", "a brand new password", None)
            .await
            .expect("changes");
        accounts
            .authenticate("anna@example.hu", "a brand new password", None)
            .await
            .expect("signs in");
        let mail = crate::addresses::mail_to(&table, "anna@example.hu")
            .await
            .expect("reads");
        assert!(mail.iter().any(|m| m.kind == "password_changed"));
    }

    #[tokio::test]
    async fn a_name_change_splits_family_and_given_names() {
        let (accounts, _) = accounts();
        let anna = person(&accounts, "anna@example.hu").await;
        assert_eq!(
            accounts.change_name(anna.id, "   ").await,
            Err(AccountError::InvalidName)
        );
        accounts
            .change_name(anna.id, "Szabó Anna Mária")
            .await
            .expect("changes");
        let renamed = accounts.get(anna.id).await.expect("reads").expect("there");
        assert_eq!(renamed.family_name.as_deref(), Some("Szabó"));
        assert_eq!(renamed.given_name.as_deref(), Some("Anna Mária"));
    }
}
