//! The account use cases: register, verify an e-mail address, authenticate, reset a password,
//! change the name, password or address, and set up the second factor.
//!
//! This module holds the `Accounts` type, its settings and errors, and what several use cases
//! share (reading accounts, hashing passwords, one-time tokens, the mail limits); each use case
//! is an `impl Accounts` block of its own submodule.

mod passkeys;
mod password_reset;
mod profile;
mod registration;
mod second_factors;
mod sign_in;

pub use passkeys::{
    MAX_PASSKEY_NAME, MAX_PASSKEYS, NewPasskey, PasskeyUse, StoredPasskey, passkey_name,
};
pub use second_factors::RECOVERY_CODES;

use crate::account::{Account, AccountId, email_key, normalize_email};
use crate::password::Passwords;
use crate::throttle::{Reservation, Throttle, ThrottleLimits};
use crate::tokens::{new_token, token_hash};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use varoskapu_core::notify::{Notifier, NotifyError};
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
    #[error("this passkey is already registered")]
    PasskeyTaken,
    #[error("the account holds the most passkeys it may")]
    TooManyPasskeys,
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

    /// Whether the pages of the mailed links are served over HTTPS (their cookies are then
    /// `__Host-` prefixed and Secure).
    pub fn secure_pages(&self) -> bool {
        crate::pages::secure(&self.config.public_base_url)
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
}

/// Runs CPU-heavy work (Argon2id) on the blocking pool so async workers keep serving.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AccountError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| AccountError::Hashing)
}

/// The use cases on an in-memory SQLite table and a manual clock, for the tests beside them.
#[cfg(test)]
fn accounts() -> (Accounts, Arc<dyn Table>) {
    use varoskapu_core::notify::OutboxNotifier;
    use varoskapu_core::{ManualClock, SequentialIds};
    use varoskapu_embedded::SqliteTable;

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
