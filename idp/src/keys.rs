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
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};
use varoskapu_jose::{Jwk, JwkSet, JwsAlgorithm, PrivateKey, RsaKey};

pub use varoskapu_jose::keys::{
    ActiveKey, KeyError, PublishedKeys, Rs256Signer, SigningKeys, TokenSigner,
};

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

/// How long a running server trusts its loaded key file before it looks at the file again:
/// a rotation by another process (`varoskapu keys rotate`) is seen within this, and no
/// request pays for a `stat`. The next key is published a rotation ahead and the old one
/// stays published, so signing with the old key this much longer is harmless.
const RECHECK: Duration = Duration::from_secs(1);

/// What tells one version of the key file from another: every write renames a new file
/// into place, so the inode changes even within the modification time's granularity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileStamp {
    modified: SystemTime,
    len: u64,
    #[cfg(unix)]
    inode: u64,
}

impl FileStamp {
    fn of(path: &Path) -> Result<Self, KeyError> {
        let meta = std::fs::metadata(path).map_err(|e| KeyError::Unavailable(e.to_string()))?;
        Ok(Self {
            modified: meta
                .modified()
                .map_err(|e| KeyError::Unavailable(e.to_string()))?,
            len: meta.len(),
            #[cfg(unix)]
            inode: std::os::unix::fs::MetadataExt::ino(&meta),
        })
    }
}

/// The published part of a ring at one time: the key set, its served document, and the
/// second at which a retired key in it expires (and the set must be made again).
struct Publication {
    set: JwkSet,
    document: PublishedKeys,
    until: Option<i64>,
}

impl Publication {
    fn of(ring: &KeyRing, now: i64) -> Result<Self, KeyError> {
        let set = ring.published(now)?;
        let until = ring
            .keys
            .iter()
            .filter_map(|k| k.retire_until)
            .filter(|until| *until > now)
            .min();
        Ok(Self {
            document: PublishedKeys::new(&set)?,
            set,
            until,
        })
    }

    fn is_current(&self, now: i64) -> bool {
        self.until.is_none_or(|until| now < until)
    }
}

/// One version of the key file, parsed once: private keys are decoded and the published
/// set serialised when the file changes, never per request.
#[derive(Clone)]
struct LoadedRing {
    stamp: FileStamp,
    /// When the file was last seen to be this version.
    checked: Instant,
    ring: KeyRing,
    es256: Result<ActiveKey, KeyError>,
    rs256: Result<ActiveKey, KeyError>,
    publication: Result<Arc<Publication>, KeyError>,
}

impl LoadedRing {
    fn new(stamp: FileStamp, ring: KeyRing) -> Self {
        let now = jiff::Timestamp::now().as_second();
        Self {
            stamp,
            checked: Instant::now(),
            es256: ring.active_for(JwsAlgorithm::Es256),
            rs256: ring.active_for(JwsAlgorithm::Rs256),
            publication: Publication::of(&ring, now).map(Arc::new),
            ring,
        }
    }

    fn active(&self, alg: JwsAlgorithm) -> Result<ActiveKey, KeyError> {
        match alg {
            JwsAlgorithm::Es256 => self.es256.clone(),
            JwsAlgorithm::Rs256 => self.rs256.clone(),
        }
    }
}

/// The embedded key store: a JSON key file (mode 0600) in the data folder. It re-reads the
/// file when it changes, so `varoskapu keys rotate` takes effect in a running server.
pub struct FileKeyStore {
    path: PathBuf,
    /// [`RECHECK`], but for tests.
    recheck: Duration,
    loaded: RwLock<Slot>,
}

/// The loaded ring and a count of this process's own writes: a ring read before a write
/// is never put back after it.
#[derive(Default)]
struct Slot {
    writes: u64,
    ring: Option<Arc<LoadedRing>>,
}

impl FileKeyStore {
    /// Opens `<dir>/signing-keys.json`, creating the folder and a first key ring if absent.
    pub fn open(dir: &Path) -> Result<Self, KeyError> {
        std::fs::create_dir_all(dir).map_err(|e| KeyError::Unavailable(e.to_string()))?;
        let store = Self {
            path: dir.join("signing-keys.json"),
            recheck: RECHECK,
            loaded: RwLock::new(Slot::default()),
        };
        let now = jiff::Timestamp::now().as_second();
        if !store.path.exists() {
            store.write(&KeyRing::generate(now)?)?;
        } else {
            let mut ring = store.load(true)?.ring.clone();
            if ring.complete(now)? {
                store.write(&ring)?;
                store.forget();
            }
        }
        Ok(store)
    }

    /// The loaded ring; the file is looked at again once [`RECHECK`] has passed (always
    /// with `fresh`), and parsed again only if it changed.
    fn load(&self, fresh: bool) -> Result<Arc<LoadedRing>, KeyError> {
        let (writes, cached) = {
            let slot = self
                .loaded
                .read()
                .map_err(|_| KeyError::Unavailable("key cache poisoned".into()))?;
            (slot.writes, slot.ring.clone())
        };
        if let Some(loaded) = &cached
            && !fresh
            && loaded.checked.elapsed() < self.recheck
        {
            return Ok(loaded.clone());
        }
        let stamp = FileStamp::of(&self.path)?;
        let loaded = match cached {
            Some(loaded) if loaded.stamp == stamp => Arc::new(LoadedRing {
                checked: Instant::now(),
                ..LoadedRing::clone(&loaded)
            }),
            _ => {
                let text = std::fs::read_to_string(&self.path)
                    .map_err(|e| KeyError::Unavailable(e.to_string()))?;
                let ring: KeyRing =
                    serde_json::from_str(&text).map_err(|e| KeyError::Corrupt(e.to_string()))?;
                Arc::new(LoadedRing::new(stamp, ring))
            }
        };
        self.keep(writes, loaded.clone());
        Ok(loaded)
    }

