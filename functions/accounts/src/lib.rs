//! Accounts of the people who sign in to Városkapu (citizens, clerks, signatories, admins):
//! their records on the `Table`, Argon2id password hashes, e-mail verification and password
//! reset through the core `Notifier` port, and throttling of repeated failures.
//!
//! The `register` and `authenticate` functions and the identity provider's login page are
//! thin adapters over [`Accounts`].

pub mod account;
pub mod addresses;
pub mod pages;
pub mod password;
pub mod problem;
pub mod service;
pub mod throttle;
pub mod tokens;
pub mod totp;

pub use account::{Account, AccountId, NewAccount, Role};
pub use addresses::AccountAddresses;
pub use password::Passwords;
pub use service::{
    AccountError, Accounts, AccountsConfig, NewPasskey, PasskeyUse, StoredPasskey, passkey_name,
};
pub use throttle::{Throttle, ThrottleLimits};
