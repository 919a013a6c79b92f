//! What the account pages ask of the provider: the apps a person let in, and taking that
//! access back. No HTTP here.

use crate::consents::GivenConsent;
use crate::provider::Provider;
use crate::refresh::RefreshError;
use uuid::Uuid;
use varoskapu_core::TableError;

/// A partner app the person consented to, as the "apps with access" list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppWithAccess {
    pub client_id: String,
    /// The name the app was registered with (its id when it is gone from the registry).
    pub name: String,
    pub scopes: Vec<String>,
}

/// Why the account pages' use cases failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountPagesError {
    #[error(transparent)]
    Storage(#[from] TableError),
    #[error(transparent)]
    Refresh(#[from] RefreshError),
    #[error("the client registry is unavailable: {0}")]
    Clients(String),
}

impl Provider {
    /// The apps the person consented to, by name.
    pub async fn apps_with_access(
        &self,
        account: Uuid,
    ) -> Result<Vec<AppWithAccess>, AccountPagesError> {
        let mut apps = Vec::new();
        for GivenConsent { client_id, scopes } in self.consents.of(account).await? {
            let name = self
                .clients
                .get(&client_id)
                .await
                .map_err(|e| AccountPagesError::Clients(e.to_string()))?
                .map_or_else(|| client_id.clone(), |c| c.name);
            apps.push(AppWithAccess {
                client_id,
                name,
                scopes,
            });
        }
        Ok(apps)
    }

    /// Takes an app's access back: the consent is forgotten (the app must ask again) and
    /// every grant the person made to it is revoked, so its refresh and access tokens stop
    /// working. `false` if the person had not consented to it.
    pub async fn withdraw_consent(
        &self,
        account: Uuid,
        client_id: &str,
    ) -> Result<bool, AccountPagesError> {
        let had = self.consents.withdraw(account, client_id).await?;
        // Revoked even when the consent was gone already: a retry finishes the job.
        self.refresh.revoke_grants(account, client_id).await?;
        Ok(had)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refresh::Family;
    use crate::{FileKeyStore, IdpConfig, NewClient};
    use std::sync::Arc;
    use varoskapu_accounts::Accounts;
    use varoskapu_core::{Clock, SystemClock, Table};
    use varoskapu_embedded::SqliteTable;

    #[tokio::test]
    async fn withdrawing_consent_revokes_the_apps_refresh_tokens() {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let table: Arc<dyn Table> =
            Arc::new(SqliteTable::in_memory(clock.clone()).expect("in-memory SQLite"));
        let dir = tempfile::tempdir().expect("tempdir");
        let keys = FileKeyStore::open(dir.path()).expect("keys");
        let accounts = Accounts::with_outbox(table.clone(), clock.clone(), "http://x");
        let p = Provider::new(
            table,
            clock,
            Arc::new(keys),
            accounts,
            IdpConfig::new("http://x"),
        );
        let (client, _) = p
            .clients
            .register(NewClient {
                name: "Iskolai étkezés".into(),
                client_id: Some("meals".into()),
                secret: Some("a secret that is long enough to be accepted 0123".into()),
                redirect_uris: vec!["http://127.0.0.1:9/cb".into()],
                ..NewClient::default()
            })
            .await
            .expect("registers");
        let anna = Uuid::now_v7();
        let scopes = vec!["openid".to_owned(), "offline_access".to_owned()];
        p.consents
            .grant(anna, &client.client_id, &scopes)
            .await
            .expect("grants");
        let family = Family {
            id: "f1".into(),
            client_id: client.client_id.clone(),
            account_id: anna,
            scopes,
            auth_time: 0,
            sid: "s1".into(),
            revoked: false,
            expires_at: 0,
            acr: None,
        };
        let (_, token) = p.refresh.start(family, true).await.expect("starts");
        let token = token.expect("a refresh token");
        let apps = p.apps_with_access(anna).await.expect("lists");
        assert_eq!(apps.len(), 1);
        assert_eq!(apps[0].name, "Iskolai étkezés");
        assert!(p.withdraw_consent(anna, "meals").await.expect("withdraws"));
        assert_eq!(
            p.refresh.rotate(&token, "meals").await,
            Err(RefreshError::Revoked)
        );
        assert!(p.apps_with_access(anna).await.expect("lists").is_empty());
        assert!(!p.withdraw_consent(anna, "meals").await.expect("again"));
    }
}
