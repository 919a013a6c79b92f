//! Validation of an authorization request (OpenID Connect Core §3.1.2), free of HTTP.
//!
//! Until the client and its exact redirect URI are known, every problem is shown on an error
//! page and never redirected, so the endpoint cannot be used as an open redirector.

use crate::clients::Client;
use crate::pkce::valid_challenge;
use crate::resources::{narrow, parse_resources, parse_scopes};
use serde::{Deserialize, Serialize};
use varoskapu_core::access::ACR_MFA;

/// The query parameters of an authorization request as received.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuthorizeParams {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub prompt: Option<String>,
    pub max_age: Option<String>,
    pub login_hint: Option<String>,
    pub ui_locales: Option<String>,
    pub request: Option<String>,
    pub request_uri: Option<String>,
    /// Space-separated `acr` values the client wants, in order of preference.
    pub acr_values: Option<String>,
    /// RFC 8707 resource indicators; the only parameter that may repeat.
    #[serde(default)]
    pub resource: Vec<String>,
}

/// A validated authorization request, kept while the person signs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    pub client_id: String,
    pub redirect_uri: String,
    /// The scopes asked for, narrowed to the named resources.
    pub scopes: Vec<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    /// The S256 challenge; every client must send one.
    pub code_challenge: String,
    pub prompt_login: bool,
    pub prompt_none: bool,
    pub prompt_consent: bool,
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
    #[serde(default)]
    pub acr_values: Vec<String>,
}

impl AuthorizationRequest {
    pub fn scope_string(&self) -> String {
        self.scopes.join(" ")
    }

    /// Whether the client asked for a sign-in with a second factor (step-up).
    pub fn wants_second_factor(&self) -> bool {
        self.acr_values.iter().any(|a| a == ACR_MFA)
    }

    /// Whether the person must authenticate now, whatever session she has: `prompt=login`
    /// or `max_age=0`, which hold even within the second of the last sign-in.
    pub fn forces_sign_in(&self) -> bool {
        self.prompt_login || self.max_age == Some(0)
    }
}

/// Why an authorization request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthorizeError {
    /// Shown to the person on an error page; never redirected.
    #[error("{0}")]
    ErrorPage(String),
    /// Sent back to the client's registered redirect URI.
    #[error("{error}: {description}")]
    Redirect {
        redirect_uri: String,
        state: Option<String>,
        error: &'static str,
        description: String,
    },
}

const MAX_PARAM: usize = 2048;

