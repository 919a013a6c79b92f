//! OAuth 2.0 error responses (RFC 6749 §5.2 and friends), in one enum.

use varoskapu_core::TableError;

/// Why a token, revocation or introspection request was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OAuthError {
    #[error("invalid_request: {0}")]
    InvalidRequest(String),
    #[error("invalid_client")]
    InvalidClient,
    #[error("invalid_grant: {0}")]
    InvalidGrant(String),
    #[error("unauthorized_client: {0}")]
    UnauthorizedClient(String),
    #[error("unsupported_grant_type")]
    UnsupportedGrantType,
    #[error("invalid_scope")]
    InvalidScope,
    /// A `resource` (RFC 8707) is unknown or not opened by the granted scopes.
    #[error("invalid_target: {0}")]
    InvalidTarget(String),
    /// A bearer token was missing, malformed, expired or revoked (RFC 6750).
    #[error("invalid_token: {0}")]
    InvalidToken(String),
    #[error("insufficient_scope")]
    InsufficientScope,
    #[error("server_error: {0}")]
    Server(String),
}

impl OAuthError {
    /// The `error` code on the wire.
    pub fn code(&self) -> &'static str {
        match self {
            OAuthError::InvalidRequest(_) => "invalid_request",
            OAuthError::InvalidClient => "invalid_client",
            OAuthError::InvalidGrant(_) => "invalid_grant",
            OAuthError::UnauthorizedClient(_) => "unauthorized_client",
            OAuthError::UnsupportedGrantType => "unsupported_grant_type",
            OAuthError::InvalidScope => "invalid_scope",
            OAuthError::InvalidTarget(_) => "invalid_target",
            OAuthError::InvalidToken(_) => "invalid_token",
            OAuthError::InsufficientScope => "insufficient_scope",
            OAuthError::Server(_) => "server_error",
        }
    }

    /// The `error_description`; never reveals internals.
    pub fn description(&self) -> Option<String> {
        match self {
            OAuthError::InvalidRequest(d)
            | OAuthError::InvalidGrant(d)
            | OAuthError::UnauthorizedClient(d)
            | OAuthError::InvalidTarget(d)
            | OAuthError::InvalidToken(d) => Some(d.clone()),
            _ => None,
        }
    }
}

impl From<TableError> for OAuthError {
    fn from(e: TableError) -> Self {
        OAuthError::Server(e.to_string())
    }
}

impl From<crate::keys::KeyError> for OAuthError {
    fn from(e: crate::keys::KeyError) -> Self {
        OAuthError::Server(e.to_string())
    }
}

impl From<varoskapu_accounts::AccountError> for OAuthError {
    fn from(e: varoskapu_accounts::AccountError) -> Self {
        OAuthError::Server(e.to_string())
    }
}
