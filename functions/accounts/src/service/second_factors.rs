//! Setting up the second factor from the account page: an authenticator app enrolled by
//! scanning a secret and proving it with a code, and one-time recovery codes for the day
//! the phone is lost (shown once, stored hashed, each accepted once in place of a code).

use super::{AccountError, Accounts};
use crate::account::{Account, AccountId};
use crate::totp;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use varoskapu_core::{Condition, ItemWrite, Key, TxOp, Update};

/// How long a shown secret may be confirmed with a code.
const ENROLMENT_TTL: i64 = 15 * 60;
/// How many recovery codes a person gets.
pub const RECOVERY_CODES: usize = 10;

/// A secret shown to be scanned, not yet proven with a code.
#[derive(Debug, Serialize, Deserialize)]
struct Enrolment {
    secret: String,
}

fn enrolment_key(id: AccountId) -> Key {
    Key::new(format!("TOTPENROL#{id}"), "TOTPENROL")
}

/// A recovery code as typed: case, spaces and dashes do not matter.
fn normalized_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn code_hash(code: &str) -> String {
    hex::encode(Sha256::digest(normalized_code(code).as_bytes()))
}

/// Ten new codes of 50 random bits each, written `xxxxx-xxxxx`, and their hashes.
fn new_recovery_codes() -> (Vec<String>, Vec<String>) {
    let codes: Vec<String> = (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; 7];
            rand::rng().fill_bytes(&mut bytes);
            let text = totp::base32_encode(&bytes).to_lowercase();
            format!("{}-{}", &text[..5], &text[5..10])
        })
        .collect();
    let hashes = codes.iter().map(|c| code_hash(c)).collect();
    (codes, hashes)
}

impl Accounts {
    /// A new authenticator secret (base32) to be scanned; it counts only once a code made
    /// with it is entered ([`Accounts::confirm_totp`]). Asking again replaces it.
    pub async fn start_totp_enrolment(&self, id: AccountId) -> Result<String, AccountError> {
        let secret = totp::base32_encode(&totp::new_secret());
        let item = ItemWrite::from_serde(
            enrolment_key(id),
            &Enrolment {
                secret: secret.clone(),
            },
        )?
        .expires_at(self.clock.unix_seconds() + ENROLMENT_TTL);
        self.table.put(item, Condition::None).await?;
        Ok(secret)
    }

    /// The secret being enrolled, while it may still be confirmed.
    pub async fn pending_totp(&self, id: AccountId) -> Result<Option<String>, AccountError> {
        match self.table.get(&enrolment_key(id)).await? {
            Some(item) => Ok(Some(item.parse::<Enrolment>()?.secret)),
            None => Ok(None),
        }
    }

    /// Turns the authenticator app on once a code of the shown secret is right, and returns
    /// the recovery codes, which are never shown again. The person is told by mail.
    pub async fn confirm_totp(
        &self,
        id: AccountId,
        code: &str,
    ) -> Result<Vec<String>, AccountError> {
        let key = enrolment_key(id);
        let item = self
            .table
            .get(&key)
            .await?
            .ok_or(AccountError::InvalidToken)?;
        let enrolment: Enrolment = item.parse()?;
        let secret = totp::base32_decode(&enrolment.secret).ok_or(AccountError::InvalidToken)?;
        let step = totp::matching_step(&secret, code, self.clock.unix_seconds())
            .ok_or(AccountError::InvalidSecondFactor)?;
        let (codes, hashes) = new_recovery_codes();
        let ops = vec![
            TxOp::Delete {
                key,
                condition: Condition::Version(item.version),
            },
            TxOp::Update {
                key: Account::key(id),
                update: Update::default()
                    .set("totp_secret", enrolment.secret)
                    .set("totp_last_step", step)
                    .set("recovery_codes", hashes),
                condition: Condition::Exists,
            },
        ];
        match self.table.transact(ops).await {
            Err(e) if e.is_condition_failure() => return Err(AccountError::InvalidToken),
            other => other?,
        }
        let account = self.get(id).await?.ok_or(AccountError::NotFound)?;
        self.tell(
            &account.email,
            "second_factor_on",
            "Kétlépcsős azonosítás bekapcsolva / Two-step verification on",
            "Fiókjában bekapcsolták a kétlépcsős azonosítást hitelesítő alkalmazással. Ha nem Ön \
             volt, kérjen új jelszót.\nTwo-step verification with an authenticator app was \
             turned on for your account. If this was not you, reset your password.",
        )
        .await?;
        Ok(codes)
    }

    /// Replaces every recovery code with new ones (the old ones stop working at once).
    pub async fn renew_recovery_codes(&self, id: AccountId) -> Result<Vec<String>, AccountError> {
        let item = self
            .table
            .get(&Account::key(id))
            .await?
            .ok_or(AccountError::NotFound)?;
        if !item.parse::<Account>()?.has_second_factor() {
            return Err(AccountError::NotFound);
        }
        let (codes, hashes) = new_recovery_codes();
        match self
            .table
            .update(
                &Account::key(id),
                Update::default().set("recovery_codes", hashes),
                Condition::Version(item.version),
            )
            .await
        {
            Ok(_) => Ok(codes),
            Err(e) if e.is_condition_failure() => Err(AccountError::NotFound),
            Err(e) => Err(e.into()),
        }
    }

