//! The Városkapu OpenID Connect provider.
//!
//! The protocol (authorization requests, codes, refresh-token families, client registry,
//! token minting and validation, SSO sessions) is plain library code over the `Table`,
//! `Clock` and [`keys::SigningKeys`] ports; [`web`] is the thin axum layer that serves it.

pub mod account;
pub mod authorize;
pub mod backchannel;
pub mod clients;
pub mod codes;
pub mod config;
pub mod consents;
pub mod error;
pub mod federation;
pub mod keys;
pub mod passkeys;
pub mod pending;
pub mod pkce;
pub mod provider;
pub mod refresh;
pub mod resources;
/// Random secrets and their stored hashes live in the domain core, shared with the pages.
pub use varoskapu_core::secrets;
pub mod sessions;
pub mod tokens;
pub mod web;

pub use clients::{Client, ClientRegistry, NewClient};
pub use config::IdpConfig;
pub use error::OAuthError;
pub use keys::{ActiveKey, FileKeyStore, KeyError, Rs256Signer, SigningKeys, TokenSigner};
pub use provider::Provider;
pub use varoskapu_jose::JwsAlgorithm;
pub use web::{openapi, router};
