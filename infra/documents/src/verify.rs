//! Verifies a signed PDF the way `varoskapu verify` reports it: the byte ranges cover the
//! whole file but the signature, the CMS signature holds, the RFC 3161 token covers the
//! signature value, and both signer and TSA chain to one of the municipality's roots.

use std::fmt;

use der::{Decode, Encode, Reader, SliceReader};
use jiff::Timestamp;
use sha2::{Digest, Sha256};
use x509_cert::certificate::Certificate;
use x509_tsp::TstInfo;

use crate::cms_sign::{ID_CT_TST_INFO, ID_SIGNATURE_TIME_STAMP_TOKEN};
use crate::cms_verify::{self, CmsCheckError};
use crate::pki;

/// What a verified document carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub signer: String,
    pub tsa: String,
    pub timestamped_at: Timestamp,
    /// The trusted root both chains end in.
    pub root: String,
}

/// The outcome of verifying a signed PDF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Intact, signed, timestamped and trusted.
    Valid(Report),
    /// The bytes were changed after signing (or the signature itself was damaged).
    Tampered(String),
    /// Intact, but the signer or the TSA does not chain to a trusted root (or is expired).
    Untrusted(String),
    /// Signed, but not in the form we issue (e.g. no timestamp).
    Invalid(String),
    /// The file carries no signature.
    Unsigned,
}

impl Verdict {
    /// Whether the document can be trusted.
    pub fn is_valid(&self) -> bool {
        matches!(self, Verdict::Valid(_))
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Valid(r) => write!(
                f,
                "VALID: the document is intact. Signed by \"{}\", timestamped at {} by \"{}\"; \
                 both chain to the trusted root \"{}\".",
                r.signer, r.timestamped_at, r.tsa, r.root
            ),
            Verdict::Tampered(why) => write!(
                f,
                "TAMPERED: the document was changed after signing ({why})."
            ),
            Verdict::Untrusted(why) => write!(
                f,
                "UNTRUSTED: the document is intact but not trusted ({why})."
            ),
            Verdict::Invalid(why) => write!(f, "INVALID: {why}."),
            Verdict::Unsigned => write!(f, "NOT SIGNED: the document carries no signature."),
        }
    }
}

/// The raw parts of a PDF's (last) signature.
#[derive(Debug, Clone)]
pub struct SignatureParts {
    /// The CMS `ContentInfo`, without the placeholder's zero padding.
    pub cms: Vec<u8>,
    /// SHA-256 over the `/ByteRange`.
    pub signed_digest: [u8; 32],
}

/// Finds the last signature of `pdf` and checks that its byte ranges cover the whole file.
pub fn signature_parts(pdf: &[u8]) -> Result<Option<SignatureParts>, String> {
    let Some(at) = pdf.windows(10).rposition(|w| w == b"/ByteRange") else {
        return Ok(None);
    };
    let rest = &pdf[at + 10..];
    let open = rest
        .iter()
        .position(|b| *b == b'[')
        .ok_or("no byte range")?;
    let close = rest
        .iter()
        .position(|b| *b == b']')
        .ok_or("no byte range")?;
    let numbers: Vec<usize> =
        std::str::from_utf8(rest.get(open + 1..close).ok_or("bad byte range")?)
            .map_err(|_| "bad byte range")?
            .split_ascii_whitespace()
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map_err(|_| "bad byte range")?;
    let [0, start, end, tail] = numbers[..] else {
        return Err("the byte range does not start at the beginning of the file".into());
    };
    if end.checked_add(tail) != Some(pdf.len()) {
        return Err("bytes were added or removed after the signed range".into());
    }
    if start >= end || pdf.get(start) != Some(&b'<') || pdf.get(end - 1) != Some(&b'>') {
        return Err("the byte range does not exclude exactly the signature".into());
    }
    let hex = &pdf[start + 1..end - 1];
    let mut raw = vec![0u8; hex.len() / 2];
    hex::decode_to_slice(hex, &mut raw).map_err(|_| "the signature is not a hex string")?;
    let reader = SliceReader::new(&raw).map_err(|_| "the signature is not DER")?;
    let header = reader
        .peek_header()
        .map_err(|_| "the signature is not DER")?;
    let length = header
        .encoded_len()
        .and_then(|l| l + header.length)
        .map_err(|_| "the signature is not DER")?;
    let length = usize::try_from(length).map_err(|_| "the signature is not DER")?;
    if length > raw.len() || raw[length..].iter().any(|b| *b != 0) {
        return Err("the signature container was altered".into());
    }
    raw.truncate(length);
    let mut hasher = Sha256::new();
    hasher.update(&pdf[..start]);
    hasher.update(&pdf[end..]);
    Ok(Some(SignatureParts {
        cms: raw,
        signed_digest: hasher.finalize().into(),
    }))
}

/// The signature timestamp token of a signed PDF and the signature value it covers.
pub fn timestamp_token(pdf: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let parts = signature_parts(pdf).ok()??;
    cms_timestamp_token(&parts.cms)
}

