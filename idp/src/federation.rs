//! Federated login: the provider signs a person in through an upstream national eID provider
//! over OpenID Connect (code flow with PKCE and nonce), links that identity to a local account
//! (creating it on first login), and records the assurance level (`acr`) it got.

use crate::pkce::s256;
use crate::secrets::{random_token, sha256_hex};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tokio::sync::OnceCell;
use uuid::Uuid;
use varoskapu_accounts::{AccountError, Accounts};
use varoskapu_core::{Clock, Condition, ItemWrite, Key, Table, TableError, Update};
use varoskapu_jose::{Audience, JwkSet, verify_es256};

/// Where the upstream provider is and who this provider is to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamConfig {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// What the login page's button calls it.
    pub display_name: String,
}

/// The variable whose presence turns federation on.
pub const EID_ISSUER_VAR: &str = "VAROSKAPU_EID_ISSUER";

impl UpstreamConfig {
    /// The upstream provider from `VAROSKAPU_EID_ISSUER`, `VAROSKAPU_EID_CLIENT_ID`,
    /// `VAROSKAPU_EID_CLIENT_SECRET` and optionally `VAROSKAPU_EID_NAME`; `None` without
    /// an issuer. The local server and the provider's Lambda read the same settings.
    pub fn from_env() -> Result<Option<Self>, String> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`UpstreamConfig::from_env`] with the settings read through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, String> {
        let setting = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let Some(issuer) = setting(EID_ISSUER_VAR) else {
            return Ok(None);
        };
        // Plain http only for a provider on this machine (a test or demo eID).
        let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"];
        if !issuer.starts_with("https://") && !loopback.iter().any(|l| issuer.starts_with(l)) {
            return Err(format!("{EID_ISSUER_VAR} must be an https:// URL"));
        }
        let required = |name: &str| {
            setting(name).ok_or_else(|| format!("{name} must be set with {EID_ISSUER_VAR}"))
        };
        Ok(Some(Self {
            issuer,
            client_id: required("VAROSKAPU_EID_CLIENT_ID")?,
            client_secret: required("VAROSKAPU_EID_CLIENT_SECRET")?,
            display_name: setting("VAROSKAPU_EID_NAME").unwrap_or_else(|| "nemzeti eID".into()),
        }))
    }
}

#[derive(Debug, Clone, Deserialize)]
struct Metadata {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
}

/// A federated sign-in in flight, under the SHA-256 of its `state`.
#[derive(Debug, Serialize, Deserialize)]
struct Flight {
    login_request: String,
    nonce: String,
    verifier: String,
}

/// The tie between an upstream identity and a local account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub account_id: Uuid,
    pub upstream_issuer: String,
    pub upstream_sub: String,
    /// The assurance level the upstream provider reported at the last sign-in.
    pub acr: Option<String>,
    pub linked_at: i64,
    pub last_login: i64,
}

#[derive(Debug, Deserialize)]
struct UpstreamClaims {
    iss: String,
    sub: String,
    aud: Audience,
    exp: i64,
    nonce: Option<String>,
    acr: Option<String>,
    email: Option<String>,
    #[serde(default)]
    email_verified: bool,
    name: Option<String>,
}

/// A federated sign-in that succeeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederatedSignIn {
    /// The pending authorization request the sign-in continues.
    pub login_request: String,
    pub account_id: Uuid,
    pub acr: String,
}

/// Why a federated sign-in failed.
#[derive(Debug, thiserror::Error)]
pub enum FederationError {
    #[error("the upstream provider is unreachable or answered wrongly: {0}")]
    Upstream(String),
    #[error("the sign-in is unknown, expired or already finished")]
    UnknownState,
    #[error("the upstream ID token is refused: {0}")]
    BadIdToken(String),
    #[error("the upstream identity has no e-mail address to create an account with")]
    NoEmail,
    #[error("the e-mail address belongs to another account and is not verified upstream")]
    EmailConflict,
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Storage(#[from] TableError),
}

fn upstream(e: impl std::fmt::Display) -> FederationError {
    FederationError::Upstream(e.to_string())
}

/// The broker to one upstream provider.
pub struct Federation {
    pub config: UpstreamConfig,
    redirect_uri: String,
    http: reqwest::Client,
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
    accounts: Accounts,
    metadata: OnceCell<Metadata>,
}

const FLIGHT_SECONDS: i64 = 600;

impl Federation {
    pub fn new(
        config: UpstreamConfig,
        redirect_uri: String,
        table: Arc<dyn Table>,
        clock: Arc<dyn Clock>,
        accounts: Accounts,
    ) -> Self {
        Self {
            config,
            redirect_uri,
            http: reqwest::Client::new(),
            table,
            clock,
            accounts,
            metadata: OnceCell::new(),
        }
    }

