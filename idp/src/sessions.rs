//! SSO sessions: the cookie holds a random secret, the table holds only its hash. A new
//! session (with a new secret) is created at every login, so a planted cookie is worthless.

use crate::secrets::{random_token, sha256_hex};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use uuid::Uuid;
use varoskapu_core::{Clock, Condition, ItemWrite, Key, Table, TableError, Update};

/// A signed-in browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The public id (`sid` claim); not the cookie secret.
    pub sid: String,
    pub account_id: Uuid,
    pub auth_time: i64,
    /// Clients the session signed in to (for logout).
    #[serde(default)]
    pub clients: Vec<String>,
    /// How the person authenticated (`acr`), e.g. password, second factor, national eID.
    #[serde(default)]
    pub acr: Option<String>,
    /// The token every form of the account pages carries in this session (sessions from
    /// before it existed have none, and their forms are refused until the next sign-in).
    #[serde(default)]
    pub csrf: String,
}

/// Sessions on the table.
#[derive(Clone)]
pub struct Sessions {
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
    lifetime: i64,
}

impl Sessions {
    pub fn new(table: Arc<dyn Table>, clock: Arc<dyn Clock>, lifetime: i64) -> Self {
        Self {
            table,
            clock,
            lifetime,
        }
    }

    fn key(secret: &str) -> Key {
        Key::new(format!("SESSION#{}", sha256_hex(secret)), "SESSION")
    }

    /// Starts a session and returns its cookie secret.
    pub async fn start(
        &self,
        account_id: Uuid,
        acr: Option<String>,
    ) -> Result<(String, Session), TableError> {
        let secret = random_token();
        let now = self.clock.unix_seconds();
        let session = Session {
            sid: Uuid::now_v7().to_string(),
            account_id,
            auth_time: now,
            clients: Vec::new(),
            acr,
            csrf: random_token(),
        };
        let item =
            ItemWrite::from_serde(Self::key(&secret), &session)?.expires_at(now + self.lifetime);
        self.table.put(item, Condition::NotExists).await?;
        Ok((secret, session))
    }

    pub async fn get(&self, secret: &str) -> Result<Option<Session>, TableError> {
        match self.table.get(&Self::key(secret)).await? {
            Some(item) => Ok(Some(item.parse()?)),
            None => Ok(None),
        }
    }

    /// Records that the session signed in to a client.
    pub async fn touch_client(
        &self,
        secret: &str,
        session: &Session,
        client_id: &str,
    ) -> Result<(), TableError> {
        if session.clients.iter().any(|c| c == client_id) {
            return Ok(());
        }
        let mut clients = session.clients.clone();
        clients.push(client_id.to_owned());
        let clients =
            serde_json::to_value(clients).map_err(|e| TableError::Invalid(e.to_string()))?;
        match self
            .table
            .update(
                &Self::key(secret),
                Update::default().set("clients", clients),
                Condition::Exists,
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.is_condition_failure() => Ok(()),
            Err(e) => Err(e),
        }
    }

    pub async fn end(&self, secret: &str) -> Result<(), TableError> {
        self.table.delete(&Self::key(secret), Condition::None).await
    }
}
