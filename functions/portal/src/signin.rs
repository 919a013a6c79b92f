//! Signing in to the portal (backend-for-frontend): authorization code with PKCE (S256),
//! state and nonce against the provider; the code is redeemed at the provider's token
//! endpoint with the portal's client secret, and the tokens stay in the server-side
//! session. The browser holds only the session cookie. Every page acts with the principal
//! of the session's access token, validated like the API validates it, so the portal
//! never has more power than the token; an expired access token is refreshed with the
//! refresh token.

use crate::PortalState;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use varoskapu_core::secrets::{constant_time_eq, random_token};
use varoskapu_http::auth::{AuthError, Principal, Requirement};
use varoskapu_web::session::BrowserSession;

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
}

/// What the portal keeps per browser.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PortalSession {
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
    pub session: BrowserSession<PortalSession>,
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
        varoskapu_web::csrf::matches(&self.session.csrf, posted)
    }
}

/// Why a page cannot be shown to this browser.
pub enum Refusal {
    /// Not signed in (or the session's tokens are no longer good): sign in, then return.
    SignIn(String),
    /// Signed in, but the token does not allow this (e.g. the scope was not granted).
    Forbidden,
    Unavailable,
}

impl Refusal {
    pub fn into_response(self, state: &PortalState, lang: varoskapu_web::PageLang) -> Response {
        match self {
            Refusal::SignIn(to) => see_other(&format!(
                "/auth/login?return_to={}",
                url::form_urlencoded::byte_serialize(to.as_bytes()).collect::<String>()
            )),
            Refusal::Forbidden => crate::pages::message_page(
                state,
                lang,
                None,
                StatusCode::FORBIDDEN,
                lang.lang.t("Nincs jogosultsága", "Not allowed"),
                lang.lang.t(
                    "A bejelentkezése ehhez az oldalhoz nem ad jogosultságot.",
                    "Your sign-in does not allow this page.",
                ),
            ),
            Refusal::Unavailable => crate::pages::message_page(
                state,
                lang,
                None,
                StatusCode::SERVICE_UNAVAILABLE,
                lang.lang.t("Átmeneti hiba", "Temporarily unavailable"),
                lang.lang.t(
                    "A szolgáltatás átmenetileg nem érhető el. Kérjük, próbálja újra néhány perc múlva.",
                    "The service is temporarily unavailable. Please try again in a few minutes.",
                ),
            ),
        }
    }
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

/// Only a path of this site is a place to return to (no open redirect).
pub fn safe_return(to: Option<&str>) -> String {
    match to {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p.to_owned(),
        _ => "/my-cases".to_owned(),
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    refresh_token: Option<String>,
    id_token: Option<String>,
    expires_in: Option<i64>,
}

/// The scopes the portal asks for.
pub const SCOPES: &str = "openid profile email offline_access cases payments appointments";

impl PortalState {
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
            .load::<PortalSession>(headers)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "portal session cannot be read");
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
                tracing::warn!(error = %e, "portal session not extended");
            }
        }
        match self.tokens.authorize(&access, requirement).await {
            Ok(principal) => Ok(Visitor {
                secret,
                session,
                principal,
            }),
            Err(
                AuthError::MissingScope(_)
                | AuthError::MissingRole(_)
                | AuthError::NotAPerson
                | AuthError::SecondFactorRequired,
            ) => Err(Refusal::Forbidden),
            Err(AuthError::KeysUnavailable(_) | AuthError::SubjectsUnavailable(_)) => {
                Err(Refusal::Unavailable)
            }
            Err(e) => {
                tracing::info!(reason = %e, "portal session's token refused");
                Err(Refusal::SignIn(here.to_owned()))
            }
        }
    }

    /// The session of this browser if it is signed in (for pages anyone may see).
    pub async fn signed_in(&self, headers: &HeaderMap) -> Option<BrowserSession<PortalSession>> {
        match self.sessions.load::<PortalSession>(headers).await {
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
        })
    }

    /// `GET /auth/login`: a pre-session holding the verifier, state and nonce, and the
    /// redirect to the provider's authorization endpoint.
    pub async fn start_sign_in(&self, return_to: Option<&str>, lang: &str) -> Response {
        let pending = Pending {
            state: random_token(),
            nonce: random_token(),
            verifier: random_token(),
            return_to: safe_return(return_to),
        };
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(pending.verifier.as_bytes()));
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.config.client_id)
            .append_pair("redirect_uri", &self.config.callback_url())
            .append_pair("scope", SCOPES)
            .append_pair("state", &pending.state)
            .append_pair("nonce", &pending.nonce)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256")
            .append_pair("ui_locales", lang)
            .finish();
        let session = PortalSession {
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
                tracing::error!(error = %e, "portal pre-session not stored");
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
            .load::<PortalSession>(headers)
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
        };
        let (_, _, cookie) = self
            .sessions
            .start(PortalSession {
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

    /// `POST /auth/logout`: ends the portal session and sends the browser to the
    /// provider's end-session endpoint, which returns it to the portal's front page.
    pub async fn sign_out(
        &self,
        visitor: Option<(String, BrowserSession<PortalSession>)>,
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
        assert_eq!(safe_return(Some("/my-cases/1")), "/my-cases/1");
        assert_eq!(safe_return(Some("//evil.example/")), "/my-cases");
        assert_eq!(safe_return(Some("https://evil.example/")), "/my-cases");
        assert_eq!(safe_return(Some("/\\evil.example")), "/my-cases");
        assert_eq!(safe_return(None), "/my-cases");
    }

    #[test]
    fn claims_are_read_from_the_payload() {
        let payload = URL_SAFE_NO_PAD.encode(br#"{"nonce":"n1"}"#);
        let claims = unverified_claims(&format!("h.{payload}.s")).expect("claims");
        assert_eq!(claims["nonce"], "n1");
        assert!(unverified_claims("garbage").is_none());
    }
}
