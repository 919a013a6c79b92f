//! Refresh tokens in families: every use rotates the token, and presenting a token that was
//! already rotated revokes the whole family (OAuth 2.0 Security BCP §4.14). A family is also
//! the grant itself (`fam` in access tokens): it exists for every sign-in, and has refresh
//! tokens only when `offline_access` was granted.

use crate::secrets::{random_token, sha256_hex};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use uuid::Uuid;
use varoskapu_core::{
    Clock, Condition, IndexName, ItemWrite, Key, Query, Table, TableError, TxOp, Update,
};

/// What every token of a family grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Family {
    pub id: String,
    pub client_id: String,
    pub account_id: Uuid,
    pub scopes: Vec<String>,
    pub auth_time: i64,
    /// The public id of the SSO session, so that logging out revokes the family.
    pub sid: String,
    pub revoked: bool,
    pub expires_at: i64,
    /// How the person authenticated when the family started.
    #[serde(default)]
    pub acr: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredToken {
    family: String,
    rotated: bool,
}

/// What revoking a refresh token did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRevocation {
    /// The calling client's family is revoked (or already was).
    Revoked,
    /// The token belongs to another client's family, which stays as it is.
    NotTheCallers,
    /// The text is no refresh token of this provider.
    Unknown,
}

/// Why a refresh token was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RefreshError {
    #[error("the refresh token is unknown or expired")]
    Invalid,
    #[error("the refresh token was already used; its family is revoked")]
    Reused,
    #[error("the refresh token's family is revoked")]
    Revoked,
    #[error(transparent)]
    Storage(#[from] TableError),
}

/// Families and tokens on the table.
#[derive(Clone)]
pub struct RefreshTokens {
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
    lifetime: i64,
}

impl RefreshTokens {
    pub fn new(table: Arc<dyn Table>, clock: Arc<dyn Clock>, lifetime: i64) -> Self {
        Self {
            table,
            clock,
            lifetime,
        }
    }

    /// Where a family is kept; the provider reads it beside an access token's revocation.
    pub(crate) fn family_key(id: &str) -> Key {
        Key::new(format!("FAMILY#{id}"), "FAMILY")
    }

    fn token_key(token: &str) -> Key {
        Key::new(format!("RT#{}", sha256_hex(token)), "RT")
    }

    fn session_index(sid: &str) -> String {
        format!("SESSIONFAMILIES#{sid}")
    }

    /// The grants one person made to one client, so that withdrawing consent finds them.
    fn grant_index(account_id: Uuid, client_id: &str) -> String {
        format!("GRANTFAMILIES#{account_id}#{client_id}")
    }

    /// Starts a family; returns its first refresh token when `with_token` (the grant
    /// includes `offline_access`), otherwise the family stands only for the grant.
    pub async fn start(
        &self,
        mut family: Family,
        with_token: bool,
    ) -> Result<(Family, Option<String>), RefreshError> {
        family.expires_at = self.clock.unix_seconds() + self.lifetime;
        family.revoked = false;
        let family_item = ItemWrite::from_serde(Self::family_key(&family.id), &family)?
            .with_index(
                IndexName::Gsi1,
                Key::new(Self::session_index(&family.sid), family.id.clone()),
            )
            .with_index(
                IndexName::Gsi2,
                Key::new(
                    Self::grant_index(family.account_id, &family.client_id),
                    family.id.clone(),
                ),
            )
            .expires_at(family.expires_at);
        if !with_token {
            self.table.put(family_item, Condition::NotExists).await?;
            return Ok((family, None));
        }
        let token = random_token();
        let token_item = ItemWrite::from_serde(
            Self::token_key(&token),
            &StoredToken {
                family: family.id.clone(),
                rotated: false,
            },
        )?
        .expires_at(family.expires_at);
        self.table
            .transact(vec![
                TxOp::Put {
                    item: family_item,
                    condition: Condition::NotExists,
                },
                TxOp::Put {
                    item: token_item,
                    condition: Condition::NotExists,
                },
            ])
            .await?;
        Ok((family, Some(token)))
    }

    pub async fn family(&self, id: &str) -> Result<Option<Family>, RefreshError> {
        match self.table.get(&Self::family_key(id)).await? {
            Some(item) => Ok(Some(item.parse()?)),
            None => Ok(None),
        }
    }

