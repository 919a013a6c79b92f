//! Signing in to a first-party page site (the citizen portal, the office screens) in the
//! backend-for-frontend pattern: authorization code with PKCE (S256), state and nonce
//! against the provider; the code is redeemed at the provider's token endpoint with the
//! site's client secret, and the tokens stay in the server-side session. The browser
//! holds only the session cookie. Every page acts with the principal of the session's
//! access token, validated like the API validates it, so a site never has more power than
//! its token; an expired access token is refreshed with the refresh token.

use crate::BrowserSessions;
use crate::session::BrowserSession;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use varoskapu_core::Clock;
use varoskapu_core::secrets::{constant_time_eq, random_token};
use varoskapu_http::ConfigError;
use varoskapu_http::auth::{AuthError, Principal, Requirement, TokenValidator};
use varoskapu_http::config::{ISSUER_VAR, optional};

/// The path of the sign-in callback, under the site's [`ClientConfig::base_url`].
pub const CALLBACK_PATH: &str = "/auth/callback";
/// The path that starts a sign-in, under the site's base path.
pub const LOGIN_PATH: &str = "/auth/login";
/// The path of the sign-out form's post, under the site's base path.
pub const LOGOUT_PATH: &str = "/auth/logout";

/// How a page site signs people in: the provider, the site's client and where the site
/// is reached.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// The provider's issuer, without a trailing slash.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// The site's origin, without a trailing slash.
    pub public_url: String,
    /// Where the site's pages are mounted on that origin (`""` or `/office`).
    pub base_path: String,
    /// The scopes the site asks for (space-separated).
    pub scopes: &'static str,
    /// Where a person lands after signing in when she was going nowhere in particular.
    pub home: String,
}

impl std::fmt::Debug for ClientConfig {
    // The client secret never reaches a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("public_url", &self.public_url)
            .field("base_path", &self.base_path)
            .finish_non_exhaustive()
    }
}

impl ClientConfig {
    /// Settings given directly (the local server builds them).
    pub fn new(
        issuer: &str,
        client_id: &str,
        client_secret: &str,
        public_url: &str,
        base_path: &str,
        scopes: &'static str,
        home: &str,
    ) -> Self {
        Self {
            issuer: issuer.trim_end_matches('/').to_owned(),
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            public_url: public_url.trim_end_matches('/').to_owned(),
            base_path: base_path.trim_end_matches('/').to_owned(),
            scopes,
            home: home.to_owned(),
        }
    }

    /// `VAROSKAPU_ISSUER`, the client id in `client_id_var` and the site's origin in the
    /// optional `public_url_var` (by default the issuer); the error names the setting.
    pub fn from_env(
        client_id_var: &'static str,
        public_url_var: &'static str,
        client_secret: String,
        base_path: &str,
        scopes: &'static str,
        home: &str,
    ) -> Result<Self, ConfigError> {
        let issuer = varoskapu_http::config::required(ISSUER_VAR)?;
        let public_url = optional(public_url_var).unwrap_or_else(|| issuer.clone());
        if url::Url::parse(&public_url).is_err() {
            return Err(ConfigError::Invalid {
                name: public_url_var,
                reason: "not an absolute URL".into(),
            });
        }
        let client_id = varoskapu_http::config::required(client_id_var)?;
        Ok(Self::new(
            &issuer,
            &client_id,
            &client_secret,
            &public_url,
            base_path,
            scopes,
            home,
        ))
    }

    /// The site's pages' URL: origin and base path.
    pub fn base_url(&self) -> String {
        format!("{}{}", self.public_url, self.base_path)
    }

    /// The redirect URI registered for the site's client.
    pub fn callback_url(&self) -> String {
        format!("{}{CALLBACK_PATH}", self.base_url())
    }

    /// Where the provider sends the browser after signing out.
    pub fn post_logout_url(&self) -> String {
        format!("{}/", self.base_url())
    }

