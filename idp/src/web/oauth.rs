//! Machine-facing endpoints: discovery, JWKS, token, UserInfo, revocation, introspection.
//! Errors are the OAuth JSON of RFC 6749 §5.2 and RFC 6750 §3, as clients expect.

use crate::config::IdpConfig;
use crate::error::OAuthError;
use crate::keys::SigningKeys;
use crate::provider::{ClientCredentials, Provider, TokenForm};
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, FromRef, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::json;
use std::sync::{Arc, RwLock};

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let (status, challenge) = match &self {
            OAuthError::InvalidClient => (
                StatusCode::UNAUTHORIZED,
                Some(r#"Basic realm="varoskapu""#.to_owned()),
            ),
            OAuthError::InvalidToken(_) => (
                StatusCode::UNAUTHORIZED,
                Some(r#"Bearer realm="varoskapu", error="invalid_token""#.to_owned()),
            ),
            OAuthError::InsufficientScope => (
                StatusCode::FORBIDDEN,
                Some(r#"Bearer realm="varoskapu", error="insufficient_scope""#.to_owned()),
            ),
            OAuthError::Server(cause) => {
                tracing::error!(error = %cause, "provider failure");
                (StatusCode::INTERNAL_SERVER_ERROR, None)
            }
            _ => (StatusCode::BAD_REQUEST, None),
        };
        let mut body = json!({"error": self.code()});
        if let Some(description) = self.description() {
            body["error_description"] = description.into();
        }
        let mut response = (status, no_store(), Json(body)).into_response();
        if let Some(challenge) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, challenge);
        }
        response
    }
}

fn no_store() -> [(header::HeaderName, &'static str); 2] {
    [
        (header::CACHE_CONTROL, "no-store"),
        (header::PRAGMA, "no-cache"),
    ]
}

/// Public metadata and keys may be cached for a while: the next key is published a
/// rotation ahead.
const PUBLIC_CACHE: HeaderValue = HeaderValue::from_static("public, max-age=300");

/// The discovery document depends on the provider's configuration alone, so it is
/// serialised once per configuration and served as bytes.
static DISCOVERY: RwLock<Option<(Arc<IdpConfig>, Bytes)>> = RwLock::new(None);

fn discovery_json(p: &Provider) -> Bytes {
    if let Ok(cached) = DISCOVERY.read()
        && let Some((config, json)) = cached.as_ref()
        && Arc::ptr_eq(config, &p.config)
    {
        return json.clone();
    }
    let json = Bytes::from(p.discovery().to_string());
    if let Ok(mut cached) = DISCOVERY.write() {
        *cached = Some((p.config.clone(), json.clone()));
    }
    json
}

/// The discovery document, taken from the provider without cloning it: for a route this
/// cheap, cloning the whole provider per request would be most of its cost.
#[derive(Clone)]
pub struct DiscoveryDocument(Bytes);

impl FromRef<Provider> for DiscoveryDocument {
    fn from_ref(p: &Provider) -> Self {
        Self(discovery_json(p))
    }
}

/// The provider's key store alone, for the JWKS route (for the reason above).
#[derive(Clone)]
pub struct PublishingKeys(Arc<dyn SigningKeys>);

impl FromRef<Provider> for PublishingKeys {
    fn from_ref(p: &Provider) -> Self {
        Self(p.keys.clone())
    }
}

/// A JSON body of bytes serialised before, with the public caching of metadata and keys.
fn public_json(json: Bytes) -> Response {
    let mut response = Response::new(Body::from(json));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, PUBLIC_CACHE);
    response
}

#[utoipa::path(get, path = "/.well-known/openid-configuration", tag = "openid-connect",
    operation_id = "openid_configuration",
    description = "The provider's metadata (OpenID Connect Discovery 1.0).",
    responses((status = 200, description = "The provider metadata", body = super::openapi::ProviderMetadata)))]
pub async fn discovery(State(DiscoveryDocument(json)): State<DiscoveryDocument>) -> Response {
    public_json(json)
}

#[utoipa::path(get, path = "/oauth2/jwks", tag = "openid-connect", operation_id = "jwks",
    description = "The public keys that verify the provider's tokens, the next key included a rotation ahead. The `ETag` changes with the key set; a request whose `If-None-Match` names it is answered 304.",
    responses(
        (status = 200, description = "The key set", body = super::openapi::Jwks,
            headers(("ETag" = String, description = "The key set's entity tag"))),
        (status = 304, description = "The key set is the one the caller has",
            headers(("ETag" = String, description = "The key set's entity tag"))),
        (status = 500, description = "The keys cannot be read", body = super::openapi::OAuthErrorBody)))]
