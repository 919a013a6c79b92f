//! The provider's use cases: issuing codes, the token endpoint's grants, validating access
//! tokens, UserInfo, introspection and revocation. No HTTP here.
//!
//! Every token names the person by the receiving client's own subject, and every access token
//! names as audience only the APIs its scopes open (RFC 9068, RFC 8707).
//!
//! This module holds the `Provider` with its discovery document, keys and subjects; each
//! use case is an `impl Provider` block of its own submodule.

mod access_tokens;
mod authorization;
mod client_auth;
mod token;

pub use client_auth::ClientCredentials;
pub use token::{TokenForm, TokenResponse};

use crate::clients::{Client, ClientRegistry};
use crate::codes::Codes;
use crate::config::IdpConfig;
use crate::consents::Consents;
use crate::error::OAuthError;
use crate::keys::SigningKeys;
use crate::pending::PendingLogins;
use crate::refresh::{RefreshError, RefreshTokens};
use crate::sessions::Sessions;
use serde_json::{Value, json};
use std::sync::Arc;
use uuid::Uuid;
use varoskapu_accounts::Accounts;
use varoskapu_core::access::{PairwiseSubjects, Scope};
use varoskapu_core::{Clock, Table};
use varoskapu_jose::{AccessTokenClaims, JwkSet, VerifiedTokens};

/// The assurance levels, defined with the APIs that enforce them; re-exported where they
/// were first defined.
pub use varoskapu_core::access::{ACR_FEDERATED, ACR_MFA, ACR_PASSWORD};

/// Everything the provider needs, shared: every request's handler gets a clone, which is
/// one reference count rather than one per part.
#[derive(Clone)]
pub struct Provider(Arc<ProviderParts>);

impl std::ops::Deref for Provider {
    type Target = ProviderParts;

    fn deref(&self) -> &ProviderParts {
        &self.0
    }
}

/// The parts of a [`Provider`].
pub struct ProviderParts {
    pub config: Arc<IdpConfig>,
    pub table: Arc<dyn Table>,
    pub clock: Arc<dyn Clock>,
    pub keys: Arc<dyn SigningKeys>,
    pub accounts: Accounts,
    pub clients: ClientRegistry,
    pub codes: Codes,
    pub refresh: RefreshTokens,
    pub sessions: Sessions,
    pub pending: PendingLogins,
    pub consents: Consents,
    /// Where pairwise subjects handed out are recorded, so the APIs can map them back.
    pub subjects: PairwiseSubjects,
    /// For server-to-server calls (back-channel logout).
    pub http: reqwest::Client,
    /// The broker to the upstream eID provider, when configured.
    pub federation: Option<Arc<crate::federation::Federation>>,
    /// The passkeys' relying party, where the issuer's host allows one.
    pub passkeys: Option<crate::passkeys::Passkeys>,
    /// Access tokens whose signature verified, so that a token used again is not verified
    /// again (its claims and revocation still are, on every use).
    pub verified: VerifiedTokens<AccessTokenClaims>,
}

impl Provider {
    pub fn new(
        table: Arc<dyn Table>,
        clock: Arc<dyn Clock>,
        keys: Arc<dyn SigningKeys>,
        accounts: Accounts,
        config: IdpConfig,
    ) -> Self {
        Self(Arc::new(ProviderParts {
            clients: ClientRegistry::new(table.clone(), clock.clone()),
            codes: Codes::new(table.clone(), clock.clone(), config.code_seconds),
            refresh: RefreshTokens::new(table.clone(), clock.clone(), config.refresh_token_seconds),
            sessions: Sessions::new(table.clone(), clock.clone(), config.session_seconds),
            pending: PendingLogins::new(table.clone(), clock.clone(), config.login_seconds),
            consents: Consents::new(table.clone()),
            subjects: PairwiseSubjects::new(table.clone()),
            http: reqwest::Client::new(),
            federation: config.upstream.clone().map(|upstream| {
                Arc::new(crate::federation::Federation::new(
                    upstream,
                    config.url("/oauth2/federated/callback"),
                    table.clone(),
                    clock.clone(),
                    accounts.clone(),
                ))
            }),
            passkeys: crate::passkeys::Passkeys::new(&config.issuer, table.clone(), clock.clone()),
            config: Arc::new(config),
            table,
            clock,
            keys,
            accounts,
            verified: VerifiedTokens::default(),
        }))
    }

    /// The discovery document (OpenID Connect Discovery 1.0 §3).
    pub fn discovery(&self) -> Value {
        let c = &self.config;
        json!({
            "issuer": c.issuer,
            "authorization_endpoint": c.url("/oauth2/authorize"),
            "token_endpoint": c.url("/oauth2/token"),
            "userinfo_endpoint": c.url("/oauth2/userinfo"),
            "jwks_uri": c.url("/oauth2/jwks"),
            "revocation_endpoint": c.url("/oauth2/revoke"),
            "introspection_endpoint": c.url("/oauth2/introspect"),
            "end_session_endpoint": c.url("/oauth2/logout"),
            "backchannel_logout_supported": true,
            "backchannel_logout_session_supported": true,
            "scopes_supported": Scope::ALL.map(Scope::as_str),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "subject_types_supported": ["public", "pairwise"],
            "id_token_signing_alg_values_supported": varoskapu_jose::JwsAlgorithm::ALL.map(|a| a.as_str()),
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
            "token_endpoint_auth_signing_alg_values_supported": ["ES256"],
            "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
            "revocation_endpoint_auth_signing_alg_values_supported": ["ES256"],
            "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt"],
            "introspection_endpoint_auth_signing_alg_values_supported": ["ES256"],
            "code_challenge_methods_supported": ["S256"],
            "acr_values_supported": [ACR_PASSWORD, ACR_MFA, ACR_FEDERATED],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "sid", "acr", "amr",
                "name", "given_name", "family_name", "email", "email_verified", "roles"],
            "prompt_values_supported": ["none", "login", "consent"],
            "authorization_response_iss_parameter_supported": true,
            "request_parameter_supported": false,
            "request_uri_parameter_supported": false,
            "claims_parameter_supported": false,
            "ui_locales_supported": ["hu", "en"],
        })
    }

    pub async fn jwks(&self) -> Result<JwkSet, OAuthError> {
        Ok(self.keys.published().await?)
    }

    /// The `sub` to put into something `client` receives, recorded first when it is a
    /// pairwise subject so that the APIs can map it back to the person.
    pub async fn subject_issued_to(
        &self,
        client: &Client,
        account: Uuid,
    ) -> Result<String, OAuthError> {
        let sub = self.subject_for(client, account);
        if client.pairwise {
            self.subjects.remember(&sub, account).await?;
        }
        Ok(sub)
    }

    /// The `sub` a client sees for an account: the account id, or for a pairwise client
    /// SHA-256(sector, account id, salt), stable per client sector and unlinkable across them.
    pub fn subject_for(&self, client: &Client, account: Uuid) -> String {
        if !client.pairwise {
            return account.to_string();
        }
        let input = format!(
            "{}\n{account}\n{}",
            client.sector(),
            self.config.pairwise_salt
        );
        varoskapu_jose::b64url(&<sha2::Sha256 as sha2::Digest>::digest(input.as_bytes()))
    }
}

fn server(e: RefreshError) -> OAuthError {
    OAuthError::Server(e.to_string())
}
