//! The `DocumentIssuer` port and the ports it is built on: a `Signer` holding the
//! municipality's signing key and a `TimestampAuthority` vouching for the signing time.
//!
//! Decisions, receipts, invoices and download certificates are issued through
//! `DocumentIssuer`: it renders a document of a kind from data, signs it, timestamps it,
//! stores it write-once and returns its key and SHA-256. Adapters live in `infra/`.

use async_trait::async_trait;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::blob::Sha256Digest;

/// The kinds of document the municipality issues; each has its own wording and record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Decision,
    SubmissionReceipt,
    PaymentReceipt,
    Invoice,
    DownloadCertificate,
}

impl DocumentKind {
    /// The stable identifier used in storage keys and records.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Decision => "decision",
            DocumentKind::SubmissionReceipt => "submission_receipt",
            DocumentKind::PaymentReceipt => "payment_receipt",
            DocumentKind::Invoice => "invoice",
            DocumentKind::DownloadCertificate => "download_certificate",
        }
    }

    /// The Hungarian heading printed above the document's own title.
    pub fn heading(self) -> &'static str {
        match self {
            DocumentKind::Decision => "HATÁROZAT",
            DocumentKind::SubmissionReceipt => "ÁTVÉTELI ELISMERVÉNY",
            DocumentKind::PaymentReceipt => "BEFIZETÉSI NYUGTA",
            DocumentKind::Invoice => "SZÁMLA",
            DocumentKind::DownloadCertificate => "LETÖLTÉSI IGAZOLÁS",
        }
    }
}

/// One row of a document's table of key facts (case number, dates, amounts…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyFact {
    pub label: String,
    pub value: String,
}

impl KeyFact {
    pub fn new(label: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            value: value.into(),
        }
    }
}

/// A hex digest in groups of eight digits, so a reader can compare it piece by piece (and a
/// document can break it between groups).
pub fn grouped_hex(hex: &str) -> String {
    hex.as_bytes()
        .chunks(8)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// What a use case asks to have issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentRequest {
    pub kind: DocumentKind,
    /// The account the document belongs to (the citizen it is addressed to).
    pub owner: String,
    /// The case the document belongs to, if any.
    pub case_id: Option<String>,
    pub title: String,
    /// Facts shown as a two-column table before the body.
    pub facts: Vec<KeyFact>,
    /// The body, one entry per paragraph.
    pub paragraphs: Vec<String>,
}

/// A document as issued: where it is stored and what vouches for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedDocument {
    pub id: Uuid,
    pub kind: DocumentKind,
    pub owner: String,
    pub case_id: Option<String>,
    /// The `BlobStore` key of the signed PDF.
    pub blob_key: String,
    /// SHA-256 of the signed PDF, hex.
    pub sha256: String,
    pub size: u64,
    /// The signing certificate's subject, as printed in the signature block.
    pub signer: String,
    pub signed_at: Timestamp,
    /// The time the timestamp authority vouched for.
    pub timestamped_at: Timestamp,
}

impl IssuedDocument {
    /// The digest as a typed value (records keep it as hex).
    pub fn digest(&self) -> Option<Sha256Digest> {
        Sha256Digest::from_hex(&self.sha256)
    }
}

/// What can go wrong while issuing a document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    #[error("the document cannot be rendered: {0}")]
    Render(#[source] crate::Cause),
    #[error("the signing key is unavailable or refused to sign: {0}")]
    Signing(#[source] crate::Cause),
    #[error("the timestamp authority failed: {0}")]
    Timestamp(#[source] crate::Cause),
    #[error("the signed document cannot be stored: {0}")]
    Storage(#[source] crate::Cause),
    /// No signing certificate is installed yet: a deployment's first state, as the
    /// municipality's CA can only certify the signing key once it exists.
    #[error("documents cannot be signed yet: no signing certificate is installed")]
    NotConfigured,
}

/// Issues trusted documents: render, sign, timestamp, store write-once, record.
#[async_trait]
pub trait DocumentIssuer: Send + Sync + 'static {
    async fn issue(&self, request: DocumentRequest) -> Result<IssuedDocument, DocumentError>;
}

/// The signature algorithms a `Signer` may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureAlgorithm {
    /// ECDSA over NIST P-256 with SHA-256; signatures are DER `Ecdsa-Sig-Value`.
    EcdsaP256Sha256,
}

/// Why a signer could not sign.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignerError {
    #[error("signing key unavailable: {0}")]
    Unavailable(String),
    #[error("signer misconfigured: {0}")]
    Misconfigured(String),
}

/// The municipality's signing key (a local key file, or a KMS key in production).
#[async_trait]
pub trait Signer: Send + Sync + 'static {
    /// The DER certificate chain, the signing certificate first, up to (not always
    /// including) the root.
    fn certificate_chain(&self) -> &[Vec<u8>];

    fn algorithm(&self) -> SignatureAlgorithm;

    /// Signs `message` (small: the DER signed attributes of a CMS signature) with SHA-256
    /// and the signer's key, returning a DER-encoded signature. Passing the message rather
    /// than its digest lets a KMS hash it (`MessageType RAW`), which every KMS-compatible
    /// service supports.
    async fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignerError>;
}

/// Why a timestamp could not be obtained.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    #[error("timestamp authority unreachable: {0}")]
    Unavailable(String),
    #[error("timestamp authority refused the request: {0}")]
    Refused(String),
    #[error("timestamp authority answered with a malformed reply: {0}")]
    Malformed(String),
}

/// An RFC 3161 timestamp authority (the local TSA, or any TSA URL in production).
#[async_trait]
pub trait TimestampAuthority: Send + Sync + 'static {
    /// A DER `TimeStampToken` (CMS `ContentInfo`) over a SHA-256 message imprint.
    async fn timestamp(&self, sha256: &[u8; 32]) -> Result<Vec<u8>, TimestampError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_grouped_by_eight_digits() {
        let hex = "0123456789abcdef".repeat(4);
        let grouped = grouped_hex(&hex);
        assert_eq!(grouped.split(' ').count(), 8);
        assert_eq!(grouped.replace(' ', ""), hex);
    }

    #[test]
    fn kinds_have_stable_identifiers() {
        assert_eq!(DocumentKind::Decision.as_str(), "decision");
        let json = serde_json::to_string(&DocumentKind::PaymentReceipt).unwrap_or_default();
        assert_eq!(json, "\"payment_receipt\"");
    }
}
