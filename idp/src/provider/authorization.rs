//! What the authorization endpoint and the provider's pages ask of it: the session behind a
//! cookie, a code for a signed-in session, and the ID token a logout request names.

use super::Provider;
use crate::authorize::AuthorizationRequest;
use crate::codes::CodeGrant;
use crate::error::OAuthError;
use crate::sessions::Session;
use crate::tokens::IdTokenClaims;
use serde_json::Value;

impl Provider {
    /// The session behind a cookie, unless the account's password was set again since it
    /// began (a reset signs the person out everywhere).
    pub async fn live_session(&self, secret: &str) -> Result<Option<Session>, OAuthError> {
        let Some(session) = self
            .sessions
            .get(secret)
            .await
            .map_err(|e| OAuthError::Server(e.to_string()))?
        else {
            return Ok(None);
        };
        match self.accounts.get(session.account_id).await? {
            Some(account) if account.signed_in_since_last_credential_change(session.auth_time) => {
                Ok(Some(session))
            }
            _ => {
                self.sessions
                    .end(secret)
                    .await
                    .map_err(|e| OAuthError::Server(e.to_string()))?;
                Ok(None)
            }
        }
    }

    /// Issues a code for a validated request to a signed-in session.
    pub async fn issue_code(
        &self,
        request: &AuthorizationRequest,
        session: &Session,
    ) -> Result<String, OAuthError> {
        let grant = CodeGrant {
            client_id: request.client_id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            account_id: session.account_id,
            scopes: request.scopes.clone(),
            nonce: request.nonce.clone(),
            code_challenge: request.code_challenge.clone(),
            auth_time: session.auth_time,
            sid: session.sid.clone(),
            acr: session.acr.clone(),
        };
        self.codes
            .issue(grant)
            .await
            .map_err(|e| OAuthError::Server(e.to_string()))
    }

    /// The claims of an ID token this provider issued, expired or not (`id_token_hint`).
    pub async fn id_token_hint(&self, hint: &str) -> Option<IdTokenClaims> {
        let keys = self.keys.published().await.ok()?;
        // The algorithm is the one of the client the token names, never the token's header.
        let aud = hint
            .split('.')
            .nth(1)
            .and_then(varoskapu_jose::b64url_decode)
            .and_then(|payload| serde_json::from_slice::<Value>(&payload).ok())
            .and_then(|claims| claims["aud"].as_str().map(str::to_owned))?;
        let alg = self
            .clients
            .get(&aud)
            .await
            .ok()
            .flatten()?
            .id_token_signed_response_alg;
        let (_, claims): (_, IdTokenClaims) = varoskapu_jose::verify(hint, &keys, alg).ok()?;
        (claims.iss == self.config.issuer).then_some(claims)
    }
}