    /// Turns the second factor off after checking the password; mailed to the person.
    pub async fn disable_totp(
        &self,
        id: AccountId,
        password: &str,
        client_address: Option<&str>,
    ) -> Result<(), AccountError> {
        let account = self.get(id).await?.ok_or(AccountError::NotFound)?;
        self.authenticate(&account.email, password, client_address)
            .await?;
        let update = Update::default()
            .remove("totp_secret")
            .remove("totp_last_step")
            .set("recovery_codes", serde_json::json!([]));
        self.table
            .update(&Account::key(id), update, Condition::Exists)
            .await?;
        self.tell(
            &account.email,
            "second_factor_off",
            "Kétlépcsős azonosítás kikapcsolva / Two-step verification off",
            "Fiókjában kikapcsolták a kétlépcsős azonosítást. Ha nem Ön volt, kérjen új jelszót, \
             és kapcsolja vissza.\nTwo-step verification was turned off for your account. If \
             this was not you, reset your password and turn it on again.",
        )
        .await
    }

    /// Spends a recovery code of the account read at `version`: conditional on that version,
    /// so two uses of one code cannot both pass. `false` if it is no unused code.
    pub(super) async fn spend_recovery_code(
        &self,
        account: &Account,
        version: u64,
        code: &str,
    ) -> Result<bool, AccountError> {
        let hash = code_hash(code);
        if normalized_code(code).len() != 10 || !account.recovery_codes.contains(&hash) {
            return Ok(false);
        }
        let left: Vec<String> = account
            .recovery_codes
            .iter()
            .filter(|h| **h != hash)
            .cloned()
            .collect();
        match self
            .table
            .update(
                &Account::key(account.id),
                Update::default().set("recovery_codes", left),
                Condition::Version(version),
            )
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.is_condition_failure() => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::account::{NewAccount, Role};
    use crate::service::{AccountError, accounts};
    use crate::totp;

    #[tokio::test]
    async fn a_secret_counts_once_proven_and_each_recovery_code_works_once() {
        let (accounts, _) = accounts();
        let anna = accounts
            .create(NewAccount {
                email: "anna@example.hu".into(),
                password: "a long password".into(),
                name: "Anna".into(),
                roles: vec![Role::Citizen],
            })
            .await
            .expect("creates");
        let secret = accounts
            .start_totp_enrolment(anna.id)
            .await
            .expect("starts");
        let before = accounts.get(anna.id).await.expect("reads").expect("there");
        assert!(!before.has_second_factor(), "not before a code proves it");
        assert_eq!(
            accounts.confirm_totp(anna.id, "000000").await.err(),
            if totp::matching_step(
                &totp::base32_decode(&secret).expect("b32"),
                "000000",
                1_800_000_000
            )
            .is_some()
            {
                None
            } else {
                Some(AccountError::InvalidSecondFactor)
            }
        );
        let code = format!(
            "{:06}",
            totp::code_at(
                &totp::base32_decode(&secret).expect("b32"),
                1_800_000_000 / 30
            )
        );
        let codes = accounts.confirm_totp(anna.id, &code).await.expect("on");
        assert_eq!(codes.len(), super::RECOVERY_CODES);
        assert!(
            accounts
                .pending_totp(anna.id)
                .await
                .expect("reads")
                .is_none()
        );
        let on = accounts.get(anna.id).await.expect("reads").expect("there");
        assert!(on.has_second_factor());
        assert!(!on.recovery_codes.contains(&codes[0]), "stored hashed");
        let typed = codes[0].to_uppercase().replace('-', " ");
        accounts
            .verify_second_factor(anna.id, &typed, None)
            .await
            .expect("a recovery code works");
        assert_eq!(
            accounts
                .verify_second_factor(anna.id, &codes[0], None)
                .await,
            Err(AccountError::InvalidSecondFactor),
            "but only once"
        );
        accounts
            .verify_second_factor(anna.id, &codes[1], None)
            .await
            .expect("another code still works");
        let renewed = accounts.renew_recovery_codes(anna.id).await.expect("new");
        assert_eq!(
            accounts
                .verify_second_factor(anna.id, &codes[2], None)
                .await,
            Err(AccountError::InvalidSecondFactor),
            "old codes stop working"
        );
        accounts
            .verify_second_factor(anna.id, &renewed[0], None)
            .await
            .expect("new codes work");
        assert_eq!(
            accounts.disable_totp(anna.id, "wrong password", None).await,
            Err(AccountError::InvalidCredentials)
        );
        accounts
            .disable_totp(anna.id, "a long password", None)
            .await
            .expect("off");
        assert!(
            !accounts
                .get(anna.id)
                .await
                .expect("reads")
                .expect("there")
                .has_second_factor()
        );
    }
}
