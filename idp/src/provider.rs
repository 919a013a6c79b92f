//! The provider's use cases: issuing codes, the token endpoint's grants, validating access
//! tokens, UserInfo, introspection and revocation. No HTTP here.

use crate::authorize::AuthorizationRequest;
use crate::clients::{Client, ClientError, ClientRegistry};
use crate::codes::{CodeError, CodeGrant, Codes};
use crate::config::IdpConfig;
use crate::consents::Consents;
use crate::error::OAuthError;
use crate::keys::SigningKeys;
use crate::pending::PendingLogins;
use crate::pkce::verify_s256;
use crate::refresh::{Family, RefreshError, RefreshTokens};
use crate::sessions::{Session, Sessions};
use crate::tokens::{AccessGrant, IdTokenClaims, ProfileClaims, mint_access_token, mint_id_token};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::Arc;
use uuid::Uuid;
use varoskapu_accounts::{Account, Accounts};
use varoskapu_core::{Clock, Condition, ItemWrite, Key, Table};
use varoskapu_jose::{AccessTokenClaims, JwkSet, Validation, verify_es256};

/// A client's credentials as presented to the token endpoint.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    pub client_id: String,
    pub secret: Option<String>,
    /// A `private_key_jwt` client assertion (RFC 7523).
    pub assertion: Option<String>,
}

/// The claims of a `private_key_jwt` client assertion.
#[derive(Debug, Deserialize)]
struct AssertionClaims {
    iss: String,
    sub: String,
    aud: varoskapu_jose::Audience,
    exp: i64,
    jti: String,
}

/// The longest lifetime accepted for a client assertion, so replay records stay small.
const MAX_ASSERTION_SECONDS: i64 = 600;

/// The form of a token request (RFC 6749 §4.1.3, §6, §4.4).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TokenForm {
    pub grant_type: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    pub refresh_token: Option<String>,
    pub scope: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub client_assertion_type: Option<String>,
    pub client_assertion: Option<String>,
}

/// A successful token response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    pub scope: String,
}

/// `acr` of a sign-in with a password.
pub const ACR_PASSWORD: &str = "urn:varoskapu:acr:password";
/// `acr` of a sign-in with a password and an authenticator code.
pub const ACR_MFA: &str = "urn:varoskapu:acr:mfa";
/// `acr` of a sign-in through the upstream eID provider that named no level of its own.
pub const ACR_FEDERATED: &str = "urn:varoskapu:acr:federated";

/// Everything the provider needs, cheap to clone into handlers.
#[derive(Clone)]
pub struct Provider {
    pub config: Arc<IdpConfig>,
    pub table: Arc<dyn Table>,
    pub clock: Arc<dyn Clock>,
    pub keys: Arc<dyn SigningKeys>,
    pub accounts: Accounts,
    pub clients: ClientRegistry,
    pub codes: Codes,
    pub refresh: RefreshTokens,
    pub sessions: Sessions,
    pub pending: PendingLogins,
    pub consents: Consents,
    /// For server-to-server calls (back-channel logout).
    pub http: reqwest::Client,
    /// The broker to the upstream eID provider, when configured.
    pub federation: Option<Arc<crate::federation::Federation>>,
}

impl Provider {
    pub fn new(
        table: Arc<dyn Table>,
        clock: Arc<dyn Clock>,
        keys: Arc<dyn SigningKeys>,
        accounts: Accounts,
        config: IdpConfig,
    ) -> Self {
        Self {
            clients: ClientRegistry::new(table.clone(), clock.clone()),
            codes: Codes::new(table.clone(), clock.clone(), config.code_seconds),
            refresh: RefreshTokens::new(table.clone(), clock.clone(), config.refresh_token_seconds),
            sessions: Sessions::new(table.clone(), clock.clone(), config.session_seconds),
            pending: PendingLogins::new(table.clone(), clock.clone(), config.login_seconds),
            consents: Consents::new(table.clone()),
            http: reqwest::Client::new(),
            federation: config.upstream.clone().map(|upstream| {
                Arc::new(crate::federation::Federation::new(
                    upstream,
                    config.url("/oauth2/federated/callback"),
                    table.clone(),
                    clock.clone(),
                    accounts.clone(),
                ))
            }),
            config: Arc::new(config),
            table,
            clock,
            keys,
            accounts,
        }
    }

