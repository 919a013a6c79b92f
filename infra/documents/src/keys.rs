//! The embedded key material in `<data-dir>/keys/`: a local municipal root CA, the
//! document-signing key and certificate it issued, and the local TSA's key and certificate.
//! Created on first start; the root is kept as `keys/root-ca.pem` for any validator.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use der::pem::LineEnding;
use der::{Encode, EncodePem};
use jiff::{SignedDuration, Timestamp};
use p256::ecdsa::SigningKey;
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use varoskapu_core::Clock;
use x509_cert::certificate::Certificate;

use crate::local_signer::{EcSigningKey, LocalSigner};
use crate::local_tsa::LocalTsa;
use crate::pki::{self, CertIssuer, PkiError, Role};

/// The root CA certificate's file, relative to the data folder.
pub const ROOT_CA_FILE: &str = "keys/root-ca.pem";

const ROOT_SUBJECT: &str =
    "CN=Városkapu Önkormányzat Helyi Gyökér-CA,O=Városkapu Önkormányzat,C=HU";
const SIGNER_SUBJECT: &str =
    "CN=Városkapu Önkormányzat Polgármesteri Hivatala,O=Városkapu Önkormányzat,C=HU";
const TSA_SUBJECT: &str = "CN=Városkapu Helyi Időbélyeg-szolgáltató,O=Városkapu Önkormányzat,C=HU";

/// What can go wrong loading or creating the key material.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot access {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not valid key material: {reason}")]
    Invalid { path: PathBuf, reason: String },
    #[error(transparent)]
    Pki(#[from] PkiError),
    #[error("a key cannot sign: {0}")]
    Unusable(String),
}

/// The embedded setup's keys and certificates.
pub struct LocalKeys {
    pub root: Certificate,
    signing_key: SigningKey,
    /// The signing certificate, then the root.
    pub signing_chain: Vec<Certificate>,
    tsa_key: SigningKey,
    /// The TSA certificate, then the root.
    pub tsa_chain: Vec<Certificate>,
    /// The two keys as they sign, made once.
    signing_pair: EcSigningKey,
    tsa_pair: EcSigningKey,
}

impl LocalKeys {
    /// Loads the key material under `data_dir/keys`, creating it on first start.
    pub fn load_or_create(data_dir: &Path, clock: &dyn Clock) -> Result<Self, KeyError> {
        let dir = data_dir.join("keys");
        if dir.join("root-ca.pem").exists() {
            return Self::load(&dir);
        }
        fs::create_dir_all(&dir).map_err(|source| KeyError::Io {
            path: dir.clone(),
            source,
        })?;
        let keys = Self::generate(clock.now())?;
        keys.save(&dir)?;
        Ok(keys)
    }

    /// The path of the root CA certificate (PEM) for `data_dir`.
    pub fn root_pem_path(data_dir: &Path) -> PathBuf {
        data_dir.join(ROOT_CA_FILE)
    }

    /// The embedded document signer.
    pub fn signer(&self) -> Result<LocalSigner, KeyError> {
        let chain = self
            .signing_chain
            .iter()
            .map(|c| c.to_der().map_err(PkiError::from))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(LocalSigner::new(self.signing_pair.clone(), chain))
    }

    /// The embedded timestamp authority.
    pub fn tsa(&self, clock: Arc<dyn Clock>) -> LocalTsa {
        LocalTsa::new(self.tsa_pair.clone(), self.tsa_chain.clone(), clock)
    }

    /// Fresh key material valid from `now` (root 20 years, signer 5, TSA 10).
    pub fn generate(now: Timestamp) -> Result<Self, KeyError> {
        let start = now - SignedDuration::from_hours(1);
        let years = |n: i64| now + SignedDuration::from_hours(24 * 365 * n);
        let root_key = new_key();
        let root_name = pki::name(ROOT_SUBJECT)?;
        let root = pki::issue(
            Role::RootCa,
            &root_name,
            root_key.verifying_key(),
            None,
            Some(&root_key),
            start,
            years(20),
        )?;
        let root_spki = pki::spki_of(root_key.verifying_key())?;
        let issuer = || CertIssuer {
            name: &root_name,
            key: &root_key,
            spki: &root_spki,
        };
        let signing_key = new_key();
        let signing = pki::issue(
            Role::DocumentSigner,
            &pki::name(SIGNER_SUBJECT)?,
            signing_key.verifying_key(),
            Some(issuer()),
            None,
            start,
            years(5),
        )?;
        let tsa_key = new_key();
        let tsa = pki::issue(
            Role::TimestampAuthority,
            &pki::name(TSA_SUBJECT)?,
            tsa_key.verifying_key(),
            Some(issuer()),
            None,
            start,
            years(10),
        )?;
        Self::assemble(
            root.clone(),
            signing_key,
            vec![signing, root.clone()],
            tsa_key,
            vec![tsa, root],
        )
    }

