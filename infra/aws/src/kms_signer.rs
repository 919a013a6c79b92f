//! The production `Signer`: an asymmetric AWS KMS key (ECC_NIST_P256, SIGN_VERIFY) whose
//! certificate chain is configured beside it (KMS holds keys, not certificates).

use async_trait::async_trait;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{MessageType, SigningAlgorithmSpec};
use base64::Engine as _;
use sha2::{Digest, Sha256};
use varoskapu_core::documents::{SignatureAlgorithm, Signer, SignerError};

/// The largest message KMS signs as `RAW`; longer ones are sent as their digest.
const KMS_RAW_LIMIT: usize = 4096;

/// What to send KMS to have `message` signed with ECDSA_SHA_256, as AWS documents it: up to
/// 4096 bytes the message itself (`RAW`, KMS hashes it), beyond that its SHA-256 (`DIGEST`,
/// KMS signs it as the hash). moto (5.x) ignores `MessageType` and hashes a `DIGEST` once
/// more, so a long message's signature made on moto does not verify; the signers keep to
/// AWS's behaviour, and `tests/kms_token_keys.rs` shows moto's.
pub(crate) fn kms_message(message: &[u8]) -> (Vec<u8>, MessageType) {
    if message.len() <= KMS_RAW_LIMIT {
        (message.to_vec(), MessageType::Raw)
    } else {
        (Sha256::digest(message).to_vec(), MessageType::Digest)
    }
}

/// Signs with a KMS key; the key never leaves KMS.
pub struct KmsSigner {
    client: aws_sdk_kms::Client,
    key_id: String,
    chain: Vec<Vec<u8>>,
}

/// Why the KMS signer could not be configured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KmsSignerError {
    #[error("the signing certificate chain holds no PEM certificate")]
    EmptyChain,
    #[error("the signing certificate chain is not valid PEM: {0}")]
    BadPem(String),
}

impl KmsSigner {
    /// A signer for KMS key `key_id` whose certificate chain (DER, signing certificate first)
    /// is `chain`.
    pub fn new(
        client: aws_sdk_kms::Client,
        key_id: impl Into<String>,
        chain: Vec<Vec<u8>>,
    ) -> Self {
        Self {
            client,
            key_id: key_id.into(),
            chain,
        }
    }

    /// Like `new`, with the chain as concatenated PEM certificates (as kept in configuration).
    pub fn from_pem_chain(
        client: aws_sdk_kms::Client,
        key_id: impl Into<String>,
        pem: &str,
    ) -> Result<Self, KmsSignerError> {
        let chain = pem_certificates(pem)?;
        Ok(Self::new(client, key_id, chain))
    }

    /// The key's public key as DER SubjectPublicKeyInfo, to have its certificate issued.
    pub async fn public_key_der(&self) -> Result<Vec<u8>, SignerError> {
        let out = self
            .client
            .get_public_key()
            .key_id(&self.key_id)
            .send()
            .await
            .map_err(|e| {
                SignerError::Unavailable(aws_sdk_kms::error::DisplayErrorContext(e).to_string())
            })?;
        out.public_key
            .map(Blob::into_inner)
            .ok_or_else(|| SignerError::Misconfigured("KMS returned no public key".into()))
    }
}

/// Decodes every `CERTIFICATE` block of a PEM text to DER.
pub fn pem_certificates(pem: &str) -> Result<Vec<Vec<u8>>, KmsSignerError> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let mut out = Vec::new();
    let mut rest = pem;
    while let Some(start) = rest.find(BEGIN) {
        let body = &rest[start + BEGIN.len()..];
        let end = body
            .find(END)
            .ok_or_else(|| KmsSignerError::BadPem("unterminated certificate".into()))?;
        let text: String = body[..end].chars().filter(|c| !c.is_whitespace()).collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|e| KmsSignerError::BadPem(e.to_string()))?;
        out.push(der);
        rest = &body[end + END.len()..];
    }
    if out.is_empty() {
        return Err(KmsSignerError::EmptyChain);
    }
    Ok(out)
}

#[async_trait]
impl Signer for KmsSigner {
    fn certificate_chain(&self) -> &[Vec<u8>] {
        &self.chain
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::EcdsaP256Sha256
    }

    #[tracing::instrument(skip_all, fields(key_id = %self.key_id))]
    async fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignerError> {
        let (message, kind) = kms_message(message);
        let out = self
            .client
            .sign()
            .key_id(&self.key_id)
            .message(Blob::new(message))
            .message_type(kind)
            .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
            .send()
            .await
            .map_err(|e| {
                SignerError::Unavailable(aws_sdk_kms::error::DisplayErrorContext(e).to_string())
            })?;
        out.signature
            .map(Blob::into_inner)
            .ok_or_else(|| SignerError::Unavailable("KMS returned no signature".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_messages_are_sent_to_kms_as_their_digest() {
        let short = vec![7u8; KMS_RAW_LIMIT];
        assert_eq!(kms_message(&short), (short.clone(), MessageType::Raw));
        let long = vec![7u8; KMS_RAW_LIMIT + 1];
        assert_eq!(
            kms_message(&long),
            (Sha256::digest(&long).to_vec(), MessageType::Digest)
        );
    }

    #[test]
    fn pem_chains_decode_in_order_and_garbage_is_refused() {
        let pem = "-----BEGIN CERTIFICATE-----\nAQI=\n-----END CERTIFICATE-----\n\
                   -----BEGIN CERTIFICATE-----\nAw==\n-----END CERTIFICATE-----\n";
        assert_eq!(pem_certificates(pem), Ok(vec![vec![1, 2], vec![3]]));
        assert_eq!(pem_certificates("nothing"), Err(KmsSignerError::EmptyChain));
        assert!(
            pem_certificates("-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----").is_err()
        );
    }
}
