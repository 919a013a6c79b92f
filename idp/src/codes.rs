//! Authorization codes: issued once, redeemable once within a minute. A second redemption is
//! refused and tells the caller which token family the first one started, so it can revoke it.

use crate::secrets::{random_token, sha256_hex};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use uuid::Uuid;
use varoskapu_core::{Clock, Condition, ItemWrite, Key, Table, TableError, Update};

/// What a code stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeGrant {
    pub client_id: String,
    pub redirect_uri: String,
    pub account_id: Uuid,
    pub scopes: Vec<String>,
    pub nonce: Option<String>,
    /// The S256 PKCE challenge the redemption must answer.
    pub code_challenge: String,
    pub auth_time: i64,
    /// The public id of the SSO session the code came from.
    pub sid: String,
    /// How the person authenticated.
    #[serde(default)]
    pub acr: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredCode {
    grant: CodeGrant,
    expires_at: i64,
    redeemed: bool,
    family: Option<String>,
}

/// Why a code could not be redeemed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CodeError {
    #[error("the code is unknown or expired")]
    Invalid,
    #[error("the code was already redeemed")]
    Replayed { family: Option<String> },
    #[error(transparent)]
    Storage(#[from] TableError),
}

/// Codes on the table, stored under the SHA-256 of the code.
#[derive(Clone)]
pub struct Codes {
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
    lifetime: i64,
}

/// Redeemed codes are remembered this long, so that a replay is recognised and acted on.
const REMEMBER_SECONDS: i64 = 3600;

impl Codes {
    pub fn new(table: Arc<dyn Table>, clock: Arc<dyn Clock>, lifetime: i64) -> Self {
        Self {
            table,
            clock,
            lifetime,
        }
    }

    fn key(code: &str) -> Key {
        Key::new(format!("CODE#{}", sha256_hex(code)), "CODE")
    }

    /// Issues a new code for a grant.
    pub async fn issue(&self, grant: CodeGrant) -> Result<String, CodeError> {
        let code = random_token();
        let now = self.clock.unix_seconds();
        let stored = StoredCode {
            grant,
            expires_at: now + self.lifetime,
            redeemed: false,
            family: None,
        };
        let item =
            ItemWrite::from_serde(Self::key(&code), &stored)?.expires_at(now + REMEMBER_SECONDS);
        self.table.put(item, Condition::NotExists).await?;
        Ok(code)
    }

    /// Redeems a code once, recording the token family it starts.
    pub async fn redeem(&self, code: &str, family: &str) -> Result<CodeGrant, CodeError> {
        let key = Self::key(code);
        let item = self.table.get(&key).await?.ok_or(CodeError::Invalid)?;
        let stored: StoredCode = item.parse()?;
        if stored.redeemed {
            return Err(CodeError::Replayed {
                family: stored.family,
            });
        }
        if stored.expires_at <= self.clock.unix_seconds() {
            return Err(CodeError::Invalid);
        }
        let update = Update::default()
            .set("redeemed", true)
            .set("family", family);
        match self
            .table
            .update(&key, update, Condition::field_equals("redeemed", false))
            .await
        {
            Ok(_) => Ok(stored.grant),
            Err(e) if e.is_condition_failure() => {
                let family = match self.table.get(&key).await? {
                    Some(item) => item.parse::<StoredCode>()?.family,
                    None => None,
                };
                Err(CodeError::Replayed { family })
            }
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use varoskapu_core::ManualClock;
    use varoskapu_embedded::SqliteTable;

    fn grant() -> CodeGrant {
        CodeGrant {
            client_id: "c".into(),
            redirect_uri: "https://c.example/cb".into(),
            account_id: Uuid::nil(),
            scopes: vec!["openid".into()],
            nonce: None,
            code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(),
            auth_time: 0,
            sid: "s".into(),
            acr: None,
        }
    }

    fn codes() -> (Codes, Arc<ManualClock>) {
        let clock = Arc::new(ManualClock::new(
            jiff::Timestamp::from_second(1_000_000).expect("ts"),
        ));
        let table = Arc::new(SqliteTable::in_memory(clock.clone()).expect("in-memory SQLite"));
        (Codes::new(table, clock.clone(), 60), clock)
    }

    #[tokio::test]
    async fn a_code_redeems_once_and_a_replay_names_the_family() {
        let (codes, _) = codes();
        let code = codes.issue(grant()).await.expect("issues");
        assert_eq!(codes.redeem(&code, "fam1").await, Ok(grant()));
        assert_eq!(
            codes.redeem(&code, "fam2").await,
            Err(CodeError::Replayed {
                family: Some("fam1".into())
            })
        );
    }

    #[tokio::test]
    async fn an_expired_or_unknown_code_is_invalid() {
        let (codes, clock) = codes();
        let code = codes.issue(grant()).await.expect("issues");
        clock.advance(jiff::SignedDuration::from_secs(61));
        assert_eq!(codes.redeem(&code, "f").await, Err(CodeError::Invalid));
        assert_eq!(codes.redeem("nonsense", "f").await, Err(CodeError::Invalid));
    }
}
