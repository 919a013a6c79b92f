//! The token format shared by the identity provider (which mints tokens) and every function
//! (which validates them): ES256 compact JWS, public JWK sets, and claim validation.
//!
//! Only ES256 is accepted on the way in. The algorithm is never taken from the token to pick
//! a verification method, so `alg: none` and HS256-signed-with-the-public-key tokens fail
//! before any key is touched.

pub mod claims;
pub mod jwk;
pub mod jws;

pub use claims::{AccessTokenClaims, Audience, ClaimsError, Validation};
pub use jwk::{Jwk, JwkSet, PrivateKey};
pub use jws::{JwsError, JwsHeader, es256_compact, es256_signing_input, sign_es256, verify_es256};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// Base64url without padding, the encoding of every JOSE part.
pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url without padding.
pub fn b64url_decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

/// The `at_hash`/`c_hash` of a token for ES256: the left half of its SHA-256, base64url.
pub fn half_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    b64url(&digest[..16])
}
