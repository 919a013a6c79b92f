//! Server-side browser sessions of the pages (backend-for-frontend): the browser holds only
//! a random secret in an HttpOnly cookie; the table holds, under the secret's SHA-256, the
//! session's CSRF token and whatever the page crate keeps (tokens, the person's id), with a
//! TTL that each use extends. A leaked table row cannot be turned back into a cookie.

use crate::cookies;
use axum::http::{HeaderMap, HeaderValue};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use varoskapu_core::secrets::{random_token, sha256_hex};
use varoskapu_core::{Clock, Condition, ItemWrite, Key, Table, TableError, Update};

/// One signed-in browser: its CSRF token and the page crate's data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BrowserSession<T> {
    /// The token every form of this session carries.
    pub csrf: String,
    pub data: T,
}

/// Sessions of one kind of pages (portal, office) on the table.
#[derive(Clone)]
pub struct BrowserSessions {
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
    /// Tells the kinds apart in the table and names the cookie.
    kind: &'static str,
    /// Idle lifetime in seconds; each use starts it again.
    lifetime: i64,
    secure: bool,
}

impl BrowserSessions {
    /// Sessions whose cookie is `vk_<kind>`; `secure` when served over HTTPS.
    pub fn new(
        table: Arc<dyn Table>,
        clock: Arc<dyn Clock>,
        kind: &'static str,
        lifetime: i64,
        secure: bool,
    ) -> Self {
        Self {
            table,
            clock,
            kind,
            lifetime,
            secure,
        }
    }

    /// Whether the cookies are for HTTPS (`__Host-`, Secure).
    pub fn secure(&self) -> bool {
        self.secure
    }

    fn cookie_name(&self) -> String {
        format!("vk_{}", self.kind)
    }

    fn key(&self, secret: &str) -> Key {
        Key::new(
            format!("WEBSESSION#{}#{}", self.kind, sha256_hex(secret)),
            "WEBSESSION",
        )
    }

    /// Starts a session with `data`; the answer's `Set-Cookie` carries its secret.
    pub async fn start<T: Serialize>(
        &self,
        data: T,
    ) -> Result<(String, BrowserSession<T>, HeaderValue), TableError> {
        let secret = random_token();
        let session = BrowserSession {
            csrf: random_token(),
            data,
        };
        let expires = self.clock.unix_seconds() + self.lifetime;
        let item = ItemWrite::from_serde(self.key(&secret), &session)?.expires_at(expires);
        self.table.put(item, Condition::NotExists).await?;
        let cookie = cookies::set(&self.cookie_name(), &secret, self.lifetime, self.secure);
        Ok((secret, session, cookie))
    }

    /// The session of the browser that sent `headers`, with its secret, if it has a live one.
    pub async fn load<T: DeserializeOwned>(
        &self,
        headers: &HeaderMap,
    ) -> Result<Option<(String, BrowserSession<T>)>, TableError> {
        let Some(secret) = cookies::read(headers, &self.cookie_name(), self.secure) else {
            return Ok(None);
        };
        match self.table.get(&self.key(&secret)).await? {
            Some(item) => Ok(Some((secret, item.parse()?))),
            None => Ok(None),
        }
    }

    /// Stores the session's changed data and extends its lifetime; a session ended in the
    /// meantime stays ended.
    pub async fn save<T: Serialize>(
        &self,
        secret: &str,
        session: &BrowserSession<T>,
    ) -> Result<(), TableError> {
        let data =
            serde_json::to_value(&session.data).map_err(|e| TableError::Invalid(e.to_string()))?;
        let update = Update::default()
            .set("data", data)
            .ttl(Some(self.clock.unix_seconds() + self.lifetime));
        self.table
            .update(&self.key(secret), update, Condition::Exists)
            .await
            .map(|_| ())
    }

    /// Ends the session; the answer's `Set-Cookie` deletes the cookie.
    pub async fn end(&self, secret: &str) -> Result<HeaderValue, TableError> {
        self.table
            .delete(&self.key(secret), Condition::None)
            .await?;
        Ok(self.clear())
    }

    /// A `Set-Cookie` that deletes this kind's cookie.
    pub fn clear(&self) -> HeaderValue {
        cookies::set(&self.cookie_name(), "", 0, self.secure)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header;
    use varoskapu_core::{MemoryTable, SystemClock};

    fn sessions() -> (Arc<MemoryTable>, BrowserSessions) {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let table = Arc::new(MemoryTable::new(clock.clone()));
        let sessions = BrowserSessions::new(table.clone(), clock, "portal", 600, true);
        (table, sessions)
    }

    fn sent(cookie: &HeaderValue) -> HeaderMap {
        let pair = cookie
            .to_str()
            .expect("ascii")
            .split(';')
            .next()
            .expect("pair");
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(pair).expect("ascii"));
        headers
    }

    #[test]
    fn a_session_is_found_by_its_cookie_and_gone_once_ended() {
        futures::executor::block_on(async {
            let (_, sessions) = sessions();
            let (secret, started, cookie) = sessions.start(7u32).await.expect("start");
            assert!(
                cookie
                    .to_str()
                    .expect("ascii")
                    .starts_with("__Host-vk_portal=")
            );
            let headers = sent(&cookie);
            let (found, session) = sessions
                .load::<u32>(&headers)
                .await
                .expect("load")
                .expect("live");
            assert_eq!((found.as_str(), session.data), (secret.as_str(), 7));
            assert_eq!(session.csrf, started.csrf);
            sessions.end(&secret).await.expect("end");
            assert!(
                sessions
                    .load::<u32>(&headers)
                    .await
                    .expect("load")
                    .is_none()
            );
            // An ended session cannot be brought back by saving it.
            assert!(sessions.save(&secret, &session).await.is_err());
        });
    }

    #[test]
    fn the_table_never_holds_the_cookie_secret() {
        futures::executor::block_on(async {
            let (table, sessions) = sessions();
            let (secret, _, _) = sessions.start("data").await.expect("start");
            let key = sessions.key(&secret);
            let item = table.get(&key).await.expect("get").expect("stored");
            assert!(!key.pk.contains(&secret));
            assert!(
                !serde_json::to_string(&item.data)
                    .expect("json")
                    .contains(&secret)
            );
        });
    }
}
