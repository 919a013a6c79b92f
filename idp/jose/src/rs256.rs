//! RSA private keys for RS256 (RSASSA-PKCS1-v1_5 with SHA-256), kept as PKCS#8.

use crate::jwk::Jwk;
use crate::{b64url, b64url_decode};
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::Sha256;
use std::fmt;

/// The size of generated keys.
pub const RSA_BITS: usize = 2048;

pub use crate::alg::MIN_RSA_BITS;

/// An RSA private key with its key id; its Debug output never shows the key.
#[derive(Clone)]
pub struct RsaKey {
    pub kid: String,
    key: SigningKey<Sha256>,
}

/// Why an RSA key could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RsaKeyError {
    #[error("RSA key generation failed")]
    Generation,
    #[error("the RSA key is not a PKCS#8 RSA key of at least {MIN_RSA_BITS} bits")]
    Invalid,
}

impl RsaKey {
    /// A fresh key of [`RSA_BITS`] bits from the operating system's randomness.
    pub fn generate(kid: impl Into<String>) -> Result<Self, RsaKeyError> {
        let key = RsaPrivateKey::new(&mut rand_core::OsRng, RSA_BITS)
            .map_err(|_| RsaKeyError::Generation)?;
        Ok(Self {
            kid: kid.into(),
            key: SigningKey::new(key),
        })
    }

    /// A key from its PKCS#8 DER form, as the key file keeps it.
    pub fn from_pkcs8_der(kid: impl Into<String>, der: &[u8]) -> Result<Self, RsaKeyError> {
        let key = RsaPrivateKey::from_pkcs8_der(der).map_err(|_| RsaKeyError::Invalid)?;
        if key.size() * 8 < MIN_RSA_BITS {
            return Err(RsaKeyError::Invalid);
        }
        Ok(Self {
            kid: kid.into(),
            key: SigningKey::new(key),
        })
    }

    /// The PKCS#8 DER form, base64url, for the key file.
    pub fn pkcs8_b64(&self) -> Result<String, RsaKeyError> {
        let private: &RsaPrivateKey = self.key.as_ref();
        let der = private.to_pkcs8_der().map_err(|_| RsaKeyError::Invalid)?;
        Ok(b64url(der.as_bytes()))
    }

    /// A key from the base64url PKCS#8 DER the key file holds.
    pub fn from_pkcs8_b64(kid: impl Into<String>, text: &str) -> Result<Self, RsaKeyError> {
        let der = b64url_decode(text).ok_or(RsaKeyError::Invalid)?;
        Self::from_pkcs8_der(kid, &der)
    }

    /// The RS256 signature of `message`, as JWS uses it.
    pub fn sign_raw(&self, message: &[u8]) -> Vec<u8> {
        self.key.sign(message).to_vec()
    }

    /// The public half.
    pub fn public_key(&self) -> RsaPublicKey {
        let private: &RsaPrivateKey = self.key.as_ref();
        private.to_public_key()
    }

    /// The public half as a JWK.
    pub fn public_jwk(&self) -> Jwk {
        Jwk::rs256(&self.kid, &self.public_key())
    }
}

impl fmt::Debug for RsaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RsaKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}
