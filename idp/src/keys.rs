//! The signing keys of the provider behind one port, with rotation built in: a new key is
//! published (as `next`) one rotation before it signs, and a retired key stays published
//! until every token it signed has expired.
//!
//! The port hands out an [`ActiveKey`] (a key id and something that signs with it) rather
//! than the private key, because a production key never leaves its store: minting a token
//! is therefore asynchronous, and the protocol code stays free of any key store's types.

use async_trait::async_trait;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;
use varoskapu_jose::{JwkSet, PrivateKey, es256_compact, es256_signing_input};

/// What can go wrong with the signing keys.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("the key store is unavailable: {0}")]
    Unavailable(String),
    #[error("the key store is corrupt: {0}")]
    Corrupt(String),
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

/// The key that signs now: its id goes into the header of what it signs.
#[derive(Clone)]
pub struct ActiveKey {
    pub kid: String,
    signer: Arc<dyn TokenSigner>,
}

impl ActiveKey {
    /// A key named `kid` that signs through `signer`.
    pub fn new(kid: impl Into<String>, signer: Arc<dyn TokenSigner>) -> Self {
        Self {
            kid: kid.into(),
            signer,
        }
    }

    /// A key held in this process.
    pub fn local(key: PrivateKey) -> Self {
        Self::new(key.kid.clone(), Arc::new(key))
    }

    /// Signs `claims` as a compact ES256 JWS of type `typ` with this key's id in the header.
    pub async fn sign<T: Serialize + Sync>(
        &self,
        typ: &str,
        claims: &T,
    ) -> Result<String, KeyError> {
        let input = es256_signing_input(&self.kid, typ, claims);
        let signature = self.signer.sign_es256(input.as_bytes()).await?;
        Ok(es256_compact(input, &signature))
    }
}

impl std::fmt::Debug for ActiveKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActiveKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// Signing keys (embedded: a key file in the data folder; AWS: KMS).
#[async_trait]
pub trait SigningKeys: Send + Sync + 'static {
    /// The key that signs now.
    async fn signing_key(&self) -> Result<ActiveKey, KeyError>;

    /// Every key a validator may meet: the active, the next and the still-valid retired ones.
    async fn published(&self) -> Result<JwkSet, KeyError>;

    /// Promotes the next key to active and retires the active one for `keep_seconds`.
    async fn rotate(&self, keep_seconds: i64) -> Result<(), KeyError>;
}

/// A key's place in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyState {
    /// Published, not signing yet.
    Next,
    Active,
    /// Published until `retire_until`, no longer signing.
    Retired,
}

/// One key as stored.
#[derive(Clone, Serialize, Deserialize)]
pub struct StoredKey {
    pub kid: String,
    /// The private scalar, base64url.
    d: String,
    pub state: KeyState,
    #[serde(default)]
    pub retire_until: Option<i64>,
}

impl StoredKey {
    fn generate(now: i64, state: KeyState) -> Result<Self, KeyError> {
        for _ in 0..4 {
            let mut scalar = [0u8; 32];
            rand::rng().fill_bytes(&mut scalar);
            let mut kid = [0u8; 6];
            rand::rng().fill_bytes(&mut kid);
            let kid = format!("{now}-{}", varoskapu_jose::b64url(&kid));
            if let Some(key) = PrivateKey::from_scalar(kid.clone(), &scalar) {
                return Ok(Self {
                    kid,
                    d: key.scalar_b64(),
                    state,
                    retire_until: None,
                });
            }
        }
        Err(KeyError::Unavailable("could not generate a key".into()))
    }

    fn private(&self) -> Result<PrivateKey, KeyError> {
        varoskapu_jose::b64url_decode(&self.d)
            .and_then(|scalar| PrivateKey::from_scalar(self.kid.clone(), &scalar))
            .ok_or_else(|| KeyError::Corrupt(format!("key {} is not a P-256 key", self.kid)))
    }
}

/// The set of keys and the rules of their rotation, free of storage.
#[derive(Clone, Serialize, Deserialize)]
pub struct KeyRing {
    pub keys: Vec<StoredKey>,
}

impl KeyRing {
    /// A first ring: one active key and the next one already published.
    pub fn generate(now: i64) -> Result<Self, KeyError> {
        Ok(Self {
            keys: vec![
                StoredKey::generate(now, KeyState::Active)?,
                StoredKey::generate(now, KeyState::Next)?,
            ],
        })
    }

    pub fn active(&self) -> Result<PrivateKey, KeyError> {
        self.keys
            .iter()
            .find(|k| k.state == KeyState::Active)
            .ok_or_else(|| KeyError::Corrupt("no active key".into()))?
            .private()
    }

    pub fn published(&self, now: i64) -> Result<JwkSet, KeyError> {
        let keys = self
            .keys
            .iter()
            .filter(|k| k.retire_until.is_none_or(|until| until > now))
            .map(|k| k.private().map(|p| p.public_jwk()))
            .collect::<Result<_, _>>()?;
        Ok(JwkSet { keys })
    }