    /// The site's own path for `path` (`/auth/login` → `/office/auth/login`).
    pub fn path(&self, path: &str) -> String {
        format!("{}{path}", self.base_path)
    }

    /// Whether the site is served over HTTPS (then cookies are `__Host-` and Secure).
    pub fn secure(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

/// A sign-in under way: what the callback checks and where the person was going.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    pub state: String,
    pub nonce: String,
    pub verifier: String,
    pub return_to: String,
}

/// The tokens and the person of a signed-in session (server-side only).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub id_token: Option<String>,
    /// Unix seconds when the access token expires.
    pub expires_at: i64,
    pub account: String,
    pub name: String,
    /// How the person signed in (`acr` of the ID token): tells whether a second factor
    /// was used, for pages that step up.
    #[serde(default)]
    pub acr: Option<String>,
}

/// What a site keeps per browser.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SiteSession {
    pub pending: Option<Pending>,
    pub tokens: Option<Tokens>,
    /// Unix seconds of the last time the session's lifetime was extended.
    #[serde(default)]
    pub touched_at: i64,
}

/// How often a page view extends the session's idle lifetime (a table write).
const TOUCH_EVERY: i64 = 60;

/// A signed-in person on a page: the session (for its CSRF token and name) and the
/// principal of its access token.
pub struct Visitor {
    pub secret: String,
    pub session: BrowserSession<SiteSession>,
    pub principal: Principal,
}

impl Visitor {
    pub fn csrf(&self) -> &str {
        &self.session.csrf
    }

    pub fn name(&self) -> &str {
        self.session
            .data
            .tokens
            .as_ref()
            .map_or("", |t| t.name.as_str())
    }

    /// Whether the posted form carries this session's CSRF token.
    pub fn form_ok(&self, posted: Option<&str>) -> bool {
        crate::csrf::matches(&self.session.csrf, posted)
    }
}

/// Why a page cannot be shown to this browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not signed in (or the session's tokens are no longer good): sign in, then return
    /// to this path.
    SignIn(String),
    /// Signed in, but the token does not allow this (e.g. the scope or role is missing).
    Forbidden,
    /// Allowed only after signing in with a second factor, which this session did not.
    SecondFactor,
    Unavailable,
}

