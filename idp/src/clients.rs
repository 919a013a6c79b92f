//! The registry of OAuth clients (partner apps, services) on the table. Secrets are
//! generated with 256 bits of entropy and stored only as SHA-256; a slow password hash would
//! cap the token endpoint at a few dozen requests a second and adds nothing for random secrets.

use crate::secrets::{matches_hash, random_token, sha256_hex};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;
use varoskapu_core::access::{Resource, Scope};
use varoskapu_core::{Clock, Condition, IndexName, ItemWrite, Key, Query, Table, TableError};

/// A registered client; its Debug output leaves the secret hash out.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    pub client_id: String,
    pub name: String,
    /// SHA-256 (hex) of the secret; `None` for a public or `private_key_jwt` client.
    pub secret_sha256: Option<String>,
    /// Public keys of a client that authenticates with `private_key_jwt` (ES256).
    #[serde(default)]
    pub jwks: Option<varoskapu_jose::JwkSet>,
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    #[serde(default)]
    pub backchannel_logout_uri: Option<String>,
    /// A first-party client skips the consent page.
    pub first_party: bool,
    /// A pairwise client sees a subject of its own for each person, so that partner apps
    /// cannot link their users by `sub`.
    #[serde(default)]
    pub pairwise: bool,
    /// Scopes the client may ask for; each a [`Scope`] name, checked at registration.
    pub scopes: Vec<String>,
    /// A resource server (a Városkapu API) that introspects tokens naming one of these
    /// audiences; it signs no one in and gets no tokens.
    #[serde(default)]
    pub resource_server_audiences: Vec<String>,
    /// The algorithm of the client's ID and logout tokens: ES256 unless a partner's library
    /// needs RS256 (access tokens are ES256 whatever this says).
    #[serde(default)]
    pub id_token_signed_response_alg: varoskapu_jose::JwsAlgorithm,
    pub created_at: jiff::Timestamp,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("client_id", &self.client_id)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A public client cannot authenticate itself (it has neither a secret nor keys).
    pub fn is_public(&self) -> bool {
        self.secret_sha256.is_none() && self.jwks.is_none()
    }

    /// Whether the client is an API that may only introspect.
    pub fn is_resource_server(&self) -> bool {
        !self.resource_server_audiences.is_empty()
    }

    /// What the client is, as operators read it: `resource-server`, `public` or `confidential`.
    pub fn kind(&self) -> &'static str {
        if self.is_resource_server() {
            "resource-server"
        } else if self.is_public() {
            "public"
        } else {
            "confidential"
        }
    }

    /// Whether a token naming `aud` is meant for this client as a resource server.
    pub fn serves(&self, aud: &varoskapu_jose::Audience) -> bool {
        self.resource_server_audiences
            .iter()
            .any(|a| aud.contains(a))
    }

    fn key(client_id: &str) -> Key {
        Key::new(format!("CLIENT#{client_id}"), "CLIENT")
    }

    /// The sector a pairwise subject is computed for: the host of the first redirect URI.
    pub fn sector(&self) -> String {
        self.redirect_uris
            .first()
            .and_then(|u| url::Url::parse(u).ok())
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| self.client_id.clone())
    }

    /// Whether the client may ask for every one of these scopes.
    pub fn allows_scopes<'a>(&self, mut scopes: impl Iterator<Item = &'a str>) -> bool {
        scopes.all(|s| self.scopes.iter().any(|allowed| allowed == s))
    }
}

/// The scopes a client gets when none are given: signing in, nothing more.
pub const DEFAULT_SCOPES: [Scope; 3] = [Scope::OpenId, Scope::Profile, Scope::Email];

/// What an operator gives to register a client.
#[derive(Debug, Clone, Default)]
pub struct NewClient {
    pub name: String,
    /// A chosen id (demo seed); otherwise one is generated.
    pub client_id: Option<String>,
    /// A chosen secret (demo seed); otherwise one is generated for confidential clients.
    pub secret: Option<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub backchannel_logout_uri: Option<String>,
    pub public: bool,
    pub first_party: bool,
    pub pairwise: bool,
    /// Public keys for `private_key_jwt`; such a client gets no secret.
    pub jwks: Option<varoskapu_jose::JwkSet>,
    /// Scope names the client may ask for; [`DEFAULT_SCOPES`] when empty.
    pub scopes: Vec<String>,
    /// Makes the client a resource server for these audiences (`Resource` URNs): it needs
    /// no redirect URI and may only introspect.
    pub resource_server_audiences: Vec<String>,
    /// RS256 for a partner that cannot verify ES256 ID tokens; ES256 by default.
    pub id_token_signed_response_alg: varoskapu_jose::JwsAlgorithm,
}

