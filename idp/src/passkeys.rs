//! Passkeys (WebAuthn) as the provider's relying party: the registration and sign-in
//! ceremonies of `webauthn-rs`, their state kept in the table between the two requests of a
//! ceremony, bound to the browser that started it (a cookie's secret, stored hashed),
//! single-use and short-lived. No HTTP here.
//!
//! The relying party id is the issuer's host. Browsers and `webauthn-rs` accept only a
//! domain name as RP id (never an IP address) and plain `http` only on `localhost`; so an
//! issuer on a loopback address (`http://127.0.0.1:<port>`, the local server) has the RP id
//! `localhost`, with both `http://localhost:<port>` and the issuer's own origin allowed:
//! passkeys work in a browser that opens the local server as `http://localhost:<port>`.
//! An issuer on any other IP address has no passkeys (the pages say so).

use crate::secrets::{random_token, sha256_hex};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use uuid::Uuid;
use varoskapu_accounts::{Account, AccountError, Accounts, NewPasskey, PasskeyUse, StoredPasskey};
use varoskapu_core::{Clock, Condition, ItemWrite, Key, Table};
use webauthn_rs::prelude::{
    CreationChallengeResponse, DiscoverableAuthentication, DiscoverableKey, Passkey,
    PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse, Url, Webauthn, WebauthnBuilder,
};

/// How long a started ceremony may be finished.
pub const CEREMONY_SECONDS: i64 = 5 * 60;

/// What goes wrong with a passkey ceremony.
#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    /// No ceremony of this browser is waiting (never started, expired, or already finished).
    #[error("the passkey ceremony has expired or was already used")]
    NoCeremony,
    /// The authenticator's answer does not verify, or names no passkey of an account.
    #[error("the passkey was not accepted")]
    Refused,
    #[error("the passkey is already registered")]
    Taken,
    #[error("passkey storage failed: {0}")]
    Storage(String),
}

impl From<varoskapu_core::TableError> for PasskeyError {
    fn from(e: varoskapu_core::TableError) -> Self {
        PasskeyError::Storage(e.to_string())
    }
}

/// A ceremony under way.
#[derive(Serialize, Deserialize)]
enum Ceremony {
    Register {
        account_id: Uuid,
        state: PasskeyRegistration,
    },
    SignIn {
        state: DiscoverableAuthentication,
    },
}

/// The provider's relying party.
#[derive(Clone)]
pub struct Passkeys {
    webauthn: Arc<Webauthn>,
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
}

/// The relying party of an issuer, if passkeys can work there (see the module's note).
pub fn relying_party(issuer: &str) -> Option<Webauthn> {
    let url = Url::parse(issuer).ok()?;
    let origin = Url::parse(&url.origin().ascii_serialization()).ok()?;
    let builder = match url.host()? {
        url::Host::Domain(_) => WebauthnBuilder::new(origin.host_str()?, &origin).ok()?,
        url::Host::Ipv4(ip) if ip.is_loopback() => loopback(&origin)?,
        url::Host::Ipv6(ip) if ip.is_loopback() => loopback(&origin)?,
        _ => return None,
    };
    builder.rp_name("Városkapu").build().ok()
}

fn loopback(origin: &Url) -> Option<WebauthnBuilder<'static>> {
    let mut localhost = origin.clone();
    localhost.set_host(Some("localhost")).ok()?;
    // The builder borrows its origin; one per process start, so leaking it is bounded.
    let localhost: &'static Url = Box::leak(Box::new(localhost));
    Some(
        WebauthnBuilder::new("localhost", localhost)
            .ok()?
            .append_allowed_origin(origin),
    )
}

fn ceremony_key(secret: &str) -> Key {
    Key::new(
        format!("PASSKEYCEREMONY#{}", sha256_hex(secret)),
        "PASSKEYCEREMONY",
    )
}

/// A credential id as stored: base64url without padding.
pub fn credential_id(raw: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(raw)
}

impl Passkeys {
    /// The issuer's relying party on the table, or `None` where passkeys cannot work.
    pub fn new(issuer: &str, table: Arc<dyn Table>, clock: Arc<dyn Clock>) -> Option<Self> {
        relying_party(issuer).map(|webauthn| Self {
            webauthn: Arc::new(webauthn),
            table,
            clock,
        })
    }

    /// Stores a ceremony under a new browser secret, which the caller sets as a cookie.
    async fn keep(&self, ceremony: &Ceremony) -> Result<String, PasskeyError> {
        let secret = random_token();
        let item = ItemWrite::from_serde(ceremony_key(&secret), ceremony)?
            .expires_at(self.clock.unix_seconds() + CEREMONY_SECONDS);
        self.table.put(item, Condition::NotExists).await?;
        Ok(secret)
    }

    /// Takes this browser's ceremony: read and deleted at its version, so it is used once.
    async fn take(&self, secret: &str) -> Result<Ceremony, PasskeyError> {
        let key = ceremony_key(secret);
        let Some(item) = self.table.get(&key).await? else {
            return Err(PasskeyError::NoCeremony);
        };
        match self
            .table
            .delete(&key, Condition::Version(item.version))
            .await
        {
            Ok(()) => {}
            Err(e) if e.is_condition_failure() => return Err(PasskeyError::NoCeremony),
            Err(e) => return Err(e.into()),
        }
        item.parse().map_err(|_| PasskeyError::NoCeremony)
    }