pub async fn jwks(
    State(PublishingKeys(keys)): State<PublishingKeys>,
    request: Request,
) -> Result<Response, OAuthError> {
    let document = keys.published_document().await?;
    let etag = HeaderValue::from_str(&document.etag)
        .map_err(|e| OAuthError::Server(format!("the key set's entity tag: {e}")))?;
    let unchanged = request
        .headers()
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == "*" || tag == &*document.etag);
    let mut response = if unchanged {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, PUBLIC_CACHE);
        response
    } else {
        public_json(Bytes::from_owner(document.json))
    };
    response.headers_mut().insert(header::ETAG, etag);
    Ok(response)
}

/// Decodes one form-urlencoded component of HTTP Basic credentials (RFC 6749 §2.3.1).
fn form_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("v={text}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// The assertion type of `private_key_jwt` (RFC 7523 §2.2).
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The client-authentication fields a form may carry.
#[derive(Debug, Default, Deserialize)]
pub struct ClientAuthFields {
    client_id: Option<String>,
    client_secret: Option<String>,
    client_assertion_type: Option<String>,
    client_assertion: Option<String>,
}

/// The client's credentials from exactly one of `client_secret_basic`, `client_secret_post`
/// or `private_key_jwt`.
fn credentials(
    headers: &HeaderMap,
    fields: &ClientAuthFields,
) -> Result<ClientCredentials, OAuthError> {
    let client_id = fields.client_id.as_deref();
    let client_secret = fields.client_secret.as_deref();
    if let Some(assertion) = fields.client_assertion.as_deref() {
        if fields.client_assertion_type.as_deref() != Some(JWT_BEARER)
            || client_secret.is_some()
            || headers.contains_key(header::AUTHORIZATION)
        {
            return Err(OAuthError::InvalidRequest(
                "use one client authentication method".into(),
            ));
        }
        // The client is named by the assertion's subject; its signature is checked next.
        let named = assertion
            .split('.')
            .nth(1)
            .and_then(varoskapu_jose::b64url_decode)
            .and_then(|payload| serde_json::from_slice::<serde_json::Value>(&payload).ok())
            .and_then(|claims| claims["sub"].as_str().map(str::to_owned))
            .ok_or(OAuthError::InvalidClient)?;
        if client_id.is_some_and(|id| id != named) {
            return Err(OAuthError::InvalidClient);
        }
        return Ok(ClientCredentials {
            client_id: named,
            secret: None,
            assertion: Some(assertion.to_owned()),
        });
    }
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "));
    match basic {
        Some(encoded) => {
            let decoded = STANDARD
                .decode(encoded.trim())
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or(OAuthError::InvalidClient)?;
            let (id, secret) = decoded.split_once(':').ok_or(OAuthError::InvalidClient)?;
            let id = form_decode(id);
            if client_secret.is_some() {
                return Err(OAuthError::InvalidRequest(
                    "use one client authentication method".into(),
                ));
            }
            if client_id.is_some_and(|form_id| form_id != id) {
                return Err(OAuthError::InvalidRequest(
                    "client_id does not match".into(),
                ));
            }
            Ok(ClientCredentials {
                client_id: id,
                secret: Some(form_decode(secret)),
                assertion: None,
            })
        }
        None => Ok(ClientCredentials {
            client_id: client_id.ok_or(OAuthError::InvalidClient)?.to_owned(),
            secret: client_secret.map(str::to_owned),
            assertion: None,
        }),
    }
}

fn form<T>(form: Result<Form<T>, FormRejection>) -> Result<T, OAuthError> {
    form.map(|Form(f)| f)
        .map_err(|e| OAuthError::InvalidRequest(e.body_text()))
}

/// A token request's form, read by hand because `resource` may repeat.
fn token_form(headers: &HeaderMap, body: &[u8]) -> Result<TokenForm, OAuthError> {
    let form_encoded = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form_encoded {
        return Err(OAuthError::InvalidRequest(
            "the body must be application/x-www-form-urlencoded".into(),
        ));
    }
    super::params::parse(body).map_err(OAuthError::InvalidRequest)
}

#[utoipa::path(post, path = "/oauth2/token", tag = "openid-connect", operation_id = "token",
    description = "Redeems an authorization code (with its PKCE verifier), a refresh token or client credentials for tokens. Client authentication: HTTP Basic, form fields or `private_key_jwt`.",
    request_body(content = super::openapi::TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Tokens", body = super::openapi::TokenResponse,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, description = "`invalid_request`, `invalid_grant`, `unauthorized_client`, `unsupported_grant_type` or `invalid_scope`", body = super::openapi::OAuthErrorBody),
        (status = 401, description = "`invalid_client`: the client's authentication failed", body = super::openapi::OAuthErrorBody,
            headers(("WWW-Authenticate" = String, description = "`Basic`"))),
        (status = 500, description = "`server_error`", body = super::openapi::OAuthErrorBody)))]
