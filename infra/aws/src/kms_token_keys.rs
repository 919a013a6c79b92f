//! The provider's token-signing keys in AWS KMS (ECC_NIST_P256, SIGN_VERIFY): tokens are
//! signed by KMS, so the private key never exists outside it.
//!
//! Rotation is a deployment step, not an API call: create the next key, list it in
//! `VAROSKAPU_TOKEN_KEYS_PUBLISHED` (validators start trusting it), then make it
//! `VAROSKAPU_TOKEN_KEY_ID` and keep the old one published until its tokens have expired.

use async_trait::async_trait;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::SigningAlgorithmSpec;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::pkcs8::DecodePublicKey;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use tokio::sync::OnceCell;
use varoskapu_jose::keys::{ActiveKey, KeyError, PublishedKeys, SigningKeys, TokenSigner};
use varoskapu_jose::{Jwk, JwkSet, b64url};

/// Environment variable naming the KMS key that signs tokens now.
pub const TOKEN_KEY_VAR: &str = "VAROSKAPU_TOKEN_KEY_ID";
/// Environment variable listing further published keys (comma-separated: next and retired).
pub const PUBLISHED_KEYS_VAR: &str = "VAROSKAPU_TOKEN_KEYS_PUBLISHED";

/// Token-signing keys in KMS: one active key, any number of keys only published.
pub struct KmsTokenKeys {
    client: aws_sdk_kms::Client,
    active: String,
    others: Vec<String>,
    /// Public keys are fetched once per execution environment, on first use.
    loaded: OnceCell<Loaded>,
}

struct Loaded {
    active: ActiveKey,
    jwks: JwkSet,
    /// The key set as the JWKS endpoint serves it: the keys change only by deployment, so
    /// it is serialised once per execution environment.
    document: PublishedKeys,
}

/// One KMS key signing as ES256.
struct KmsKey {
    client: aws_sdk_kms::Client,
    key_id: String,
}

impl KmsTokenKeys {
    /// Signs with KMS key `active` and also publishes the keys `others`.
    pub fn new(
        client: aws_sdk_kms::Client,
        active: impl Into<String>,
        others: Vec<String>,
    ) -> Self {
        Self {
            client,
            active: active.into(),
            others,
            loaded: OnceCell::new(),
        }
    }

    /// Reads the key ids from `VAROSKAPU_TOKEN_KEY_ID` and `VAROSKAPU_TOKEN_KEYS_PUBLISHED`.
    pub fn from_env(client: aws_sdk_kms::Client) -> Result<Self, crate::ConfigError> {
        Self::from_lookup(client, |name| std::env::var(name).ok())
    }

    /// Like `from_env`, through `lookup`.
    pub fn from_lookup(
        client: aws_sdk_kms::Client,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, crate::ConfigError> {
        let active = lookup(TOKEN_KEY_VAR)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .ok_or(crate::ConfigError::Missing(TOKEN_KEY_VAR))?;
        let others = lookup(PUBLISHED_KEYS_VAR)
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|id| !id.is_empty() && *id != active)
            .map(str::to_owned)
            .collect();
        Ok(Self::new(client, active, others))
    }

    async fn loaded(&self) -> Result<&Loaded, KeyError> {
        self.loaded
            .get_or_try_init(|| async {
                let (kid, jwk) = self.public_jwk(&self.active).await?;
                let mut keys = vec![jwk];
                for other in &self.others {
                    keys.push(self.public_jwk(other).await?.1);
                }
                let signer = KmsKey {
                    client: self.client.clone(),
                    key_id: self.active.clone(),
                };
                let jwks = JwkSet { keys };
                Ok(Loaded {
                    active: ActiveKey::new(kid, Arc::new(signer)),
                    document: PublishedKeys::new(&jwks)?,
                    jwks,
                })
            })
            .await
    }

