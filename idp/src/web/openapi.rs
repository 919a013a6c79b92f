//! The provider's endpoints in the API's OpenAPI document, described as what they are:
//! form-encoded requests, OAuth JSON errors (RFC 6749 §5.2, RFC 6750 §3), `text/html`
//! pages for the browser and `303 See Other` redirects. The schemas here are the wire
//! shapes only; the handlers read the same fields.

#![allow(dead_code)]

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, OpenApi, ToSchema};

/// An OAuth error response (RFC 6749 §5.2).
#[derive(ToSchema)]
#[schema(as = OAuthError)]
pub struct OAuthErrorBody {
    /// `invalid_request`, `invalid_client`, `invalid_grant`, `unauthorized_client`,
    /// `unsupported_grant_type`, `invalid_scope`, `invalid_token`, `insufficient_scope`,
    /// `server_error`…
    error: String,
    error_description: Option<String>,
}

/// The OpenID Provider Metadata (OpenID Connect Discovery 1.0 §3).
#[derive(ToSchema)]
pub struct ProviderMetadata {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    userinfo_endpoint: String,
    jwks_uri: String,
    revocation_endpoint: String,
    introspection_endpoint: String,
    end_session_endpoint: String,
    scopes_supported: Vec<String>,
    response_types_supported: Vec<String>,
    grant_types_supported: Vec<String>,
    subject_types_supported: Vec<String>,
    id_token_signing_alg_values_supported: Vec<String>,
    token_endpoint_auth_methods_supported: Vec<String>,
    code_challenge_methods_supported: Vec<String>,
}

/// A JSON Web Key Set (RFC 7517 §5): the provider's public signing keys.
#[derive(ToSchema)]
pub struct Jwks {
    /// Public keys (`kty`, `kid`, `use`, `alg` and the key's parameters).
    #[schema(value_type = Vec<Object>)]
    keys: Vec<serde_json::Value>,
}

/// A token request (RFC 6749 §4.1.3 authorization code with PKCE, §6 refresh, §4.4 client
/// credentials; RFC 8707 `resource`). The client authenticates with HTTP Basic
/// (`client_secret_basic`), with `client_id` and `client_secret` in the form
/// (`client_secret_post`), with a signed assertion (`private_key_jwt`), or, a public
/// client, with `client_id` alone.
#[derive(ToSchema)]
pub struct TokenRequest {
    /// `authorization_code`, `refresh_token` or `client_credentials`.
    grant_type: String,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    scope: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    /// `urn:ietf:params:oauth:client-assertion-type:jwt-bearer`.
    client_assertion_type: Option<String>,
    client_assertion: Option<String>,
    /// Resource indicators (may repeat).
    resource: Option<Vec<String>>,
}

/// A successful token response (RFC 6749 §5.1).
#[derive(ToSchema)]
pub struct TokenResponse {
    /// An RFC 9068 JWT access token.
    access_token: String,
    /// `Bearer`.
    token_type: String,
    /// Seconds until the access token expires.
    expires_in: i64,
    refresh_token: Option<String>,
    id_token: Option<String>,
    scope: String,
}

/// A revocation (RFC 7009) or introspection (RFC 7662) request: the token and the
/// client's credentials (or HTTP Basic).
#[derive(ToSchema)]
pub struct TokenReference {
    token: String,
    token_type_hint: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    client_assertion_type: Option<String>,
    client_assertion: Option<String>,
}

/// An introspection response (RFC 7662 §2.2); only `active` when the token is not.
#[derive(ToSchema)]
pub struct Introspection {
    active: bool,
    scope: Option<String>,
    client_id: Option<String>,
    sub: Option<String>,
    exp: Option<i64>,
    iat: Option<i64>,
    #[schema(value_type = Option<Object>)]
    aud: Option<serde_json::Value>,
    iss: Option<String>,
    token_type: Option<String>,
}

/// The UserInfo claims (OpenID Connect Core §5.3) the token's scopes release.
#[derive(ToSchema)]
pub struct UserInfo {
    sub: String,
    name: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    #[schema(format = Email)]
    email: Option<String>,
    email_verified: Option<bool>,
    roles: Option<Vec<String>>,
}