/// Validates a request against its client (`None` when the client id is unknown).
pub fn validate(
    params: &AuthorizeParams,
    client: Option<&Client>,
) -> Result<AuthorizationRequest, AuthorizeError> {
    let page = |m: &str| AuthorizeError::ErrorPage(m.to_owned());
    let client = client.ok_or_else(|| page("unknown client"))?;
    let redirect_uri = params
        .redirect_uri
        .as_deref()
        .ok_or_else(|| page("the redirect_uri parameter is missing"))?;
    if !client.redirect_uris.iter().any(|r| r == redirect_uri) {
        return Err(page("the redirect_uri is not registered for this client"));
    }
    let redirect = |error: &'static str, description: &str| AuthorizeError::Redirect {
        redirect_uri: redirect_uri.to_owned(),
        state: params.state.clone(),
        error,
        description: description.to_owned(),
    };
    let too_long = [
        &params.state,
        &params.nonce,
        &params.scope,
        &params.login_hint,
        &params.prompt,
        &params.acr_values,
    ]
    .iter()
    .any(|p| p.as_ref().is_some_and(|v| v.len() > MAX_PARAM))
        || params.resource.iter().any(|r| r.len() > MAX_PARAM)
        || params.resource.len() > 8;
    if too_long {
        return Err(redirect("invalid_request", "a parameter is too long"));
    }
    if params.request.is_some() {
        return Err(redirect(
            "request_not_supported",
            "request objects are not supported",
        ));
    }
    if params.request_uri.is_some() {
        return Err(redirect(
            "request_uri_not_supported",
            "request_uri is not supported",
        ));
    }
    if params.response_type.as_deref() != Some("code") {
        return Err(redirect(
            "unsupported_response_type",
            "only the code flow is supported",
        ));
    }
    let Ok(scopes) = parse_scopes(params.scope.as_deref().unwrap_or_default()) else {
        return Err(redirect("invalid_scope", "a requested scope is unknown"));
    };
    if !scopes.iter().any(|s| s == "openid") {
        return Err(redirect("invalid_scope", "the openid scope is required"));
    }
    if !client.allows_scopes(scopes.iter().map(String::as_str)) {
        return Err(redirect(
            "invalid_scope",
            "a requested scope is not allowed for this client",
        ));
    }
    let Ok(resources) = parse_resources(&params.resource) else {
        return Err(redirect(
            "invalid_target",
            "a requested resource is unknown",
        ));
    };
    let Ok(scopes) = narrow(&scopes, &resources) else {
        return Err(redirect(
            "invalid_target",
            "a requested resource is opened by none of the requested scopes",
        ));
    };
    let code_challenge = match (
        params.code_challenge.as_deref(),
        params.code_challenge_method.as_deref(),
    ) {
        (None, None) => {
            return Err(redirect(
                "invalid_request",
                "every client must use PKCE (S256)",
            ));
        }
        (Some(challenge), Some("S256")) if valid_challenge(challenge) => challenge.to_owned(),
        (Some(_), Some("S256")) => {
            return Err(redirect(
                "invalid_request",
                "the code_challenge is malformed",
            ));
        }
        _ => {
            return Err(redirect(
                "invalid_request",
                "code_challenge_method must be S256",
            ));
        }
    };
    let prompts: Vec<&str> = params
        .prompt
        .as_deref()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    if prompts
        .iter()
        .any(|p| !matches!(*p, "none" | "login" | "consent" | "select_account"))
    {
        return Err(redirect("invalid_request", "unknown prompt value"));
    }
    let prompt_none = prompts.contains(&"none");
    if prompt_none && prompts.len() > 1 {
        return Err(redirect(
            "invalid_request",
            "prompt=none cannot be combined",
        ));
    }
    let max_age = match params.max_age.as_deref() {
        None => None,
        Some(text) => match text.parse::<i64>() {
            Ok(age) if age >= 0 => Some(age),
            _ => {
                return Err(redirect(
                    "invalid_request",
                    "max_age must be a whole number",
                ));
            }
        },
    };
    Ok(AuthorizationRequest {
        client_id: client.client_id.clone(),
        redirect_uri: redirect_uri.to_owned(),
        scopes,
        state: params.state.clone(),
        nonce: params.nonce.clone(),
        code_challenge,
        prompt_login: prompts.contains(&"login"),
        prompt_none,
        prompt_consent: prompts.contains(&"consent"),
        max_age,
        login_hint: params.login_hint.clone(),
        acr_values: params
            .acr_values
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
    })
}

