//! Passkeys (WebAuthn credentials) of an account: stored beside the account, one item per
//! credential, and a uniqueness item per credential id, so one authenticator's credential
//! belongs to one account only. The credential itself is the relying party library's JSON,
//! kept opaque here; the signature counter and backup state are kept beside it so a
//! cloned authenticator (a counter going back) is refused.

use super::{AccountError, Accounts};
use crate::account::AccountId;
use serde::{Deserialize, Serialize};
use varoskapu_core::{Condition, ItemWrite, Key, Query, SortKey, TxOp, Update};

/// The most passkeys one account may hold.
pub const MAX_PASSKEYS: usize = 20;
/// The longest name a passkey may be given.
pub const MAX_PASSKEY_NAME: usize = 60;

/// A passkey of an account as the account page lists it and sign-in verifies it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredPasskey {
    /// The credential id, base64url without padding.
    pub credential_id: String,
    pub account_id: AccountId,
    /// The name the person gave it ("Laptop", "Security key").
    pub name: String,
    pub created_at: i64,
    #[serde(default)]
    pub last_used_at: Option<i64>,
    /// The authenticator's signature counter at its last use (0: it keeps none).
    #[serde(default)]
    pub counter: u32,
    /// Whether the authenticator said the credential is backed up (synced).
    #[serde(default)]
    pub backup_state: bool,
    /// The relying party library's credential (public key, algorithm, flags), opaque here.
    pub credential: serde_json::Value,
}

/// What a finished registration gives to be stored.
#[derive(Debug, Clone)]
pub struct NewPasskey {
    pub credential_id: String,
    pub name: String,
    pub counter: u32,
    pub backup_state: bool,
    pub credential: serde_json::Value,
}

/// What a verified sign-in reports to be recorded.
#[derive(Debug, Clone)]
pub struct PasskeyUse {
    pub counter: u32,
    pub backup_state: bool,
    /// The credential as updated by the library (counter and backup flags inside), if it
    /// changed.
    pub credential: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, Deserialize)]
struct PasskeyOwner {
    account_id: AccountId,
}

fn partition(account: AccountId) -> String {
    format!("PASSKEYS#{account}")
}

fn passkey_key(account: AccountId, credential_id: &str) -> Key {
    Key::new(partition(account), format!("PASSKEY#{credential_id}"))
}

fn owner_key(credential_id: &str) -> Key {
    Key::new(format!("PASSKEYID#{credential_id}"), "PASSKEYID")
}

/// A passkey's name as given: trimmed, never empty, at most [`MAX_PASSKEY_NAME`] characters.
pub fn passkey_name(name: &str) -> Result<String, AccountError> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_PASSKEY_NAME
        || name.chars().any(char::is_control)
    {
        return Err(AccountError::InvalidName);
    }
    Ok(name.to_owned())
}

impl Accounts {
    /// The account's passkeys, oldest first.
    pub async fn passkeys(&self, id: AccountId) -> Result<Vec<StoredPasskey>, AccountError> {
        let page = self
            .table
            .query(
                Query::partition(partition(id))
                    .sort_key(SortKey::Prefix("PASSKEY#".into()))
                    .limit(MAX_PASSKEYS + 1),
            )
            .await?;
        let mut keys = page
            .items
            .iter()
            .map(|item| item.parse::<StoredPasskey>())
            .collect::<Result<Vec<_>, _>>()?;
        keys.sort_by_key(|k| k.created_at);
        Ok(keys)
    }

    /// Stores a newly registered passkey; refused if the credential id is on any account
    /// already ([`AccountError::PasskeyTaken`]) or the account holds the most it may.
    pub async fn add_passkey(
        &self,
        id: AccountId,
        new: NewPasskey,
    ) -> Result<StoredPasskey, AccountError> {
        let name = passkey_name(&new.name)?;
        if new.credential_id.is_empty() {
            return Err(AccountError::InvalidToken);
        }
        if self.passkeys(id).await?.len() >= MAX_PASSKEYS {
            return Err(AccountError::TooManyPasskeys);
        }
        let stored = StoredPasskey {
            credential_id: new.credential_id.clone(),
            account_id: id,
            name,
            created_at: self.clock.unix_seconds(),
            last_used_at: None,
            counter: new.counter,
            backup_state: new.backup_state,
            credential: new.credential,
        };
        let ops = vec![
            TxOp::Put {
                item: ItemWrite::from_serde(
                    owner_key(&new.credential_id),
                    &PasskeyOwner { account_id: id },
                )?,
                condition: Condition::NotExists,
            },
            TxOp::Put {
                item: ItemWrite::from_serde(passkey_key(id, &new.credential_id), &stored)?,
                condition: Condition::NotExists,
            },
            TxOp::Check {
                key: crate::account::Account::key(id),
                condition: Condition::Exists,
            },
        ];
        match self.table.transact(ops).await {
            Ok(()) => {}
            Err(e) if e.is_condition_failure() => return Err(AccountError::PasskeyTaken),
            Err(e) => return Err(e.into()),
        }
        let account = self.get(id).await?.ok_or(AccountError::NotFound)?;
        self.tell(
            &account.email,
            "passkey_added",
            "Új passkey / New passkey",
            "Fiókjához új passkey-t adtak. Ha nem Ön volt, távolítsa el a fiókoldalon, és kérjen \
             új jelszót.\nA new passkey was added to your account. If this was not you, remove \
             it on the account page and reset your password.",
        )
        .await?;
        Ok(stored)
    }