/// A `303 See Other` to `to` (POST-redirect-GET).
pub fn see_other(to: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Only a path of this site is a place to return to (no open redirect); else `home`.
pub fn safe_return(to: Option<&str>, home: &str) -> String {
    match to {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p.to_owned(),
        _ => home.to_owned(),
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    refresh_token: Option<String>,
    id_token: Option<String>,
    expires_in: Option<i64>,
}

/// A site's sign-in: its client settings, its browser sessions, and the validator that
/// judges each page's access token as the APIs would.
#[derive(Clone)]
pub struct SignIn {
    pub config: Arc<ClientConfig>,
    pub sessions: BrowserSessions,
    /// Validates the session's access token as the APIs do.
    pub tokens: Arc<TokenValidator>,
    pub clock: Arc<dyn Clock>,
    http: reqwest::Client,
}

impl SignIn {
    /// Sign-in of the site `config` with its `sessions`.
    pub fn new(
        config: ClientConfig,
        sessions: BrowserSessions,
        tokens: Arc<TokenValidator>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            config: Arc::new(config),
            sessions,
            tokens,
            clock,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
        }
    }

    /// Where a refused visitor is sent to sign in (`step_up`: with a second factor).
    pub fn login_url(&self, return_to: &str, step_up: bool) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.append_pair("return_to", return_to);
        if step_up {
            query.append_pair("step_up", "1");
        }
        format!("{}?{}", self.config.path(LOGIN_PATH), query.finish())
    }

    /// The signed-in visitor of a page that needs `requirement`, refreshing an expired
    /// access token first. `here` is where to come back after signing in.
    pub async fn visitor(
        &self,
        headers: &HeaderMap,
        requirement: &Requirement,
        here: &str,
    ) -> Result<Visitor, Refusal> {
        let loaded = self
            .sessions
            .load::<SiteSession>(headers)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "page session cannot be read");
                Refusal::Unavailable
            })?;
        let Some((secret, mut session)) = loaded else {
            return Err(Refusal::SignIn(here.to_owned()));
        };
        let Some(tokens) = session.data.tokens.clone() else {
            return Err(Refusal::SignIn(here.to_owned()));
        };
        let now = self.clock.unix_seconds();
        let mut access = tokens.access_token.clone();
        let mut changed = false;
        if tokens.expires_at - 30 <= now {
            match self.refresh(&tokens).await {
                Some(fresh) => {
                    access = fresh.access_token.clone();
                    session.data.tokens = Some(fresh);
                    changed = true;
                }
                None => return Err(Refusal::SignIn(here.to_owned())),
            }
        }
        // Each use keeps an active session alive (at most one write a minute).
        if changed || now - session.data.touched_at >= TOUCH_EVERY {
            session.data.touched_at = now;
            if let Err(e) = self.sessions.save(&secret, &session).await {
                tracing::warn!(error = %e, "page session not extended");
            }
        }
        match self.tokens.authorize(&access, requirement).await {
            Ok(principal) => Ok(Visitor {
                secret,
                session,
                principal,
            }),
            Err(AuthError::MissingScope(_) | AuthError::MissingRole(_) | AuthError::NotAPerson) => {
                Err(Refusal::Forbidden)
            }
            Err(AuthError::SecondFactorRequired) => Err(Refusal::SecondFactor),
            Err(AuthError::KeysUnavailable(_) | AuthError::SubjectsUnavailable(_)) => {
                Err(Refusal::Unavailable)
            }
            Err(e) => {
                tracing::info!(reason = %e, "page session's token refused");
                Err(Refusal::SignIn(here.to_owned()))
            }
        }
    }

    /// The session of this browser if it is signed in (for pages anyone may see).
    pub async fn signed_in(&self, headers: &HeaderMap) -> Option<BrowserSession<SiteSession>> {
        match self.sessions.load::<SiteSession>(headers).await {
            Ok(Some((_, session))) if session.data.tokens.is_some() => Some(session),
            _ => None,
        }
    }

    async fn token_request(&self, form: &[(&str, &str)]) -> Option<TokenResponse> {
        let response = self
            .http
            .post(format!("{}/oauth2/token", self.config.issuer))
            .basic_auth(
                url::form_urlencoded::byte_serialize(self.config.client_id.as_bytes())
                    .collect::<String>(),
                Some(
                    url::form_urlencoded::byte_serialize(self.config.client_secret.as_bytes())
                        .collect::<String>(),
                ),
            )
            .form(form)
            .timeout(std::time::Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| tracing::warn!(error = %e, "the provider's token endpoint is unreachable"))
            .ok()?;
        if !response.status().is_success() {
            tracing::info!(status = %response.status(), "the provider refused a token request");
            return None;
        }
        response
            .json::<TokenResponse>()
            .await
            .map_err(|e| tracing::warn!(error = %e, "the provider's token answer is unreadable"))
            .ok()
    }

    async fn refresh(&self, tokens: &Tokens) -> Option<Tokens> {
        let refresh = tokens.refresh_token.as_deref()?;
        let answer = self
            .token_request(&[("grant_type", "refresh_token"), ("refresh_token", refresh)])
            .await?;
        Some(Tokens {
            expires_at: self.clock.unix_seconds() + answer.expires_in.unwrap_or(300),
            access_token: answer.access_token,
            refresh_token: answer
                .refresh_token
                .or_else(|| tokens.refresh_token.clone()),
            id_token: answer.id_token.or_else(|| tokens.id_token.clone()),
            account: tokens.account.clone(),
            name: tokens.name.clone(),
            acr: tokens.acr.clone(),
        })
    }

    /// `GET /auth/login`: a pre-session holding the verifier, state and nonce, and the
    /// redirect to the provider's authorization endpoint. With `step_up` the provider is
    /// asked for a sign-in with a second factor now, whatever session it has.
    pub async fn start_sign_in(
        &self,
        return_to: Option<&str>,
        lang: &str,
        step_up: bool,
    ) -> Response {
        let pending = Pending {
            state: random_token(),
            nonce: random_token(),
            verifier: random_token(),
            return_to: safe_return(return_to, &self.config.home),
        };
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(pending.verifier.as_bytes()));
        // The serializer is not Send: it lives only in this block, not across an await.
        let query = {
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            query
                .append_pair("response_type", "code")
                .append_pair("client_id", &self.config.client_id)
                .append_pair("redirect_uri", &self.config.callback_url())
                .append_pair("scope", self.config.scopes)
                .append_pair("state", &pending.state)
                .append_pair("nonce", &pending.nonce)
                .append_pair("code_challenge", &challenge)
                .append_pair("code_challenge_method", "S256")
                .append_pair("ui_locales", lang);
            if step_up {
                query.append_pair("acr_values", varoskapu_core::access::ACR_MFA);
            }
            query.finish()
        };
        let session = SiteSession {
            pending: Some(pending),
            tokens: None,
            touched_at: self.clock.unix_seconds(),
        };
        match self.sessions.start(session).await {
            Ok((_, _, cookie)) => {
                let mut response =
                    see_other(&format!("{}/oauth2/authorize?{query}", self.config.issuer));
                response.headers_mut().append(header::SET_COOKIE, cookie);
                response
            }
            Err(e) => {
                tracing::error!(error = %e, "page pre-session not stored");
                StatusCode::SERVICE_UNAVAILABLE.into_response()
            }
        }
    }

    /// `GET /auth/callback`: checks the state against the pre-session, redeems the code,
    /// checks the ID token's nonce and the access token, and starts the signed-in session
    /// under a new cookie (the pre-session's ends, so its secret is worth nothing).
    pub async fn finish_sign_in(
        &self,
        headers: &HeaderMap,
        code: Option<&str>,
        state: Option<&str>,
    ) -> Result<Response, &'static str> {
        let (secret, session) = self
            .sessions
            .load::<SiteSession>(headers)
            .await
            .ok()
            .flatten()
            .ok_or("no sign-in under way in this browser")?;
        let pending = session
            .data
            .pending
            .clone()
            .ok_or("no sign-in under way in this browser")?;
        // One use only, whatever happens next.
        let _ = self.sessions.end(&secret).await;
        if !state.is_some_and(|s| constant_time_eq(s, &pending.state)) {
            return Err("the sign-in answer is not for this browser");
        }
        let code = code.ok_or("the provider sent no code")?;
        let answer = self
            .token_request(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", &self.config.callback_url()),
                ("code_verifier", &pending.verifier),
            ])
            .await
            .ok_or("the provider did not redeem the code")?;
        let id_token = answer.id_token.clone().ok_or("no ID token")?;
        let claims = unverified_claims(&id_token).ok_or("the ID token is unreadable")?;
        // The ID token came straight from the token endpoint over the provider's TLS
        // (OIDC Core 3.1.3.7): its issuer, audience and nonce are checked here; the access
        // token's signature is checked below.
        let nonce_ok = claims
            .get("nonce")
            .and_then(serde_json::Value::as_str)
            .is_some_and(|n| constant_time_eq(n, &pending.nonce));
        let audience_ok = match claims.get("aud") {
            Some(serde_json::Value::String(a)) => *a == self.config.client_id,
            Some(serde_json::Value::Array(a)) => a
                .iter()
                .any(|v| v.as_str() == Some(self.config.client_id.as_str())),
            _ => false,
        };
        let issuer_ok = claims.get("iss").and_then(serde_json::Value::as_str)
            == Some(self.config.issuer.as_str());
        if !(nonce_ok && audience_ok && issuer_ok) {
            return Err("the ID token is not for this sign-in");
        }
        let principal = self
            .tokens
            .validate(&answer.access_token)
            .await
            .map_err(|_| "the access token is refused")?;
        if !principal.is_person {
            return Err("the access token is not a person's");
        }
        let acr = claims
            .get("acr")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned);
        let name = match claims.get("name").and_then(serde_json::Value::as_str) {
            Some(name) => name.to_owned(),
            None => self.userinfo_name(&answer.access_token).await,
        };
        let tokens = Tokens {
            expires_at: self.clock.unix_seconds() + answer.expires_in.unwrap_or(300),
            access_token: answer.access_token,
            refresh_token: answer.refresh_token,
            id_token: Some(id_token),
            account: principal.account,
            name,
            acr,
        };
        let (_, _, cookie) = self
            .sessions
            .start(SiteSession {
                pending: None,
                tokens: Some(tokens),
                touched_at: self.clock.unix_seconds(),
            })
            .await
            .map_err(|_| "the session cannot be stored")?;
        let mut response = see_other(&pending.return_to);
        response.headers_mut().append(header::SET_COOKIE, cookie);
        Ok(response)
    }

    async fn userinfo_name(&self, access_token: &str) -> String {
        let info: Option<serde_json::Value> = async {
            self.http
                .get(format!("{}/oauth2/userinfo", self.config.issuer))
                .bearer_auth(access_token)
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()
        }
        .await;
        info.and_then(|i| i.get("name").and_then(|n| n.as_str()).map(str::to_owned))
            .unwrap_or_default()
    }

    /// `POST /auth/logout`: ends the site's session and sends the browser to the
    /// provider's end-session endpoint, which returns it to the site's front page.
    pub async fn sign_out(
        &self,
        visitor: Option<(String, BrowserSession<SiteSession>)>,
    ) -> Response {
        let mut cookie = self.sessions.clear();
        let mut id_token_hint = None;
        if let Some((secret, session)) = visitor {
            id_token_hint = session.data.tokens.and_then(|t| t.id_token);
            if let Ok(c) = self.sessions.end(&secret).await {
                cookie = c;
            }
        }
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query
            .append_pair("client_id", &self.config.client_id)
            .append_pair("post_logout_redirect_uri", &self.config.post_logout_url());
        if let Some(hint) = &id_token_hint {
            query.append_pair("id_token_hint", hint);
        }
        let mut response = see_other(&format!(
            "{}/oauth2/logout?{}",
            self.config.issuer,
            query.finish()
        ));
        response.headers_mut().append(header::SET_COOKIE, cookie);
        response
    }
}