/// The login page's form.
#[derive(ToSchema)]
pub struct LoginForm {
    request_id: String,
    csrf: String,
    email: String,
    password: String,
}

/// The second-factor page's form.
#[derive(ToSchema)]
pub struct SecondFactorForm {
    request_id: String,
    csrf: String,
    /// The authenticator app's six-digit code.
    code: String,
}

/// The start of a passkey sign-in on the login page.
#[derive(ToSchema)]
pub struct PasskeyStartForm {
    request_id: String,
    csrf: String,
}

/// A passkey's answer on the login page.
#[derive(ToSchema)]
pub struct PasskeyForm {
    request_id: String,
    csrf: String,
    /// The authenticator's answer (WebAuthn `PublicKeyCredential` of `get`) as JSON.
    credential: String,
}

/// The consent page's form.
#[derive(ToSchema)]
pub struct ConsentForm {
    request_id: String,
    csrf: String,
    /// `allow`; anything else declines.
    decision: String,
}

/// The login page's form that starts the national eID sign-in.
#[derive(ToSchema)]
pub struct FederatedStartForm {
    request_id: String,
    csrf: String,
}

/// The logout confirmation page's form.
#[derive(ToSchema)]
pub struct LogoutForm {
    csrf: String,
    client_id: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
}

/// The authorization request (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2.1, RFC 7636).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuthorizeQuery {
    /// `code`.
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    /// Space-separated scopes, `openid` among them.
    scope: Option<String>,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    /// `S256`.
    code_challenge_method: Option<String>,
    /// `none`, `login` or `consent`.
    prompt: Option<String>,
    max_age: Option<String>,
    login_hint: Option<String>,
    ui_locales: Option<String>,
    acr_values: Option<String>,
    /// Resource indicators (RFC 8707); the only parameter that may repeat.
    resource: Option<Vec<String>>,
    /// The page's language, `hu` or `en`.
    lang: Option<String>,
}

/// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0 §2).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogoutQuery {
    id_token_hint: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
    client_id: Option<String>,
    ui_locales: Option<String>,
    lang: Option<String>,
}

/// The national eID provider's redirect back.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FederatedCallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// Adds the `provider_bearer` scheme: an access token the provider itself accepts (its
/// own audience), as UserInfo wants.
struct ProviderBearer;

impl utoipa::Modify for ProviderBearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    paths(
        super::oauth::discovery, super::oauth::jwks, super::browser::authorize,
        super::browser::login, super::browser::second_factor, super::browser::consent,
        super::browser::passkey_start, super::browser::passkey,
        super::federated::start, super::federated::callback, super::browser::logout,
        super::browser::logout_confirmed, super::oauth::token, super::oauth::userinfo,
        super::oauth::revoke, super::oauth::introspect,
    ),
    components(schemas(
        OAuthErrorBody, ProviderMetadata, Jwks, TokenRequest, TokenResponse, TokenReference,
        Introspection, UserInfo, LoginForm, SecondFactorForm, ConsentForm, FederatedStartForm,
        LogoutForm, PasskeyStartForm, PasskeyForm,
    )),
    modifiers(&ProviderBearer),
    tags(
        (name = "openid-connect", description = "The OpenID Connect provider: discovery, keys, tokens, UserInfo, revocation and introspection (OAuth JSON errors)"),
        (name = "sign-in-pages", description = "The provider's pages a person's browser sees: authorization, login, second factor, consent and logout (HTML forms with CSRF tokens, 303 redirects)")
    )
)]
struct ProviderApi;

/// The OpenAPI description of [`super::router`].
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ProviderApi::openapi();
    doc.merge(<super::account::AccountPagesApi as OpenApi>::openapi());
    varoskapu_http::openapi::complete_page_forms(&mut doc);
    // The passkey ceremonies' JSON endpoints answer problems like every JSON write.
    varoskapu_http::openapi::complete_public_writes(&mut doc);
    doc
}
