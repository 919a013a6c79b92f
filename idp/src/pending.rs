//! Authorization requests waiting for the person to sign in. Each is bound to the browser
//! that started it (a cookie whose hash it stores) and carries a CSRF token for the login form.

use crate::authorize::AuthorizationRequest;
use crate::secrets::{constant_time_eq, random_token, sha256_hex};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use varoskapu_core::{Clock, Condition, ItemWrite, Key, Table, TableError};

/// A request shown as a login page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingLogin {
    pub request: AuthorizationRequest,
    pub csrf: String,
    browser_sha256: String,
    /// Set once the password was right and the second factor is awaited.
    #[serde(default)]
    pub account_id: Option<uuid::Uuid>,
}

impl PendingLogin {
    /// Whether a form post comes from the browser that got the page, with its CSRF token.
    pub fn accepts(&self, csrf: Option<&str>, browser: Option<&str>) -> bool {
        let csrf_ok = csrf.is_some_and(|c| constant_time_eq(c, &self.csrf));
        let browser_ok =
            browser.is_some_and(|b| constant_time_eq(&sha256_hex(b), &self.browser_sha256));
        csrf_ok && browser_ok
    }
}

/// Pending logins on the table.
#[derive(Clone)]
pub struct PendingLogins {
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
    lifetime: i64,
}

impl PendingLogins {
    pub fn new(table: Arc<dyn Table>, clock: Arc<dyn Clock>, lifetime: i64) -> Self {
        Self {
            table,
            clock,
            lifetime,
        }
    }

    fn key(id: &str) -> Key {
        Key::new(format!("LOGIN#{}", sha256_hex(id)), "LOGIN")
    }

    /// Stores a request for the browser holding `browser`; returns its id and CSRF token.
    pub async fn create(
        &self,
        request: AuthorizationRequest,
        browser: &str,
    ) -> Result<(String, PendingLogin), TableError> {
        self.create_for(request, browser, None).await
    }

    /// Stores a request whose password step is done, awaiting the account's second factor.
    pub async fn create_for(
        &self,
        request: AuthorizationRequest,
        browser: &str,
        account_id: Option<uuid::Uuid>,
    ) -> Result<(String, PendingLogin), TableError> {
        let id = random_token();
        let pending = PendingLogin {
            request,
            csrf: random_token(),
            browser_sha256: sha256_hex(browser),
            account_id,
        };
        let item = ItemWrite::from_serde(Self::key(&id), &pending)?
            .expires_at(self.clock.unix_seconds() + self.lifetime);
        self.table.put(item, Condition::NotExists).await?;
        Ok((id, pending))
    }

    pub async fn get(&self, id: &str) -> Result<Option<PendingLogin>, TableError> {
        match self.table.get(&Self::key(id)).await? {
            Some(item) => Ok(Some(item.parse()?)),
            None => Ok(None),
        }
    }

    /// Ends a pending request once; `false` if it was already ended.
    pub async fn finish(&self, id: &str) -> Result<bool, TableError> {
        match self.table.delete(&Self::key(id), Condition::Exists).await {
            Ok(()) => Ok(true),
            Err(e) if e.is_condition_failure() => Ok(false),
            Err(e) => Err(e),
        }
    }
}