    async fn metadata(&self) -> Result<&Metadata, FederationError> {
        self.metadata
            .get_or_try_init(|| async {
                let url = format!(
                    "{}/.well-known/openid-configuration",
                    self.config.issuer.trim_end_matches('/')
                );
                let metadata: Metadata = self
                    .http
                    .get(url)
                    .send()
                    .await
                    .map_err(upstream)?
                    .error_for_status()
                    .map_err(upstream)?
                    .json()
                    .await
                    .map_err(upstream)?;
                if metadata.issuer != self.config.issuer {
                    return Err(FederationError::Upstream("issuer mismatch".into()));
                }
                Ok(metadata)
            })
            .await
    }

    fn flight_key(state: &str) -> Key {
        Key::new(format!("FEDERATION#{}", sha256_hex(state)), "FEDERATION")
    }

    fn link_key(&self, upstream_sub: &str) -> Key {
        Key::new(
            format!("LINK#{}", sha256_hex(&self.config.issuer)),
            upstream_sub.to_owned(),
        )
    }

    /// Starts a sign-in for a pending authorization request; returns the upstream URL.
    pub async fn start(&self, login_request: &str) -> Result<String, FederationError> {
        let metadata = self.metadata().await?;
        let state = random_token();
        let flight = Flight {
            login_request: login_request.to_owned(),
            nonce: random_token(),
            verifier: random_token(),
        };
        let item = ItemWrite::from_serde(Self::flight_key(&state), &flight)?
            .expires_at(self.clock.unix_seconds() + FLIGHT_SECONDS);
        self.table.put(item, Condition::NotExists).await?;
        let mut url = url::Url::parse(&metadata.authorization_endpoint).map_err(upstream)?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.config.client_id)
            .append_pair("redirect_uri", &self.redirect_uri)
            .append_pair("scope", "openid profile email")
            .append_pair("state", &state)
            .append_pair("nonce", &flight.nonce)
            .append_pair("code_challenge", &s256(&flight.verifier))
            .append_pair("code_challenge_method", "S256");
        Ok(url.to_string())
    }

    /// Finishes a sign-in from the upstream callback: redeems the code, validates the ID
    /// token, and links or creates the local account.
    #[tracing::instrument(skip_all)]
    pub async fn finish(
        &self,
        state: &str,
        code: &str,
    ) -> Result<FederatedSignIn, FederationError> {
        let key = Self::flight_key(state);
        let item = self
            .table
            .get(&key)
            .await?
            .ok_or(FederationError::UnknownState)?;
        let flight: Flight = item.parse()?;
        match self
            .table
            .delete(&key, Condition::Version(item.version))
            .await
        {
            Err(e) if e.is_condition_failure() => return Err(FederationError::UnknownState),
            other => other?,
        }
        let metadata = self.metadata().await?;
        let tokens: serde_json::Value = self
            .http
            .post(&metadata.token_endpoint)
            .basic_auth(&self.config.client_id, Some(&self.config.client_secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", self.redirect_uri.as_str()),
                ("code_verifier", flight.verifier.as_str()),
            ])
            .send()
            .await
            .map_err(upstream)?
            .error_for_status()
            .map_err(upstream)?
            .json()
            .await
            .map_err(upstream)?;
        let id_token = tokens["id_token"]
            .as_str()
            .ok_or_else(|| FederationError::BadIdToken("no ID token".into()))?;
        let keys: JwkSet = self
            .http
            .get(&metadata.jwks_uri)
            .send()
            .await
            .map_err(upstream)?
            .json()
            .await
            .map_err(upstream)?;
        let (_, claims): (_, UpstreamClaims) = verify_es256(id_token, &keys)
            .map_err(|e| FederationError::BadIdToken(e.to_string()))?;
        let now = self.clock.unix_seconds();
        if claims.iss != metadata.issuer
            || !claims.aud.contains(&self.config.client_id)
            || claims.exp <= now
            || claims.nonce.as_deref() != Some(flight.nonce.as_str())
        {
            return Err(FederationError::BadIdToken(
                "issuer, audience, expiry or nonce".into(),
            ));
        }
        let acr = claims
            .acr
            .clone()
            .unwrap_or_else(|| varoskapu_core::access::ACR_FEDERATED.to_owned());
        let account_id = self.link(&claims, &acr, now).await?;
        Ok(FederatedSignIn {
            login_request: flight.login_request,
            account_id,
            acr,
        })
    }

