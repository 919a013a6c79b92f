//! Registration: accounts created by operators, for federated identities, and by citizens
//! signing up, and the e-mail verification that makes a signed-up account usable.

use super::{AccountError, Accounts, EmailOwner};
use crate::account::{
    Account, AccountId, NewAccount, Role, email_key, normalize_email, split_name,
};
use crate::password::Passwords;
use varoskapu_core::notify::Message;
use varoskapu_core::{Condition, ItemWrite, TableError, TxOp, Update};

const VERIFY_TTL: i64 = 24 * 3600;

impl Accounts {
    /// Creates an account outright (operators, the demo seed), its address already verified.
    pub async fn create(&self, new: NewAccount) -> Result<Account, AccountError> {
        let email = normalize_email(&new.email).ok_or(AccountError::InvalidEmail)?;
        if !Passwords::acceptable(&new.password) {
            return Err(AccountError::WeakPassword);
        }
        let account = self
            .build(email, &new.name, new.roles, &new.password, true)
            .await?;
        self.insert(&account).await?;
        Ok(account)
    }

    /// Creates a citizen account for an identity proven elsewhere (federated login): it has no
    /// usable password, and is written in one transaction with `link`, the item that ties the
    /// upstream identity to it (which must not exist yet).
    pub async fn create_linked(
        &self,
        email: &str,
        name: &str,
        email_verified: bool,
        link: impl FnOnce(AccountId) -> Result<ItemWrite, TableError>,
    ) -> Result<Account, AccountError> {
        let email = normalize_email(email).ok_or(AccountError::InvalidEmail)?;
        let name = name.trim();
        if name.is_empty() {
            return Err(AccountError::InvalidName);
        }
        let (given_name, family_name) = split_name(name);
        let account = Account {
            id: self.ids.new_id(),
            email,
            email_verified,
            name: name.to_owned(),
            given_name,
            family_name,
            roles: vec![Role::Citizen],
            // Not a PHC string, so no password ever matches it.
            password_hash: "!federated".into(),
            created_at: self.clock.now(),
            totp_secret: None,
            totp_last_step: None,
            credentials_changed_at: None,
            recovery_codes: Vec::new(),
            case_types: Vec::new(),
        };
        let link = TxOp::Put {
            item: link(account.id)?,
            condition: Condition::NotExists,
        };
        self.insert_with(&account, vec![link]).await?;
        Ok(account)
    }

    /// Signs a citizen up. The answer is the same whether or not the address is taken: the
    /// address's owner is told by e-mail instead, and if the account there was never
    /// verified (someone may have registered her address first), she gets a new
    /// verification link: whoever verifies sets the password then.
    #[tracing::instrument(skip_all)]
    pub async fn register(
        &self,
        email: &str,
        password: &str,
        name: &str,
        client_address: Option<&str>,
    ) -> Result<(), AccountError> {
        let email = normalize_email(email).ok_or(AccountError::InvalidEmail)?;
        if !Passwords::acceptable(password) {
            return Err(AccountError::WeakPassword);
        }
        // Hash before looking the address up, so both answers take as long.
        let account = self
            .build(email.clone(), name, vec![Role::Citizen], password, false)
            .await?;
        if !self.may_mail(&email, client_address).await? {
            return Ok(());
        }
        match self.insert(&account).await {
            Ok(()) => self.send_verification(&account).await,
            Err(AccountError::EmailTaken) => match self.find_by_email(&email).await? {
                Some(owner) if !owner.email_verified => self.send_verification(&owner).await,
                owner => {
                    self.notifier
                        .send(Message {
                            // The person, by account; only an address whose account was
                            // removed meanwhile is written to as the address itself.
                            recipient: owner.map_or(email, |o| o.id.to_string()),
                            kind: "already_registered".into(),
                            subject: "Regisztrációs kísérlet / Registration attempt".into(),
                            body: "Valaki ezzel a címmel próbált regisztrálni. Ha Ön volt, \
                                   jelentkezzen be, vagy kérjen új jelszót.\n\
                                   Someone tried to register with this address. If it was you, \
                                   sign in or reset your password."
                                .into(),
                            attachments: Vec::new(),
                        })
                        .await?;
                    Ok(())
                }
            },
            Err(e) => Err(e),
        }
    }

    /// Confirms an e-mail address with the token sent to it, and sets the password then:
    /// only the mailbox's owner holds the token, so whatever password was given at
    /// registration (perhaps by someone else) is void, and so is any second factor.
    pub async fn verify_email(
        &self,
        token: &str,
        password: &str,
    ) -> Result<AccountId, AccountError> {
        if !Passwords::acceptable(password) {
            return Err(AccountError::WeakPassword);
        }
        let hash = self.hash(password).await?;
        let update = Update::default()
            .set("email_verified", true)
            .set("password_hash", hash)
            .remove("totp_secret")
            .remove("totp_last_step")
            .set("recovery_codes", serde_json::json!([]));
        self.redeem("VERIFY", token, update).await
    }