pub async fn token(
    State(p): State<Provider>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let form = token_form(&headers, &body)?;
    let fields = ClientAuthFields {
        client_id: form.client_id.clone(),
        client_secret: form.client_secret.clone(),
        client_assertion_type: form.client_assertion_type.clone(),
        client_assertion: form.client_assertion.clone(),
    };
    let creds = credentials(&headers, &fields)?;
    let client = p.authenticate_client(&creds).await?;
    let tokens = p.token(&client, &form).await?;
    Ok((no_store(), Json(tokens)).into_response())
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// A request that brought no bearer token: a challenge without an error code (RFC 6750 §3.1).
fn unauthenticated() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, r#"Bearer realm="varoskapu""#)],
        no_store(),
    )
        .into_response()
}

#[utoipa::path(method(get, post), path = "/oauth2/userinfo", tag = "openid-connect",
    operation_id = "userinfo",
    description = "The signed-in person's claims the access token's scopes release (OpenID Connect Core §5.3). The token must be one of the provider's own audience.",
    security(("bearer" = ["openid"])),
    responses(
        (status = 200, description = "The claims", body = super::openapi::UserInfo),
        (status = 401, description = "No token, or `invalid_token`",
            headers(("WWW-Authenticate" = String, description = "The Bearer challenge"))),
        (status = 403, description = "`insufficient_scope`", body = super::openapi::OAuthErrorBody),
        (status = 500, description = "`server_error`", body = super::openapi::OAuthErrorBody)))]
pub async fn userinfo(State(p): State<Provider>, request: Request) -> Result<Response, OAuthError> {
    // The request itself rather than a copy of its headers: nothing else of it is read.
    let Some(token) = bearer(request.headers()) else {
        return Ok(unauthenticated());
    };
    let claims = p.userinfo(token).await?;
    Ok((no_store(), Json(claims)).into_response())
}

/// The form of revocation and introspection requests.
#[derive(Debug, Deserialize)]
pub struct TokenRef {
    token: Option<String>,
    #[serde(flatten)]
    auth: ClientAuthFields,
}

#[utoipa::path(post, path = "/oauth2/revoke", tag = "openid-connect", operation_id = "revoke",
    description = "Revokes a refresh token (and its family) or an access token (RFC 7009). An unknown token is not an error.",
    request_body(content = super::openapi::TokenReference, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Revoked, or nothing to revoke"),
        (status = 400, description = "`invalid_request` or `unauthorized_client`", body = super::openapi::OAuthErrorBody),
        (status = 401, description = "`invalid_client`", body = super::openapi::OAuthErrorBody,
            headers(("WWW-Authenticate" = String, description = "`Basic`"))),
        (status = 500, description = "`server_error`", body = super::openapi::OAuthErrorBody)))]
pub async fn revoke(
    State(p): State<Provider>,
    headers: HeaderMap,
    body: Result<Form<TokenRef>, FormRejection>,
) -> Result<Response, OAuthError> {
    let form = form(body)?;
    let creds = credentials(&headers, &form.auth)?;
    let client = p.authenticate_client(&creds).await?;
    let token = form
        .token
        .ok_or_else(|| OAuthError::InvalidRequest("token is required".into()))?;
    p.revoke(&client, &token).await?;
    Ok((StatusCode::OK, no_store()).into_response())
}

#[utoipa::path(post, path = "/oauth2/introspect", tag = "openid-connect", operation_id = "introspect",
    description = "Tells a confidential client or resource server whether a token is active, and what it carries (RFC 7662).",
    request_body(content = super::openapi::TokenReference, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The token's state", body = super::openapi::Introspection),
        (status = 400, description = "`invalid_request` or `unauthorized_client` (a public client)", body = super::openapi::OAuthErrorBody),
        (status = 401, description = "`invalid_client`", body = super::openapi::OAuthErrorBody,
            headers(("WWW-Authenticate" = String, description = "`Basic`"))),
        (status = 500, description = "`server_error`", body = super::openapi::OAuthErrorBody)))]
pub async fn introspect(
    State(p): State<Provider>,
    headers: HeaderMap,
    body: Result<Form<TokenRef>, FormRejection>,
) -> Result<Response, OAuthError> {
    let form = form(body)?;
    let creds = credentials(&headers, &form.auth)?;
    let client = p.authenticate_client(&creds).await?;
    if client.is_public() {
        return Err(OAuthError::UnauthorizedClient(
            "public clients cannot introspect".into(),
        ));
    }
    let token = form
        .token
        .ok_or_else(|| OAuthError::InvalidRequest("token is required".into()))?;
    Ok((no_store(), Json(p.introspect(&client, &token).await?)).into_response())
}
