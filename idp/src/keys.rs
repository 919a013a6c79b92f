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
use std::sync::Mutex;
use std::time::SystemTime;
use varoskapu_jose::{Jwk, JwkSet, JwsAlgorithm, PrivateKey, RsaKey};

pub use varoskapu_jose::keys::{ActiveKey, KeyError, Rs256Signer, SigningKeys, TokenSigner};

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
    /// ES256 keys (and key files from before RS256, which name no algorithm).
    #[serde(default)]
    pub alg: JwsAlgorithm,
    /// The private scalar of an ES256 key, base64url.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    d: String,
    /// The PKCS#8 DER of an RS256 key, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pkcs8: Option<String>,
    pub state: KeyState,
    #[serde(default)]
    pub retire_until: Option<i64>,
}

impl StoredKey {
    fn new_kid(now: i64) -> String {
        let mut kid = [0u8; 6];
        rand::rng().fill_bytes(&mut kid);
        format!("{now}-{}", varoskapu_jose::b64url(&kid))
    }

    fn generate(now: i64, state: KeyState, alg: JwsAlgorithm) -> Result<Self, KeyError> {
        match alg {
            JwsAlgorithm::Es256 => Self::generate_es256(now, state),
            JwsAlgorithm::Rs256 => {
                let kid = Self::new_kid(now);
                let key = RsaKey::generate(kid.clone())
                    .map_err(|e| KeyError::Unavailable(e.to_string()))?;
                Ok(Self {
                    kid,
                    alg,
                    d: String::new(),
                    pkcs8: Some(
                        key.pkcs8_b64()
                            .map_err(|e| KeyError::Corrupt(e.to_string()))?,
                    ),
                    state,
                    retire_until: None,
                })
            }
        }
    }