    /// The passkey with this credential id, whichever account it belongs to.
    pub async fn passkey_by_credential(
        &self,
        credential_id: &str,
    ) -> Result<Option<StoredPasskey>, AccountError> {
        let Some(owner) = self.table.get(&owner_key(credential_id)).await? else {
            return Ok(None);
        };
        let owner: PasskeyOwner = owner.parse()?;
        match self
            .table
            .get(&passkey_key(owner.account_id, credential_id))
            .await?
        {
            Some(item) => Ok(Some(item.parse()?)),
            None => Ok(None),
        }
    }

    /// Records a verified sign-in with a passkey: its counter must have gone forward (unless
    /// the authenticator keeps none), else the credential may be cloned and the sign-in is
    /// refused ([`AccountError::InvalidSecondFactor`]). Conditional on the version read, so
    /// two sign-ins with one counter value cannot both pass.
    pub async fn record_passkey_use(
        &self,
        id: AccountId,
        credential_id: &str,
        used: PasskeyUse,
    ) -> Result<StoredPasskey, AccountError> {
        let key = passkey_key(id, credential_id);
        let item = self
            .table
            .get(&key)
            .await?
            .ok_or(AccountError::InvalidSecondFactor)?;
        let mut stored: StoredPasskey = item.parse()?;
        if (used.counter != 0 || stored.counter != 0) && used.counter <= stored.counter {
            tracing::warn!("passkey sign-in refused: the signature counter did not go forward");
            return Err(AccountError::InvalidSecondFactor);
        }
        let now = self.clock.unix_seconds();
        let mut update = Update::default()
            .set("counter", used.counter)
            .set("backup_state", used.backup_state)
            .set("last_used_at", now);
        if let Some(credential) = &used.credential {
            update = update.set("credential", credential.clone());
        }
        match self
            .table
            .update(&key, update, Condition::Version(item.version))
            .await
        {
            Ok(_) => {}
            Err(e) if e.is_condition_failure() => return Err(AccountError::InvalidSecondFactor),
            Err(e) => return Err(e.into()),
        }
        stored.counter = used.counter;
        stored.backup_state = used.backup_state;
        stored.last_used_at = Some(now);
        if let Some(credential) = used.credential {
            stored.credential = credential;
        }
        Ok(stored)
    }