    /// The discovery document (OpenID Connect Discovery 1.0 §3).
    pub fn discovery(&self) -> Value {
        let c = &self.config;
        json!({
            "issuer": c.issuer,
            "authorization_endpoint": c.url("/oauth2/authorize"),
            "token_endpoint": c.url("/oauth2/token"),
            "userinfo_endpoint": c.url("/oauth2/userinfo"),
            "jwks_uri": c.url("/oauth2/jwks"),
            "revocation_endpoint": c.url("/oauth2/revoke"),
            "introspection_endpoint": c.url("/oauth2/introspect"),
            "end_session_endpoint": c.url("/oauth2/logout"),
            "backchannel_logout_supported": true,
            "backchannel_logout_session_supported": true,
            "scopes_supported": crate::clients::DEFAULT_SCOPES,
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "subject_types_supported": ["public", "pairwise"],
            "id_token_signing_alg_values_supported": varoskapu_jose::JwsAlgorithm::ALL.map(|a| a.as_str()),
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
            "token_endpoint_auth_signing_alg_values_supported": ["ES256"],
            "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "acr_values_supported": [crate::provider::ACR_PASSWORD, crate::provider::ACR_MFA, crate::provider::ACR_FEDERATED],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "sid", "acr",
                "name", "given_name", "family_name", "email", "email_verified", "roles"],
            "prompt_values_supported": ["none", "login", "consent"],
            "authorization_response_iss_parameter_supported": true,
            "request_parameter_supported": false,
            "request_uri_parameter_supported": false,
            "claims_parameter_supported": false,
            "ui_locales_supported": ["hu", "en"],
        })
    }

    pub async fn jwks(&self) -> Result<JwkSet, OAuthError> {
        Ok(self.keys.published().await?)
    }

    /// Authenticates the client calling the token, revocation or introspection endpoint.
    pub async fn authenticate_client(
        &self,
        credentials: &ClientCredentials,
    ) -> Result<Client, OAuthError> {
        if let Some(assertion) = &credentials.assertion {
            return self
                .authenticate_assertion(&credentials.client_id, assertion)
                .await;
        }
        match self
            .clients
            .authenticate(&credentials.client_id, credentials.secret.as_deref())
            .await
        {
            Ok(client) => Ok(client),
            Err(ClientError::Storage(e)) => Err(e.into()),
            Err(_) => Err(OAuthError::InvalidClient),
        }
    }

    /// `private_key_jwt`: a short-lived assertion signed with one of the client's registered
    /// keys, naming the client as issuer and subject and this provider as audience, used once.
    async fn authenticate_assertion(
        &self,
        client_id: &str,
        assertion: &str,
    ) -> Result<Client, OAuthError> {
        let client = self
            .clients
            .get(client_id)
            .await
            .map_err(|e| OAuthError::Server(e.to_string()))?
            .ok_or(OAuthError::InvalidClient)?;
        let keys = client.jwks.as_ref().ok_or(OAuthError::InvalidClient)?;
        let (_, claims): (_, AssertionClaims) =
            verify_es256(assertion, keys).map_err(|_| OAuthError::InvalidClient)?;
        let now = self.clock.unix_seconds();
        let audiences = [self.config.issuer.clone(), self.config.url("/oauth2/token")];
        let valid = claims.iss == client.client_id
            && claims.sub == client.client_id
            && audiences.iter().any(|a| claims.aud.contains(a))
            && claims.exp > now
            && claims.exp <= now + MAX_ASSERTION_SECONDS
            && !claims.jti.is_empty();
        if !valid {
            return Err(OAuthError::InvalidClient);
        }
        let seen = Key::new(
            format!("ASSERTION#{}", client.client_id),
            crate::secrets::sha256_hex(&claims.jti),
        );
        let item = ItemWrite::new(seen, Default::default()).expires_at(claims.exp + 60);
        match self.table.put(item, Condition::NotExists).await {
            Ok(_) => Ok(client),
            Err(e) if e.is_condition_failure() => {
                tracing::warn!("client assertion replayed");
                Err(OAuthError::InvalidClient)
            }
            Err(e) => Err(e.into()),
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

    /// The token endpoint, after client authentication.
    #[tracing::instrument(skip_all, fields(client_id = %client.client_id))]
    pub async fn token(
        &self,
        client: &Client,
        form: &TokenForm,
    ) -> Result<TokenResponse, OAuthError> {
        match form.grant_type.as_deref() {
            Some("authorization_code") => self.code_grant(client, form).await,
            Some("refresh_token") => self.refresh_grant(client, form).await,
            Some("client_credentials") => self.client_credentials_grant(client, form).await,
            Some(_) => Err(OAuthError::UnsupportedGrantType),
            None => Err(OAuthError::InvalidRequest("grant_type is required".into())),
        }
    }

    async fn code_grant(
        &self,
        client: &Client,
        form: &TokenForm,
    ) -> Result<TokenResponse, OAuthError> {
        let code = form
            .code
            .as_deref()
            .ok_or_else(|| OAuthError::InvalidRequest("code is required".into()))?;
        let family_id = Uuid::now_v7().to_string();
        let grant = match self.codes.redeem(code, &family_id).await {
            Ok(grant) => grant,
            Err(CodeError::Replayed { family }) => {
                if let Some(family) = family {
                    self.refresh.revoke_family(&family).await.map_err(server)?;
                }
                tracing::warn!("authorization code replayed; its tokens are revoked");
                return Err(OAuthError::InvalidGrant("the code was already used".into()));
            }
            Err(CodeError::Invalid) => {
                return Err(OAuthError::InvalidGrant(
                    "the code is invalid or expired".into(),
                ));
            }
            Err(CodeError::Storage(e)) => return Err(e.into()),
        };
        if grant.client_id != client.client_id {
            return Err(OAuthError::InvalidGrant(
                "the code was issued to another client".into(),
            ));
        }
        if form.redirect_uri.as_deref() != Some(grant.redirect_uri.as_str()) {
            return Err(OAuthError::InvalidGrant(
                "redirect_uri does not match".into(),
            ));
        }
        match (&grant.code_challenge, &form.code_verifier) {
            (Some(challenge), Some(verifier)) if verify_s256(verifier, challenge) => {}
            (None, None) => {}
            _ => return Err(OAuthError::InvalidGrant("PKCE verification failed".into())),
        }
        let account = self.account(grant.account_id).await?;
        let (family, refresh_token) = self
            .refresh
            .start(Family {
                id: family_id,
                client_id: client.client_id.clone(),
                account_id: account.id,
                scopes: grant.scopes.clone(),
                auth_time: grant.auth_time,
                sid: grant.sid.clone(),
                revoked: false,
                expires_at: 0,
                acr: grant.acr.clone(),
            })
            .await
            .map_err(server)?;
        self.person_tokens(client, &account, &family, grant.nonce, refresh_token)
            .await
    }

    async fn refresh_grant(
        &self,
        client: &Client,
        form: &TokenForm,
    ) -> Result<TokenResponse, OAuthError> {
        let token = form
            .refresh_token
            .as_deref()
            .ok_or_else(|| OAuthError::InvalidRequest("refresh_token is required".into()))?;
        let (mut family, next) = match self.refresh.rotate(token, &client.client_id).await {
            Ok(rotated) => rotated,
            Err(RefreshError::Storage(e)) => return Err(e.into()),
            Err(RefreshError::Reused) => {
                tracing::warn!("rotated refresh token reused; its family is revoked");
                return Err(OAuthError::InvalidGrant(
                    "the refresh token was already used".into(),
                ));
            }
            Err(e) => return Err(OAuthError::InvalidGrant(e.to_string())),
        };
        if let Some(scope) = form.scope.as_deref() {
            let asked: Vec<String> = scope.split_whitespace().map(str::to_owned).collect();
            if !asked.iter().all(|s| family.scopes.contains(s)) {
                return Err(OAuthError::InvalidScope);
            }
            family.scopes = asked;
        }
        let account = self.account(family.account_id).await?;
        self.person_tokens(client, &account, &family, None, next)
            .await
    }

    async fn person_tokens(
        &self,
        client: &Client,
        account: &Account,
        family: &Family,
        nonce: Option<String>,
        refresh_token: String,
    ) -> Result<TokenResponse, OAuthError> {
        let key = self.keys.signing_key().await?;
        let now = self.clock.unix_seconds();
        let c = &self.config;
        let sub = self.subject_for(client, account.id);
        let (access_token, _) = mint_access_token(
            &key,
            AccessGrant {
                issuer: &c.issuer,
                sub: &sub,
                audience: &c.api_audience,
                client_id: &client.client_id,
                scopes: &family.scopes,
                roles: account.role_names(),
                family: Some(&family.id),
                auth_time: Some(family.auth_time),
            },
            now,
            c.access_token_seconds,
        )
        .await?;
        let id_token = if family.scopes.iter().any(|s| s == "openid") {
            let id_key = self
                .keys
                .signing_key_for(client.id_token_signed_response_alg)
                .await?;
            let id_token = mint_id_token(
                &id_key,
                IdTokenClaims {
                    iss: c.issuer.clone(),
                    sub: sub.clone(),
                    aud: client.client_id.clone(),
                    exp: now + c.id_token_seconds,
                    iat: now,
                    auth_time: family.auth_time,
                    nonce,
                    at_hash: None,
                    sid: Some(family.sid.clone()),
                    azp: client.client_id.clone(),
                    acr: family.acr.clone(),
                    profile: ProfileClaims::for_scopes(account, &family.scopes),
                },
                &access_token,
            )
            .await?;
            Some(id_token)
        } else {
            None
        };
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer".into(),
            expires_in: c.access_token_seconds,
            refresh_token: Some(refresh_token),
            id_token,
            scope: family.scopes.join(" "),
        })
    }

    async fn client_credentials_grant(
        &self,
        client: &Client,
        form: &TokenForm,
    ) -> Result<TokenResponse, OAuthError> {
        if client.is_public() {
            return Err(OAuthError::UnauthorizedClient(
                "public clients cannot use client_credentials".into(),
            ));
        }
        let scopes: Vec<String> = form
            .scope
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        if scopes
            .iter()
            .any(|s| s == "openid" || s == "offline_access")
            || !client.allows_scopes(scopes.iter().map(String::as_str))
        {
            return Err(OAuthError::InvalidScope);
        }
        let key = self.keys.signing_key().await?;
        let c = &self.config;
        let (access_token, _) = mint_access_token(
            &key,
            AccessGrant {
                issuer: &c.issuer,
                sub: &client.client_id,
                audience: &c.api_audience,
                client_id: &client.client_id,
                scopes: &scopes,
                roles: Vec::new(),
                family: None,
                auth_time: None,
            },
            self.clock.unix_seconds(),
            c.access_token_seconds,
        )
        .await?;
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer".into(),
            expires_in: c.access_token_seconds,
            refresh_token: None,
            id_token: None,
            scope: scopes.join(" "),
        })
    }

    /// The `sub` a client sees for an account: the account id, or for a pairwise client
    /// SHA-256(sector, account id, salt), stable per client sector and unlinkable across them.
    pub fn subject_for(&self, client: &Client, account: Uuid) -> String {
        if !client.pairwise {
            return account.to_string();
        }
        let input = format!(
            "{}\n{account}\n{}",
            client.sector(),
            self.config.pairwise_salt
        );
        varoskapu_jose::b64url(&<sha2::Sha256 as sha2::Digest>::digest(input.as_bytes()))
    }

    async fn account(&self, id: Uuid) -> Result<Account, OAuthError> {
        self.accounts
            .get(id)
            .await?
            .ok_or_else(|| OAuthError::InvalidGrant("the account no longer exists".into()))
    }

    fn revoked_key(jti: &str) -> Key {
        Key::new(format!("REVOKEDAT#{jti}"), "REVOKEDAT")
    }

    /// Validates an access token this provider issued, including revocation.
    pub async fn validate_access_token(
        &self,
        token: &str,
    ) -> Result<AccessTokenClaims, OAuthError> {
        let keys = self.keys.published().await?;
        let (_, claims): (_, AccessTokenClaims) =
            verify_es256(token, &keys).map_err(|e| OAuthError::InvalidToken(e.to_string()))?;
        Validation {
            issuer: self.config.issuer.clone(),
            audiences: vec![self.config.api_audience.clone()],
            leeway: 0,
        }
        .check(&claims, self.clock.unix_seconds())
        .map_err(|e| OAuthError::InvalidToken(e.to_string()))?;
        if let Some(family) = &claims.fam
            && !self.refresh.is_active(family).await.map_err(server)?
        {
            return Err(OAuthError::InvalidToken("the token was revoked".into()));
        }
        if self
            .table
            .get(&Self::revoked_key(&claims.jti))
            .await?
            .is_some()
        {
            return Err(OAuthError::InvalidToken("the token was revoked".into()));
        }
        Ok(claims)
    }

    /// The UserInfo response for an access token.
    pub async fn userinfo(&self, token: &str) -> Result<Value, OAuthError> {
        let claims = self.validate_access_token(token).await?;
        if !claims.has_scope("openid") {
            return Err(OAuthError::InsufficientScope);
        }
        // A person's tokens name their family, which names the account (pairwise subjects
        // cannot be turned back into one).
        let id = match &claims.fam {
            Some(family) => self
                .refresh
                .family(family)
                .await
                .map_err(server)?
                .map(|f| f.account_id)
                .ok_or_else(|| OAuthError::InvalidToken("the token was revoked".into()))?,
            None => Uuid::parse_str(&claims.sub)
                .map_err(|_| OAuthError::InvalidToken("the token is not a person's".into()))?,
        };
        let account = self
            .accounts
            .get(id)
            .await?
            .ok_or_else(|| OAuthError::InvalidToken("the account no longer exists".into()))?;
        let scopes: Vec<String> = claims.scopes().map(str::to_owned).collect();
        let mut body = serde_json::to_value(ProfileClaims::for_scopes(&account, &scopes))
            .map_err(|e| OAuthError::Server(e.to_string()))?;
        if let Value::Object(map) = &mut body {
            map.insert("sub".into(), Value::String(claims.sub));
        }
        Ok(body)
    }

    /// RFC 7662: what is known of a token; `{"active": false}` for anything not live.
    pub async fn introspect(&self, token: &str) -> Result<Value, OAuthError> {
        match self.validate_access_token(token).await {
            Ok(claims) => {
                return Ok(json!({
                    "active": true,
                    "token_type": "Bearer",
                    "scope": claims.scope,
                    "client_id": claims.client_id,
                    "sub": claims.sub,
                    "exp": claims.exp,
                    "iat": claims.iat,
                    "iss": claims.iss,
                    "aud": claims.aud,
                    "jti": claims.jti,
                    "roles": claims.roles,
                }));
            }
            Err(OAuthError::Server(e)) => return Err(OAuthError::Server(e)),
            Err(_) => {}
        }
        if let Some(family) = self.refresh.peek(token).await.map_err(server)? {
            return Ok(json!({
                "active": true,
                "token_type": "refresh_token",
                "scope": family.scopes.join(" "),
                "client_id": family.client_id,
                "sub": match self.clients.get(&family.client_id).await.map_err(|e| OAuthError::Server(e.to_string()))? {
                    Some(client) => self.subject_for(&client, family.account_id),
                    None => family.account_id.to_string(),
                },
                "exp": family.expires_at,
                "iss": self.config.issuer,
            }));
        }
        Ok(json!({"active": false}))
    }

    /// RFC 7009: revokes a refresh token's family or an access token of the calling client.
    pub async fn revoke(&self, client: &Client, token: &str) -> Result<(), OAuthError> {
        if self
            .refresh
            .revoke_token(token, &client.client_id)
            .await
            .map_err(server)?
        {
            return Ok(());
        }
        let claims = match self.validate_access_token(token).await {
            Ok(claims) => claims,
            Err(OAuthError::Server(e)) => return Err(OAuthError::Server(e)),
            // Unknown and invalid tokens need no revoking (RFC 7009 §2.2).
            Err(_) => return Ok(()),
        };
        if claims.client_id != client.client_id {
            return Ok(());
        }
        match &claims.fam {
            Some(family) => self.refresh.revoke_family(family).await.map_err(server)?,
            None => {
                let item = ItemWrite::new(Self::revoked_key(&claims.jti), Default::default())
                    .expires_at(claims.exp + 60);
                self.table.put(item, Condition::None).await?;
            }
        }
        Ok(())
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

fn server(e: RefreshError) -> OAuthError {
    OAuthError::Server(e.to_string())
}
