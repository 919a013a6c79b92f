//! Compact JWS with ES256, and RS256 where a verifier asks for it by name.

use crate::alg::JwsAlgorithm;
use crate::jwk::{Jwk, JwkSet, PrivateKey};
use crate::rs256::RsaKey;
use crate::{b64url, b64url_decode};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The protected header of a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwsHeader {
    pub alg: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
}

/// Why a compact JWS was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwsError {
    #[error("the token is not a compact JWS")]
    Malformed,
    #[error("the token's algorithm {0:?} is not the one accepted here")]
    AlgorithmNotAccepted(String),
    #[error("the token names no key or an unknown key")]
    UnknownKey,
    #[error("the token's signature does not verify")]
    BadSignature,
    #[error("the token's claims are not the expected JSON: {0}")]
    BadClaims(String),
}

/// Signs `claims` as a compact ES256 JWS with the key's id in the header.
pub fn sign_es256<T: Serialize>(key: &PrivateKey, typ: &str, claims: &T) -> String {
    let signing_input = es256_signing_input(&key.kid, typ, claims);
    let signature = key.sign_raw(signing_input.as_bytes());
    es256_compact(signing_input, &signature)
}

/// Signs `claims` as a compact RS256 JWS with the key's id in the header.
pub fn sign_rs256<T: Serialize>(key: &RsaKey, typ: &str, claims: &T) -> String {
    let input = signing_input(JwsAlgorithm::Rs256, &key.kid, typ, claims);
    let signature = key.sign_raw(input.as_bytes());
    es256_compact(input, &signature)
}

/// The header and payload part of an ES256 JWS, for keys that sign elsewhere (KMS).
pub fn es256_signing_input<T: Serialize>(kid: &str, typ: &str, claims: &T) -> String {
    signing_input(JwsAlgorithm::Es256, kid, typ, claims)
}

/// The header and payload part of a JWS of algorithm `alg`, for keys that sign elsewhere.
pub fn signing_input<T: Serialize>(alg: JwsAlgorithm, kid: &str, typ: &str, claims: &T) -> String {
    let header = JwsHeader {
        alg: alg.as_str().into(),
        kid: Some(kid.to_owned()),
        typ: Some(typ.to_owned()),
    };
    // Both serializations are of plain structs and maps; they cannot fail.
    let header = serde_json::to_vec(&header).unwrap_or_default();
    let payload = serde_json::to_vec(claims).unwrap_or_default();
    format!("{}.{}", b64url(&header), b64url(&payload))
}

/// Appends a signature (ES256: `r || s`, 64 bytes; RS256: the PKCS#1 v1.5 signature) to its
/// signing input.
pub fn es256_compact(signing_input: String, signature: &[u8]) -> String {
    format!("{signing_input}.{}", b64url(signature))
}

/// Verifies a compact ES256 JWS against a key set and returns its header and claims.
pub fn verify_es256<T: DeserializeOwned>(
    token: &str,
    keys: &JwkSet,
) -> Result<(JwsHeader, T), JwsError> {
    verify(token, keys, JwsAlgorithm::Es256)
}

/// Verifies a compact RS256 JWS against a key set and returns its header and claims.
pub fn verify_rs256<T: DeserializeOwned>(
    token: &str,
    keys: &JwkSet,
) -> Result<(JwsHeader, T), JwsError> {
    verify(token, keys, JwsAlgorithm::Rs256)
}

/// Verifies a compact JWS that must be of algorithm `expected`, chosen by the caller (from
/// the key or the client), never by the token; a key of another kind counts as unknown.
pub fn verify<T: DeserializeOwned>(
    token: &str,
    keys: &JwkSet,
    expected: JwsAlgorithm,
) -> Result<(JwsHeader, T), JwsError> {
    let (h, p, s) = split(token)?;
    let header = decode_header(h)?;
    if header.alg != expected.as_str() {
        return Err(JwsError::AlgorithmNotAccepted(header.alg));
    }
    let kid = header.kid.as_deref().ok_or(JwsError::UnknownKey)?;
    let jwk = keys.find(kid).ok_or(JwsError::UnknownKey)?;
    verify_parts(token, (h, p, s), header, jwk, expected)
}

/// The protected header of a compact JWS, unverified: for choosing the key to verify with.
pub fn peek_header(token: &str) -> Result<JwsHeader, JwsError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(JwsError::Malformed);
    }
    decode_header(token.split('.').next().unwrap_or_default())
}

/// Verifies a compact JWS of algorithm `expected` with one given key, whatever `kid` the
/// header names (or none): for a party registered with a single key.
pub fn verify_with_key<T: DeserializeOwned>(
    token: &str,
    jwk: &Jwk,
    expected: JwsAlgorithm,
) -> Result<(JwsHeader, T), JwsError> {
    let (h, p, s) = split(token)?;
    let header = decode_header(h)?;
    verify_parts(token, (h, p, s), header, jwk, expected)
}

