//! ES256 tokens already verified, kept by their exact text so that a token presented again
//! (a client calls UserInfo or an API many times with one access token) costs a map look-up
//! instead of a P-256 signature verification, the largest part of validating it.
//!
//! Only a token whose signature verified is ever kept, so a stranger cannot fill the cache:
//! every entry was minted by a key of the set. A kept token is answered only while the key
//! that verified it is still published exactly as it was; a retired key's tokens are
//! refused at once, as without the cache. Claims (expiry, audience) and revocation are not
//! the cache's business: callers check them on every use, as they do after a fresh
//! verification. (Envoy's `jwt_authn` filter keeps verified tokens the same way.)

use crate::jwk::{Jwk, JwkSet};
use crate::jws::{JwsError, JwsHeader, verify_es256};
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// How many verified tokens a cache keeps by default: a few hundred kilobytes.
pub const DEFAULT_VERIFIED_TOKENS: usize = 1024;

struct Entry<T> {
    header: JwsHeader,
    claims: T,
    /// The key that verified the token, as it was published then.
    key: Jwk,
}

/// Verified tokens by their exact text.
type Entries<T> = HashMap<Box<str>, Arc<Entry<T>>>;

/// A bounded cache of verified ES256 tokens, held by the one validator that uses it.
pub struct VerifiedTokens<T> {
    entries: Mutex<Entries<T>>,
    capacity: usize,
}

impl<T: DeserializeOwned + Clone> Default for VerifiedTokens<T> {
    fn default() -> Self {
        Self::new(DEFAULT_VERIFIED_TOKENS)
    }
}

impl<T: DeserializeOwned + Clone> VerifiedTokens<T> {
    /// A cache of at most `capacity` tokens (0 keeps none).
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::default(),
            capacity,
        }
    }

    /// [`verify_es256`], answered from the cache when this very token verified before
    /// against a key still published in `keys`.
    pub fn verify_es256(&self, token: &str, keys: &JwkSet) -> Result<(JwsHeader, T), JwsError> {
        let kept = self.lock().get(token).cloned();
        if let Some(entry) = kept {
            let still_published = entry
                .header
                .kid
                .as_deref()
                .and_then(|kid| keys.find(kid))
                .is_some_and(|key| *key == entry.key);
            if still_published {
                return Ok((entry.header.clone(), entry.claims.clone()));
            }
            self.lock().remove(token);
        }
        let (header, claims): (JwsHeader, T) = verify_es256(token, keys)?;
        if self.capacity > 0
            && let Some(key) = header.kid.as_deref().and_then(|kid| keys.find(kid))
        {
            let entry = Arc::new(Entry {
                header: header.clone(),
                claims: claims.clone(),
                key: key.clone(),
            });
            let mut entries = self.lock();
            // Bounded without bookkeeping: a full cache starts over. Tokens live minutes, so
            // the ones in use are verified again once and kept anew.
            if entries.len() >= self.capacity {
                entries.clear();
            }
            entries.insert(token.into(), entry);
        }
        Ok((header, claims))
    }

    /// How many tokens are kept.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no token is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries<T>> {
        // A panic while the map was held leaves it whole (every change is one call).
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwk::PrivateKey;
    use crate::jws::sign_es256;
    use serde_json::{Value, json};

    fn key(kid: &str, byte: u8) -> PrivateKey {
        PrivateKey::from_scalar(kid, &[byte; 32]).expect("valid scalar")
    }

    fn set(keys: &[&PrivateKey]) -> JwkSet {
        JwkSet {
            keys: keys.iter().map(|k| k.public_jwk()).collect(),
        }
    }

    #[test]
    fn a_token_verified_once_is_answered_again_with_the_same_claims() {
        let signer = key("k1", 7);
        let keys = set(&[&signer]);
        let cache = VerifiedTokens::<Value>::new(8);
        let token = sign_es256(&signer, "at+jwt", &json!({"sub": "a"}));
        let first = cache.verify_es256(&token, &keys).expect("verifies");
        assert_eq!(cache.len(), 1);
        let again = cache
            .verify_es256(&token, &keys)
            .expect("answered from the cache");
        assert_eq!(first, again);
        assert_eq!(again.1["sub"], "a");
    }

    #[test]
    fn a_kept_token_is_refused_once_its_key_is_no_longer_published() {
        let old = key("k1", 7);
        let new = key("k2", 9);
        let cache = VerifiedTokens::<Value>::new(8);
        let token = sign_es256(&old, "at+jwt", &json!({"sub": "a"}));
        cache
            .verify_es256(&token, &set(&[&old, &new]))
            .expect("verifies");
        assert_eq!(
            cache.verify_es256(&token, &set(&[&new])),
            Err(JwsError::UnknownKey)
        );
        assert!(cache.is_empty(), "the refused token is not kept");
    }

    #[test]
    fn a_kept_token_is_refused_when_its_kid_names_another_key_now() {
        let signer = key("k1", 7);
        let impostor = key("k1", 8);
        let cache = VerifiedTokens::<Value>::new(8);
        let token = sign_es256(&signer, "at+jwt", &json!({"sub": "a"}));
        cache
            .verify_es256(&token, &set(&[&signer]))
            .expect("verifies");
        assert_eq!(
            cache.verify_es256(&token, &set(&[&impostor])),
            Err(JwsError::BadSignature)
        );
    }

    #[test]
    fn tokens_that_fail_are_never_kept_and_a_tampered_token_is_not_its_original() {
        let signer = key("k1", 7);
        let keys = set(&[&signer]);
        let cache = VerifiedTokens::<Value>::new(8);
        let token = sign_es256(&signer, "at+jwt", &json!({"sub": "a"}));
        cache.verify_es256(&token, &keys).expect("verifies");
        let forged_payload = crate::b64url(br#"{"sub":"admin"}"#);
        let mut parts: Vec<&str> = token.split('.').collect();
        parts[1] = &forged_payload;
        let forged = parts.join(".");
        assert_eq!(
            cache.verify_es256(&forged, &keys),
            Err(JwsError::BadSignature)
        );
        let stranger = sign_es256(&key("k1", 5), "at+jwt", &json!({"sub": "a"}));
        assert!(cache.verify_es256(&stranger, &keys).is_err());
        assert_eq!(cache.len(), 1, "only the valid token is kept");
    }

    #[test]
    fn a_full_cache_starts_over_and_stays_within_its_bound() {
        let signer = key("k1", 7);
        let keys = set(&[&signer]);
        let cache = VerifiedTokens::<Value>::new(3);
        for n in 0..10 {
            let token = sign_es256(&signer, "at+jwt", &json!({"n": n}));
            cache.verify_es256(&token, &keys).expect("verifies");
            assert!(cache.len() <= 3);
        }
        let none = VerifiedTokens::<Value>::new(0);
        let token = sign_es256(&signer, "at+jwt", &json!({"n": 1}));
        none.verify_es256(&token, &keys).expect("verifies");
        assert!(none.is_empty());
    }
}
