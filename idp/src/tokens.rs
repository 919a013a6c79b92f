//! Minting access and ID tokens.

use crate::keys::{ActiveKey, KeyError};
use serde::{Deserialize, Serialize};
use varoskapu_accounts::Account;
use varoskapu_core::access::amr_for;
use varoskapu_jose::{ACCESS_TOKEN_TYPE, AccessTokenClaims, Audience, JwsAlgorithm, half_hash};

/// The claims of an ID token (OpenID Connect Core §2) with Városkapu's profile claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub auth_time: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    pub azp: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    /// How the person authenticated (RFC 8176), following from `acr`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub amr: Vec<String>,
    #[serde(flatten)]
    pub profile: ProfileClaims,
}

/// Claims about the person, released by scope (`profile`, `email`; `roles` only with a
/// role-bearing scope such as `backoffice`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileClaims {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
}

impl ProfileClaims {
    /// The claims the scopes release.
    pub fn for_scopes(account: &Account, scopes: &[String]) -> Self {
        let has = |s: &str| scopes.iter().any(|x| x == s);
        let mut claims = Self::default();
        if has("profile") {
            claims.name = Some(account.name.clone());
            claims.given_name = account.given_name.clone();
            claims.family_name = account.family_name.clone();
        }
        if has("email") {
            claims.email = Some(account.email.clone());
            claims.email_verified = Some(account.email_verified);
        }
        if crate::resources::bears_roles(scopes) {
            claims.roles = Some(account.role_names());
        }
        claims
    }
}

/// What an access token is for.
#[derive(Debug, Clone)]
pub struct AccessGrant<'a> {
    pub issuer: &'a str,
    /// The client's own subject for the person, or the client id for a service.
    pub sub: &'a str,
    /// The APIs (and the issuer, for UserInfo) the scopes open; see [`crate::resources`].
    pub audience: Audience,
    pub client_id: &'a str,
    pub scopes: &'a [String],
    /// Empty unless a role-bearing scope was granted.
    pub roles: Vec<String>,
    /// The case types of a staff member's post, with her roles; empty for every type.
    pub case_types: Vec<String>,
    /// The grant (refresh family) of a person's token; `None` for a service.
    pub family: Option<&'a str>,
    pub auth_time: Option<i64>,
    /// The assurance of the person's sign-in; `amr` follows from it.
    pub acr: Option<&'a str>,
}

/// Mints a signed access token (RFC 9068, `typ: at+jwt`); returns it with its claims. Access
/// tokens are ES256 only, because that is all the functions' validator accepts.
pub async fn mint_access_token(
    key: &ActiveKey,
    grant: AccessGrant<'_>,
    now: i64,
    lifetime: i64,
) -> Result<(String, AccessTokenClaims), KeyError> {
    if key.alg() != JwsAlgorithm::Es256 {
        return Err(KeyError::WrongAlgorithm {
            expected: JwsAlgorithm::Es256,
            got: key.alg(),
        });
    }
    let claims = AccessTokenClaims {
        iss: grant.issuer.to_owned(),
        sub: grant.sub.to_owned(),
        aud: grant.audience,
        exp: now + lifetime,
        iat: now,
        nbf: Some(now),
        jti: uuid::Uuid::now_v7().to_string(),
        client_id: grant.client_id.to_owned(),
        scope: grant.scopes.join(" "),
        roles: grant.roles,
        case_types: grant.case_types,
        fam: grant.family.map(str::to_owned),
        auth_time: grant.auth_time,
        acr: grant.acr.map(str::to_owned),
        amr: amr_for(grant.acr),
    };
    Ok((key.sign(ACCESS_TOKEN_TYPE, &claims).await?, claims))
}

/// Mints a signed ID token bound to its access token by `at_hash`.
pub async fn mint_id_token(
    key: &ActiveKey,
    mut claims: IdTokenClaims,
    access_token: &str,
) -> Result<String, KeyError> {
    claims.at_hash = Some(half_hash(access_token));
    key.sign("JWT", &claims).await
}