/// Largest compact JWS read (16 KiB): Városkapu's tokens are under 2 KiB and partners'
/// assertions alike; a larger one is refused before it is decoded. Its JSON parts are
/// read by serde_json, which refuses nesting deeper than 128 levels.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// The header, payload and signature parts of a compact JWS.
fn split(token: &str) -> Result<(&str, &str, &str), JwsError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(JwsError::Malformed);
    }
    let mut parts = token.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(h), Some(p), Some(s), None) => Ok((h, p, s)),
        _ => Err(JwsError::Malformed),
    }
}

fn decode_header(h: &str) -> Result<JwsHeader, JwsError> {
    b64url_decode(h)
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or(JwsError::Malformed)
}

fn verify_parts<T: DeserializeOwned>(
    token: &str,
    (h, p, s): (&str, &str, &str),
    header: JwsHeader,
    jwk: &Jwk,
    expected: JwsAlgorithm,
) -> Result<(JwsHeader, T), JwsError> {
    if header.alg != expected.as_str() {
        return Err(JwsError::AlgorithmNotAccepted(header.alg));
    }
    let signature = b64url_decode(s).ok_or(JwsError::BadSignature)?;
    let signing_input = &token.as_bytes()[..h.len() + 1 + p.len()];
    match expected {
        JwsAlgorithm::Es256 => {
            let point = jwk.es256_point().ok_or(JwsError::UnknownKey)?;
            ring::signature::UnparsedPublicKey::new(
                &ring::signature::ECDSA_P256_SHA256_FIXED,
                point,
            )
            .verify(signing_input, &signature)
            .map_err(|_| JwsError::BadSignature)?;
        }
        JwsAlgorithm::Rs256 => {
            let key = jwk.rs256_verifying_key().ok_or(JwsError::UnknownKey)?;
            let signature = rsa::pkcs1v15::Signature::try_from(signature.as_slice())
                .map_err(|_| JwsError::BadSignature)?;
            rsa::signature::Verifier::verify(&key, signing_input, &signature)
                .map_err(|_| JwsError::BadSignature)?;
        }
    }
    let payload = b64url_decode(p).ok_or(JwsError::Malformed)?;
    let claims =
        serde_json::from_slice(&payload).map_err(|e| JwsError::BadClaims(e.to_string()))?;
    Ok((header, claims))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac_free::hs256;
    use serde_json::{Value, json};

    /// HS256 by hand, so the test can forge what an attacker would forge.
    mod hmac_free {
        use sha2::{Digest, Sha256};

        pub fn hs256(key: &[u8], message: &[u8]) -> Vec<u8> {
            let mut k = [0u8; 64];
            if key.len() > 64 {
                k[..32].copy_from_slice(&Sha256::digest(key));
            } else {
                k[..key.len()].copy_from_slice(key);
            }
            let inner: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
            let outer: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
            let ih = Sha256::new()
                .chain_update(&inner)
                .chain_update(message)
                .finalize();
            Sha256::new()
                .chain_update(&outer)
                .chain_update(ih)
                .finalize()
                .to_vec()
        }
    }

    fn key() -> PrivateKey {
        PrivateKey::from_scalar("k1", &[9u8; 32]).expect("valid scalar")
    }

    fn jwks() -> JwkSet {
        JwkSet {
            keys: vec![key().public_jwk()],
        }
    }

    #[test]
    fn a_kidless_token_verifies_only_against_a_key_given_by_hand() {
        let input = format!(
            "{}.{}",
            b64url(br#"{"alg":"ES256"}"#),
            b64url(br#"{"sub":"svc"}"#)
        );
        let token = es256_compact(input.clone(), &key().sign_raw(input.as_bytes()));
        assert_eq!(
            verify_es256::<Value>(&token, &jwks()),
            Err(JwsError::UnknownKey)
        );
        let (header, claims): (_, Value) =
            verify_with_key(&token, &key().public_jwk(), JwsAlgorithm::Es256).expect("verifies");
        assert_eq!((header.kid, claims["sub"].as_str()), (None, Some("svc")));
        let other = PrivateKey::from_scalar("k2", &[7u8; 32]).expect("valid scalar");
        assert_eq!(
            verify_with_key::<Value>(&token, &other.public_jwk(), JwsAlgorithm::Es256),
            Err(JwsError::BadSignature)
        );
        assert_eq!(
            verify_with_key::<Value>(&token, &key().public_jwk(), JwsAlgorithm::Rs256),
            Err(JwsError::AlgorithmNotAccepted("ES256".into()))
        );
    }

    #[test]
    fn a_signed_token_verifies_with_the_published_key() {
        let token = sign_es256(&key(), "JWT", &json!({"sub": "a"}));
        let (header, claims): (JwsHeader, Value) = verify_es256(&token, &jwks()).expect("verifies");
        assert_eq!(header.kid.as_deref(), Some("k1"));
        assert_eq!(claims["sub"], "a");
    }

    #[test]
    fn a_token_with_alg_none_is_refused() {
        let header = b64url(br#"{"alg":"none","kid":"k1"}"#);
        let payload = b64url(br#"{"sub":"admin"}"#);
        for token in [
            format!("{header}.{payload}."),
            format!("{header}.{payload}"),
        ] {
            let result = verify_es256::<Value>(&token, &jwks());
            assert!(
                matches!(
                    result,
                    Err(JwsError::AlgorithmNotAccepted(_)) | Err(JwsError::Malformed)
                ),
                "{result:?}"
            );
        }
    }

    #[test]
    fn an_hs256_token_keyed_with_the_public_key_is_refused() {
        let public = serde_json::to_vec(&key().public_jwk()).expect("serializes");
        let header = b64url(br#"{"alg":"HS256","kid":"k1"}"#);
        let payload = b64url(br#"{"sub":"admin"}"#);
        let input = format!("{header}.{payload}");
        let token = format!("{input}.{}", b64url(&hs256(&public, input.as_bytes())));
        assert_eq!(
            verify_es256::<Value>(&token, &jwks()),
            Err(JwsError::AlgorithmNotAccepted("HS256".into()))
        );
    }

    #[test]
    fn a_tampered_payload_fails_the_signature() {
        let token = sign_es256(&key(), "JWT", &json!({"sub": "a"}));
        let mut parts: Vec<&str> = token.split('.').collect();
        let forged = b64url(br#"{"sub":"b"}"#);
        parts[1] = &forged;
        assert_eq!(
            verify_es256::<Value>(&parts.join("."), &jwks()),
            Err(JwsError::BadSignature)
        );
    }

    #[test]
    fn a_token_signed_by_an_unpublished_key_is_refused() {
        let other = PrivateKey::from_scalar("k2", &[3u8; 32]).expect("valid");
        let token = sign_es256(&other, "JWT", &json!({"sub": "a"}));
        assert_eq!(
            verify_es256::<Value>(&token, &jwks()),
            Err(JwsError::UnknownKey)
        );
    }

    /// One RSA key for all tests here: generating one takes a while.
    fn rsa_key() -> RsaKey {
        static KEY: std::sync::OnceLock<RsaKey> = std::sync::OnceLock::new();
        KEY.get_or_init(|| RsaKey::generate("r1").expect("generates"))
            .clone()
    }

    fn both_jwks() -> JwkSet {
        JwkSet {
            keys: vec![key().public_jwk(), rsa_key().public_jwk()],
        }
    }

    #[test]
    fn an_rs256_token_verifies_only_when_rs256_is_expected() {
        let token = sign_rs256(&rsa_key(), "JWT", &json!({"sub": "a"}));
        let (header, claims): (JwsHeader, Value) =
            verify_rs256(&token, &both_jwks()).expect("verifies");
        assert_eq!(header.alg, "RS256");
        assert_eq!(claims["sub"], "a");
        assert_eq!(
            verify_es256::<Value>(&token, &both_jwks()),
            Err(JwsError::AlgorithmNotAccepted("RS256".into()))
        );
    }

    #[test]
    fn a_header_naming_the_other_algorithm_for_a_key_is_refused() {
        // An RS256 signature relabelled ES256 finds an RSA key where an EC key is needed.
        let token = sign_rs256(&rsa_key(), "JWT", &json!({"sub": "a"}));
        let (_, rest) = token.split_once('.').expect("dot");
        let relabelled = format!("{}.{rest}", b64url(br#"{"alg":"ES256","kid":"r1"}"#));
        assert_eq!(
            verify_es256::<Value>(&relabelled, &both_jwks()),
            Err(JwsError::UnknownKey)
        );
        // And an ES256 token relabelled RS256 finds an EC key where an RSA key is needed.
        let token = sign_es256(&key(), "JWT", &json!({"sub": "a"}));
        let (_, rest) = token.split_once('.').expect("dot");
        let relabelled = format!("{}.{rest}", b64url(br#"{"alg":"RS256","kid":"k1"}"#));
        assert_eq!(
            verify_rs256::<Value>(&relabelled, &both_jwks()),
            Err(JwsError::UnknownKey)
        );
    }

    #[test]
    fn an_rsa_key_survives_its_pkcs8_form_and_publishes_no_private_part() {
        let key = rsa_key();
        let again =
            RsaKey::from_pkcs8_b64("r1", &key.pkcs8_b64().expect("encodes")).expect("decodes");
        assert_eq!(again.public_jwk(), key.public_jwk());
        let text = serde_json::to_string(&key.public_jwk()).expect("serializes");
        assert!(text.contains(r#""alg":"RS256""#) && text.contains(r#""use":"sig""#));
        assert!(!text.contains("\"d\"") && !text.contains("\"p\""));
        assert!(RsaKey::from_pkcs8_b64("r1", "bm90IGEga2V5").is_err());
    }
}
