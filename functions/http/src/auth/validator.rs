//! Access-token validation: the signature against the provider's JWKS (ES256 only, so
//! `alg: none` and HS256-with-the-public-key forgeries fail before any key is used), the
//! `at+jwt` type (so ID and logout tokens are never taken for access tokens), issuer,
//! audience, expiry and not-before; then the person behind the token, mapped back from a
//! pairwise subject; then a route's [`Requirement`].
//!
//! Validation is local (no call per request). Revocation therefore takes effect when the
//! short-lived access token expires; the provider's introspection endpoint is exact.

use super::{AuthError, Principal, Requirement};
use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use uuid::Uuid;
use varoskapu_core::Clock;
use varoskapu_core::access::{PairwiseSubjects, Resource, Role, Scope, proves_second_factor};
use varoskapu_jose::{
    AccessTokenClaims, ClaimsError, JwkSet, JwsError, Validation, VerifiedTokens,
    is_access_token_type,
};

/// The setting naming scopes whose routes always need a second factor (space- or
/// comma-separated, e.g. `backoffice`); approval needs one whatever it says.
pub const SECOND_FACTOR_SCOPES_VAR: &str = "VAROSKAPU_SECOND_FACTOR_SCOPES";

/// Reads [`SECOND_FACTOR_SCOPES_VAR`]; an unknown scope name stops start-up.
pub fn second_factor_scopes_from_env() -> Result<Vec<Scope>, crate::ConfigError> {
    let Some(text) = crate::config::optional(SECOND_FACTOR_SCOPES_VAR) else {
        return Ok(Vec::new());
    };
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(|name| {
            Scope::parse(name).ok_or_else(|| crate::ConfigError::Invalid {
                name: SECOND_FACTOR_SCOPES_VAR,
                reason: format!("{name:?} is not a scope"),
            })
        })
        .collect()
}

/// Fetches the provider's current key set.
pub type JwksFetch =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<JwkSet, String>> + Send>> + Send + Sync>;

/// Validates access tokens against a cached JWKS, refetched when it is old or when a token
/// names a key it does not hold (after a rotation), at most once per `min_refetch`.
pub struct TokenValidator {
    validation: Validation,
    subjects: Option<PairwiseSubjects>,
    second_factor_scopes: BTreeSet<Scope>,
    fetch: JwksFetch,
    clock: Arc<dyn Clock>,
    cache: RwLock<Option<(JwkSet, Instant)>>,
    /// Tokens whose signature verified before (claims are still checked on every use).
    verified: VerifiedTokens<AccessTokenClaims>,
    max_age: Duration,
    min_refetch: Duration,
}

impl TokenValidator {
    /// Tokens of `issuer`; every Városkapu API resource is an accepted audience here, and
    /// each route then requires its own.
    pub fn new(issuer: &str, fetch: JwksFetch, clock: Arc<dyn Clock>) -> Self {
        let issuer = issuer.trim_end_matches('/').to_owned();
        Self {
            validation: Validation {
                audiences: Resource::ALL
                    .iter()
                    .map(|r| r.audience().to_owned())
                    .chain([issuer.clone()])
                    .collect(),
                issuer,
                leeway: 30,
            },
            subjects: None,
            second_factor_scopes: BTreeSet::new(),
            fetch,
            clock,
            cache: RwLock::new(None),
            verified: VerifiedTokens::default(),
            max_age: Duration::from_secs(300),
            min_refetch: Duration::from_secs(10),
        }
    }

    /// Keys from the provider's `jwks_uri` over HTTP.
    pub fn from_jwks_url(issuer: &str, jwks_uri: &str, clock: Arc<dyn Clock>) -> Self {
        let http = reqwest::Client::new();
        let uri = jwks_uri.to_owned();
        let fetch: JwksFetch = Arc::new(move || {
            let http = http.clone();
            let uri = uri.clone();
            Box::pin(async move {
                let response = http
                    .get(&uri)
                    .timeout(Duration::from_secs(5))
                    .send()
                    .await
                    .map_err(|e| e.to_string())?
                    .error_for_status()
                    .map_err(|e| e.to_string())?;
                response.json::<JwkSet>().await.map_err(|e| e.to_string())
            })
        });
        Self::new(issuer, fetch, clock)
    }