/// The signature timestamp token of a CMS signature and the signature value it covers.
pub fn cms_timestamp_token(cms: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let signed = cms_verify::decode_signed_data(cms).ok()?;
    let info = signed.signer_infos.0.iter().next()?;
    let token = info
        .unsigned_attrs
        .as_ref()?
        .iter()
        .find(|a| a.oid == ID_SIGNATURE_TIME_STAMP_TOKEN)?
        .values
        .get(0)?;
    Some((token.to_der().ok()?, info.signature.as_bytes().to_vec()))
}

/// Verifies a signed PDF against the municipality's `roots`.
pub fn verify_pdf(pdf: &[u8], roots: &[Certificate]) -> Verdict {
    let parts = match signature_parts(pdf) {
        Ok(Some(parts)) => parts,
        Ok(None) => return Verdict::Unsigned,
        Err(why) => return Verdict::Tampered(why),
    };
    verify_detached(&parts.cms, parts.signed_digest, roots)
}

/// Verifies a detached CMS signature with a signature timestamp (as PAdES and the audit
/// anchors carry) over content whose SHA-256 is `content_digest`, against `roots`.
pub fn verify_detached(cms: &[u8], content_digest: [u8; 32], roots: &[Certificate]) -> Verdict {
    let checked = match cms_verify::check(cms, Some(content_digest)) {
        Ok(checked) => checked,
        Err(CmsCheckError::DigestMismatch) => {
            return Verdict::Tampered("the signed bytes no longer match their digest".into());
        }
        Err(CmsCheckError::BadSignature) => {
            return Verdict::Tampered("the signature value does not verify".into());
        }
        Err(e @ CmsCheckError::Malformed(_)) => return Verdict::Tampered(e.to_string()),
        Err(e) => return Verdict::Invalid(e.to_string()),
    };
    let Some((token, signature)) = cms_timestamp_token(cms) else {
        return Verdict::Invalid("the signature has no RFC 3161 timestamp (not PAdES B-T)".into());
    };
    let stamp = match cms_verify::check(&token, None) {
        Ok(stamp) => stamp,
        Err(e) => return Verdict::Tampered(format!("timestamp token: {e}")),
    };
    let info = match (stamp.content_type == ID_CT_TST_INFO)
        .then_some(stamp.content.as_deref())
        .flatten()
        .map(TstInfo::from_der)
    {
        Some(Ok(info)) => info,
        _ => return Verdict::Invalid("the timestamp token holds no TSTInfo".into()),
    };
    let imprint: [u8; 32] = Sha256::digest(&signature).into();
    if info.message_imprint.hashed_message.as_bytes() != imprint {
        return Verdict::Tampered("the timestamp does not cover this signature".into());
    }
    let Ok(at) = Timestamp::from_second(info.gen_time.to_unix_duration().as_secs() as i64) else {
        return Verdict::Invalid("the timestamp's time is out of range".into());
    };
    if !pki::is_timestamping(&stamp.signer) {
        return Verdict::Untrusted("the timestamp's signer is not a timestamp authority".into());
    }
    let root = match pki::verify_chain(&checked.signer, &checked.certificates, roots, at) {
        Ok(root) => root,
        Err(e) => return Verdict::Untrusted(format!("signer: {e}")),
    };
    if let Err(e) = pki::verify_chain(&stamp.signer, &stamp.certificates, roots, at) {
        return Verdict::Untrusted(format!("timestamp authority: {e}"));
    }
    Verdict::Valid(Report {
        signer: pki::subject_display(&checked.signer),
        tsa: pki::subject_display(&stamp.signer),
        timestamped_at: at,
        root,
    })
}

/// The time the signature's timestamp vouches for, without checking anything else.
pub fn timestamp_time(pdf: &[u8]) -> Option<Timestamp> {
    let (token, _) = timestamp_token(pdf)?;
    let signed = cms_verify::decode_signed_data(&token).ok()?;
    let content = signed.encap_content_info.econtent?;
    let info = TstInfo::from_der(content.value()).ok()?;
    Timestamp::from_second(i64::try_from(info.gen_time.to_unix_duration().as_secs()).ok()?).ok()
}

/// Why a file or its trust anchors could not be read.
#[derive(Debug, thiserror::Error)]
pub enum VerifyFileError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{path} holds no usable PEM certificates")]
    Roots { path: std::path::PathBuf },
}

/// Reads the trust anchors from a PEM file (one or more certificates).
pub fn load_roots(path: &std::path::Path) -> Result<Vec<Certificate>, VerifyFileError> {
    let pem = std::fs::read(path).map_err(|source| VerifyFileError::Read {
        path: path.to_owned(),
        source,
    })?;
    match Certificate::load_pem_chain(&pem) {
        Ok(roots) if !roots.is_empty() => Ok(roots),
        _ => Err(VerifyFileError::Roots {
            path: path.to_owned(),
        }),
    }
}

/// Verifies the PDF at `pdf` against the roots in the PEM file `roots` (`varoskapu verify`).
pub fn verify_file(
    pdf: &std::path::Path,
    roots: &std::path::Path,
) -> Result<Verdict, VerifyFileError> {
    let roots = load_roots(roots)?;
    let bytes = std::fs::read(pdf).map_err(|source| VerifyFileError::Read {
        path: pdf.to_owned(),
        source,
    })?;
    Ok(verify_pdf(&bytes, &roots))
}
