//! Password reset: the e-mailed link, and the new password it sets.

use super::{AccountError, Accounts};
use crate::account::{AccountId, normalize_email};
use crate::password::Passwords;
use crate::tokens::token_hash;
use uuid::Uuid;
use varoskapu_core::notify::Message;
use varoskapu_core::{Condition, ItemWrite, Key, Update};

const RESET_TTL: i64 = 3600;

impl Accounts {
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
            // The person, by account (nobody's nil id for the decoy below).
            recipient: owner.to_string(),
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

#[cfg(test)]
mod tests {
    use crate::account::{NewAccount, Role};
    use crate::addresses::mail_to;
    use crate::service::{AccountError, accounts};
    use crate::tokens::token_in;

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
        let mail = mail_to(&table, "flood@example.hu").await.expect("reads");
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
        let mail = mail_to(&table, "c@example.hu").await.expect("reads");
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
