//! The embedded `Signer`: a P-256 key from a PKCS#8 file in the data folder.

use async_trait::async_trait;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use varoskapu_core::documents::{SignatureAlgorithm, Signer, SignerError};

/// Signs with a key held in memory (loaded from the data folder by `keys`).
pub struct LocalSigner {
    key: SigningKey,
    chain: Vec<Vec<u8>>,
}

impl LocalSigner {
    /// A signer for `key` whose certificate chain (DER, signing certificate first) is `chain`.
    pub fn new(key: SigningKey, chain: Vec<Vec<u8>>) -> Self {
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
        let signature: Signature = self.key.sign(message);
        Ok(signature.to_der().as_bytes().to_vec())
    }
}