    /// Whether a family exists and is not revoked.
    pub async fn is_active(&self, id: &str) -> Result<bool, RefreshError> {
        Ok(self.family(id).await?.is_some_and(|f| !f.revoked))
    }

    /// The family of a live, unrotated token, without using it (introspection).
    pub async fn peek(&self, token: &str) -> Result<Option<Family>, RefreshError> {
        let Some(item) = self.table.get(&Self::token_key(token)).await? else {
            return Ok(None);
        };
        let stored: StoredToken = item.parse()?;
        if stored.rotated {
            return Ok(None);
        }
        Ok(self.family(&stored.family).await?.filter(|f| !f.revoked))
    }

    /// Uses a refresh token of `client_id`: returns its family and the token that replaces it.
    pub async fn rotate(
        &self,
        token: &str,
        client_id: &str,
    ) -> Result<(Family, String), RefreshError> {
        let key = Self::token_key(token);
        let item = self.table.get(&key).await?.ok_or(RefreshError::Invalid)?;
        let stored: StoredToken = item.parse()?;
        if stored.rotated {
            self.revoke_family(&stored.family).await?;
            return Err(RefreshError::Reused);
        }
        let family = self
            .family(&stored.family)
            .await?
            .ok_or(RefreshError::Invalid)?;
        if family.client_id != client_id {
            return Err(RefreshError::Invalid);
        }
        if family.revoked {
            return Err(RefreshError::Revoked);
        }
        let next = random_token();
        let ops = vec![
            TxOp::Update {
                key: key.clone(),
                update: Update::default().set("rotated", true),
                condition: Condition::field_equals("rotated", false),
            },
            TxOp::Put {
                item: ItemWrite::from_serde(
                    Self::token_key(&next),
                    &StoredToken {
                        family: family.id.clone(),
                        rotated: false,
                    },
                )?
                .expires_at(family.expires_at),
                condition: Condition::NotExists,
            },
            TxOp::Check {
                key: Self::family_key(&family.id),
                condition: Condition::field_equals("revoked", false),
            },
        ];
        match self.table.transact(ops).await {
            Ok(()) => Ok((family, next)),
            // Another request used the same token first: that is reuse too.
            Err(TableError::TransactionFailed { failed }) if failed.contains(&0) => {
                self.revoke_family(&family.id).await?;
                Err(RefreshError::Reused)
            }
            Err(e) if e.is_condition_failure() => Err(RefreshError::Revoked),
            Err(e) => Err(e.into()),
        }
    }