    pub fn rotate(&mut self, now: i64, keep_seconds: i64) -> Result<(), KeyError> {
        self.keys
            .retain(|k| k.retire_until.is_none_or(|until| until > now));
        for key in &mut self.keys {
            match key.state {
                KeyState::Active => {
                    key.state = KeyState::Retired;
                    key.retire_until = Some(now + keep_seconds);
                }
                KeyState::Next => key.state = KeyState::Active,
                KeyState::Retired => {}
            }
        }
        if !self.keys.iter().any(|k| k.state == KeyState::Active) {
            self.keys.push(StoredKey::generate(now, KeyState::Active)?);
        }
        self.keys.push(StoredKey::generate(now, KeyState::Next)?);
        Ok(())
    }
}

/// The embedded key store: a JSON key file (mode 0600) in the data folder. It re-reads the
/// file when it changes, so `varoskapu keys rotate` takes effect in a running server.
pub struct FileKeyStore {
    path: PathBuf,
    cache: Mutex<Option<(SystemTime, KeyRing)>>,
}

impl FileKeyStore {
    /// Opens `<dir>/signing-keys.json`, creating the folder and a first key ring if absent.
    pub fn open(dir: &Path) -> Result<Self, KeyError> {
        std::fs::create_dir_all(dir).map_err(|e| KeyError::Unavailable(e.to_string()))?;
        let store = Self {
            path: dir.join("signing-keys.json"),
            cache: Mutex::new(None),
        };
        if !store.path.exists() {
            store.write(&KeyRing::generate(jiff::Timestamp::now().as_second())?)?;
        }
        Ok(store)
    }

    fn read(&self) -> Result<KeyRing, KeyError> {
        let modified = std::fs::metadata(&self.path)
            .and_then(|m| m.modified())
            .map_err(|e| KeyError::Unavailable(e.to_string()))?;
        let mut cache = self
            .cache
            .lock()
            .map_err(|_| KeyError::Unavailable("key cache poisoned".into()))?;
        if let Some((seen, ring)) = cache.as_ref()
            && *seen == modified
        {
            return Ok(ring.clone());
        }
        let text = std::fs::read_to_string(&self.path)
            .map_err(|e| KeyError::Unavailable(e.to_string()))?;
        let ring: KeyRing =
            serde_json::from_str(&text).map_err(|e| KeyError::Corrupt(e.to_string()))?;
        *cache = Some((modified, ring.clone()));
        Ok(ring)
    }

    /// The active private key itself, for local tools and tests that mint tokens as this
    /// provider would (only a key file can hand its key out).
    pub async fn signing_key(&self) -> Result<PrivateKey, KeyError> {
        self.read()?.active()
    }

    fn write(&self, ring: &KeyRing) -> Result<(), KeyError> {
        let text = serde_json::to_vec_pretty(ring).map_err(|e| KeyError::Corrupt(e.to_string()))?;
        let tmp = self.path.with_extension("json.tmp");
        write_private(&tmp, &text).map_err(|e| KeyError::Unavailable(e.to_string()))?;
        std::fs::rename(&tmp, &self.path).map_err(|e| KeyError::Unavailable(e.to_string()))
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

#[async_trait]
impl SigningKeys for FileKeyStore {
    async fn signing_key(&self) -> Result<ActiveKey, KeyError> {
        Ok(ActiveKey::local(self.read()?.active()?))
    }

    async fn published(&self) -> Result<JwkSet, KeyError> {
        self.read()?.published(jiff::Timestamp::now().as_second())
    }

    async fn rotate(&self, keep_seconds: i64) -> Result<(), KeyError> {
        let mut ring = self.read()?;
        ring.rotate(jiff::Timestamp::now().as_second(), keep_seconds)?;
        self.write(&ring)?;
        // A rotation within the file's timestamp granularity must still be seen.
        if let Ok(mut cache) = self.cache.lock() {
            *cache = None;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_key_is_published_before_it_signs_and_the_old_one_after() {
        let mut ring = KeyRing::generate(1_000).expect("generates");
        let first = ring.active().expect("active").kid;
        let next = ring
            .keys
            .iter()
            .find(|k| k.state == KeyState::Next)
            .expect("next")
            .kid
            .clone();
        assert!(ring.published(1_000).expect("jwks").find(&next).is_some());
        ring.rotate(2_000, 600).expect("rotates");
        assert_eq!(ring.active().expect("active").kid, next);
        assert!(ring.published(2_599).expect("jwks").find(&first).is_some());
        assert!(ring.published(2_600).expect("jwks").find(&first).is_none());
        ring.rotate(3_000, 600).expect("rotates again");
        assert!(
            ring.keys.iter().all(|k| k.kid != first),
            "expired key dropped"
        );
    }

    #[tokio::test]
    async fn the_key_file_survives_a_reopen_and_sees_rotation() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = FileKeyStore::open(dir.path()).expect("opens");
        let before = store.signing_key().await.expect("key").kid;
        let again = FileKeyStore::open(dir.path()).expect("reopens");
        assert_eq!(again.signing_key().await.expect("key").kid, before);
        again.rotate(600).await.expect("rotates");
        assert_ne!(again.signing_key().await.expect("key").kid, before);
        let jwks = again.published().await.expect("jwks");
        assert_eq!(jwks.keys.len(), 3);
        let text = std::fs::read_to_string(dir.path().join("signing-keys.json")).expect("reads");
        assert!(!text.is_empty());
    }
}