/// Why a client could not be registered or authenticated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClientError {
    #[error("a client with this id already exists")]
    AlreadyExists,
    #[error("invalid client registration: {0}")]
    Invalid(String),
    #[error("the client was changed at the same time; nothing was done, try again")]
    ChangedMeanwhile,
    #[error("client authentication failed")]
    AuthenticationFailed,
    #[error(transparent)]
    Storage(#[from] TableError),
}

/// Clients on the table.
#[derive(Clone)]
pub struct ClientRegistry {
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
}

const LIST_PK: &str = "CLIENTS";

impl ClientRegistry {
    pub fn new(table: Arc<dyn Table>, clock: Arc<dyn Clock>) -> Self {
        Self { table, clock }
    }

    /// Registers a client and returns it with its secret, the only time the secret is seen.
    pub async fn register(&self, new: NewClient) -> Result<(Client, Option<String>), ClientError> {
        if new.name.trim().is_empty() {
            return Err(ClientError::Invalid("a name is required".into()));
        }
        let invalid = |m: &str| Err(ClientError::Invalid(m.to_owned()));
        if let Some(unknown) = new
            .resource_server_audiences
            .iter()
            .find(|a| Resource::from_audience(a).is_none())
        {
            return Err(ClientError::Invalid(format!(
                "{unknown} is not a Városkapu API audience"
            )));
        }
        let resource_server = !new.resource_server_audiences.is_empty();
        if resource_server {
            if new.public {
                return invalid("a resource server must authenticate to introspect");
            }
            if !new.redirect_uris.is_empty()
                || !new.post_logout_redirect_uris.is_empty()
                || new.backchannel_logout_uri.is_some()
            {
                return invalid("a resource server signs no one in: it takes no redirect URIs");
            }
            if !new.scopes.is_empty() {
                return invalid("a resource server asks for no scopes");
            }
        } else if new.redirect_uris.is_empty() {
            return invalid("at least one redirect URI is required");
        }
        if let Some(unknown) = new.scopes.iter().find(|s| Scope::parse(s).is_none()) {
            return Err(ClientError::Invalid(format!("unknown scope {unknown:?}")));
        }
        for uri in new
            .redirect_uris
            .iter()
            .chain(&new.post_logout_redirect_uris)
            .chain(&new.backchannel_logout_uri)
        {
            let parsed = url::Url::parse(uri)
                .map_err(|_| ClientError::Invalid(format!("{uri} is not an absolute URL")))?;
            if parsed.fragment().is_some() {
                return Err(ClientError::Invalid(format!("{uri} has a fragment")));
            }
        }
        let client_id = new
            .client_id
            .unwrap_or_else(|| format!("vk-{}", &random_token()[..22]));
        if let Some(jwks) = &new.jwks {
            if jwks.keys.is_empty() || jwks.keys.iter().any(|k| k.verifying_key().is_none()) {
                return invalid("private_key_jwt keys must be ES256 (P-256) public keys");
            }
            // An assertion picks its key by `kid`, which may be left out only with one key.
            let mut kids: Vec<Option<&str>> = jwks.keys.iter().map(|k| k.kid.as_deref()).collect();
            kids.sort_unstable();
            kids.dedup();
            if jwks.keys.len() > 1 && (kids.len() != jwks.keys.len() || kids.contains(&None)) {
                return invalid("several private_key_jwt keys need a distinct kid each");
            }
        }
        let secret = match (new.public || new.jwks.is_some(), new.secret) {
            (true, _) => None,
            (false, Some(secret)) => Some(secret),
            (false, None) => Some(random_token()),
        };
        let scopes = if resource_server {
            Vec::new()
        } else if new.scopes.is_empty() {
            DEFAULT_SCOPES
                .iter()
                .map(|s| s.as_str().to_owned())
                .collect()
        } else {
            let mut scopes: Vec<String> = Vec::new();
            for scope in new.scopes {
                if !scopes.contains(&scope) {
                    scopes.push(scope);
                }
            }
            scopes
        };
        let client = Client {
            client_id: client_id.clone(),
            name: new.name.trim().to_owned(),
            secret_sha256: secret.as_deref().map(sha256_hex),
            redirect_uris: new.redirect_uris,
            post_logout_redirect_uris: new.post_logout_redirect_uris,
            backchannel_logout_uri: new.backchannel_logout_uri,
            first_party: new.first_party,
            pairwise: new.pairwise,
            jwks: new.jwks,
            scopes,
            resource_server_audiences: new.resource_server_audiences,
            id_token_signed_response_alg: new.id_token_signed_response_alg,
            created_at: self.clock.now(),
        };
        let item = ItemWrite::from_serde(Client::key(&client_id), &client)?
            .with_index(IndexName::Gsi1, Key::new(LIST_PK, client_id.clone()));
        match self.table.put(item, Condition::NotExists).await {
            Err(e) if e.is_condition_failure() => Err(ClientError::AlreadyExists),
            other => {
                other?;
                Ok((client, secret))
            }
        }
    }

