//! One-time tokens sent by e-mail (verification, password reset): random, stored only hashed.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// A new URL-safe one-time token with 256 bits of entropy.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The one-time token in a message's link (`…?token=…`), for the CLI and tests.
pub fn token_in(text: &str) -> Option<String> {
    let start = text.find("token=")? + "token=".len();
    let token: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    (!token.is_empty()).then_some(token)
}

/// The hash under which a token is stored, so a table dump does not reveal live tokens.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