    /// Gives a passkey of the account a new name.
    pub async fn rename_passkey(
        &self,
        id: AccountId,
        credential_id: &str,
        name: &str,
    ) -> Result<(), AccountError> {
        let name = passkey_name(name)?;
        match self
            .table
            .update(
                &passkey_key(id, credential_id),
                Update::default().set("name", name),
                Condition::Exists,
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.is_condition_failure() => Err(AccountError::NotFound),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes a passkey of the account (it no longer signs in); mailed to the person.
    pub async fn remove_passkey(
        &self,
        id: AccountId,
        credential_id: &str,
    ) -> Result<(), AccountError> {
        let ops = vec![
            TxOp::Delete {
                key: passkey_key(id, credential_id),
                condition: Condition::Exists,
            },
            TxOp::Delete {
                key: owner_key(credential_id),
                condition: Condition::field_equals("account_id", id.to_string()),
            },
        ];
        match self.table.transact(ops).await {
            Ok(()) => {}
            Err(e) if e.is_condition_failure() => return Err(AccountError::NotFound),
            Err(e) => return Err(e.into()),
        }
        let account = self.get(id).await?.ok_or(AccountError::NotFound)?;
        self.tell(
            &account.email,
            "passkey_removed",
            "Passkey eltávolítva / Passkey removed",
            "Fiókjából eltávolítottak egy passkey-t. Ha nem Ön volt, kérjen új jelszót.\nA \
             passkey was removed from your account. If this was not you, reset your password.",
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::{NewPasskey, PasskeyUse};
    use crate::account::{NewAccount, Role};
    use crate::service::{AccountError, accounts};

    fn new_key(id: &str, counter: u32) -> NewPasskey {
        NewPasskey {
            credential_id: id.into(),
            name: " Laptop ".into(),
            counter,
            backup_state: false,
            credential: serde_json::json!({"cred": id}),
        }
    }

    async fn person(accounts: &crate::Accounts, email: &str) -> crate::Account {
        accounts
            .create(NewAccount {
                email: email.into(),
                password: "a long password".into(),
                name: "Anna".into(),
                roles: vec![Role::Citizen],
            })
            .await
            .expect("creates")
    }

    #[tokio::test]
    async fn a_credential_id_belongs_to_one_account_only() {
        let (accounts, _) = accounts();
        let anna = person(&accounts, "anna@example.hu").await;
        let bela = person(&accounts, "bela@example.hu").await;
        let stored = accounts
            .add_passkey(anna.id, new_key("cred-1", 0))
            .await
            .expect("adds");
        assert_eq!(stored.name, "Laptop");
        assert_eq!(
            accounts.add_passkey(bela.id, new_key("cred-1", 0)).await,
            Err(AccountError::PasskeyTaken),
            "another account"
        );
        assert_eq!(
            accounts.add_passkey(anna.id, new_key("cred-1", 0)).await,
            Err(AccountError::PasskeyTaken),
            "the same account twice"
        );
        assert!(accounts.passkeys(bela.id).await.expect("lists").is_empty());
        let found = accounts
            .passkey_by_credential("cred-1")
            .await
            .expect("reads")
            .expect("found");
        assert_eq!(found.account_id, anna.id);
        assert_eq!(
            accounts.remove_passkey(bela.id, "cred-1").await,
            Err(AccountError::NotFound),
            "not another account's"
        );
        accounts
            .remove_passkey(anna.id, "cred-1")
            .await
            .expect("removes");
        assert!(
            accounts
                .passkey_by_credential("cred-1")
                .await
                .expect("reads")
                .is_none()
        );
        accounts
            .add_passkey(bela.id, new_key("cred-1", 0))
            .await
            .expect("free again once removed");
    }

    #[tokio::test]
    async fn a_counter_that_goes_back_is_refused() {
        let (accounts, _) = accounts();
        let anna = person(&accounts, "anna@example.hu").await;
        accounts
            .add_passkey(anna.id, new_key("cred-2", 5))
            .await
            .expect("adds");
        let used = |counter| PasskeyUse {
            counter,
            backup_state: true,
            credential: Some(serde_json::json!({"cred": "cred-2", "counter": counter})),
        };
        let after = accounts
            .record_passkey_use(anna.id, "cred-2", used(6))
            .await
            .expect("forward");
        assert_eq!(after.counter, 6);
        assert!(after.backup_state && after.last_used_at.is_some());
        for stale in [6, 3] {
            assert_eq!(
                accounts
                    .record_passkey_use(anna.id, "cred-2", used(stale))
                    .await,
                Err(AccountError::InvalidSecondFactor),
                "counter {stale}"
            );
        }
        let listed = accounts.passkeys(anna.id).await.expect("lists");
        assert_eq!(listed[0].counter, 6);
        accounts
            .rename_passkey(anna.id, "cred-2", "Phone")
            .await
            .expect("renames");
        assert_eq!(
            accounts.rename_passkey(anna.id, "cred-2", "  ").await,
            Err(AccountError::InvalidName)
        );
        assert_eq!(
            accounts.passkeys(anna.id).await.expect("lists")[0].name,
            "Phone"
        );
    }

    #[tokio::test]
    async fn an_authenticator_without_a_counter_may_sign_in_again() {
        let (accounts, _) = accounts();
        let anna = person(&accounts, "anna@example.hu").await;
        accounts
            .add_passkey(anna.id, new_key("cred-3", 0))
            .await
            .expect("adds");
        for _ in 0..2 {
            accounts
                .record_passkey_use(
                    anna.id,
                    "cred-3",
                    PasskeyUse {
                        counter: 0,
                        backup_state: false,
                        credential: None,
                    },
                )
                .await
                .expect("no counter kept");
        }
    }
}