    pub async fn get(&self, client_id: &str) -> Result<Option<Client>, ClientError> {
        match self.table.get(&Client::key(client_id)).await? {
            Some(item) => Ok(Some(item.parse()?)),
            None => Ok(None),
        }
    }

    /// Every client, ordered by id.
    pub async fn list(&self) -> Result<Vec<Client>, ClientError> {
        let mut clients = Vec::new();
        let mut cursor = None;
        loop {
            let page = self
                .table
                .query(Query::index(IndexName::Gsi1, LIST_PK).after(cursor))
                .await?;
            for item in &page.items {
                clients.push(item.parse()?);
            }
            cursor = page.cursor;
            if cursor.is_none() {
                return Ok(clients);
            }
        }
    }

    /// Removes a client; `false` if there was none.
    pub async fn remove(&self, client_id: &str) -> Result<bool, ClientError> {
        match self
            .table
            .delete(&Client::key(client_id), Condition::Exists)
            .await
        {
            Ok(()) => Ok(true),
            Err(e) if e.is_condition_failure() => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Gives a client that authenticates with a secret a new one and returns it, the only
    /// time it is seen; the old secret stops working at once. `None` if there is no such
    /// client. The write is conditional on the version read, so two rotations at once
    /// cannot both report a secret that works.
    pub async fn rotate_secret(&self, client_id: &str) -> Result<Option<String>, ClientError> {
        let key = Client::key(client_id);
        let Some(item) = self.table.get(&key).await? else {
            return Ok(None);
        };
        let client: Client = item.parse()?;
        if client.secret_sha256.is_none() {
            return Err(ClientError::Invalid(if client.jwks.is_some() {
                "this client authenticates with private_key_jwt and has no secret".into()
            } else {
                "a public client has no secret".into()
            }));
        }
        let secret = random_token();
        let update = varoskapu_core::Update::default().set("secret_sha256", sha256_hex(&secret));
        match self
            .table
            .update(&key, update, Condition::Version(item.version))
            .await
        {
            Ok(_) => Ok(Some(secret)),
            Err(e) if e.is_condition_failure() => Err(ClientError::ChangedMeanwhile),
            Err(e) => Err(e.into()),
        }
    }

    /// Authenticates a confidential client by its secret, or identifies a public client that
    /// presents none. Unknown ids and wrong secrets fail alike.
    pub async fn authenticate(
        &self,
        client_id: &str,
        secret: Option<&str>,
    ) -> Result<Client, ClientError> {
        let client = self
            .get(client_id)
            .await?
            .ok_or(ClientError::AuthenticationFailed)?;
        match (&client.secret_sha256, secret) {
            (None, None) if client.is_public() => Ok(client),
            (Some(stored), Some(secret)) if matches_hash(secret, stored) => Ok(client),
            _ => Err(ClientError::AuthenticationFailed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use varoskapu_core::SystemClock;
    use varoskapu_embedded::SqliteTable;

    fn registry() -> ClientRegistry {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        ClientRegistry::new(
            Arc::new(SqliteTable::in_memory(clock.clone()).expect("in-memory SQLite")),
            clock,
        )
    }

    fn new_client() -> NewClient {
        NewClient {
            name: "Iskolai étkezés".into(),
            redirect_uris: vec!["https://meals.example/cb".into()],
            ..NewClient::default()
        }
    }

    #[tokio::test]
    async fn a_generated_secret_is_strong_stored_hashed_and_checked() {
        let registry = registry();
        let (client, secret) = registry.register(new_client()).await.expect("registers");
        let secret = secret.expect("confidential clients get a secret");
        assert!(secret.len() >= 43, "256 bits base64url");
        assert_ne!(client.secret_sha256.as_deref(), Some(secret.as_str()));
        assert!(
            registry
                .authenticate(&client.client_id, Some(&secret))
                .await
                .is_ok()
        );
        assert_eq!(
            registry
                .authenticate(&client.client_id, Some("guess"))
                .await,
            Err(ClientError::AuthenticationFailed)
        );
        assert_eq!(
            registry.authenticate(&client.client_id, None).await,
            Err(ClientError::AuthenticationFailed)
        );
        assert_eq!(
            registry.authenticate("nobody", Some(&secret)).await,
            Err(ClientError::AuthenticationFailed)
        );
    }

    #[tokio::test]
    async fn clients_are_listed_and_removed() {
        let registry = registry();
        let (a, _) = registry.register(new_client()).await.expect("a");
        let public = NewClient {
            public: true,
            ..new_client()
        };
        let (b, secret) = registry.register(public).await.expect("b");
        assert!(secret.is_none() && b.is_public());
        assert_eq!(registry.list().await.expect("lists").len(), 2);
        assert!(registry.remove(&a.client_id).await.expect("removes"));
        assert!(!registry.remove(&a.client_id).await.expect("gone"));
        assert_eq!(registry.list().await.expect("lists").len(), 1);
    }

    #[tokio::test]
    async fn a_rotated_secret_replaces_the_old_one_and_a_public_client_has_none_to_rotate() {
        let registry = registry();
        let (client, old) = registry.register(new_client()).await.expect("registers");
        let old = old.expect("a secret");
        let new = registry
            .rotate_secret(&client.client_id)
            .await
            .expect("rotates")
            .expect("the client exists");
        assert_ne!(new, old);
        assert!(
            registry
                .authenticate(&client.client_id, Some(&new))
                .await
                .is_ok()
        );
        assert_eq!(
            registry.authenticate(&client.client_id, Some(&old)).await,
            Err(ClientError::AuthenticationFailed)
        );
        assert_eq!(registry.rotate_secret("nobody").await, Ok(None));
        let public = NewClient {
            public: true,
            ..new_client()
        };
        let (public, _) = registry.register(public).await.expect("registers");
        assert!(matches!(
            registry.rotate_secret(&public.client_id).await,
            Err(ClientError::Invalid(_))
        ));
    }

    #[tokio::test]
    async fn unknown_scopes_are_refused_and_the_default_is_signing_in_only() {
        let registry = registry();
        for bad in ["roles", "admin", "cases payments"] {
            let new = NewClient {
                scopes: vec![bad.into()],
                ..new_client()
            };
            assert!(
                matches!(registry.register(new).await, Err(ClientError::Invalid(_))),
                "{bad}"
            );
        }
        let (client, _) = registry.register(new_client()).await.expect("registers");
        assert_eq!(client.scopes, ["openid", "profile", "email"]);
        assert_eq!(client.kind(), "confidential");
    }

    #[tokio::test]
    async fn a_resource_server_needs_no_redirect_uri_but_a_known_audience_and_a_secret() {
        let registry = registry();
        let api = |audiences: Vec<&str>| NewClient {
            name: "Ügyek API".into(),
            resource_server_audiences: audiences.into_iter().map(str::to_owned).collect(),
            ..NewClient::default()
        };
        let (client, secret) = registry
            .register(api(vec!["urn:varoskapu:api:cases"]))
            .await
            .expect("registers");
        assert!(secret.is_some() && client.is_resource_server());
        assert_eq!(client.kind(), "resource-server");
        assert!(client.scopes.is_empty());
        for bad in [
            api(vec!["https://api.example"]),
            NewClient {
                public: true,
                ..api(vec!["urn:varoskapu:api:cases"])
            },
            NewClient {
                redirect_uris: vec!["https://api.example/cb".into()],
                ..api(vec!["urn:varoskapu:api:cases"])
            },
        ] {
            assert!(matches!(
                registry.register(bad).await,
                Err(ClientError::Invalid(_))
            ));
        }
    }

    #[tokio::test]
    async fn several_keys_need_a_distinct_kid_each_and_one_key_needs_none() {
        let registry = registry();
        let key = |seed: u8, kid: Option<&str>| {
            let mut jwk = varoskapu_jose::PrivateKey::from_scalar("k", &[seed; 32])
                .expect("scalar")
                .public_jwk();
            jwk.kid = kid.map(str::to_owned);
            jwk
        };
        let with = |keys| NewClient {
            jwks: Some(varoskapu_jose::JwkSet { keys }),
            ..new_client()
        };
        for keys in [
            vec![key(1, None), key(2, Some("b"))],
            vec![key(1, Some("a")), key(2, Some("a"))],
        ] {
            assert!(matches!(
                registry.register(with(keys)).await,
                Err(ClientError::Invalid(_))
            ));
        }
        for keys in [
            vec![key(1, None)],
            vec![key(1, Some("a")), key(2, Some("b"))],
        ] {
            let (client, secret) = registry.register(with(keys)).await.expect("registers");
            assert!(secret.is_none() && !client.is_public());
        }
    }

    #[tokio::test]
    async fn redirect_uris_must_be_absolute_without_fragment() {
        let registry = registry();
        for bad in ["/relative", "https://x.example/cb#frag"] {
            let new = NewClient {
                redirect_uris: vec![bad.into()],
                ..new_client()
            };
            assert!(matches!(
                registry.register(new).await,
                Err(ClientError::Invalid(_))
            ));
        }
    }
}