/// The claims of a JWT, read without checking its signature (see the caller for why).
fn unverified_claims(jwt: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_of_this_site_are_returned_to() {
        let home = "/my-cases";
        assert_eq!(safe_return(Some("/my-cases/1"), home), "/my-cases/1");
        assert_eq!(safe_return(Some("//evil.example/"), home), home);
        assert_eq!(safe_return(Some("https://evil.example/"), home), home);
        assert_eq!(safe_return(Some("/\\evil.example"), home), home);
        assert_eq!(safe_return(None, home), home);
    }

    #[test]
    fn the_secret_is_not_in_the_debug_text_and_urls_follow_the_base_path() {
        let config = ClientConfig::new(
            "https://id.example/",
            "office",
            "s3cret",
            "https://p.example/",
            "/office",
            "openid",
            "/office",
        );
        assert!(!format!("{config:?}").contains("s3cret"));
        assert_eq!(
            config.callback_url(),
            "https://p.example/office/auth/callback"
        );
        assert_eq!(config.post_logout_url(), "https://p.example/office/");
        assert_eq!(config.path(LOGIN_PATH), "/office/auth/login");
        assert!(config.secure());
    }

    #[test]
    fn claims_are_read_from_the_payload() {
        let payload = URL_SAFE_NO_PAD.encode(br#"{"nonce":"n1"}"#);
        let claims = unverified_claims(&format!("h.{payload}.s")).expect("claims");
        assert_eq!(claims["nonce"], "n1");
        assert!(unverified_claims("garbage").is_none());
    }
}
