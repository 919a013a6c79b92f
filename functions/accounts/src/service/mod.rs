//! The account use cases: register, verify an e-mail address, authenticate, reset a password.

use crate::account::{
    Account, AccountId, NewAccount, Role, email_key, normalize_email, split_name,
};
use crate::password::Passwords;
use crate::throttle::{Reservation, Throttle, ThrottleLimits};
use crate::tokens::{new_token, token_hash};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use uuid::Uuid;
use varoskapu_core::notify::{Message, Notifier, NotifyError};
use varoskapu_core::{
    Clock, Condition, IdGenerator, ItemWrite, Key, Table, TableError, TxOp, Update,
};

/// What goes wrong with accounts, in the person's terms.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AccountError {
    #[error("the e-mail address is not valid")]
    InvalidEmail,
    #[error("the password must be 10 to 128 characters long")]
    WeakPassword,
    #[error("the name must not be empty")]
    InvalidName,
    /// Deliberately the same for an unknown address and a wrong password.
    #[error("the e-mail address or the password is wrong")]
    InvalidCredentials,
    #[error("the e-mail address has not been verified yet")]
    EmailNotVerified,
    #[error("too many failed attempts; try again in {retry_after} seconds")]
    Throttled { retry_after: i64 },
    #[error("the link or code is invalid or has expired")]
    InvalidToken,
    #[error("a second factor (authenticator code) is required")]
    SecondFactorRequired,
    #[error("the authenticator code is wrong or was already used")]
    InvalidSecondFactor,
    #[error("an account with this e-mail address already exists")]
    EmailTaken,
    #[error("the account does not exist")]
    NotFound,
    #[error("storage is unavailable")]
    Storage(#[from] TableError),
    #[error("the message could not be sent")]
    Notify(#[from] NotifyError),
    #[error("the password could not be hashed")]
    Hashing,
}

/// Settings of the account use cases.
#[derive(Debug, Clone)]
pub struct AccountsConfig {
    /// Base URL of the pages that receive e-mailed links (`{base}/register/verify?token=…`).
    pub public_base_url: String,
    /// Attempts at one account (password or authenticator code) from one client address.
    pub per_account: ThrottleLimits,
    /// Failed attempts from one client address across accounts it is not known for.
    pub per_address: ThrottleLimits,
    /// Verification and reset mails to one address.
    pub mails_per_recipient: ThrottleLimits,
    /// Verification and reset mails asked for from one client address.
    pub mails_per_address: ThrottleLimits,
}

impl AccountsConfig {
    pub fn new(public_base_url: impl Into<String>) -> Self {
        Self {
            public_base_url: public_base_url.into(),
            per_account: ThrottleLimits {
                free_attempts: 5,
                first_delay_seconds: 30,
                max_delay_seconds: 15 * 60,
                memory_seconds: 24 * 3600,
            },
            per_address: ThrottleLimits {
                free_attempts: 30,
                first_delay_seconds: 5,
                max_delay_seconds: 5 * 60,
                memory_seconds: 3600,
            },
            mails_per_recipient: ThrottleLimits {
                free_attempts: 3,
                first_delay_seconds: 10 * 60,
                max_delay_seconds: 6 * 3600,
                memory_seconds: 24 * 3600,
            },
            mails_per_address: ThrottleLimits {
                free_attempts: 20,
                first_delay_seconds: 60,
                max_delay_seconds: 3600,
                memory_seconds: 3600,
            },
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct EmailOwner {
    account_id: AccountId,
}

#[derive(Debug, Serialize, Deserialize)]
struct OneTime {
    account_id: AccountId,
}

const VERIFY_TTL: i64 = 24 * 3600;
const RESET_TTL: i64 = 3600;
/// How long an address an account signed in from counts as known.
const KNOWN_ADDRESS_SECONDS: i64 = 90 * 86_400;

/// The account use cases on the table, shared by the register and authenticate functions and the
/// provider's pages.
#[derive(Clone)]
pub struct Accounts {
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    notifier: Arc<dyn Notifier>,
    passwords: Passwords,
    throttle: Arc<Throttle>,
    config: Arc<AccountsConfig>,
}

impl Accounts {
    pub fn new(
        table: Arc<dyn Table>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        notifier: Arc<dyn Notifier>,
        config: AccountsConfig,
    ) -> Self {
        Self {
            throttle: Arc::new(Throttle::new(table.clone(), clock.clone())),
            table,
            clock,
            ids,
            notifier,
            passwords: Passwords::owasp(),
            config: Arc::new(config),
        }
    }

    /// The use cases with e-mails queued in the table's outbox (the core `OutboxNotifier`).
    pub fn with_outbox(
        table: Arc<dyn Table>,
        clock: Arc<dyn Clock>,
        public_base_url: &str,
    ) -> Self {
        let ids: Arc<dyn IdGenerator> = Arc::new(varoskapu_core::UuidV7Ids);
        let outbox = Arc::new(varoskapu_core::notify::OutboxNotifier::new(
            table.clone(),
            clock.clone(),
            ids.clone(),
        ));
        Self::new(
            table,
            clock,
            ids,
            outbox,
            AccountsConfig::new(public_base_url),
        )
    }

    /// Reads an account.
    pub async fn get(&self, id: AccountId) -> Result<Option<Account>, AccountError> {
        match self.table.get(&Account::key(id)).await? {
            Some(item) => Ok(Some(item.parse()?)),
            None => Ok(None),
        }
    }

    /// Finds the account that owns an e-mail address.
    pub async fn find_by_email(&self, email: &str) -> Result<Option<Account>, AccountError> {
        let Some(email) = normalize_email(email) else {
            return Ok(None);
        };
        let Some(owner) = self.table.get(&email_key(&email)).await? else {
            return Ok(None);
        };
        let owner: EmailOwner = owner.parse()?;
        self.get(owner.account_id).await
    }

    async fn hash(&self, password: &str) -> Result<String, AccountError> {
        let passwords = self.passwords.clone();
        let password = password.to_owned();
        // Argon2id is deliberately slow; keep it off the async workers.
        blocking(move || passwords.hash(&password).map_err(|_| AccountError::Hashing)).await?
    }

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
                _ => {
                    self.notifier
                        .send(Message {
                            recipient: email,
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

    /// Whether another verification or reset mail may go to `email` (and be asked for from
    /// `client_address`). A recipient over its limit is skipped silently, with the answer
    /// unchanged; an address over its limit is told to wait.
    async fn may_mail(
        &self,
        email: &str,
        client_address: Option<&str>,
    ) -> Result<bool, AccountError> {
        let address = format!("mailfrom:{}", client_address.unwrap_or("unknown"));
        if let Reservation::Wait(retry_after) = self
            .throttle
            .reserve(&address, self.config.mails_per_address)
            .await?
        {
            return Err(AccountError::Throttled { retry_after });
        }
        let recipient = format!("mailto:{}", hex::encode(Sha256::digest(email.as_bytes())));
        Ok(self
            .throttle
            .reserve(&recipient, self.config.mails_per_recipient)
            .await?
            == Reservation::Taken)
    }

    async fn send_verification(&self, account: &Account) -> Result<(), AccountError> {
        let token = self.one_time("VERIFY", account.id, VERIFY_TTL).await?;
        let link = format!(
            "{}/register/verify?token={token}",
            self.config.public_base_url.trim_end_matches('/')
        );
        self.notifier
            .send(Message {
                recipient: account.email.clone(),
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

    async fn one_time(
        &self,
        kind: &str,
        account_id: AccountId,
        ttl: i64,
    ) -> Result<String, AccountError> {
        let token = new_token();
        let item = ItemWrite::from_serde(
            Key::new(format!("{kind}#{}", token_hash(&token)), kind),
            &OneTime { account_id },
        )?
        .expires_at(self.clock.unix_seconds() + ttl);
        self.table.put(item, Condition::NotExists).await?;
        Ok(token)
    }

    /// Spends a one-time token and applies `update` to its account in the same transaction.
    async fn redeem(
        &self,
        kind: &str,
        token: &str,
        update: Update,
    ) -> Result<AccountId, AccountError> {
        let key = Key::new(format!("{kind}#{}", token_hash(token)), kind);
        let Some(item) = self.table.get(&key).await? else {
            return Err(AccountError::InvalidToken);
        };
        let one: OneTime = item.parse()?;
        let ops = vec![
            TxOp::Delete {
                key,
                condition: Condition::Version(item.version),
            },
            TxOp::Update {
                key: Account::key(one.account_id),
                update,
                condition: Condition::Exists,
            },
        ];
        match self.table.transact(ops).await {
            Err(e) if e.is_condition_failure() => Err(AccountError::InvalidToken),
            other => other.map(|_| one.account_id).map_err(Into::into),
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
            .remove("totp_last_step");
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
            .remove("totp_last_step");
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

    /// Checks a password. Unknown addresses and wrong passwords answer alike, in the same time.
    /// The attempt is counted before the password is checked, per account and client
    /// address, so guesses from elsewhere never slow the owner down; an address that fails
    /// at many accounts is slowed for accounts it has not signed in to before.
    #[tracing::instrument(skip_all)]
    pub async fn authenticate(
        &self,
        email: &str,
        password: &str,
        client_address: Option<&str>,
    ) -> Result<Account, AccountError> {
        let normalized = normalize_email(email).unwrap_or_default();
        let address = client_address.unwrap_or("unknown");
        // Keyed by a hash of the address so that unknown addresses are throttled the same way.
        let pair = format!(
            "pwd:{}:{address}",
            hex::encode(Sha256::digest(normalized.as_bytes()))
        );
        let spray = format!("addr:{address}");
        let cfg = &self.config;
        let account = self.find_by_email(&normalized).await?;
        let known = match &account {
            Some(account) => self.is_known_address(account.id, address).await?,
            None => false,
        };
        if !known
            && let Some(retry_after) = self.throttle.blocked_for(&spray, cfg.per_address).await?
        {
            return Err(AccountError::Throttled { retry_after });
        }
        if let Reservation::Wait(retry_after) =
            self.throttle.reserve(&pair, cfg.per_account).await?
        {
            return Err(AccountError::Throttled { retry_after });
        }
        let passwords = self.passwords.clone();
        let (ok, account) = {
            let password = password.to_owned();
            blocking(move || match account {
                Some(account) => (
                    passwords.verify(&password, &account.password_hash),
                    Some(account),
                ),
                None => {
                    passwords.verify_nothing(&password);
                    (false, None)
                }
            })
            .await?
        };
        match account {
            Some(account) if ok => {
                self.throttle.clear(&pair).await?;
                if !account.email_verified {
                    return Err(AccountError::EmailNotVerified);
                }
                self.remember_address(account.id, address).await?;
                Ok(account)
            }
            _ => {
                if !known {
                    self.throttle.record(&spray, cfg.per_address).await?;
                }
                Err(AccountError::InvalidCredentials)
            }
        }
    }

    fn known_address_key(id: AccountId, address: &str) -> Key {
        Key::new(format!("KNOWNADDR#{id}"), address.to_owned())
    }

    /// Whether the account signed in from this address lately (then an address that fails
    /// at other accounts does not slow its owner down).
    async fn is_known_address(&self, id: AccountId, address: &str) -> Result<bool, AccountError> {
        Ok(self
            .table
            .get(&Self::known_address_key(id, address))
            .await?
            .is_some())
    }

    async fn remember_address(&self, id: AccountId, address: &str) -> Result<(), AccountError> {
        let expires = self.clock.unix_seconds() + KNOWN_ADDRESS_SECONDS;
        let item = ItemWrite::new(Self::known_address_key(id, address), Default::default())
            .expires_at(expires);
        self.table.put(item, Condition::None).await?;
        Ok(())
    }

    /// Turns the authenticator-app second factor on and returns the new secret (base32).
    pub async fn enable_totp(&self, id: AccountId) -> Result<String, AccountError> {
        let secret = crate::totp::base32_encode(&crate::totp::new_secret());
        let update = Update::default()
            .set("totp_secret", secret.clone())
            .remove("totp_last_step");
        match self
            .table
            .update(&Account::key(id), update, Condition::Exists)
            .await
        {
            Ok(_) => Ok(secret),
            Err(e) if e.is_condition_failure() => Err(AccountError::NotFound),
            Err(e) => Err(e.into()),
        }
    }

    /// Checks an authenticator code once: a code is never accepted twice, and repeated wrong
    /// codes are throttled like wrong passwords.
    pub async fn verify_second_factor(
        &self,
        id: AccountId,
        code: &str,
        client_address: Option<&str>,
    ) -> Result<(), AccountError> {
        let subject = format!("totp:{id}:{}", client_address.unwrap_or("unknown"));
        if let Reservation::Wait(retry_after) = self
            .throttle
            .reserve(&subject, self.config.per_account)
            .await?
        {
            return Err(AccountError::Throttled { retry_after });
        }
        let item = self
            .table
            .get(&Account::key(id))
            .await?
            .ok_or(AccountError::NotFound)?;
        let account: Account = item.parse()?;
        let secret = account
            .totp_secret
            .as_deref()
            .and_then(crate::totp::base32_decode)
            .ok_or(AccountError::InvalidSecondFactor)?;
        let step = crate::totp::matching_step(&secret, code, self.clock.unix_seconds())
            .filter(|step| account.totp_last_step.is_none_or(|last| *step > last));
        let Some(step) = step else {
            return Err(AccountError::InvalidSecondFactor);
        };
        // Conditional on the version read: two concurrent uses of one code cannot both pass.
        match self
            .table
            .update(
                &Account::key(id),
                Update::default().set("totp_last_step", step),
                Condition::Version(item.version),
            )
            .await
        {
            Ok(_) => {
                self.throttle.clear(&subject).await?;
                Ok(())
            }
            Err(e) if e.is_condition_failure() => Err(AccountError::InvalidSecondFactor),
            Err(e) => Err(e.into()),
        }
    }

    /// Sends a password-reset link if the address has an account; answers alike either way,
    /// with the same writes: an unknown address gets a token that opens nothing.
    pub async fn request_password_reset(
        &self,
        email: &str,
        client_address: Option<&str>,
    ) -> Result<(), AccountError> {
        let Some(email) = normalize_email(email) else {
            return Ok(());
        };
        if !self.may_mail(&email, client_address).await? {
            return Ok(());
        }
        let account = self.find_by_email(&email).await?;
        let owner = account.as_ref().map_or(Uuid::nil(), |a| a.id);
        let token = self.one_time("RESET", owner, RESET_TTL).await?;
        let link = format!(
            "{}/password-reset?token={token}",
            self.config.public_base_url.trim_end_matches('/')
        );
        let message = Message {
            recipient: email,
            kind: "password_reset".into(),
            subject: "Új jelszó / Password reset".into(),
            body: format!("Új jelszó beállítása: {link}\nSet a new password: {link}"),
            attachments: Vec::new(),
        };
        match account {
            Some(_) => self.notifier.send(message).await?,
            // As much table work as a queued message, and nobody to send it to.
            None => {
                let key = Key::new(format!("RESETNOBODY#{}", token_hash(&token)), "RESET");
                let item = ItemWrite::from_serde(key, &message)?
                    .expires_at(self.clock.unix_seconds() + RESET_TTL);
                self.table.put(item, Condition::NotExists).await?;
            }
        }
        Ok(())
    }

    pub async fn reset_password(
        &self,
        token: &str,
        new_password: &str,
    ) -> Result<AccountId, AccountError> {
        if !Passwords::acceptable(new_password) {
            return Err(AccountError::WeakPassword);
        }
        let hash = self.hash(new_password).await?;
        // Every session and grant from before the reset stops counting.
        let update = Update::default()
            .set("password_hash", hash)
            .set("credentials_changed_at", self.clock.unix_seconds());
        self.redeem("RESET", token, update).await
    }
}

/// Runs CPU-heavy work (Argon2id) on the blocking pool so async workers keep serving.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AccountError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| AccountError::Hashing)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokens::token_in;
    use varoskapu_core::notify::OutboxNotifier;
    use varoskapu_core::{ManualClock, SequentialIds};
    use varoskapu_embedded::SqliteTable;

    fn accounts() -> (Accounts, Arc<dyn Table>) {
        let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(
            jiff::Timestamp::from_second(1_800_000_000).expect("valid"),
        ));
        let table: Arc<dyn Table> =
            Arc::new(SqliteTable::in_memory(clock.clone()).expect("in-memory SQLite"));
        let ids: Arc<dyn IdGenerator> = Arc::new(SequentialIds::default());
        let outbox = Arc::new(OutboxNotifier::new(
            table.clone(),
            clock.clone(),
            ids.clone(),
        ));
        let accounts = Accounts::new(
            table.clone(),
            clock,
            ids,
            outbox,
            AccountsConfig::new("http://x"),
        );
        (accounts, table)
    }

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
        let mail = OutboxNotifier::messages_to(table.as_ref(), "anna@example.hu")
            .await
            .expect("reads");
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
        let mail = OutboxNotifier::messages_to(table.as_ref(), "anna@example.hu")
            .await
            .expect("reads");
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
        let mail = OutboxNotifier::messages_to(table.as_ref(), "anna@example.hu")
            .await
            .expect("reads");
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

    #[tokio::test]
    async fn verification_and_reset_mails_are_limited_per_recipient_and_per_address() {
        let (accounts, table) = accounts();
        for n in 0..6 {
            accounts
                .request_password_reset("flood@example.hu", Some(&format!("10.1.0.{n}")))
                .await
                .expect("same answer");
        }
        accounts
            .create(NewAccount {
                email: "flood@example.hu".into(),
                password: "a long password".into(),
                name: "F".into(),
                roles: vec![Role::Citizen],
            })
            .await
            .expect("creates");
        accounts
            .request_password_reset("flood@example.hu", Some("10.1.0.9"))
            .await
            .expect("same answer");
        let mail = OutboxNotifier::messages_to(table.as_ref(), "flood@example.hu")
            .await
            .expect("reads");
        assert!(mail.is_empty(), "over the recipient's limit: {mail:?}");
        let mut refused = None;
        for n in 0..25 {
            let result = accounts
                .request_password_reset(&format!("x{n}@example.hu"), Some("10.2.0.1"))
                .await;
            if result.is_err() {
                refused = Some(result);
                break;
            }
        }
        assert!(matches!(refused, Some(Err(AccountError::Throttled { .. }))));
    }

    #[tokio::test]
    async fn guesses_from_one_address_slow_that_address_but_never_lock_the_owner_out() {
        let (accounts, _) = accounts();
        accounts
            .create(NewAccount {
                email: "b@example.hu".into(),
                password: "a long password".into(),
                name: "B".into(),
                roles: vec![Role::Clerk],
            })
            .await
            .expect("creates");
        for _ in 0..5 {
            assert_eq!(
                accounts
                    .authenticate("b@example.hu", "wrong password", Some("10.0.0.1"))
                    .await,
                Err(AccountError::InvalidCredentials)
            );
        }
        assert!(matches!(
            accounts
                .authenticate("b@example.hu", "a long password", Some("10.0.0.1"))
                .await,
            Err(AccountError::Throttled { .. })
        ));
        // The owner, from her own address, is not slowed by what happened elsewhere.
        assert!(
            accounts
                .authenticate("b@example.hu", "a long password", Some("10.0.0.2"))
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn an_address_failing_at_many_accounts_is_slowed_only_for_accounts_it_does_not_know() {
        let (accounts, _) = accounts();
        for email in ["regular@example.hu", "other@example.hu"] {
            accounts
                .create(NewAccount {
                    email: email.into(),
                    password: "a long password".into(),
                    name: "R".into(),
                    roles: vec![Role::Citizen],
                })
                .await
                .expect("creates");
        }
        let nat = Some("10.9.9.9");
        accounts
            .authenticate("regular@example.hu", "a long password", nat)
            .await
            .expect("signs in once from the town hall");
        for n in 0..30 {
            let guess = format!("victim{n}@example.hu");
            assert_eq!(
                accounts.authenticate(&guess, "password123", nat).await,
                Err(AccountError::InvalidCredentials)
            );
        }
        assert!(matches!(
            accounts
                .authenticate("other@example.hu", "a long password", nat)
                .await,
            Err(AccountError::Throttled { .. })
        ));
        assert!(
            accounts
                .authenticate("regular@example.hu", "a long password", nat)
                .await
                .is_ok(),
            "an account known at this address still signs in"
        );
    }

    #[tokio::test]
    async fn an_authenticator_code_is_accepted_once() {
        let (accounts, _) = accounts();
        let account = accounts
            .create(NewAccount {
                email: "t@example.hu".into(),
                password: "a long password".into(),
                name: "T".into(),
                roles: vec![Role::Clerk],
            })
            .await
            .expect("creates");
        let secret = accounts.enable_totp(account.id).await.expect("enables");
        let bytes = crate::totp::base32_decode(&secret).expect("base32");
        let step = 1_800_000_000 / crate::totp::STEP;
        let code = format!("{:06}", crate::totp::code_at(&bytes, step as u64));
        assert!(
            accounts
                .verify_second_factor(account.id, "000000", Some("10.0.0.1"))
                .await
                .is_err()
        );
        assert_eq!(
            accounts
                .verify_second_factor(account.id, &code, Some("10.0.0.1"))
                .await,
            Ok(())
        );
        assert_eq!(
            accounts
                .verify_second_factor(account.id, &code, Some("10.0.0.1"))
                .await,
            Err(AccountError::InvalidSecondFactor)
        );
        let reloaded = accounts
            .get(account.id)
            .await
            .expect("reads")
            .expect("exists");
        assert!(reloaded.has_second_factor());
    }

    #[tokio::test]
    async fn unknown_addresses_fail_like_wrong_passwords() {
        let (accounts, _) = accounts();
        assert_eq!(
            accounts
                .authenticate("nobody@example.hu", "whatever pw", None)
                .await,
            Err(AccountError::InvalidCredentials)
        );
    }

    #[tokio::test]
    async fn a_reset_link_sets_a_new_password_once() {
        let (accounts, table) = accounts();
        accounts
            .create(NewAccount {
                email: "c@example.hu".into(),
                password: "a long password".into(),
                name: "C".into(),
                roles: vec![Role::Citizen],
            })
            .await
            .expect("creates");
        accounts
            .request_password_reset("c@example.hu", None)
            .await
            .expect("requests");
        accounts
            .request_password_reset("nobody@example.hu", None)
            .await
            .expect("same answer");
        let mail = OutboxNotifier::messages_to(table.as_ref(), "c@example.hu")
            .await
            .expect("reads");
        let token = token_in(&mail[0].body).expect("token");
        accounts
            .reset_password(&token, "a new long password")
            .await
            .expect("resets");
        assert_eq!(
            accounts.reset_password(&token, "another password").await,
            Err(AccountError::InvalidToken)
        );
        let account = accounts
            .authenticate("c@example.hu", "a new long password", None)
            .await
            .expect("signs in");
        let changed = account.credentials_changed_at.expect("recorded");
        assert!(!account.signed_in_since_last_credential_change(changed));
        assert!(account.signed_in_since_last_credential_change(changed + 1));
    }
}
