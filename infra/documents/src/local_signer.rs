//! The embedded `Signer`: a P-256 key from a PKCS#8 file in the data folder.

use async_trait::async_trait;
use p256::ecdsa::SigningKey;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair};
use std::sync::Arc;
use varoskapu_core::documents::{SignatureAlgorithm, Signer, SignerError};

/// A P-256 key as ring signs with it (ECDSA over SHA-256, DER `Ecdsa-Sig-Value`): several
/// times faster than the pure-Rust `p256` the key files are read and certified with.
#[derive(Clone)]
pub struct EcSigningKey {
    pair: Arc<EcdsaKeyPair>,
    rng: SystemRandom,
}

impl EcSigningKey {
    /// The same key, for ring.
    pub fn from_p256(key: &SigningKey) -> Result<Self, String> {
        let public = key.verifying_key().to_encoded_point(false);
        let rng = SystemRandom::new();
        let pair = EcdsaKeyPair::from_private_key_and_public_key(
            &ECDSA_P256_SHA256_ASN1_SIGNING,
            &key.to_bytes(),
            public.as_bytes(),
            &rng,
        )
        .map_err(|e| format!("ring refuses the P-256 key: {e}"))?;
        Ok(Self {
            pair: Arc::new(pair),
            rng,
        })
    }

    /// A DER signature over SHA-256 of `message`.
    pub fn sign_der(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        self.pair
            .sign(&self.rng, message)
            .map(|signature| signature.as_ref().to_vec())
            .map_err(|_| "ECDSA signing failed".to_owned())
    }
}

/// Signs with a key held in memory (loaded from the data folder by `keys`).
pub struct LocalSigner {
    key: EcSigningKey,
    chain: Vec<Vec<u8>>,
}

impl LocalSigner {
    /// A signer for `key` whose certificate chain (DER, signing certificate first) is `chain`.
    pub fn new(key: EcSigningKey, chain: Vec<Vec<u8>>) -> Self {
        Self { key, chain }
    }
}

#[async_trait]
impl Signer for LocalSigner {
    fn certificate_chain(&self) -> &[Vec<u8>] {
        &self.chain
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::EcdsaP256Sha256
    }

    async fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignerError> {
        self.key.sign_der(message).map_err(SignerError::Unavailable)
    }
}
