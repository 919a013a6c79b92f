//! The token format shared by the identity provider (which mints tokens) and every function
//! (which validates them): ES256 (and, for partners' ID tokens, RS256) compact JWS, public
//! JWK sets, and claim validation.
//!
//! Every verifier names the one algorithm it expects (access tokens: ES256 only). The
//! algorithm is never taken from the token to pick a verification method, so `alg: none`,
//! HS256-signed-with-the-public-key and algorithm-swapped tokens fail before any key is used.

pub mod alg;
pub mod claims;
pub mod jwk;
pub mod jws;
pub mod keys;
pub mod rs256;
pub mod verified;

pub use alg::{JwsAlgorithm, UnsupportedAlgorithm};
pub use claims::{
    ACCESS_TOKEN_TYPE, AccessTokenClaims, Audience, ClaimsError, Validation, is_access_token_type,
};
pub use jwk::{Jwk, JwkSet, PrivateKey};
pub use jws::{
    JwsError, JwsHeader, es256_compact, es256_signing_input, peek_header, sign_es256, sign_rs256,
    signing_input, verify, verify_es256, verify_rs256, verify_with_key,
};
pub use keys::{ActiveKey, KeyError, PublishedKeys, Rs256Signer, SigningKeys, TokenSigner};
pub use rs256::{RsaKey, RsaKeyError};
pub use verified::{DEFAULT_VERIFIED_TOKENS, VerifiedTokens};

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

/// The `at_hash`/`c_hash` of a token for ES256 and RS256 (both hash with SHA-256): the left
/// half of its SHA-256, base64url.
pub fn half_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    b64url(&digest[..16])
}
