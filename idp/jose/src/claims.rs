//! Access-token claims and the checks every validator applies to them.

use serde::{Deserialize, Serialize};

/// The `aud` claim: one audience or several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    pub fn contains(&self, audience: &str) -> bool {
        match self {
            Audience::One(a) => a == audience,
            Audience::Many(all) => all.iter().any(|a| a == audience),
        }
    }
}

/// The claims of a Városkapu access token (RFC 9068 shape).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: Audience,
    pub exp: i64,
    pub iat: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    pub jti: String,
    pub client_id: String,
    /// Space-separated scopes.
    #[serde(default)]
    pub scope: String,
    /// The account's roles (`citizen`, `clerk`, `signatory`, `admin`); empty for services.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// The case types of a staff member's post (travels with her roles); empty when her
    /// post covers every case type.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub case_types: Vec<String>,
    /// The refresh-token family this token came from, so revoking the family revokes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fam: Option<String>,
    /// When the person last authenticated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// How the person authenticated: the assurance class (`acr`) and methods (`amr`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub amr: Vec<String>,
}

/// The `typ` of a JWT access token (RFC 9068 §2.1); validators require it, so that an ID
/// token or a logout token is never taken for one.
pub const ACCESS_TOKEN_TYPE: &str = "at+jwt";

/// Whether a JWS header's `typ` names an access token (`at+jwt` or `application/at+jwt`).
pub fn is_access_token_type(typ: Option<&str>) -> bool {
    typ.is_some_and(|t| {
        let t = t.strip_prefix("application/").unwrap_or(t);
        t.eq_ignore_ascii_case(ACCESS_TOKEN_TYPE)
    })
}

impl AccessTokenClaims {
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope.split_whitespace()
    }

    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes().any(|s| s == scope)
    }

    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}

/// Why a token's claims were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimsError {
    #[error("the token was issued by another issuer")]
    WrongIssuer,
    #[error("the token is meant for another audience")]
    WrongAudience,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
}

/// What a validator expects of a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validation {
    pub issuer: String,
    /// The token must name at least one of these audiences.
    pub audiences: Vec<String>,
    /// Clock skew tolerated, in seconds.
    pub leeway: i64,
}

impl Validation {
    /// Checks issuer, audience, expiry and not-before at `now` (Unix seconds).
    pub fn check(&self, claims: &AccessTokenClaims, now: i64) -> Result<(), ClaimsError> {
        self.check_parts(&claims.iss, &claims.aud, claims.exp, claims.nbf, now)
    }

    /// The same checks on the parts any JWT has.
    pub fn check_parts(
        &self,
        iss: &str,
        aud: &Audience,
        exp: i64,
        nbf: Option<i64>,
        now: i64,
    ) -> Result<(), ClaimsError> {
        if iss != self.issuer {
            return Err(ClaimsError::WrongIssuer);
        }
        if !self.audiences.iter().any(|a| aud.contains(a)) {
            return Err(ClaimsError::WrongAudience);
        }
        if exp + self.leeway <= now {
            return Err(ClaimsError::Expired);
        }
        if nbf.is_some_and(|nbf| nbf - self.leeway > now) {
            return Err(ClaimsError::NotYetValid);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> AccessTokenClaims {
        AccessTokenClaims {
            iss: "https://idp.example".into(),
            sub: "u1".into(),
            aud: Audience::One("varoskapu-api".into()),
            exp: 1_000,
            iat: 700,
            nbf: None,
            jti: "j".into(),
            client_id: "c".into(),
            scope: "openid cases".into(),
            roles: vec!["citizen".into()],
            case_types: Vec::new(),
            fam: None,
            auth_time: None,
            acr: None,
            amr: Vec::new(),
        }
    }

    fn validation() -> Validation {
        Validation {
            issuer: "https://idp.example".into(),
            audiences: vec!["varoskapu-api".into()],
            leeway: 0,
        }
    }

    #[test]
    fn only_an_access_token_type_is_one() {
        assert!(is_access_token_type(Some("at+jwt")));
        assert!(is_access_token_type(Some("application/at+JWT")));
        for other in [None, Some("JWT"), Some("logout+jwt"), Some("jwt")] {
            assert!(!is_access_token_type(other));
        }
    }

    #[test]
    fn a_token_for_this_api_within_its_lifetime_passes() {
        assert_eq!(validation().check(&claims(), 999), Ok(()));
        assert!(claims().has_scope("cases") && claims().has_role("citizen"));
    }

    #[test]
    fn wrong_issuer_audience_and_expiry_are_refused() {
        let mut c = claims();
        c.iss = "https://evil.example".into();
        assert_eq!(validation().check(&c, 900), Err(ClaimsError::WrongIssuer));
        let mut c = claims();
        c.aud = Audience::Many(vec!["other".into()]);
        assert_eq!(validation().check(&c, 900), Err(ClaimsError::WrongAudience));
        assert_eq!(
            validation().check(&claims(), 1_000),
            Err(ClaimsError::Expired)
        );
        let mut c = claims();
        c.nbf = Some(950);
        assert_eq!(validation().check(&c, 900), Err(ClaimsError::NotYetValid));
    }
}