    /// A fixed key set (tests, or a provider in the same process).
    pub fn from_keys(issuer: &str, keys: JwkSet, clock: Arc<dyn Clock>) -> Self {
        let fetch: JwksFetch = Arc::new(move || {
            let keys = keys.clone();
            Box::pin(async move { Ok(keys) })
        });
        Self::new(issuer, fetch, clock)
    }

    /// The validator of a deployed function: keys from the provider's `jwks_uri`, pairwise
    /// subjects looked up in the function's table, and the second-factor scopes of
    /// [`SECOND_FACTOR_SCOPES_VAR`].
    pub fn deployed(
        issuer: &str,
        jwks_uri: &str,
        table: Arc<dyn varoskapu_core::Table>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, crate::ConfigError> {
        Self::from_jwks_url(issuer, jwks_uri, clock).for_functions(table)
    }

    /// What every function's validator adds to its key source, deployed or local:
    /// pairwise subjects looked up in `table`, and the second-factor scopes of
    /// [`SECOND_FACTOR_SCOPES_VAR`] (a bad setting stops start-up).
    pub fn for_functions(
        self,
        table: Arc<dyn varoskapu_core::Table>,
    ) -> Result<Self, crate::ConfigError> {
        Ok(self
            .with_pairwise_subjects(PairwiseSubjects::new(table))
            .with_second_factor_for(second_factor_scopes_from_env()?))
    }

    /// Maps pairwise subjects back to the person through the provider's records; without
    /// it, tokens of pairwise clients are refused.
    pub fn with_pairwise_subjects(mut self, subjects: PairwiseSubjects) -> Self {
        self.subjects = Some(subjects);
        self
    }

    /// Scopes whose routes need a second factor besides those that always do.
    pub fn with_second_factor_for(mut self, scopes: impl IntoIterator<Item = Scope>) -> Self {
        self.second_factor_scopes.extend(scopes);
        self
    }

    fn cached(&self) -> Option<(JwkSet, Instant)> {
        self.cache.read().ok().and_then(|c| c.clone())
    }

    async fn refetch(&self) -> Result<JwkSet, AuthError> {
        let keys = (self.fetch)().await.map_err(AuthError::KeysUnavailable)?;
        if let Ok(mut cache) = self.cache.write() {
            *cache = Some((keys.clone(), Instant::now()));
        }
        Ok(keys)
    }

    /// Validates a bearer token and returns its principal.
    pub async fn validate(&self, token: &str) -> Result<Principal, AuthError> {
        let (keys, fetched) = match self.cached() {
            Some((keys, at)) if at.elapsed() < self.max_age => (keys, at),
            _ => (self.refetch().await?, Instant::now()),
        };
        let (header, claims) = match self.verified.verify_es256(token, &keys) {
            Err(JwsError::UnknownKey) if fetched.elapsed() >= self.min_refetch => {
                self.verified.verify_es256(token, &self.refetch().await?)?
            }
            other => other?,
        };
        if !is_access_token_type(header.typ.as_deref()) {
            return Err(AuthError::NotAnAccessToken);
        }
        self.validation.check(&claims, self.clock.unix_seconds())?;
        // Every token of a person's sign-in names its grant; service tokens do not.
        let is_person = claims.fam.is_some();
        let account = if !is_person || Uuid::parse_str(&claims.sub).is_ok() {
            claims.sub.clone()
        } else {
            let subjects = self.subjects.as_ref().ok_or(AuthError::UnknownSubject)?;
            subjects
                .resolve(&claims.sub)
                .await
                .map_err(|e| AuthError::SubjectsUnavailable(e.to_string()))?
                .ok_or(AuthError::UnknownSubject)?
                .to_string()
        };
        let bears_roles = claims
            .scopes()
            .filter_map(Scope::parse)
            .any(Scope::bears_roles);
        let roles = if bears_roles {
            claims.roles.iter().filter_map(|r| Role::parse(r)).collect()
        } else {
            Vec::new()
        };
        Ok(Principal {
            account,
            is_person,
            client_id: claims.client_id.clone(),
            roles,
            claims,
        })
    }

    /// Validates a bearer token for a route with `requirement`: its scope (and that scope's
    /// audience), a person behind it, one of its roles, and a second factor where needed.
    pub async fn authorize(
        &self,
        token: &str,
        requirement: &Requirement,
    ) -> Result<Principal, AuthError> {
        let principal = self.validate(token).await?;
        let scope = requirement.scope;
        if !principal.has_scope(scope.as_str()) {
            return Err(AuthError::MissingScope(scope));
        }
        if let Some(resource) = scope.resource()
            && !principal.claims.aud.contains(resource.audience())
        {
            return Err(AuthError::BadClaims(ClaimsError::WrongAudience));
        }
        if !principal.is_person {
            return Err(AuthError::NotAPerson);
        }
        if !requirement.roles.is_empty()
            && !requirement.roles.iter().any(|r| principal.has_role(*r))
        {
            return Err(AuthError::MissingRole(requirement.roles));
        }
        let needs_second_factor =
            requirement.second_factor || self.second_factor_scopes.contains(&scope);
        if needs_second_factor
            && !proves_second_factor(principal.claims.acr.as_deref(), &principal.claims.amr)
        {
            return Err(AuthError::SecondFactorRequired);
        }
        Ok(principal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{Authenticated, OFFICE, OFFICE_APPROVAL, OWN_CASES, Routes};
    use axum::Router;
    use axum::body::Body;
    use axum::http::{Method, Request, StatusCode};
    use serde_json::{Value, json};
    use tower::ServiceExt;
    use varoskapu_core::ManualClock;
    use varoskapu_jose::{Audience, PrivateKey, b64url, sign_es256};

    const ISSUER: &str = "https://idp.varoskapu.example";
    const NOW: i64 = 1_800_000_000;
    const PERSON: &str = "0190c7e0-0000-7000-8000-000000000001";

    fn key() -> PrivateKey {
        PrivateKey::from_scalar("k1", &[5u8; 32]).expect("valid scalar")
    }

    /// A clerk's token from the office app, signed in with a password only.
    fn claims() -> AccessTokenClaims {
        AccessTokenClaims {
            iss: ISSUER.into(),
            sub: PERSON.into(),
            aud: Audience::Many(vec![
                ISSUER.into(),
                Resource::Cases.audience().into(),
                Resource::Backoffice.audience().into(),
            ]),
            exp: NOW + 300,
            iat: NOW,
            nbf: Some(NOW),
            jti: "j1".into(),
            client_id: "office".into(),
            scope: "openid cases backoffice backoffice:approve".into(),
            roles: vec!["clerk".into(), "signatory".into()],
            case_types: Vec::new(),
            fam: Some("f1".into()),
            auth_time: Some(NOW),
            acr: Some(varoskapu_core::access::ACR_PASSWORD.into()),
            amr: vec!["pwd".into()],
        }
    }

    fn token(claims: &AccessTokenClaims) -> String {
        sign_es256(&key(), "at+jwt", claims)
    }

    fn validator() -> TokenValidator {
        let clock = Arc::new(ManualClock::new(
            jiff::Timestamp::from_second(NOW).expect("ts"),
        ));
        let keys = JwkSet {
            keys: vec![key().public_jwk()],
        };
        TokenValidator::from_keys(ISSUER, keys, clock)
    }

    async fn whoami(Authenticated(p): Authenticated) -> String {
        p.account
    }

    fn routes() -> Routes<()> {
        Routes::new()
            .protected(Method::GET, "/cases", &OWN_CASES, whoami)
            .protected(Method::GET, "/backoffice", &OFFICE, whoami)
            .protected(Method::POST, "/approve", &OFFICE_APPROVAL, whoami)
            .public(Method::GET, "/undeclared", whoami)
    }

    fn app(validator: TokenValidator) -> Router {
        routes().into_router(Arc::new(validator))
    }

    async fn call(
        validator: TokenValidator,
        method: Method,
        path: &str,
        token: Option<&str>,
    ) -> (StatusCode, Option<String>, Value) {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let response = app(validator)
            .oneshot(request.body(Body::empty()).expect("request"))
            .await
            .expect("response");
        let status = response.status();
        let challenge = response
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().expect("ascii").to_owned());
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .expect("body");
        let json = serde_json::from_slice(&body)
            .unwrap_or(Value::String(String::from_utf8_lossy(&body).into_owned()));
        (status, challenge, json)
    }

    #[tokio::test]
    async fn a_token_meeting_the_rule_reaches_the_handler_as_the_person() {
        let (status, _, body) = call(
            validator(),
            Method::GET,
            "/backoffice",
            Some(&token(&claims())),
        )
        .await;
        assert_eq!((status, body), (StatusCode::OK, json!(PERSON)));
    }

    #[tokio::test]
    async fn a_missing_token_is_challenged_without_an_error_code() {
        let (status, challenge, body) = call(validator(), Method::GET, "/cases", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(challenge.as_deref(), Some(r#"Bearer realm="varoskapu""#));
        assert_eq!(body["type"], "urn:varoskapu:problem:unauthenticated");
    }

    #[tokio::test]
    async fn a_token_without_the_routes_scope_is_refused_naming_the_scope() {
        let mut sign_in_only = claims();
        sign_in_only.scope = "openid profile".into();
        sign_in_only.aud = Audience::One(ISSUER.into());
        let (status, challenge, body) = call(
            validator(),
            Method::GET,
            "/cases",
            Some(&token(&sign_in_only)),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(
            challenge.as_deref(),
            Some(r#"Bearer realm="varoskapu", error="insufficient_scope", scope="cases""#)
        );
        assert_eq!(body["type"], "urn:varoskapu:problem:insufficient-scope");
        assert_eq!(body["scope"], "cases");
    }

    #[tokio::test]
    async fn roles_count_only_with_a_role_bearing_scope() {
        // A partner app's token that somehow lists roles opens no office route.
        let mut partner = claims();
        partner.scope = "openid cases backoffice".into();
        let principal = validator().validate(&token(&partner)).await.expect("valid");
        assert!(principal.has_role(Role::Clerk));
        partner.scope = "openid cases".into();
        let principal = validator().validate(&token(&partner)).await.expect("valid");
        assert!(principal.roles.is_empty());
        let (status, _, body) = call(
            validator(),
            Method::GET,
            "/backoffice",
            Some(&token(&partner)),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(body["scope"], "backoffice");
    }

    #[tokio::test]
    async fn a_scope_without_its_audience_is_refused() {
        let mut c = claims();
        c.aud = Audience::One(ISSUER.into());
        let (status, _, _) = call(validator(), Method::GET, "/cases", Some(&token(&c))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }

    #[tokio::test]
    async fn a_citizen_without_the_role_is_refused_office_work() {
        let mut citizen = claims();
        citizen.roles = vec!["citizen".into()];
        let (status, _, body) = call(
            validator(),
            Method::GET,
            "/backoffice",
            Some(&token(&citizen)),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(body["type"], "urn:varoskapu:problem:forbidden");
    }

    #[tokio::test]
    async fn approval_with_a_password_only_sign_in_asks_for_a_second_factor() {
        let (status, challenge, body) = call(
            validator(),
            Method::POST,
            "/approve",
            Some(&token(&claims())),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(body["type"], "urn:varoskapu:problem:mfa-required");
        assert_eq!(body["acr_values"], varoskapu_core::access::ACR_MFA);
        assert!(
            challenge
                .expect("challenge")
                .contains(r#"error="insufficient_user_authentication""#)
        );
        let mut mfa = claims();
        mfa.acr = Some(varoskapu_core::access::ACR_MFA.into());
        mfa.amr = varoskapu_core::access::amr_for(mfa.acr.as_deref());
        let (status, _, _) = call(validator(), Method::POST, "/approve", Some(&token(&mfa))).await;
        assert_eq!(status, StatusCode::OK);
    }

    #[tokio::test]
    async fn configured_scopes_need_a_second_factor_too() {
        let strict = validator().with_second_factor_for([Scope::Backoffice]);
        let (status, _, body) =
            call(strict, Method::GET, "/backoffice", Some(&token(&claims()))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(body["type"], "urn:varoskapu:problem:mfa-required");
    }

    #[tokio::test]
    async fn an_id_token_or_logout_token_is_not_a_bearer_token() {
        for typ in ["JWT", "logout+jwt"] {
            let id_token = sign_es256(&key(), typ, &claims());
            assert_eq!(
                validator().validate(&id_token).await,
                Err(AuthError::NotAnAccessToken)
            );
            let (status, challenge, _) =
                call(validator(), Method::GET, "/cases", Some(&id_token)).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
            assert!(challenge.expect("challenge").contains("invalid_token"));
        }
    }

    #[tokio::test]
    async fn a_service_token_cannot_act_for_a_person() {
        let mut service = claims();
        service.fam = None;
        service.sub = "office".into();
        let (status, _, _) = call(validator(), Method::GET, "/cases", Some(&token(&service))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }

    #[tokio::test]
    async fn a_pairwise_subject_nobody_recorded_is_refused() {
        let mut pairwise = claims();
        pairwise.sub = "n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg".into();
        assert_eq!(
            validator().validate(&token(&pairwise)).await,
            Err(AuthError::UnknownSubject)
        );
    }

    #[tokio::test]
    async fn a_handler_on_a_route_without_a_rule_fails_closed() {
        let (status, _, _) = call(
            validator(),
            Method::GET,
            "/undeclared",
            Some(&token(&claims())),
        )
        .await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[tokio::test]
    async fn a_token_with_alg_none_is_refused() {
        let header = b64url(br#"{"alg":"none","kid":"k1","typ":"at+jwt"}"#);
        let payload = b64url(&serde_json::to_vec(&claims()).expect("json"));
        let token = format!("{header}.{payload}.");
        assert_eq!(
            validator().validate(&token).await,
            Err(AuthError::BadToken(JwsError::AlgorithmNotAccepted(
                "none".into()
            )))
        );
    }

    #[tokio::test]
    async fn an_hs256_token_signed_with_the_public_key_is_refused() {
        use sha2::{Digest, Sha256};
        // HMAC-SHA256 keyed with the published JWK, as an algorithm-confusion attack would.
        let public = serde_json::to_vec(&key().public_jwk()).expect("json");
        let header = b64url(br#"{"alg":"HS256","kid":"k1","typ":"at+jwt"}"#);
        let payload = b64url(&serde_json::to_vec(&claims()).expect("json"));
        let input = format!("{header}.{payload}");
        let mut k = [0u8; 64];
        let digest = Sha256::digest(&public);
        k[..32].copy_from_slice(&digest);
        let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
        let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
        let inner = Sha256::new()
            .chain_update(&ipad)
            .chain_update(input.as_bytes())
            .finalize();
        let mac = Sha256::new()
            .chain_update(&opad)
            .chain_update(inner)
            .finalize();
        let token = format!("{input}.{}", b64url(&mac));
        assert_eq!(
            validator().validate(&token).await,
            Err(AuthError::BadToken(JwsError::AlgorithmNotAccepted(
                "HS256".into()
            )))
        );
    }

    #[tokio::test]
    async fn wrong_audience_wrong_issuer_and_expired_tokens_are_refused() {
        let mut wrong_aud = claims();
        wrong_aud.aud = Audience::One("another-api".into());
        let mut wrong_iss = claims();
        wrong_iss.iss = "https://evil.example".into();
        let mut expired = claims();
        expired.exp = NOW - 31;
        for (c, expected) in [
            (wrong_aud, ClaimsError::WrongAudience),
            (wrong_iss, ClaimsError::WrongIssuer),
            (expired, ClaimsError::Expired),
        ] {
            assert_eq!(
                validator().validate(&token(&c)).await,
                Err(AuthError::BadClaims(expected))
            );
            let (status, _, _) = call(validator(), Method::GET, "/cases", Some(&token(&c))).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
        }
    }

    #[tokio::test]
    async fn a_token_from_an_unknown_key_is_refused() {
        let other = PrivateKey::from_scalar("k9", &[6u8; 32]).expect("valid");
        let token = sign_es256(&other, "at+jwt", &json!(claims()));
        assert_eq!(
            validator().validate(&token).await,
            Err(AuthError::BadToken(JwsError::UnknownKey))
        );
    }

    #[test]
    fn the_declaration_is_the_documented_security_requirement() {
        use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem};
        use utoipa::openapi::{OpenApiBuilder, PathsBuilder};
        let item = |m| {
            PathItem::new(
                m,
                OperationBuilder::new()
                    .description(Some("Does it."))
                    .build(),
            )
        };
        let mut doc = OpenApiBuilder::new()
            .paths(
                PathsBuilder::new()
                    .path("/cases", item(HttpMethod::Get))
                    .path("/backoffice", item(HttpMethod::Get))
                    .path("/approve", item(HttpMethod::Post))
                    .path("/undeclared", item(HttpMethod::Get)),
            )
            .build();
        routes().document(&mut doc);
        let json = serde_json::to_value(&doc).expect("json");
        assert_eq!(
            json["paths"]["/approve"]["post"]["security"],
            json!([{"bearer": ["backoffice:approve"]}])
        );
        assert!(
            json["paths"]["/approve"]["post"]["description"]
                .as_str()
                .expect("description")
                .ends_with("signed in as signatory, with a second factor.")
        );
        assert_eq!(
            json["paths"]["/cases"]["get"]["security"],
            json!([{"bearer": ["cases"]}])
        );
        assert!(
            json["paths"]["/undeclared"]["get"]
                .get("security")
                .is_none()
        );
    }
}
