//! The account record and how it sits in the table.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;
use varoskapu_core::Key;

/// The stable identifier of an account (the `sub` the provider issues).
pub type AccountId = Uuid;

pub use varoskapu_core::access::Role;

/// A person's account; its Debug output leaves the password hash out.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: AccountId,
    /// Normalised (trimmed, lower case).
    pub email: String,
    pub email_verified: bool,
    pub name: String,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub roles: Vec<Role>,
    pub password_hash: String,
    pub created_at: jiff::Timestamp,
    /// The TOTP secret (base32) when the second factor is on.
    #[serde(default)]
    pub totp_secret: Option<String>,
    /// The last TOTP step accepted, so that a code is never accepted twice.
    #[serde(default)]
    pub totp_last_step: Option<u64>,
    /// When the password was last set by its owner (Unix seconds): sign-ins and the grants
    /// made before it no longer count.
    #[serde(default)]
    pub credentials_changed_at: Option<i64>,
    /// The SHA-256 of each one-time recovery code not yet used (the codes themselves are
    /// shown once, when the second factor is set up).
    #[serde(default)]
    pub recovery_codes: Vec<String>,
    /// The case types of a staff member's post: the office's queue, start page and diary
    /// show her these. Empty: her post covers every case type (a small office).
    #[serde(default)]
    pub case_types: Vec<String>,
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("id", &self.id)
            .field("roles", &self.roles)
            .finish_non_exhaustive()
    }
}

impl Account {
    pub fn key(id: AccountId) -> Key {
        Key::new(format!("ACCOUNT#{id}"), "ACCOUNT")
    }

    /// Whether signing in needs a second factor.
    pub fn has_second_factor(&self) -> bool {
        self.totp_secret.is_some()
    }

    /// Whether a sign-in at `auth_time` (Unix seconds) still stands: not if the password
    /// was set again since (a reset, or the owner claiming a squatted address). Times are
    /// whole seconds, so a sign-in in the very second of the change counts as before it.
    pub fn signed_in_since_last_credential_change(&self, auth_time: i64) -> bool {
        self.credentials_changed_at
            .is_none_or(|changed| auth_time > changed)
    }

    pub fn role_names(&self) -> Vec<String> {
        self.roles.iter().map(|r| r.as_str().to_owned()).collect()
    }
}

/// The item that makes an e-mail address unique to one account.
pub fn email_key(email: &str) -> Key {
    Key::new(format!("EMAIL#{email}"), "EMAIL")
}

/// What an operator or the seed gives to create an account directly.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub email: String,
    pub password: String,
    pub name: String,
    pub roles: Vec<Role>,
}

/// Trims and lower-cases an e-mail address; `None` if it cannot be one.
pub fn normalize_email(email: &str) -> Option<String> {
    let email = email.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    let ok = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then_some(email)
}

/// Splits a full name into given and family names, Hungarian order (family name first).
pub fn split_name(name: &str) -> (Option<String>, Option<String>) {
    let mut parts = name.split_whitespace();
    let family = parts.next().map(str::to_owned);
    let given: Vec<&str> = parts.collect();
    let given = (!given.is_empty()).then(|| given.join(" "));
    (given, family)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_nonsense_refused() {
        assert_eq!(
            normalize_email("  Anna@Example.HU "),
            Some("anna@example.hu".into())
        );
        for bad in ["", "anna", "@x.hu", "anna@", "anna@hu", "an na@x.hu"] {
            assert_eq!(normalize_email(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn names_split_family_name_first() {
        assert_eq!(
            split_name("Kovács Anna Mária"),
            (Some("Anna Mária".into()), Some("Kovács".into()))
        );
    }
}
