//! The token endpoint's grants: an authorization code, a refresh token and client
//! credentials, and the tokens they issue.

use super::{Provider, server};
use crate::clients::Client;
use crate::codes::CodeError;
use crate::error::OAuthError;
use crate::pkce::verify_s256;
use crate::refresh::{Family, RefreshError};
use crate::resources::{audience, bears_roles, is_sign_in, narrow, parse_resources, parse_scopes};
use crate::tokens::{AccessGrant, IdTokenClaims, ProfileClaims, mint_access_token, mint_id_token};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use varoskapu_accounts::Account;
use varoskapu_core::access::{Resource, Scope, amr_for};

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

impl Provider {
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
                case_types: Vec::new(),
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
        let (roles, case_types) = if bears_roles(tokens.access) {
            (account.role_names(), account.case_types.clone())
        } else {
            (Vec::new(), Vec::new())
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
                case_types,
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

    async fn account(&self, id: Uuid) -> Result<Account, OAuthError> {
        self.accounts
            .get(id)
            .await?
            .ok_or_else(|| OAuthError::InvalidGrant("the account no longer exists".into()))
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
