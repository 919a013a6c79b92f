//! Public keys in JWK form (P-256 for ES256, RSA for RS256) and the P-256 private key.

use crate::alg::MIN_RSA_BITS;
use crate::{b64url, b64url_decode};
use p256::FieldBytes;
use p256::ecdsa::{SigningKey, VerifyingKey};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, RsaPublicKey};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::fmt;
use std::sync::Arc;

/// A public signing key as published in the JWKS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    pub kty: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    /// RSA modulus, base64url big-endian.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// RSA public exponent, base64url big-endian.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
}

impl Jwk {
    /// The JWK of a P-256 verifying key used for ES256 signatures.
    pub fn es256(kid: &str, key: &VerifyingKey) -> Self {
        let point = key.to_encoded_point(false);
        Self {
            kty: "EC".into(),
            crv: Some("P-256".into()),
            x: point.x().map(|x| b64url(x)),
            y: point.y().map(|y| b64url(y)),
            n: None,
            e: None,
            kid: Some(kid.to_owned()),
            use_: Some("sig".into()),
            alg: Some("ES256".into()),
        }
    }

    /// The P-256 verifying key, if this JWK is one.
    pub fn verifying_key(&self) -> Option<VerifyingKey> {
        VerifyingKey::from_sec1_bytes(&self.es256_point()?).ok()
    }

    /// The uncompressed SEC1 point (`04 || x || y`) of an ES256 signing key, for ring to
    /// verify with; ring checks that the point is on the curve when it verifies.
    pub fn es256_point(&self) -> Option<[u8; 65]> {
        if self.kty != "EC"
            || self.crv.as_deref() != Some("P-256")
            || self.use_.as_deref().is_some_and(|u| u != "sig")
            || self.alg.as_deref().is_some_and(|a| a != "ES256")
        {
            return None;
        }
        let x = b64url_decode(self.x.as_deref()?)?;
        let y = b64url_decode(self.y.as_deref()?)?;
        if x.len() != 32 || y.len() != 32 {
            return None;
        }
        let mut point = [0u8; 65];
        point[0] = 4;
        point[1..33].copy_from_slice(&x);
        point[33..].copy_from_slice(&y);
        Some(point)
    }

    /// The JWK of an RSA public key used for RS256 signatures.
    pub fn rs256(kid: &str, key: &RsaPublicKey) -> Self {
        Self {
            kty: "RSA".into(),
            crv: None,
            x: None,
            y: None,
            n: Some(b64url(&key.n().to_bytes_be())),
            e: Some(b64url(&key.e().to_bytes_be())),
            kid: Some(kid.to_owned()),
            use_: Some("sig".into()),
            alg: Some("RS256".into()),
        }
    }

    /// The RS256 verifying key, if this JWK is an RSA signing key of at least 2048 bits.
    pub fn rs256_verifying_key(&self) -> Option<rsa::pkcs1v15::VerifyingKey<Sha256>> {
        if self.kty != "RSA"
            || self.use_.as_deref().is_some_and(|u| u != "sig")
            || self.alg.as_deref().is_some_and(|a| a != "RS256")
        {
            return None;
        }
        let n = BigUint::from_bytes_be(&b64url_decode(self.n.as_deref()?)?);
        let e = BigUint::from_bytes_be(&b64url_decode(self.e.as_deref()?)?);
        let key = RsaPublicKey::new(n, e).ok()?;
        (key.size() * 8 >= MIN_RSA_BITS).then(|| rsa::pkcs1v15::VerifyingKey::new(key))
    }
}

/// A JWK set (`{"keys": [...]}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwkSet {
    pub keys: Vec<Jwk>,
}

impl JwkSet {
    /// The key with this id.
    pub fn find(&self, kid: &str) -> Option<&Jwk> {
        self.keys.iter().find(|k| k.kid.as_deref() == Some(kid))
    }
}

/// A P-256 private key with its key id; its Debug output never shows the key.
#[derive(Clone)]
pub struct PrivateKey {
    pub kid: String,
    key: SigningKey,
    /// The same key prepared for ring, which signs every token.
    signer: Arc<EcdsaKeyPair>,
}

impl PrivateKey {
    /// Builds a key from 32 random bytes; `None` in the negligible case they are no scalar.
    pub fn from_scalar(kid: impl Into<String>, scalar: &[u8]) -> Option<Self> {
        if scalar.len() != 32 {
            return None;
        }
        let key = SigningKey::from_bytes(FieldBytes::from_slice(scalar)).ok()?;
        let public = key.verifying_key().to_encoded_point(false);
        let signer = EcdsaKeyPair::from_private_key_and_public_key(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            scalar,
            public.as_bytes(),
            &SystemRandom::new(),
        )
        .ok()?;
        Some(Self {
            kid: kid.into(),
            key,
            signer: Arc::new(signer),
        })
    }

    /// The private scalar, base64url, for the key file.
    pub fn scalar_b64(&self) -> String {
        b64url(&self.key.to_bytes())
    }

    pub fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    /// The ES256 signature of `message` as `r || s` (64 bytes), the form JWS uses.
    pub fn sign_raw(&self, message: &[u8]) -> Vec<u8> {
        match self.signer.sign(&SystemRandom::new(), message) {
            Ok(signature) => signature.as_ref().to_vec(),
            // ring fails only when the system's randomness does; p256 signs deterministically
            // (RFC 6979) and needs none.
            Err(_) => {
                use p256::ecdsa::signature::Signer as _;
                let signature: p256::ecdsa::Signature = self.key.sign(message);
                signature.to_bytes().to_vec()
            }
        }
    }

    /// The public half as a JWK.
    pub fn public_jwk(&self) -> Jwk {
        Jwk::es256(&self.kid, self.key.verifying_key())
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_public_jwk_round_trips_to_the_same_verifying_key() {
        let key = PrivateKey::from_scalar("k1", &[7u8; 32]).expect("valid scalar");
        let jwk = key.public_jwk();
        assert_eq!(
            jwk.verifying_key().as_ref(),
            Some(key.signing_key().verifying_key())
        );
        let text = serde_json::to_string(&jwk).expect("serializes");
        assert!(text.contains("\"use\":\"sig\""));
        assert!(!text.contains("\"d\""));
    }

    #[test]
    fn what_ring_signs_p256_verifies() {
        use p256::ecdsa::signature::Verifier as _;
        let key = PrivateKey::from_scalar("k1", &[7u8; 32]).expect("valid scalar");
        let signature = p256::ecdsa::Signature::from_slice(&key.sign_raw(b"input")).expect("r||s");
        let public = key.public_jwk().verifying_key().expect("EC key");
        assert!(public.verify(b"input", &signature).is_ok());
        assert!(public.verify(b"other", &signature).is_err());
    }

    #[test]
    fn jwks_of_other_kinds_are_not_ec_keys() {
        let mut jwk = PrivateKey::from_scalar("k1", &[7u8; 32])
            .expect("valid")
            .public_jwk();
        jwk.alg = Some("HS256".into());
        assert!(jwk.verifying_key().is_none());
    }
}