    /// Starts registering a passkey for the account (its passkeys excluded, so one
    /// authenticator is not registered twice). Returns the browser secret and the options.
    pub async fn start_registration(
        &self,
        account: &Account,
        existing: &[StoredPasskey],
    ) -> Result<(String, CreationChallengeResponse), PasskeyError> {
        let exclude = existing
            .iter()
            .filter_map(|k| URL_SAFE_NO_PAD.decode(&k.credential_id).ok())
            .collect::<Vec<_>>();
        let (options, state) = self
            .webauthn
            .start_passkey_registration(account.id, &account.email, &account.name, Some(exclude))
            .map_err(|e| PasskeyError::Storage(e.to_string()))?;
        let secret = self
            .keep(&Ceremony::Register {
                account_id: account.id,
                state,
            })
            .await?;
        Ok((secret, options))
    }

    /// Finishes a registration this browser started for this account and stores the passkey.
    pub async fn finish_registration(
        &self,
        accounts: &Accounts,
        secret: &str,
        account_id: Uuid,
        name: &str,
        answer: &RegisterPublicKeyCredential,
    ) -> Result<StoredPasskey, PasskeyError> {
        let Ceremony::Register {
            account_id: started_for,
            state,
        } = self.take(secret).await?
        else {
            return Err(PasskeyError::NoCeremony);
        };
        if started_for != account_id {
            return Err(PasskeyError::NoCeremony);
        }
        let passkey: Passkey = self
            .webauthn
            .finish_passkey_registration(answer, &state)
            .map_err(|e| {
                tracing::warn!(error = %e, "passkey registration refused");
                PasskeyError::Refused
            })?;
        let credential =
            serde_json::to_value(&passkey).map_err(|e| PasskeyError::Storage(e.to_string()))?;
        let new = NewPasskey {
            credential_id: credential_id(passkey.cred_id().as_ref()),
            name: name.to_owned(),
            counter: 0,
            backup_state: false,
            credential,
        };
        accounts
            .add_passkey(account_id, new)
            .await
            .map_err(|e| match e {
                AccountError::PasskeyTaken => PasskeyError::Taken,
                AccountError::InvalidName | AccountError::TooManyPasskeys => PasskeyError::Refused,
                other => PasskeyError::Storage(other.to_string()),
            })
    }

    /// Starts a sign-in with a discoverable passkey, user verification required.
    pub async fn start_sign_in(&self) -> Result<(String, RequestChallengeResponse), PasskeyError> {
        let (options, state) = self
            .webauthn
            .start_discoverable_authentication()
            .map_err(|e| PasskeyError::Storage(e.to_string()))?;
        let secret = self.keep(&Ceremony::SignIn { state }).await?;
        Ok((secret, options))
    }

    /// Finishes a sign-in this browser started: the account whose passkey verified, with its
    /// counter recorded (a counter going back is refused).
    pub async fn finish_sign_in(
        &self,
        accounts: &Accounts,
        secret: &str,
        answer: &PublicKeyCredential,
    ) -> Result<Account, PasskeyError> {
        let Ceremony::SignIn { state } = self.take(secret).await? else {
            return Err(PasskeyError::NoCeremony);
        };
        let (user, raw_id) = self
            .webauthn
            .identify_discoverable_authentication(answer)
            .map_err(|_| PasskeyError::Refused)?;
        let id = credential_id(raw_id);
        let stored = accounts
            .passkey_by_credential(&id)
            .await
            .map_err(|e| PasskeyError::Storage(e.to_string()))?
            .ok_or(PasskeyError::Refused)?;
        if stored.account_id != user {
            return Err(PasskeyError::Refused);
        }
        let mut passkey: Passkey = serde_json::from_value(stored.credential.clone())
            .map_err(|e| PasskeyError::Storage(e.to_string()))?;
        let result = self
            .webauthn
            .finish_discoverable_authentication_v2(answer, state, DiscoverableKey::from(&passkey))
            .map_err(|e| {
                tracing::warn!(error = %e, "passkey sign-in refused");
                PasskeyError::Refused
            })?;
        if !result.user_verified() {
            return Err(PasskeyError::Refused);
        }
        let changed = passkey.update_credential(&result).unwrap_or(false);
        let credential = if changed {
            Some(serde_json::to_value(&passkey).map_err(|e| PasskeyError::Storage(e.to_string()))?)
        } else {
            None
        };
        accounts
            .record_passkey_use(
                stored.account_id,
                &id,
                PasskeyUse {
                    counter: result.counter(),
                    backup_state: result.backup_state(),
                    credential,
                },
            )
            .await
            .map_err(|e| match e {
                AccountError::InvalidSecondFactor => PasskeyError::Refused,
                other => PasskeyError::Storage(other.to_string()),
            })?;
        let account = accounts
            .get(stored.account_id)
            .await
            .map_err(|e| PasskeyError::Storage(e.to_string()))?
            .ok_or(PasskeyError::Refused)?;
        if !account.email_verified {
            return Err(PasskeyError::Refused);
        }
        Ok(account)
    }
}

#[cfg(test)]
mod tests {
    use super::relying_party;

    #[test]
    fn the_relying_party_follows_the_issuer() {
        let rp = relying_party("https://id.varoskapu.hu").expect("a domain");
        assert_eq!(
            rp.get_allowed_origins()[0].as_str(),
            "https://id.varoskapu.hu/"
        );
        let local = relying_party("http://127.0.0.1:8080").expect("loopback");
        let origins: Vec<&str> = local
            .get_allowed_origins()
            .iter()
            .map(|u| u.as_str())
            .collect();
        assert_eq!(
            origins,
            ["http://localhost:8080/", "http://127.0.0.1:8080/"]
        );
        assert!(
            relying_party("http://192.0.2.1:8080").is_none(),
            "no IP RP id"
        );
    }
}