    /// Keeps `loaded` unless this process wrote the file since it was read.
    fn keep(&self, writes: u64, loaded: Arc<LoadedRing>) {
        if let Ok(mut slot) = self.loaded.write()
            && slot.writes == writes
        {
            slot.ring = Some(loaded);
        }
    }

    /// The publication in force now: a retired key whose time is up leaves the set at
    /// once, without waiting for the file to change.
    fn publication(&self) -> Result<Arc<Publication>, KeyError> {
        let writes = self.writes()?;
        let loaded = self.load(false)?;
        let publication = loaded.publication.clone()?;
        let now = jiff::Timestamp::now().as_second();
        if publication.is_current(now) {
            return Ok(publication);
        }
        let renewed = Arc::new(Publication::of(&loaded.ring, now)?);
        self.keep(
            writes,
            Arc::new(LoadedRing {
                publication: Ok(renewed.clone()),
                ..LoadedRing::clone(&loaded)
            }),
        );
        Ok(renewed)
    }

    fn writes(&self) -> Result<u64, KeyError> {
        self.loaded
            .read()
            .map(|slot| slot.writes)
            .map_err(|_| KeyError::Unavailable("key cache poisoned".into()))
    }

    /// The active private key itself, for local tools and tests that mint tokens as this
    /// provider would (only a key file can hand its key out).
    pub async fn signing_key(&self) -> Result<PrivateKey, KeyError> {
        self.load(false)?.ring.active()
    }

    /// Drops the loaded ring after this process wrote the file, so that the next use reads
    /// it (and no read from before the write is kept).
    fn forget(&self) {
        if let Ok(mut slot) = self.loaded.write() {
            slot.writes += 1;
            slot.ring = None;
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
        self.load(false)?.active(JwsAlgorithm::Es256)
    }

    async fn signing_key_for(&self, alg: JwsAlgorithm) -> Result<ActiveKey, KeyError> {
        self.load(false)?.active(alg)
    }

    async fn published(&self) -> Result<JwkSet, KeyError> {
        Ok(self.publication()?.set.clone())
    }

    async fn published_document(&self) -> Result<PublishedKeys, KeyError> {
        Ok(self.publication()?.document.clone())
    }

    async fn rotate(&self, keep_seconds: i64) -> Result<(), KeyError> {
        let mut ring = self.load(true)?.ring.clone();
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

    #[tokio::test]
    async fn a_rotation_is_served_in_the_next_key_set_document_with_a_new_tag() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = FileKeyStore::open(dir.path()).expect("opens");
        let before = store.published_document().await.expect("document");
        assert_eq!(
            store.published_document().await.expect("again").etag,
            before.etag,
            "the same set keeps its tag"
        );
        store.rotate(600).await.expect("rotates");
        let after = store.published_document().await.expect("document");
        assert_ne!(after.etag, before.etag);
        let served: JwkSet = serde_json::from_slice(&after.json).expect("a key set");
        let next = store
            .load(true)
            .expect("ring")
            .ring
            .keys
            .iter()
            .filter(|k| k.state == KeyState::Next)
            .map(|k| k.kid.clone())
            .collect::<Vec<_>>();
        assert_eq!(next.len(), 2, "a new next key per algorithm");
        for kid in &next {
            assert!(served.find(kid).is_some(), "new next key {kid} is served");
        }
        let signing = SigningKeys::signing_key(&store).await.expect("key").kid;
        assert!(served.find(&signing).is_some());
    }

    #[tokio::test]
    async fn a_rotation_by_another_process_reaches_the_served_keys_once_the_file_is_rechecked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut server = FileKeyStore::open(dir.path()).expect("opens");
        server.recheck = Duration::ZERO;
        let before = server.published_document().await.expect("document");
        let signing = SigningKeys::signing_key(&server).await.expect("key").kid;
        // `varoskapu keys rotate` opens the same folder in a process of its own.
        let operator = FileKeyStore::open(dir.path()).expect("opens");
        operator.rotate(600).await.expect("rotates");
        let after = server.published_document().await.expect("document");
        assert_ne!(after.etag, before.etag);
        assert_eq!(
            server.published().await.expect("set").keys.len(),
            6,
            "new active, new next and retired, per algorithm"
        );
        assert_ne!(
            SigningKeys::signing_key(&server).await.expect("key").kid,
            signing,
            "the server signs with the promoted key"
        );
    }

    #[test]
    fn a_retired_key_leaves_the_publication_when_its_time_is_up() {
        let mut ring = KeyRing::generate(1_000).expect("generates");
        let first = ring.active().expect("active").kid;
        ring.rotate(2_000, 600).expect("rotates");
        let publication = Publication::of(&ring, 2_000).expect("publication");
        assert!(publication.set.find(&first).is_some());
        assert!(publication.is_current(2_599));
        assert!(
            !publication.is_current(2_600),
            "made again when the key expires"
        );
        let later = Publication::of(&ring, 2_600).expect("publication");
        assert!(later.set.find(&first).is_none());
        assert!(later.is_current(i64::MAX), "no key left to expire");
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