    fn generate_es256(now: i64, state: KeyState) -> Result<Self, KeyError> {
        for _ in 0..4 {
            let mut scalar = [0u8; 32];
            rand::rng().fill_bytes(&mut scalar);
            let kid = Self::new_kid(now);
            if let Some(key) = PrivateKey::from_scalar(kid.clone(), &scalar) {
                return Ok(Self {
                    kid,
                    alg: JwsAlgorithm::Es256,
                    d: key.scalar_b64(),
                    pkcs8: None,
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

    fn rsa(&self) -> Result<RsaKey, KeyError> {
        self.pkcs8
            .as_deref()
            .and_then(|text| RsaKey::from_pkcs8_b64(self.kid.clone(), text).ok())
            .ok_or_else(|| KeyError::Corrupt(format!("key {} is not an RSA key", self.kid)))
    }

    fn public_jwk(&self) -> Result<Jwk, KeyError> {
        match self.alg {
            JwsAlgorithm::Es256 => Ok(self.private()?.public_jwk()),
            JwsAlgorithm::Rs256 => Ok(self.rsa()?.public_jwk()),
        }
    }

    fn active_key(&self) -> Result<ActiveKey, KeyError> {
        match self.alg {
            JwsAlgorithm::Es256 => Ok(ActiveKey::local(self.private()?)),
            JwsAlgorithm::Rs256 => Ok(ActiveKey::local_rs256(self.rsa()?)),
        }
    }
}

/// The set of keys and the rules of their rotation, free of storage. Each algorithm has its
/// own active and next key; a rotation moves them all on together.
#[derive(Clone, Serialize, Deserialize)]
pub struct KeyRing {
    pub keys: Vec<StoredKey>,
}

impl KeyRing {
    /// A first ring: per algorithm one active key and the next one already published.
    pub fn generate(now: i64) -> Result<Self, KeyError> {
        let mut ring = Self { keys: Vec::new() };
        ring.complete(now)?;
        Ok(ring)
    }

    /// Gives every algorithm without keys (a key file from before RS256) an active and a
    /// next key; `true` if it added any.
    pub fn complete(&mut self, now: i64) -> Result<bool, KeyError> {
        let mut added = false;
        for alg in JwsAlgorithm::ALL {
            if !self.keys.iter().any(|k| k.alg == alg) {
                self.keys
                    .push(StoredKey::generate(now, KeyState::Active, alg)?);
                self.keys
                    .push(StoredKey::generate(now, KeyState::Next, alg)?);
                added = true;
            }
        }
        Ok(added)
    }

    fn active_stored(&self, alg: JwsAlgorithm) -> Result<&StoredKey, KeyError> {
        self.keys
            .iter()
            .find(|k| k.state == KeyState::Active && k.alg == alg)
            .ok_or(KeyError::NotConfigured(alg))
    }

    /// The active ES256 private key.
    pub fn active(&self) -> Result<PrivateKey, KeyError> {
        self.active_stored(JwsAlgorithm::Es256)?.private()
    }

    /// The key that signs with `alg` now.
    pub fn active_for(&self, alg: JwsAlgorithm) -> Result<ActiveKey, KeyError> {
        self.active_stored(alg)?.active_key()
    }

    pub fn published(&self, now: i64) -> Result<JwkSet, KeyError> {
        let keys = self
            .keys
            .iter()
            .filter(|k| k.retire_until.is_none_or(|until| until > now))
            .map(StoredKey::public_jwk)
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
        for alg in JwsAlgorithm::ALL {
            if !self
                .keys
                .iter()
                .any(|k| k.state == KeyState::Active && k.alg == alg)
            {
                self.keys
                    .push(StoredKey::generate(now, KeyState::Active, alg)?);
            }
            self.keys
                .push(StoredKey::generate(now, KeyState::Next, alg)?);
        }
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
        let now = jiff::Timestamp::now().as_second();
        if !store.path.exists() {
            store.write(&KeyRing::generate(now)?)?;
        } else {
            let mut ring = store.read()?;
            if ring.complete(now)? {
                store.write(&ring)?;
                store.forget();
            }
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

    /// Drops the cached ring, so a write within the file's timestamp granularity is seen.
    fn forget(&self) {
        if let Ok(mut cache) = self.cache.lock() {
            *cache = None;
        }
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

    async fn signing_key_for(&self, alg: JwsAlgorithm) -> Result<ActiveKey, KeyError> {
        self.read()?.active_for(alg)
    }

    async fn published(&self) -> Result<JwkSet, KeyError> {
        self.read()?.published(jiff::Timestamp::now().as_second())
    }

    async fn rotate(&self, keep_seconds: i64) -> Result<(), KeyError> {
        let mut ring = self.read()?;
        ring.rotate(jiff::Timestamp::now().as_second(), keep_seconds)?;
        self.write(&ring)?;
        self.forget();
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
        // Per algorithm: the new active, the new next and the retired key.
        assert_eq!(jwks.keys.len(), 6);
        let text = std::fs::read_to_string(dir.path().join("signing-keys.json")).expect("reads");
        assert!(!text.is_empty());
    }

    #[test]
    fn the_rsa_key_rotates_by_the_same_rules_beside_the_ec_key() {
        let mut ring = KeyRing::generate(1_000).expect("generates");
        let first = ring.active_for(JwsAlgorithm::Rs256).expect("RSA key");
        assert_eq!(first.alg(), JwsAlgorithm::Rs256);
        let next = ring
            .keys
            .iter()
            .find(|k| k.state == KeyState::Next && k.alg == JwsAlgorithm::Rs256)
            .expect("next RSA key")
            .kid
            .clone();
        let jwks = ring.published(1_000).expect("jwks");
        let published = jwks.find(&next).expect("next RSA key published");
        assert_eq!(published.alg.as_deref(), Some("RS256"));
        ring.rotate(2_000, 600).expect("rotates");
        assert_eq!(ring.active_for(JwsAlgorithm::Rs256).expect("RSA").kid, next);
        assert_eq!(
            ring.active_for(JwsAlgorithm::Es256).expect("EC").alg(),
            JwsAlgorithm::Es256
        );
        assert!(
            ring.published(2_599)
                .expect("jwks")
                .find(&first.kid)
                .is_some()
        );
        assert!(
            ring.published(2_600)
                .expect("jwks")
                .find(&first.kid)
                .is_none()
        );
    }

    #[tokio::test]
    async fn a_key_file_from_before_rs256_keeps_its_ec_key_and_gains_rsa_keys() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut ring = KeyRing::generate(1_000).expect("generates");
        ring.keys.retain(|k| k.alg == JwsAlgorithm::Es256);
        let mut old = serde_json::to_value(&ring).expect("serializes");
        for key in old["keys"].as_array_mut().expect("keys") {
            key.as_object_mut().expect("key").remove("alg");
        }
        std::fs::write(
            dir.path().join("signing-keys.json"),
            serde_json::to_vec(&old).expect("serializes"),
        )
        .expect("writes");
        let ec = ring.active().expect("EC key").kid;
        let store = FileKeyStore::open(dir.path()).expect("opens");
        assert_eq!(store.signing_key().await.expect("EC key").kid, ec);
        let rsa = SigningKeys::signing_key_for(&store, JwsAlgorithm::Rs256)
            .await
            .expect("RSA key added");
        let jwks = store.published().await.expect("jwks");
        assert_eq!(jwks.keys.len(), 4);
        assert!(jwks.find(&rsa.kid).is_some());
        let text = std::fs::read_to_string(dir.path().join("signing-keys.json")).expect("reads");
        assert!(text.contains("\"pkcs8\""));
    }

    /// A store with EC keys only, like the KMS one.
    struct EcOnly(PrivateKey);

    #[async_trait]
    impl SigningKeys for EcOnly {
        async fn signing_key(&self) -> Result<ActiveKey, KeyError> {
            Ok(ActiveKey::local(self.0.clone()))
        }
        async fn published(&self) -> Result<JwkSet, KeyError> {
            Ok(JwkSet {
                keys: vec![self.0.public_jwk()],
            })
        }
        async fn rotate(&self, _keep_seconds: i64) -> Result<(), KeyError> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_store_without_rsa_keys_refuses_rs256_and_still_signs_es256() {
        let store = EcOnly(PrivateKey::from_scalar("k1", &[5u8; 32]).expect("valid"));
        assert_eq!(
            store
                .signing_key_for(JwsAlgorithm::Rs256)
                .await
                .map(|k| k.kid),
            Err(KeyError::NotConfigured(JwsAlgorithm::Rs256))
        );
        let key = store
            .signing_key_for(JwsAlgorithm::Es256)
            .await
            .expect("EC key");
        assert_eq!(key.alg(), JwsAlgorithm::Es256);
        assert_eq!(
            KeyError::NotConfigured(JwsAlgorithm::Rs256).to_string(),
            "RS256 not configured: this key store has no key for it"
        );
    }
}
