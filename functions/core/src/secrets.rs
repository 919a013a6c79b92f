//! High-entropy random values and their stored hashes (client secrets, codes, refresh
//! tokens, session ids): only the SHA-256 is stored, and comparisons take constant time.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// 256 random bits, base64url.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The hex SHA-256 under which a secret is stored.
pub fn sha256_hex(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether a presented secret hashes to the stored hash, in constant time.
pub fn matches_hash(presented: &str, stored_hex: &str) -> bool {
    let presented = sha256_hex(presented);
    presented.as_bytes().ct_eq(stored_hex.as_bytes()).into()
}

/// Constant-time equality of two strings (CSRF tokens).
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bits_and_distinct() {
        let a = random_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token());
    }

    #[test]
    fn a_secret_matches_only_its_own_hash() {
        let stored = sha256_hex("s3cret");
        assert!(matches_hash("s3cret", &stored));
        assert!(!matches_hash("s3creT", &stored));
        assert!(!matches_hash("s3cret", "short"));
    }
}
