//! Signing in: the password check with its throttling, and the authenticator-app second
//! factor.

use super::{AccountError, Accounts, blocking};
use crate::account::{Account, AccountId, normalize_email};
use crate::throttle::Reservation;
use sha2::{Digest, Sha256};
use varoskapu_core::{Condition, ItemWrite, Key, Update};

/// How long an address an account signed in from counts as known.
const KNOWN_ADDRESS_SECONDS: i64 = 90 * 86_400;

impl Accounts {
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

    /// Checks an authenticator code (or a recovery code) once: a code is never accepted
    /// twice, and repeated wrong codes are throttled like wrong passwords.
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
        // Anything but six digits may be one of the recovery codes.
        let digits = code.trim();
        if !(digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit())) {
            if account.has_second_factor()
                && self
                    .spend_recovery_code(&account, item.version, code)
                    .await?
            {
                self.throttle.clear(&subject).await?;
                return Ok(());
            }
            return Err(AccountError::InvalidSecondFactor);
        }
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
}

#[cfg(test)]
mod tests {
    use crate::account::{NewAccount, Role};
    use crate::service::{AccountError, accounts};

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
}
