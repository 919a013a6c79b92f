//! Back-channel logout (OpenID Connect Back-Channel Logout 1.0): when a session ends, every
//! client it signed in to that registered a `backchannel_logout_uri` receives a signed logout
//! token, POSTed server to server. The token names the person by that client's own subject.

use crate::keys::{ActiveKey, KeyError};
use crate::provider::Provider;
use crate::sessions::Session;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::time::Duration;

/// The event a logout token carries.
pub const LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// The claims of a logout token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogoutTokenClaims {
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    pub sub: String,
    pub sid: String,
    pub events: Map<String, Value>,
}

/// Signs a logout token for one client; `sub` is the subject that client knows the person by.
pub async fn logout_token(
    key: &ActiveKey,
    issuer: &str,
    client_id: &str,
    sub: &str,
    session: &Session,
    now: i64,
) -> Result<String, KeyError> {
    let mut events = Map::new();
    events.insert(LOGOUT_EVENT.into(), json!({}));
    let claims = LogoutTokenClaims {
        iss: issuer.to_owned(),
        aud: client_id.to_owned(),
        iat: now,
        exp: now + 120,
        jti: uuid::Uuid::now_v7().to_string(),
        sub: sub.to_owned(),
        sid: session.sid.clone(),
        events,
    };
    key.sign("logout+jwt", &claims).await
}

/// Notifies every client of an ended session, in the background; failures are logged.
pub async fn notify_clients(provider: &Provider, session: &Session) {
    let now = provider.clock.unix_seconds();
    for client_id in &session.clients {
        let client = match provider.clients.get(client_id).await {
            Ok(Some(client)) => client,
            Ok(None) => continue,
            Err(e) => {
                tracing::warn!(error = %e, "back-channel logout: client lookup failed");
                continue;
            }
        };
        let Some(uri) = client.backchannel_logout_uri.clone() else {
            continue;
        };
        // Logout tokens are signed like the client's ID tokens, so it can verify both alike.
        let key = match provider
            .keys
            .signing_key_for(client.id_token_signed_response_alg)
            .await
        {
            Ok(key) => key,
            Err(e) => {
                tracing::error!(error = %e, "back-channel logout: no signing key");
                continue;
            }
        };
        let sub = match provider
            .subject_issued_to(&client, session.account_id)
            .await
        {
            Ok(sub) => sub,
            Err(e) => {
                tracing::error!(error = %e, "back-channel logout: subject not recorded");
                continue;
            }
        };
        let issuer = &provider.config.issuer;
        let token = match logout_token(&key, issuer, client_id, &sub, session, now).await {
            Ok(token) => token,
            Err(e) => {
                tracing::error!(error = %e, "back-channel logout: signing failed");
                return;
            }
        };
        let http = provider.http.clone();
        let client_id = client_id.clone();
        tokio::spawn(async move {
            let sent = http
                .post(&uri)
                .timeout(Duration::from_secs(5))
                .form(&[("logout_token", token)])
                .send()
                .await;
            match sent {
                Ok(response) if response.status().is_success() => {
                    tracing::info!(%client_id, "back-channel logout delivered");
                }
                Ok(response) => {
                    tracing::warn!(%client_id, status = %response.status(), "back-channel logout refused");
                }
                Err(e) => tracing::warn!(%client_id, error = %e, "back-channel logout failed"),
            }
        });
    }
}
