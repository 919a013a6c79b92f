//! What the provider tells about the access tokens it issued: whether one is valid (for the
//! APIs), UserInfo, introspection (RFC 7662) and revocation (RFC 7009).

use super::{Provider, server};
use crate::clients::Client;
use crate::error::OAuthError;
use crate::refresh::{Family, RefreshTokens, TokenRevocation};
use crate::tokens::ProfileClaims;
use serde_json::{Value, json};
use varoskapu_core::access::{Resource, Scope};
use varoskapu_core::{Condition, ItemWrite, Key};
use varoskapu_jose::{AccessTokenClaims, Validation, is_access_token_type};

impl Provider {
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
        Ok(self.validated(token).await?.0)
    }

    /// A valid access token's claims and, for a person's token, its live grant (read once:
    /// UserInfo needs the account it names).
    async fn validated(
        &self,
        token: &str,
    ) -> Result<(AccessTokenClaims, Option<Family>), OAuthError> {
        let keys = self.keys.published().await?;
        let (header, claims): (_, AccessTokenClaims) = self
            .verified
            .verify_es256(token, &keys)
            .map_err(|e| OAuthError::InvalidToken(e.to_string()))?;
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
        // The token's own revocation and its grant, in one read.
        let mut keys = vec![Self::revoked_key(&claims.jti)];
        keys.extend(claims.fam.as_deref().map(RefreshTokens::family_key));
        let mut items = self.table.get_many(&keys).await?.into_iter();
        if items.next().flatten().is_some() {
            return Err(OAuthError::InvalidToken("the token was revoked".into()));
        }
        let family = match (&claims.fam, items.next().flatten()) {
            (Some(_), Some(item)) => Some(item.parse::<Family>()?),
            (Some(_), None) => None,
            (None, _) => return Ok((claims, None)),
        };
        match family {
            Some(family) if !family.revoked => Ok((claims, Some(family))),
            _ => Err(OAuthError::InvalidToken("the token was revoked".into())),
        }
    }

    /// The UserInfo response for an access token.
    pub async fn userinfo(&self, token: &str) -> Result<Value, OAuthError> {
        let (claims, family) = self.validated(token).await?;
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
        let id = match family {
            Some(family) => family.account_id,
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
}

fn inactive() -> Value {
    json!({"active": false})
}