    fn assemble(
        root: Certificate,
        signing_key: SigningKey,
        signing_chain: Vec<Certificate>,
        tsa_key: SigningKey,
        tsa_chain: Vec<Certificate>,
    ) -> Result<Self, KeyError> {
        Ok(Self {
            signing_pair: EcSigningKey::from_p256(&signing_key).map_err(KeyError::Unusable)?,
            tsa_pair: EcSigningKey::from_p256(&tsa_key).map_err(KeyError::Unusable)?,
            root,
            signing_key,
            signing_chain,
            tsa_key,
            tsa_chain,
        })
    }

    fn save(&self, dir: &Path) -> Result<(), KeyError> {
        write_key(&dir.join("signing.key"), &self.signing_key)?;
        write_certs(&dir.join("signing.pem"), &self.signing_chain)?;
        write_key(&dir.join("tsa.key"), &self.tsa_key)?;
        write_certs(&dir.join("tsa.pem"), &self.tsa_chain)?;
        // Written last: its presence means the set is complete.
        write_certs(&dir.join("root-ca.pem"), std::slice::from_ref(&self.root))
    }

    fn load(dir: &Path) -> Result<Self, KeyError> {
        let root = read_certs(&dir.join("root-ca.pem"))?;
        let root = root.into_iter().next().ok_or_else(|| KeyError::Invalid {
            path: dir.join("root-ca.pem"),
            reason: "no certificate".into(),
        })?;
        Self::assemble(
            root,
            read_key(&dir.join("signing.key"))?,
            read_certs(&dir.join("signing.pem"))?,
            read_key(&dir.join("tsa.key"))?,
            read_certs(&dir.join("tsa.pem"))?,
        )
    }
}

fn new_key() -> SigningKey {
    loop {
        let bytes: [u8; 32] = rand::random();
        if let Ok(key) = SigningKey::from_bytes(&bytes.into()) {
            return key;
        }
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyError + '_ {
    move |source| KeyError::Io {
        path: path.to_owned(),
        source,
    }
}

fn invalid(path: &Path, reason: impl std::fmt::Display) -> KeyError {
    KeyError::Invalid {
        path: path.to_owned(),
        reason: reason.to_string(),
    }
}

/// Writes through a temporary file so that a crash never leaves half a file.
fn write_file(path: &Path, bytes: &[u8], private: bool) -> Result<(), KeyError> {
    let tmp = path.with_extension("tmp");
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if private { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options.open(&tmp).map_err(io(&tmp))?;
    file.write_all(bytes).map_err(io(&tmp))?;
    file.sync_all().map_err(io(&tmp))?;
    fs::rename(&tmp, path).map_err(io(path))
}

fn write_key(path: &Path, key: &SigningKey) -> Result<(), KeyError> {
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| invalid(path, e))?;
    write_file(path, pem.as_bytes(), true)
}

fn write_certs(path: &Path, certs: &[Certificate]) -> Result<(), KeyError> {
    let mut pem = String::new();
    for cert in certs {
        pem.push_str(&cert.to_pem(LineEnding::LF).map_err(|e| invalid(path, e))?);
    }
    write_file(path, pem.as_bytes(), false)
}

fn read_key(path: &Path) -> Result<SigningKey, KeyError> {
    let pem = fs::read_to_string(path).map_err(io(path))?;
    SigningKey::from_pkcs8_pem(&pem).map_err(|e| invalid(path, e))
}

/// Reads every certificate in a PEM file.
pub fn read_certs(path: &Path) -> Result<Vec<Certificate>, KeyError> {
    let pem = fs::read(path).map_err(io(path))?;
    Certificate::load_pem_chain(&pem).map_err(|e| invalid(path, e))
}
