//! The `DocumentIssuer` adapter: renders, signs (PAdES B-T), stores the PDF write-once under
//! its SHA-256 in the `BlobStore`, and records who and what it was for in the `Table`.

use std::sync::Arc;

use bytes::Bytes;
use jiff::Timestamp;
use varoskapu_core::blob::{BlobError, BlobPut, BlobStore, Sha256Digest};
use varoskapu_core::documents::{
    DocumentError, DocumentIssuer, DocumentRequest, IssuedDocument, Signer, TimestampAuthority,
};
use varoskapu_core::table::{Condition, IndexName, ItemWrite, Key, Table};
use varoskapu_core::{Cause, Clock, IdGenerator};

use crate::pades::{self, PadesError};
use crate::render::{self, Municipality, SignatureBlock};
use crate::verify;

/// The blob key prefix of signed documents.
pub const BLOB_PREFIX: &str = "documents";

/// A rendered, signed and timestamped PDF, not yet stored.
#[derive(Debug, Clone)]
pub struct SignedDocument {
    pub pdf: Vec<u8>,
    pub signer: String,
    pub signed_at: Timestamp,
    pub timestamped_at: Timestamp,
}

fn pades_error(e: PadesError) -> DocumentError {
    match e {
        PadesError::Timestamp(e) => DocumentError::Timestamp(Cause::of(e)),
        PadesError::Pdf(e) => DocumentError::Render(Cause::of(e)),
        other => DocumentError::Signing(Cause::of(other)),
    }
}

/// Renders `request` and signs it at `signed_at`: the whole pipeline but storage.
pub async fn render_and_sign(
    municipality: &Municipality,
    request: &DocumentRequest,
    signer: &dyn Signer,
    tsa: &dyn TimestampAuthority,
    signed_at: Timestamp,
) -> Result<SignedDocument, DocumentError> {
    let name = pades::signer_name(signer).map_err(pades_error)?;
    let block = SignatureBlock {
        signer: name.clone(),
        signed_at,
    };
    let pdf = render::render(municipality, request, &block)
        .map_err(|e| DocumentError::Render(Cause::of(e)))?;
    let reason = format!("{} kiadmányozása", request.kind.heading().to_lowercase());
    let pdf = pades::sign_pdf(&pdf, signer, tsa, signed_at, &reason)
        .await
        .map_err(pades_error)?;
    let timestamped_at = verify::timestamp_time(&pdf)
        .ok_or_else(|| DocumentError::Timestamp("the token carries no time".into()))?;
    Ok(SignedDocument {
        pdf,
        signer: name,
        signed_at,
        timestamped_at,
    })
}

/// Issues documents on the configured ports.
pub struct PadesIssuer {
    pub municipality: Municipality,
    pub signer: Arc<dyn Signer>,
    pub tsa: Arc<dyn TimestampAuthority>,
    pub blobs: Arc<dyn BlobStore>,
    pub table: Arc<dyn Table>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
}

/// The record key of an issued document.
pub fn record_key(id: uuid::Uuid) -> Key {
    Key::new(format!("DOC#{id}"), "DOC")
}

#[async_trait::async_trait]
impl DocumentIssuer for PadesIssuer {
    #[tracing::instrument(skip_all, fields(kind = request.kind.as_str()))]
    async fn issue(&self, request: DocumentRequest) -> Result<IssuedDocument, DocumentError> {
        let signed = render_and_sign(
            &self.municipality,
            &request,
            self.signer.as_ref(),
            self.tsa.as_ref(),
            self.clock.now(),
        )
        .await?;
        let size = signed.pdf.len() as u64;
        let put =
            BlobPut::content_addressed(BLOB_PREFIX, Bytes::from(signed.pdf), "application/pdf")
                .write_once();
        let sha256: Sha256Digest = put.sha256;
        let blob_key = put.key.clone();
        match self.blobs.put(put).await {
            // Content-addressed: an existing object holds exactly these bytes.
            Ok(_) | Err(BlobError::AlreadyExists) => {}
            Err(e) => return Err(DocumentError::Storage(Cause::of(e))),
        }
        let document = IssuedDocument {
            id: self.ids.new_id(),
            kind: request.kind,
            owner: request.owner,
            case_id: request.case_id,
            blob_key,
            sha256: sha256.to_hex(),
            size,
            signer: signed.signer,
            signed_at: signed.signed_at,
            timestamped_at: signed.timestamped_at,
        };
        let sort = format!("DOC#{}#{}", document.signed_at, document.id);
        let mut item = ItemWrite::from_serde(record_key(document.id), &document)
            .map_err(|e| DocumentError::Storage(Cause::of(e)))?
            .with_index(
                IndexName::Gsi1,
                Key::new(format!("OWNER#{}", document.owner), sort.clone()),
            );
        if let Some(case) = &document.case_id {
            item = item.with_index(IndexName::Gsi2, Key::new(format!("CASE#{case}"), sort));
        }
        self.table
            .put(item, Condition::NotExists)
            .await
            .map_err(|e| DocumentError::Storage(Cause::of(e)))?;
        tracing::info!(id = %document.id, sha256 = %document.sha256, "document issued");
        Ok(document)
    }
}