    /// The key's id as validators see it (derived from the public key, so that no account
    /// or key ARN is published) and its JWK.
    async fn public_jwk(&self, key_id: &str) -> Result<(String, Jwk), KeyError> {
        let out = self
            .client
            .get_public_key()
            .key_id(key_id)
            .send()
            .await
            .map_err(|e| {
                KeyError::Unavailable(aws_sdk_kms::error::DisplayErrorContext(e).to_string())
            })?;
        let der = out
            .public_key
            .ok_or_else(|| KeyError::Corrupt(format!("KMS key {key_id} has no public key")))?;
        let key = VerifyingKey::from_public_key_der(der.as_ref())
            .map_err(|_| KeyError::Corrupt(format!("KMS key {key_id} is not ECC_NIST_P256")))?;
        let kid = b64url(&Sha256::digest(der.as_ref())[..12]);
        let jwk = Jwk::es256(&kid, &key);
        Ok((kid, jwk))
    }
}

#[async_trait]
impl SigningKeys for KmsTokenKeys {
    async fn signing_key(&self) -> Result<ActiveKey, KeyError> {
        Ok(self.loaded().await?.active.clone())
    }

    async fn published(&self) -> Result<JwkSet, KeyError> {
        Ok(self.loaded().await?.jwks.clone())
    }

    async fn published_document(&self) -> Result<PublishedKeys, KeyError> {
        Ok(self.loaded().await?.document.clone())
    }

    async fn rotate(&self, _keep_seconds: i64) -> Result<(), KeyError> {
        Err(KeyError::Unavailable(format!(
            "KMS token keys rotate by deployment: publish the next key in \
             {PUBLISHED_KEYS_VAR}, then make it {TOKEN_KEY_VAR}"
        )))
    }
}

#[async_trait]
impl TokenSigner for KmsKey {
    #[tracing::instrument(skip_all, fields(key_id = %self.key_id))]
    async fn sign_es256(&self, signing_input: &[u8]) -> Result<Vec<u8>, KeyError> {
        let (message, kind) = crate::kms_signer::kms_message(signing_input);
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
                KeyError::Unavailable(aws_sdk_kms::error::DisplayErrorContext(e).to_string())
            })?;
        let der = out
            .signature
            .ok_or_else(|| KeyError::Unavailable("KMS returned no signature".into()))?;
        jws_signature(der.as_ref())
    }
}

/// KMS returns ECDSA signatures as DER; JWS wants `r || s` with a low `s`.
fn jws_signature(der: &[u8]) -> Result<Vec<u8>, KeyError> {
    let signature = Signature::from_der(der)
        .map_err(|_| KeyError::Unavailable("KMS returned a malformed signature".into()))?;
    let signature = signature.normalize_s().unwrap_or(signature);
    Ok(signature.to_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> aws_sdk_kms::Client {
        let config = aws_sdk_kms::Config::builder()
            .behavior_version(aws_sdk_kms::config::BehaviorVersion::latest())
            .region(aws_sdk_kms::config::Region::new("eu-central-1"))
            .build();
        aws_sdk_kms::Client::from_conf(config)
    }

    #[test]
    fn the_active_key_is_required_and_not_published_twice() {
        let missing = KmsTokenKeys::from_lookup(client(), |_| None);
        assert!(matches!(
            missing,
            Err(crate::ConfigError::Missing(TOKEN_KEY_VAR))
        ));
        let keys = KmsTokenKeys::from_lookup(client(), |name| match name {
            TOKEN_KEY_VAR => Some("a".into()),
            PUBLISHED_KEYS_VAR => Some(" b, a ,,c".into()),
            _ => None,
        })
        .expect("configured");
        assert_eq!(keys.active, "a");
        assert_eq!(keys.others, ["b", "c"]);
    }

    #[test]
    fn der_signatures_become_jws_signatures() {
        assert!(jws_signature(b"not der").is_err());
        let key = varoskapu_jose::PrivateKey::from_scalar("k", &[3u8; 32]).expect("key");
        let signature = Signature::from_slice(&key.sign_raw(b"input")).expect("sig");
        let low_s = signature.normalize_s().unwrap_or(signature);
        let der = signature.to_der();
        assert_eq!(
            jws_signature(der.as_bytes()).expect("converts"),
            low_s.to_bytes().to_vec()
        );
    }
}
