//! The provider's use cases: issuing codes, the token endpoint's grants, validating access
//! tokens, UserInfo, introspection and revocation. No HTTP here.
//!
//! Every token names the person by the receiving client's own subject, and every access token
//! names as audience only the APIs its scopes open (RFC 9068, RFC 8707).

use crate::authorize::AuthorizationRequest;
use crate::clients::{Client, ClientError, ClientRegistry};
use crate::codes::{CodeError, CodeGrant, Codes};
use crate::config::IdpConfig;
use crate::consents::Consents;
use crate::error::OAuthError;
use crate::keys::SigningKeys;
use crate::pending::PendingLogins;
use crate::pkce::verify_s256;
use crate::refresh::{Family, RefreshError, RefreshTokens, TokenRevocation};
use crate::resources::{audience, bears_roles, is_sign_in, narrow, parse_resources, parse_scopes};
use crate::sessions::{Session, Sessions};
use crate::tokens::{AccessGrant, IdTokenClaims, ProfileClaims, mint_access_token, mint_id_token};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::Arc;
use uuid::Uuid;
use varoskapu_accounts::{Account, Accounts};
use varoskapu_core::access::{PairwiseSubjects, Resource, Scope, amr_for};
use varoskapu_core::{Clock, Condition, ItemWrite, Key, Table};
use varoskapu_jose::{
    AccessTokenClaims, JwkSet, JwsAlgorithm, Validation, is_access_token_type, peek_header,
    verify_es256, verify_with_key,
};