    /// Revokes a family; every token of it stops working, and so do its access tokens.
    pub async fn revoke_family(&self, id: &str) -> Result<(), RefreshError> {
        match self
            .table
            .update(
                &Self::family_key(id),
                Update::default().set("revoked", true),
                Condition::Exists,
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.is_condition_failure() => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Revokes the family of a refresh token if `client_id` owns it (RFC 7009 §2.1).
    pub async fn revoke_token(
        &self,
        token: &str,
        client_id: &str,
    ) -> Result<TokenRevocation, RefreshError> {
        let Some(item) = self.table.get(&Self::token_key(token)).await? else {
            return Ok(TokenRevocation::Unknown);
        };
        let stored: StoredToken = item.parse()?;
        match self.family(&stored.family).await? {
            Some(family) if family.client_id == client_id => {
                self.revoke_family(&family.id).await?;
                Ok(TokenRevocation::Revoked)
            }
            Some(_) => Ok(TokenRevocation::NotTheCallers),
            None => Ok(TokenRevocation::Revoked),
        }
    }

    /// Revokes every family started in an SSO session (logout).
    pub async fn revoke_session(&self, sid: &str) -> Result<(), RefreshError> {
        self.revoke_all(IndexName::Gsi1, Self::session_index(sid))
            .await
    }

    /// Revokes every grant a person made to a client (consent withdrawn): its refresh
    /// tokens and access tokens stop working.
    pub async fn revoke_grants(
        &self,
        account_id: Uuid,
        client_id: &str,
    ) -> Result<(), RefreshError> {
        self.revoke_all(IndexName::Gsi2, Self::grant_index(account_id, client_id))
            .await
    }

    async fn revoke_all(&self, index: IndexName, partition: String) -> Result<(), RefreshError> {
        let mut cursor = None;
        loop {
            let page = self
                .table
                .query(Query::index(index, partition.clone()).after(cursor))
                .await?;
            for item in &page.items {
                let family: Family = item.parse()?;
                self.revoke_family(&family.id).await?;
            }
            cursor = page.cursor;
            if cursor.is_none() {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use varoskapu_core::SystemClock;
    use varoskapu_embedded::SqliteTable;

    fn tokens() -> RefreshTokens {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        RefreshTokens::new(
            Arc::new(SqliteTable::in_memory(clock.clone()).expect("in-memory SQLite")),
            clock,
            3600,
        )
    }

    fn family(id: &str) -> Family {
        Family {
            id: id.into(),
            client_id: "c".into(),
            account_id: Uuid::nil(),
            scopes: vec!["openid".into()],
            auth_time: 0,
            sid: "s1".into(),
            revoked: false,
            expires_at: 0,
            acr: None,
        }
    }

    async fn start(tokens: &RefreshTokens, family: Family) -> (Family, String) {
        let (family, token) = tokens.start(family, true).await.expect("starts");
        (family, token.expect("a refresh token"))
    }

    #[tokio::test]
    async fn a_grant_without_offline_access_has_no_token_but_can_be_revoked() {
        let tokens = tokens();
        let (_, token) = tokens.start(family("f1"), false).await.expect("starts");
        assert!(token.is_none());
        assert!(tokens.is_active("f1").await.expect("reads"));
        tokens.revoke_session("s1").await.expect("revokes");
        assert!(!tokens.is_active("f1").await.expect("reads"));
    }

    #[tokio::test]
    async fn only_the_owning_client_revokes_a_refresh_token() {
        let tokens = tokens();
        let (_, token) = start(&tokens, family("f1")).await;
        assert_eq!(
            tokens.revoke_token(&token, "other").await,
            Ok(TokenRevocation::NotTheCallers)
        );
        assert!(tokens.is_active("f1").await.expect("reads"));
        assert_eq!(
            tokens.revoke_token("nonsense", "c").await,
            Ok(TokenRevocation::Unknown)
        );
        assert_eq!(
            tokens.revoke_token(&token, "c").await,
            Ok(TokenRevocation::Revoked)
        );
        assert!(!tokens.is_active("f1").await.expect("reads"));
    }

    #[tokio::test]
    async fn each_use_rotates_the_token() {
        let tokens = tokens();
        let (_, first) = start(&tokens, family("f1")).await;
        let (fam, second) = tokens.rotate(&first, "c").await.expect("rotates");
        assert_eq!(fam.id, "f1");
        assert_ne!(first, second);
        assert!(tokens.rotate(&second, "c").await.is_ok());
    }

    #[tokio::test]
    async fn reusing_a_rotated_token_revokes_the_whole_family() {
        let tokens = tokens();
        let (_, first) = start(&tokens, family("f1")).await;
        let (_, second) = tokens.rotate(&first, "c").await.expect("rotates");
        assert_eq!(tokens.rotate(&first, "c").await, Err(RefreshError::Reused));
        assert_eq!(
            tokens.rotate(&second, "c").await,
            Err(RefreshError::Revoked)
        );
        assert!(!tokens.is_active("f1").await.expect("reads"));
    }

    #[tokio::test]
    async fn withdrawing_a_grant_revokes_that_clients_families_of_that_person_only() {
        let tokens = tokens();
        let (_, mine) = start(&tokens, family("f1")).await;
        let mut other_client = family("f2");
        other_client.client_id = "d".into();
        let (_, theirs) = start(&tokens, other_client).await;
        let mut other_person = family("f3");
        other_person.account_id = Uuid::max();
        let (_, someone) = start(&tokens, other_person).await;
        tokens
            .revoke_grants(Uuid::nil(), "c")
            .await
            .expect("revokes");
        assert_eq!(tokens.rotate(&mine, "c").await, Err(RefreshError::Revoked));
        assert!(tokens.rotate(&theirs, "d").await.is_ok());
        assert!(tokens.rotate(&someone, "c").await.is_ok());
    }

    #[tokio::test]
    async fn logout_revokes_the_session_families_only() {
        let tokens = tokens();
        let (_, a) = start(&tokens, family("f1")).await;
        let mut other = family("f2");
        other.sid = "s2".into();
        let (_, b) = start(&tokens, other).await;
        tokens.revoke_session("s1").await.expect("revokes");
        assert_eq!(tokens.rotate(&a, "c").await, Err(RefreshError::Revoked));
        assert!(tokens.rotate(&b, "c").await.is_ok());
    }
}