    /// Hands an account never verified to the person an upstream eID provider vouches for
    /// at its address: verified, with no password (none its owner set) and no second
    /// factor. A verified account is left as it is.
    pub async fn claim_unverified(&self, id: AccountId) -> Result<(), AccountError> {
        let update = Update::default()
            .set("email_verified", true)
            .set("password_hash", "!federated")
            .remove("totp_secret")
            .remove("totp_last_step")
            .set("recovery_codes", serde_json::json!([]));
        match self
            .table
            .update(
                &Account::key(id),
                update,
                Condition::field_equals("email_verified", false),
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.is_condition_failure() => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    async fn build(
        &self,
        email: String,
        name: &str,
        roles: Vec<Role>,
        password: &str,
        email_verified: bool,
    ) -> Result<Account, AccountError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(AccountError::InvalidName);
        }
        let (given_name, family_name) = split_name(name);
        Ok(Account {
            id: self.ids.new_id(),
            email,
            email_verified,
            name: name.to_owned(),
            given_name,
            family_name,
            roles,
            password_hash: self.hash(password).await?,
            created_at: self.clock.now(),
            totp_secret: None,
            totp_last_step: None,
            credentials_changed_at: None,
            recovery_codes: Vec::new(),
            case_types: Vec::new(),
        })
    }

    async fn insert(&self, account: &Account) -> Result<(), AccountError> {
        self.insert_with(account, Vec::new()).await
    }

    /// Inserts an account with its e-mail uniqueness item and further items, all or none.
    async fn insert_with(&self, account: &Account, more: Vec<TxOp>) -> Result<(), AccountError> {
        let mut ops = vec![
            TxOp::Put {
                item: ItemWrite::from_serde(Account::key(account.id), account)?,
                condition: Condition::NotExists,
            },
            TxOp::Put {
                item: ItemWrite::from_serde(
                    email_key(&account.email),
                    &EmailOwner {
                        account_id: account.id,
                    },
                )?,
                condition: Condition::NotExists,
            },
        ];
        ops.extend(more);
        match self.table.transact(ops).await {
            Err(e) if e.is_condition_failure() => Err(AccountError::EmailTaken),
            other => Ok(other?),
        }
    }

    async fn send_verification(&self, account: &Account) -> Result<(), AccountError> {
        let token = self.one_time("VERIFY", account.id, VERIFY_TTL).await?;
        let link = format!(
            "{}/register/verify?token={token}",
            self.config.public_base_url.trim_end_matches('/')
        );
        self.notifier
            .send(Message {
                // The account exists (unverified) from sign-up on, so the link goes to
                // the person like every other notice; the address book finds the address.
                recipient: account.id.to_string(),
                kind: "verify_email".into(),
                subject: "E-mail-cím megerősítése / Confirm your e-mail address".into(),
                body: format!(
                    "Kérjük, erősítse meg e-mail-címét: {link}\nPlease confirm your address: {link}"
                ),
                attachments: Vec::new(),
            })
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::account::{NewAccount, Role};
    use crate::addresses::mail_to;
    use crate::service::{AccountError, accounts};
    use crate::tokens::token_in;

    #[tokio::test]
    async fn registration_needs_verification_before_sign_in() {
        let (accounts, table) = accounts();
        accounts
            .register("Anna@Example.hu", "a long password", "Kovács Anna", None)
            .await
            .expect("registers");
        assert_eq!(
            accounts
                .authenticate("anna@example.hu", "a long password", None)
                .await,
            Err(AccountError::EmailNotVerified)
        );
        let mail = mail_to(&table, "anna@example.hu").await.expect("reads");
        assert_eq!(mail.len(), 1);
        let token = token_in(&mail[0].body).expect("carries a token");
        accounts
            .verify_email(&token, "the password set on verifying")
            .await
            .expect("verifies");
        assert_eq!(
            accounts.verify_email(&token, "another long password").await,
            Err(AccountError::InvalidToken)
        );
        let account = accounts
            .authenticate("anna@example.hu", "the password set on verifying", None)
            .await
            .expect("signs in");
        assert_eq!(account.given_name.as_deref(), Some("Anna"));
    }

    #[tokio::test]
    async fn registering_a_taken_address_answers_the_same_and_tells_the_owner() {
        let (accounts, table) = accounts();
        accounts
            .create(NewAccount {
                email: "anna@example.hu".into(),
                password: "a long password".into(),
                name: "Anna".into(),
                roles: vec![Role::Citizen],
            })
            .await
            .expect("verified owner");
        accounts
            .register("anna@example.hu", "other password!", "Mallory", None)
            .await
            .expect("same answer");
        let mail = mail_to(&table, "anna@example.hu").await.expect("reads");
        assert_eq!(
            mail.iter().map(|m| m.kind.as_str()).collect::<Vec<_>>(),
            ["already_registered"]
        );
    }

    #[tokio::test]
    async fn a_squatter_who_registered_the_owners_address_first_gains_nothing() {
        let (accounts, table) = accounts();
        accounts
            .register("anna@example.hu", "squatters password", "Mallory", None)
            .await
            .expect("squatter");
        accounts
            .register("anna@example.hu", "annas own password", "Kovács Anna", None)
            .await
            .expect("owner");
        let mail = mail_to(&table, "anna@example.hu").await.expect("reads");
        assert_eq!(
            mail.iter().map(|m| m.kind.as_str()).collect::<Vec<_>>(),
            ["verify_email", "verify_email"],
            "the owner gets a link again, not 'already registered'"
        );
        // Either link verifies, and the password is the one set by whoever verifies.
        let token = token_in(&mail[0].body).expect("token");
        accounts
            .verify_email(&token, "set by the mailbox owner")
            .await
            .expect("verifies");
        assert_eq!(
            accounts
                .authenticate("anna@example.hu", "squatters password", None)
                .await,
            Err(AccountError::InvalidCredentials)
        );
        assert!(
            accounts
                .authenticate("anna@example.hu", "set by the mailbox owner", None)
                .await
                .is_ok()
        );
    }
}
