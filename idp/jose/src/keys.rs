//! The ports behind which token-signing keys are kept: the provider mints through them,
//! and each key store (a key file in the data folder, KMS in production) implements them.
//!
//! The port hands out an [`ActiveKey`] (a key id and something that signs with it) rather
//! than the private key, because a production key never leaves its store: minting a token
//! is therefore asynchronous, and the protocol code stays free of any key store's types.

use crate::alg::JwsAlgorithm;
use crate::jwk::{JwkSet, PrivateKey};
use crate::jws::{es256_compact, signing_input};
use crate::rs256::RsaKey;
use async_trait::async_trait;
use serde::Serialize;
use std::sync::Arc;

/// What can go wrong with the signing keys.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("the key store is unavailable: {0}")]
    Unavailable(String),
    #[error("the key store is corrupt: {0}")]
    Corrupt(String),
    #[error("{0} not configured: this key store has no key for it")]
    NotConfigured(JwsAlgorithm),
    #[error("a {got} key cannot sign what must be {expected}")]
    WrongAlgorithm {
        expected: JwsAlgorithm,
        got: JwsAlgorithm,
    },
}

/// Signs the JWS signing input with one key, wherever that key is kept.
#[async_trait]
pub trait TokenSigner: Send + Sync + 'static {
    /// The ES256 signature of `signing_input` as `r || s` (64 bytes), as JWS wants it.
    async fn sign_es256(&self, signing_input: &[u8]) -> Result<Vec<u8>, KeyError>;
}

#[async_trait]
impl TokenSigner for PrivateKey {
    async fn sign_es256(&self, signing_input: &[u8]) -> Result<Vec<u8>, KeyError> {
        Ok(self.sign_raw(signing_input))
    }
}

/// Signs the JWS signing input with one RSA key as RS256, wherever that key is kept.
#[async_trait]
pub trait Rs256Signer: Send + Sync + 'static {
    /// The RSASSA-PKCS1-v1_5 SHA-256 signature of `signing_input`.
    async fn sign_rs256(&self, signing_input: &[u8]) -> Result<Vec<u8>, KeyError>;
}

#[async_trait]
impl Rs256Signer for RsaKey {
    async fn sign_rs256(&self, signing_input: &[u8]) -> Result<Vec<u8>, KeyError> {
        Ok(self.sign_raw(signing_input))
    }
}

#[derive(Clone)]
enum Signer {
    Es256(Arc<dyn TokenSigner>),
    Rs256(Arc<dyn Rs256Signer>),
}

/// The key that signs now: its id and algorithm go into the header of what it signs.
#[derive(Clone)]
pub struct ActiveKey {
    pub kid: String,
    signer: Signer,
}

impl ActiveKey {
    /// An ES256 key named `kid` that signs through `signer`.
    pub fn new(kid: impl Into<String>, signer: Arc<dyn TokenSigner>) -> Self {
        Self {
            kid: kid.into(),
            signer: Signer::Es256(signer),
        }
    }

    /// An RS256 key named `kid` that signs through `signer`.
    pub fn rs256(kid: impl Into<String>, signer: Arc<dyn Rs256Signer>) -> Self {
        Self {
            kid: kid.into(),
            signer: Signer::Rs256(signer),
        }
    }

    /// An ES256 key held in this process.
    pub fn local(key: PrivateKey) -> Self {
        Self::new(key.kid.clone(), Arc::new(key))
    }

    /// An RS256 key held in this process.
    pub fn local_rs256(key: RsaKey) -> Self {
        Self::rs256(key.kid.clone(), Arc::new(key))
    }

    /// The algorithm this key signs with.
    pub fn alg(&self) -> JwsAlgorithm {
        match self.signer {
            Signer::Es256(_) => JwsAlgorithm::Es256,
            Signer::Rs256(_) => JwsAlgorithm::Rs256,
        }
    }

    /// Signs `claims` as a compact JWS of type `typ` with this key's id and algorithm in the
    /// header.
    pub async fn sign<T: Serialize + Sync>(
        &self,
        typ: &str,
        claims: &T,
    ) -> Result<String, KeyError> {
        let input = signing_input(self.alg(), &self.kid, typ, claims);
        let signature = match &self.signer {
            Signer::Es256(signer) => signer.sign_es256(input.as_bytes()).await?,
            Signer::Rs256(signer) => signer.sign_rs256(input.as_bytes()).await?,
        };
        Ok(es256_compact(input, &signature))
    }
}

impl std::fmt::Debug for ActiveKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActiveKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg())
            .finish_non_exhaustive()
    }
}

/// The published key set serialised once: the JSON a JWKS endpoint sends and its entity
/// tag, so that neither is rebuilt per request and caches can revalidate.
#[derive(Debug, Clone)]
pub struct PublishedKeys {
    /// The key set as JSON.
    pub json: Arc<[u8]>,
    /// A strong entity tag of `json`, quoted as the `ETag` header carries it.
    pub etag: Arc<str>,
}

impl PublishedKeys {
    /// Serialises `set` and derives its entity tag from the bytes.
    pub fn new(set: &JwkSet) -> Result<Self, KeyError> {
        use sha2::Digest;
        let json = serde_json::to_vec(set).map_err(|e| KeyError::Corrupt(e.to_string()))?;
        let digest = sha2::Sha256::digest(&json);
        let etag = format!("\"{}\"", crate::b64url(&digest[..16]));
        Ok(Self {
            json: json.into(),
            etag: etag.into(),
        })
    }
}

/// Signing keys (embedded: a key file in the data folder; AWS: KMS).
#[async_trait]
pub trait SigningKeys: Send + Sync + 'static {
    /// The ES256 key that signs now (access tokens, and ID tokens by default).
    async fn signing_key(&self) -> Result<ActiveKey, KeyError>;

    /// The key that signs with `alg` now; a store that keeps no RSA key refuses RS256.
    async fn signing_key_for(&self, alg: JwsAlgorithm) -> Result<ActiveKey, KeyError> {
        match alg {
            JwsAlgorithm::Es256 => self.signing_key().await,
            JwsAlgorithm::Rs256 => Err(KeyError::NotConfigured(alg)),
        }
    }

    /// Every key a validator may meet: the active, the next and the still-valid retired ones.
    async fn published(&self) -> Result<JwkSet, KeyError>;

    /// [`published`](Self::published) as the JWKS endpoint serves it. A store whose keys
    /// change rarely keeps this serialised until they do; by default it is made anew.
    async fn published_document(&self) -> Result<PublishedKeys, KeyError> {
        PublishedKeys::new(&self.published().await?)
    }

    /// Promotes the next key to active and retires the active one for `keep_seconds`.
    async fn rotate(&self, keep_seconds: i64) -> Result<(), KeyError>;
}