/// The assurance levels, defined with the APIs that enforce them; re-exported where they
/// were first defined.
pub use varoskapu_core::access::{ACR_FEDERATED, ACR_MFA, ACR_PASSWORD};

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
    /// Kept raw: only the issuer as a single string is accepted.
    aud: Value,
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
    /// RFC 8707 resource indicators that narrow the token's audience and scopes.
    #[serde(default)]
    pub resource: Vec<String>,
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
    /// Where pairwise subjects handed out are recorded, so the APIs can map them back.
    pub subjects: PairwiseSubjects,
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
            subjects: PairwiseSubjects::new(table.clone()),
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
            "scopes_supported": Scope::ALL.map(Scope::as_str),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "subject_types_supported": ["public", "pairwise"],
            "id_token_signing_alg_values_supported": varoskapu_jose::JwsAlgorithm::ALL.map(|a| a.as_str()),
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
            "token_endpoint_auth_signing_alg_values_supported": ["ES256"],
            "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
            "revocation_endpoint_auth_signing_alg_values_supported": ["ES256"],
            "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt"],
            "introspection_endpoint_auth_signing_alg_values_supported": ["ES256"],
            "code_challenge_methods_supported": ["S256"],
            "acr_values_supported": [ACR_PASSWORD, ACR_MFA, ACR_FEDERATED],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "sid", "acr", "amr",
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
    /// The audience is the issuer identifier as one string, nothing else: an assertion made
    /// for a token endpoint URL or for several audiences could have been replayed from
    /// another server (OpenID Foundation advisory, 2025). With a single registered key the
    /// assertion may name no `kid`.
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
        let header = peek_header(assertion).map_err(|_| OAuthError::InvalidClient)?;
        let key = match header.kid.as_deref().and_then(|kid| keys.find(kid)) {
            Some(key) => key,
            None => match keys.keys.as_slice() {
                [only] if header.kid.is_none() || only.kid.is_none() => only,
                _ => return Err(OAuthError::InvalidClient),
            },
        };
        let (_, claims): (_, AssertionClaims) =
            verify_with_key(assertion, key, JwsAlgorithm::Es256)
                .map_err(|_| OAuthError::InvalidClient)?;
        let now = self.clock.unix_seconds();
        let valid = claims.iss == client.client_id
            && claims.sub == client.client_id
            && claims.aud.as_str() == Some(self.config.issuer.as_str())
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
        if client.is_resource_server() {
            return Err(OAuthError::UnauthorizedClient(
                "a resource server may only introspect".into(),
            ));
        }
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
        let resources = requested_resources(form)?;
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
        if !form
            .code_verifier
            .as_deref()
            .is_some_and(|verifier| verify_s256(verifier, &grant.code_challenge))
        {
            return Err(OAuthError::InvalidGrant("PKCE verification failed".into()));
        }
        let access_scopes = narrowed(&grant.scopes, &resources)?;
        let account = self.account(grant.account_id).await?;
        if !account.signed_in_since_last_credential_change(grant.auth_time) {
            return Err(OAuthError::InvalidGrant(
                "the password was changed since this sign-in".into(),
            ));
        }
        // OpenID Connect Core §11: refresh tokens only for offline access.
        let offline = has(&grant.scopes, Scope::OfflineAccess);
        let (family, refresh_token) = self
            .refresh
            .start(
                Family {
                    id: family_id,
                    client_id: client.client_id.clone(),
                    account_id: account.id,
                    scopes: grant.scopes.clone(),
                    auth_time: grant.auth_time,
                    sid: grant.sid.clone(),
                    revoked: false,
                    expires_at: 0,
                    acr: grant.acr.clone(),
                },
                offline,
            )
            .await
            .map_err(server)?;
        self.person_tokens(
            client,
            &account,
            &family,
            PersonTokens {
                granted: &grant.scopes,
                access: &access_scopes,
                nonce: grant.nonce,
                refresh_token,
            },
        )
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
        let resources = requested_resources(form)?;
        // A request that will be refused must not rotate the token away from its client.
        if (form.scope.is_some() || !resources.is_empty())
            && let Some(family) = self.refresh.peek(token).await.map_err(server)?
            && family.client_id == client.client_id
        {
            refreshed_scopes(&family, form, &resources)?;
        }
        let (family, next) = match self.refresh.rotate(token, &client.client_id).await {
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
        let (granted, access) = refreshed_scopes(&family, form, &resources)?;
        let account = self.account(family.account_id).await?;
        // A password reset ends every grant made before it.
        if !account.signed_in_since_last_credential_change(family.auth_time) {
            self.refresh
                .revoke_family(&family.id)
                .await
                .map_err(server)?;
            return Err(OAuthError::InvalidGrant(
                "the password was changed since this sign-in".into(),
            ));
        }
        self.person_tokens(
            client,
            &account,
            &family,
            PersonTokens {
                granted: &granted,
                access: &access,
                nonce: None,
                refresh_token: Some(next),
            },
        )
        .await
    }

    async fn person_tokens(
        &self,
        client: &Client,
        account: &Account,
        family: &Family,
        tokens: PersonTokens<'_>,
    ) -> Result<TokenResponse, OAuthError> {
        let key = self.keys.signing_key().await?;
        let now = self.clock.unix_seconds();
        let c = &self.config;
        let sub = self.subject_issued_to(client, account.id).await?;
        let roles = if bears_roles(tokens.access) {
            account.role_names()
        } else {
            Vec::new()
        };
        let (access_token, _) = mint_access_token(
            &key,
            AccessGrant {
                issuer: &c.issuer,
                sub: &sub,
                audience: audience(tokens.access, &c.issuer),
                client_id: &client.client_id,
                scopes: tokens.access,
                roles,
                family: Some(&family.id),
                auth_time: Some(family.auth_time),
                acr: family.acr.as_deref(),
            },
            now,
            c.access_token_seconds,
        )
        .await?;
        let id_token = if has(tokens.granted, Scope::OpenId) {
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
                    nonce: tokens.nonce,
                    at_hash: None,
                    sid: Some(family.sid.clone()),
                    azp: client.client_id.clone(),
                    acr: family.acr.clone(),
                    amr: amr_for(family.acr.as_deref()),
                    profile: ProfileClaims::for_scopes(account, tokens.granted),
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
            refresh_token: tokens.refresh_token,
            id_token,
            scope: tokens.access.join(" "),
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
        let scopes = parse_scopes(form.scope.as_deref().unwrap_or_default())
            .map_err(|_| OAuthError::InvalidScope)?;
        // A service acts for no person: the scopes of signing someone in are not for it.
        if scopes.iter().any(|s| is_sign_in(s))
            || !client.allows_scopes(scopes.iter().map(String::as_str))
        {
            return Err(OAuthError::InvalidScope);
        }
        let scopes = narrowed(&scopes, &requested_resources(form)?)?;
        let key = self.keys.signing_key().await?;
        let c = &self.config;
        let (access_token, _) = mint_access_token(
            &key,
            AccessGrant {
                issuer: &c.issuer,
                sub: &client.client_id,
                audience: audience(&scopes, &c.issuer),
                client_id: &client.client_id,
                scopes: &scopes,
                roles: Vec::new(),
                family: None,
                auth_time: None,
                acr: None,
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

    /// The `sub` to put into something `client` receives, recorded first when it is a
    /// pairwise subject so that the APIs can map it back to the person.
    pub async fn subject_issued_to(
        &self,
        client: &Client,
        account: Uuid,
    ) -> Result<String, OAuthError> {
        let sub = self.subject_for(client, account);
        if client.pairwise {
            self.subjects.remember(&sub, account).await?;
        }
        Ok(sub)
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

    /// The session behind a cookie, unless the account's password was set again since it
    /// began (a reset signs the person out everywhere).
    pub async fn live_session(&self, secret: &str) -> Result<Option<Session>, OAuthError> {
        let Some(session) = self
            .sessions
            .get(secret)
            .await
            .map_err(|e| OAuthError::Server(e.to_string()))?
        else {
            return Ok(None);
        };
        match self.accounts.get(session.account_id).await? {
            Some(account) if account.signed_in_since_last_credential_change(session.auth_time) => {
                Ok(Some(session))
            }
            _ => {
                self.sessions
                    .end(secret)
                    .await
                    .map_err(|e| OAuthError::Server(e.to_string()))?;
                Ok(None)
            }
        }
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

    /// Validates an access token this provider issued, including revocation. Only a JWS
    /// typed `at+jwt` is one: ID tokens and logout tokens are signed with the same keys and
    /// are refused here. The audience is the issuer (UserInfo) or any Városkapu API.
    pub async fn validate_access_token(
        &self,
        token: &str,
    ) -> Result<AccessTokenClaims, OAuthError> {
        let keys = self.keys.published().await?;
        let (header, claims): (_, AccessTokenClaims) =
            verify_es256(token, &keys).map_err(|e| OAuthError::InvalidToken(e.to_string()))?;
        if !is_access_token_type(header.typ.as_deref()) {
            return Err(OAuthError::InvalidToken(
                "the token is not an access token".into(),
            ));
        }
        let mut audiences = vec![self.config.issuer.clone()];
        audiences.extend(Resource::ALL.map(|r| r.audience().to_owned()));
        Validation {
            issuer: self.config.issuer.clone(),
            audiences,
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
        if !claims.aud.contains(&self.config.issuer) {
            return Err(OAuthError::InvalidToken(
                "the token is not meant for UserInfo".into(),
            ));
        }
        if !claims.has_scope(Scope::OpenId.as_str()) {
            return Err(OAuthError::InsufficientScope);
        }
        // A person's tokens name their grant, which names the account (pairwise subjects
        // cannot be turned back into one by the provider's arithmetic).
        let id = match &claims.fam {
            Some(family) => self
                .refresh
                .family(family)
                .await
                .map_err(server)?
                .map(|f| f.account_id)
                .ok_or_else(|| OAuthError::InvalidToken("the token was revoked".into()))?,
            None => {
                return Err(OAuthError::InvalidToken(
                    "the token is not a person's".into(),
                ));
            }
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

    /// RFC 7662: what is known of a token, told only to the client it was issued to or to a
    /// resource server it is meant for; `{"active": false}` for anything else.
    pub async fn introspect(&self, caller: &Client, token: &str) -> Result<Value, OAuthError> {
        match self.validate_access_token(token).await {
            Ok(claims) => {
                if claims.client_id != caller.client_id && !caller.serves(&claims.aud) {
                    return Ok(inactive());
                }
                let mut answer = json!({
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
                });
                let extra = [
                    ("nbf", claims.nbf.map(Value::from)),
                    ("auth_time", claims.auth_time.map(Value::from)),
                    ("acr", claims.acr.map(Value::from)),
                    (
                        "amr",
                        (!claims.amr.is_empty()).then(|| Value::from(claims.amr)),
                    ),
                    (
                        "roles",
                        (!claims.roles.is_empty()).then(|| Value::from(claims.roles)),
                    ),
                ];
                for (name, value) in extra {
                    if let Some(value) = value {
                        answer[name] = value;
                    }
                }
                return Ok(answer);
            }
            Err(OAuthError::Server(e)) => return Err(OAuthError::Server(e)),
            Err(_) => {}
        }
        if let Some(family) = self.refresh.peek(token).await.map_err(server)? {
            if family.client_id != caller.client_id {
                return Ok(inactive());
            }
            return Ok(json!({
                "active": true,
                "token_type": "refresh_token",
                "scope": family.scopes.join(" "),
                "client_id": family.client_id,
                "sub": self.subject_issued_to(caller, family.account_id).await?,
                "exp": family.expires_at,
                "iss": self.config.issuer,
                "auth_time": family.auth_time,
            }));
        }
        Ok(inactive())
    }

    /// RFC 7009: revokes a refresh token's family or an access token, for the client it was
    /// issued to; another client's token is refused (`unauthorized_client`), an unknown or
    /// expired one needs no revoking.
    pub async fn revoke(&self, client: &Client, token: &str) -> Result<(), OAuthError> {
        if client.is_resource_server() {
            return Err(OAuthError::UnauthorizedClient(
                "a resource server may only introspect".into(),
            ));
        }
        let not_yours =
            || OAuthError::UnauthorizedClient("the token was issued to another client".into());
        match self
            .refresh
            .revoke_token(token, &client.client_id)
            .await
            .map_err(server)?
        {
            TokenRevocation::Revoked => return Ok(()),
            TokenRevocation::NotTheCallers => {
                tracing::warn!("a client tried to revoke another client's refresh token");
                return Err(not_yours());
            }
            TokenRevocation::Unknown => {}
        }
        let claims = match self.validate_access_token(token).await {
            Ok(claims) => claims,
            Err(OAuthError::Server(e)) => return Err(OAuthError::Server(e)),
            // Unknown and invalid tokens need no revoking (RFC 7009 §2.2).
            Err(_) => return Ok(()),
        };
        if claims.client_id != client.client_id {
            tracing::warn!("a client tried to revoke another client's access token");
            return Err(not_yours());
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

/// What one issuance gives a person's client: the grant's scopes (for the ID token), the
/// access token's narrowed ones, and the refresh token when offline access was granted.
struct PersonTokens<'a> {
    granted: &'a [String],
    access: &'a [String],
    nonce: Option<String>,
    refresh_token: Option<String>,
}

fn has(scopes: &[String], scope: Scope) -> bool {
    scopes.iter().any(|s| s == scope.as_str())
}

fn inactive() -> Value {
    json!({"active": false})
}

fn requested_resources(form: &TokenForm) -> Result<Vec<Resource>, OAuthError> {
    parse_resources(&form.resource)
        .map_err(|_| OAuthError::InvalidTarget("a requested resource is unknown".into()))
}

fn narrowed(scopes: &[String], resources: &[Resource]) -> Result<Vec<String>, OAuthError> {
    narrow(scopes, resources)
        .map_err(|r| OAuthError::InvalidTarget(format!("{} is not within the grant", r.audience())))
}

/// A refresh's scopes: the `scope` asked for (a subset of the grant's) and, narrowed by the
/// resources, the access token's.
fn refreshed_scopes(
    family: &Family,
    form: &TokenForm,
    resources: &[Resource],
) -> Result<(Vec<String>, Vec<String>), OAuthError> {
    let granted = match form.scope.as_deref() {
        Some(scope) => {
            let asked = parse_scopes(scope).map_err(|_| OAuthError::InvalidScope)?;
            if !asked.iter().all(|s| family.scopes.contains(s)) {
                return Err(OAuthError::InvalidScope);
            }
            asked
        }
        None => family.scopes.clone(),
    };
    let access = narrowed(&granted, resources)?;
    Ok((granted, access))
}

fn server(e: RefreshError) -> OAuthError {
    OAuthError::Server(e.to_string())
}
