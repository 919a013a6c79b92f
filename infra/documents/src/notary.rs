//! The audit log's notary: anchors are signed with the document signing key and
//! RFC 3161-timestamped exactly as documents are (a detached CAdES signature over the
//! anchor's digest), and checked against the same trust anchors.

use std::sync::Arc;

use async_trait::async_trait;
use jiff::Timestamp;
use varoskapu_core::audit::{Notary, SealCheck};
use varoskapu_core::documents::{Signer, TimestampAuthority};
use x509_cert::certificate::Certificate;

use crate::pades;
use crate::verify::{Verdict, verify_detached};

/// Signs anchors with the document `Signer` and timestamps them with the `TimestampAuthority`.
pub struct CmsNotary {
    pub signer: Arc<dyn Signer>,
    pub tsa: Arc<dyn TimestampAuthority>,
}

#[async_trait]
impl Notary for CmsNotary {
    async fn notarize(&self, digest: &[u8; 32]) -> Result<Vec<u8>, String> {
        let chain = pades::signer_chain(self.signer.as_ref()).map_err(|e| e.to_string())?;
        pades::sign_detached(digest, &chain, self.signer.as_ref(), self.tsa.as_ref())
            .await
            .map_err(|e| e.to_string())
    }
}

/// Checks anchor seals against the municipality's roots (`keys/root-ca.pem` locally).
pub struct CmsSealCheck {
    pub roots: Vec<Certificate>,
}

impl SealCheck for CmsSealCheck {
    fn check(&self, digest: &[u8; 32], seal: &[u8]) -> Result<Timestamp, String> {
        match verify_detached(seal, *digest, &self.roots) {
            Verdict::Valid(report) => Ok(report.timestamped_at),
            other => Err(other.to_string()),
        }
    }
}