/// The redirect URI with response parameters appended to its query (RFC 6749 §4.1.2, with the
/// `iss` parameter of RFC 9207).
pub fn redirect_with(redirect_uri: &str, params: &[(&str, &str)]) -> String {
    match url::Url::parse(redirect_uri) {
        Ok(mut url) => {
            {
                let mut pairs = url.query_pairs_mut();
                for (k, v) in params {
                    pairs.append_pair(k, v);
                }
            }
            url.to_string()
        }
        // Registered URIs are validated as absolute URLs, so this is unreachable in practice.
        Err(_) => redirect_uri.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(public: bool) -> Client {
        Client {
            client_id: "meals".into(),
            name: "Meals".into(),
            secret_sha256: (!public).then(|| "00".into()),
            redirect_uris: vec!["https://meals.example/cb".into()],
            post_logout_redirect_uris: vec![],
            backchannel_logout_uri: None,
            first_party: true,
            pairwise: false,
            jwks: None,
            scopes: vec!["openid".into(), "profile".into(), "cases".into()],
            resource_server_audiences: vec![],
            id_token_signed_response_alg: Default::default(),
            created_at: jiff::Timestamp::UNIX_EPOCH,
        }
    }

    fn params() -> AuthorizeParams {
        AuthorizeParams {
            response_type: Some("code".into()),
            client_id: Some("meals".into()),
            redirect_uri: Some("https://meals.example/cb".into()),
            scope: Some("openid profile".into()),
            state: Some("st".into()),
            code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into()),
            code_challenge_method: Some("S256".into()),
            ..AuthorizeParams::default()
        }
    }

    #[test]
    fn a_good_request_validates() {
        let request = validate(&params(), Some(&client(true))).expect("valid");
        assert_eq!(request.scopes, ["openid", "profile"]);
        assert!(!request.forces_sign_in() && !request.wants_second_factor());
    }

    #[test]
    fn an_unregistered_redirect_uri_shows_an_error_page_never_a_redirect() {
        for uri in [
            "https://evil.example/cb",
            "https://meals.example/cb/",
            "https://meals.example/cb?x=1",
        ] {
            let mut p = params();
            p.redirect_uri = Some(uri.into());
            assert!(matches!(
                validate(&p, Some(&client(false))),
                Err(AuthorizeError::ErrorPage(_))
            ));
        }
        assert!(matches!(
            validate(&params(), None),
            Err(AuthorizeError::ErrorPage(_))
        ));
    }

    #[test]
    fn every_client_must_use_pkce_s256_confidential_ones_too() {
        let mut p = params();
        p.code_challenge = None;
        p.code_challenge_method = None;
        for public in [true, false] {
            assert!(matches!(
                validate(&p, Some(&client(public))),
                Err(AuthorizeError::Redirect {
                    error: "invalid_request",
                    ..
                })
            ));
        }
        let mut p = params();
        p.code_challenge_method = Some("plain".into());
        assert!(validate(&p, Some(&client(false))).is_err());
    }

    #[test]
    fn scopes_prompts_and_max_age_are_checked() {
        let mut p = params();
        p.scope = Some("profile".into());
        assert!(matches!(
            validate(&p, Some(&client(false))),
            Err(AuthorizeError::Redirect {
                error: "invalid_scope",
                ..
            })
        ));
        for unknown_or_unregistered in ["openid admin", "openid roles", "openid payments"] {
            let mut p = params();
            p.scope = Some(unknown_or_unregistered.into());
            assert!(matches!(
                validate(&p, Some(&client(false))),
                Err(AuthorizeError::Redirect {
                    error: "invalid_scope",
                    ..
                })
            ));
        }
        let mut p = params();
        p.prompt = Some("none login".into());
        assert!(validate(&p, Some(&client(false))).is_err());
        let mut p = params();
        p.max_age = Some("-1".into());
        assert!(validate(&p, Some(&client(false))).is_err());
        let mut p = params();
        p.prompt = Some("login".into());
        p.max_age = Some("60".into());
        let r = validate(&p, Some(&client(false))).expect("valid");
        assert!(r.prompt_login && r.max_age == Some(60) && r.forces_sign_in());
        let mut p = params();
        p.max_age = Some("0".into());
        p.acr_values = Some(format!("{ACR_MFA} urn:other"));
        let r = validate(&p, Some(&client(false))).expect("valid");
        assert!(r.forces_sign_in() && r.wants_second_factor());
    }

    #[test]
    fn a_resource_narrows_the_scopes_and_an_unknown_or_unopened_one_is_invalid_target() {
        let mut p = params();
        p.scope = Some("openid profile cases".into());
        p.resource = vec!["urn:varoskapu:api:cases".into()];
        let r = validate(&p, Some(&client(false))).expect("valid");
        assert_eq!(r.scopes, ["openid", "profile", "cases"]);
        for target in ["https://evil.example/", "urn:varoskapu:api:payments"] {
            p.resource = vec![target.into()];
            assert!(matches!(
                validate(&p, Some(&client(false))),
                Err(AuthorizeError::Redirect {
                    error: "invalid_target",
                    ..
                })
            ));
        }
    }

    #[test]
    fn response_parameters_are_appended_to_the_query() {
        assert_eq!(
            redirect_with(
                "https://a.example/cb?x=1",
                &[("code", "c d"), ("state", "s")]
            ),
            "https://a.example/cb?x=1&code=c+d&state=s"
        );
    }
}
