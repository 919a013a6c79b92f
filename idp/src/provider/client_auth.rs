//! Client authentication at the token, revocation and introspection endpoints: a secret,
//! or a `private_key_jwt` assertion (RFC 7523) used once.

use super::Provider;
use crate::clients::{Client, ClientError};
use crate::error::OAuthError;
use serde::Deserialize;
use serde_json::Value;
use varoskapu_core::{Condition, ItemWrite, Key};
use varoskapu_jose::{JwsAlgorithm, peek_header, verify_with_key};

/// A client's credentials as presented to the token endpoint.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    pub client_id: String,
    pub secret: Option<String>,
    /// A `private_key_jwt` client assertion (RFC 7523).
    pub assertion: Option<String>,
}

/// The claims of a `private_key_jwt` client assertion.
#[derive(Debug, Deserialize)]
struct AssertionClaims {
    iss: String,
    sub: String,
    /// Kept raw: only the issuer as a single string is accepted.
    aud: Value,
    exp: i64,
    jti: String,
}

/// The longest lifetime accepted for a client assertion, so replay records stay small.
const MAX_ASSERTION_SECONDS: i64 = 600;

impl Provider {
    /// Authenticates the client calling the token, revocation or introspection endpoint.
    pub async fn authenticate_client(
        &self,
        credentials: &ClientCredentials,
    ) -> Result<Client, OAuthError> {
        if let Some(assertion) = &credentials.assertion {
            return self
                .authenticate_assertion(&credentials.client_id, assertion)
                .await;
        }
        match self
            .clients
            .authenticate(&credentials.client_id, credentials.secret.as_deref())
            .await
        {
            Ok(client) => Ok(client),
            Err(ClientError::Storage(e)) => Err(e.into()),
            Err(_) => Err(OAuthError::InvalidClient),
        }
    }

    /// `private_key_jwt`: a short-lived assertion signed with one of the client's registered
    /// keys, naming the client as issuer and subject and this provider as audience, used once.
    /// The audience is the issuer identifier as one string, nothing else: an assertion made
    /// for a token endpoint URL or for several audiences could have been replayed from
    /// another server (OpenID Foundation advisory, 2025). With a single registered key the
    /// assertion may name no `kid`.
    async fn authenticate_assertion(
        &self,
        client_id: &str,
        assertion: &str,
    ) -> Result<Client, OAuthError> {
        let client = self
            .clients
            .get(client_id)
            .await
            .map_err(|e| OAuthError::Server(e.to_string()))?
            .ok_or(OAuthError::InvalidClient)?;
        let keys = client.jwks.as_ref().ok_or(OAuthError::InvalidClient)?;
        let header = peek_header(assertion).map_err(|_| OAuthError::InvalidClient)?;
        let key = match header.kid.as_deref().and_then(|kid| keys.find(kid)) {
            Some(key) => key,
            None => match keys.keys.as_slice() {
                [only] if header.kid.is_none() || only.kid.is_none() => only,
                _ => return Err(OAuthError::InvalidClient),
            },
        };
        let (_, claims): (_, AssertionClaims) =
            verify_with_key(assertion, key, JwsAlgorithm::Es256)
                .map_err(|_| OAuthError::InvalidClient)?;
        let now = self.clock.unix_seconds();
        let valid = claims.iss == client.client_id
            && claims.sub == client.client_id
            && claims.aud.as_str() == Some(self.config.issuer.as_str())
            && claims.exp > now
            && claims.exp <= now + MAX_ASSERTION_SECONDS
            && !claims.jti.is_empty();
        if !valid {
            return Err(OAuthError::InvalidClient);
        }
        let seen = Key::new(
            format!("ASSERTION#{}", client.client_id),
            crate::secrets::sha256_hex(&claims.jti),
        );
        let item = ItemWrite::new(seen, Default::default()).expires_at(claims.exp + 60);
        match self.table.put(item, Condition::NotExists).await {
            Ok(_) => Ok(client),
            Err(e) if e.is_condition_failure() => {
                tracing::warn!("client assertion replayed");
                Err(OAuthError::InvalidClient)
            }
            Err(e) => Err(e.into()),
        }
    }
}
