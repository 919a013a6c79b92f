//! Signs a rendered PDF as PAdES baseline B-T: an incremental update with a CAdES detached
//! CMS signature from the `Signer`, timestamped by the `TimestampAuthority`.

use der::Decode;
use jiff::Timestamp;
use sha2::{Digest, Sha256};
use varoskapu_core::documents::{Signer, SignerError, TimestampAuthority, TimestampError};
use x509_cert::certificate::Certificate;

use crate::cms_sign::{self, CmsError, ID_DATA, SignedDataParts};
use crate::incremental::{self, IncrementalError, SignatureInfo};
use crate::pki;

/// Why a PDF could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum PadesError {
    #[error(transparent)]
    Pdf(#[from] IncrementalError),
    #[error(transparent)]
    Cms(#[from] CmsError),
    #[error(transparent)]
    Signer(#[from] SignerError),
    #[error(transparent)]
    Timestamp(#[from] TimestampError),
    #[error("the signer's certificate chain is unusable: {0}")]
    Chain(String),
}

/// The signer's certificate chain decoded, signing certificate first.
pub fn signer_chain(signer: &dyn Signer) -> Result<Vec<Certificate>, PadesError> {
    let chain = signer
        .certificate_chain()
        .iter()
        .map(|der| Certificate::from_der(der).map_err(|e| PadesError::Chain(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    if chain.is_empty() {
        return Err(PadesError::Chain("empty".into()));
    }
    Ok(chain)
}

/// The name printed in the signature block and the signature dictionary.
pub fn signer_name(signer: &dyn Signer) -> Result<String, PadesError> {
    let chain = signer_chain(signer)?;
    Ok(chain.first().map(pki::subject_display).unwrap_or_default())
}

/// Signs `pdf` at `signed_at` (the `/M` time), returning the signed PDF.
pub async fn sign_pdf(
    pdf: &[u8],
    signer: &dyn Signer,
    tsa: &dyn TimestampAuthority,
    signed_at: Timestamp,
    reason: &str,
) -> Result<Vec<u8>, PadesError> {
    let chain = signer_chain(signer)?;
    let name = chain.first().map(pki::subject_display).unwrap_or_default();
    let prepared = incremental::prepare(
        pdf,
        &SignatureInfo {
            signer_name: &name,
            signed_at,
            reason,
        },
    )?;
    let cms = sign_detached(&prepared.digest(), &chain, signer, tsa).await?;
    Ok(prepared.embed(&cms)?)
}

/// A detached CAdES signature (CMS `SignedData`, content type id-data) over content whose
/// SHA-256 is `digest`, with an RFC 3161 signature timestamp: what PAdES embeds and what
/// the audit anchors carry.
pub async fn sign_detached(
    digest: &[u8; 32],
    chain: &[Certificate],
    signer: &dyn Signer,
    tsa: &dyn TimestampAuthority,
) -> Result<Vec<u8>, PadesError> {
    let first = chain
        .first()
        .ok_or_else(|| PadesError::Chain("empty".into()))?;
    let signed = cms_sign::to_be_signed(ID_DATA, digest, first)?;
    let signature = signer.sign(&signed.der).await?;
    let token = tsa.timestamp(&Sha256::digest(&signature).into()).await?;
    Ok(cms_sign::assemble(SignedDataParts {
        content_type: ID_DATA,
        content: None,
        signed,
        signature: &signature,
        certificates: chain,
        timestamp_token: Some(&token),
    })?)
}