    /// The local account of an upstream identity, linked (or created) on first sign-in.
    async fn link(
        &self,
        claims: &UpstreamClaims,
        acr: &str,
        now: i64,
    ) -> Result<Uuid, FederationError> {
        let key = self.link_key(&claims.sub);
        if let Some(item) = self.table.get(&key).await? {
            let link: Link = item.parse()?;
            let update = Update::default().set("acr", acr).set("last_login", now);
            self.table.update(&key, update, Condition::Exists).await?;
            return Ok(link.account_id);
        }
        let email = claims.email.as_deref().ok_or(FederationError::NoEmail)?;
        let name = claims.name.as_deref().unwrap_or(email);
        let link_item = |account_id: Uuid| {
            ItemWrite::from_serde(
                key.clone(),
                &Link {
                    account_id,
                    upstream_issuer: self.config.issuer.clone(),
                    upstream_sub: claims.sub.clone(),
                    acr: Some(acr.to_owned()),
                    linked_at: now,
                    last_login: now,
                },
            )
        };
        match self
            .accounts
            .create_linked(email, name, claims.email_verified, link_item)
            .await
        {
            Ok(account) => Ok(account.id),
            Err(AccountError::EmailTaken) => {
                // The address already has a local account: link it only if upstream vouches
                // for the address, or a second sign-in won the race to create the link.
                if let Some(item) = self.table.get(&key).await? {
                    return Ok(item.parse::<Link>()?.account_id);
                }
                if !claims.email_verified {
                    return Err(FederationError::EmailConflict);
                }
                let account = self
                    .accounts
                    .find_by_email(email)
                    .await?
                    .ok_or(FederationError::EmailConflict)?;
                // Never verified: perhaps someone registered the address first. The person
                // upstream vouches for owns it; whatever password was set there is void.
                if !account.email_verified {
                    self.accounts.claim_unverified(account.id).await?;
                }
                match self
                    .table
                    .put(link_item(account.id)?, Condition::NotExists)
                    .await
                {
                    Ok(_) => Ok(account.id),
                    Err(e) if e.is_condition_failure() => {
                        let item = self
                            .table
                            .get(&key)
                            .await?
                            .ok_or(FederationError::EmailConflict)?;
                        Ok(item.parse::<Link>()?.account_id)
                    }
                    Err(e) => Err(e.into()),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The link of an upstream identity, if any (operators, tests).
    pub async fn link_of(&self, upstream_sub: &str) -> Result<Option<Link>, FederationError> {
        match self.table.get(&self.link_key(upstream_sub)).await? {
            Some(item) => Ok(Some(item.parse()?)),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod settings_tests {
    use super::*;

    fn lookup<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn no_issuer_means_no_federation_and_a_complete_set_is_read() {
        assert_eq!(UpstreamConfig::from_lookup(lookup(&[])), Ok(None));
        let config = UpstreamConfig::from_lookup(lookup(&[
            ("VAROSKAPU_EID_ISSUER", "https://eid.example.hu"),
            ("VAROSKAPU_EID_CLIENT_ID", "varoskapu"),
            ("VAROSKAPU_EID_CLIENT_SECRET", "s3cret"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(config.issuer, "https://eid.example.hu");
        assert_eq!(config.display_name, "nemzeti eID");
    }

    #[test]
    fn a_half_set_or_a_plain_http_issuer_stops_start_up() {
        let missing = UpstreamConfig::from_lookup(lookup(&[
            ("VAROSKAPU_EID_ISSUER", "https://eid.example.hu"),
            ("VAROSKAPU_EID_CLIENT_ID", "varoskapu"),
        ]))
        .unwrap_err();
        assert!(missing.contains("VAROSKAPU_EID_CLIENT_SECRET"), "{missing}");
        let plain = UpstreamConfig::from_lookup(lookup(&[
            ("VAROSKAPU_EID_ISSUER", "http://eid.example.hu"),
            ("VAROSKAPU_EID_CLIENT_ID", "varoskapu"),
            ("VAROSKAPU_EID_CLIENT_SECRET", "s3cret"),
        ]))
        .unwrap_err();
        assert!(plain.contains("https"), "{plain}");
    }
}
