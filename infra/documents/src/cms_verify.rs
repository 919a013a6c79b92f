//! Checks a CMS `SignedData` with one signer the way PAdES and RFC 3161 validators do:
//! message digest, content type, signing-certificate-v2 binding and the ECDSA signature
//! over the DER `SET OF` signed attributes. Trust in the certificate is checked elsewhere.

use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use der::asn1::OctetStringRef;
use der::oid::ObjectIdentifier;
use der::oid::db::rfc5911::{ID_CONTENT_TYPE, ID_MESSAGE_DIGEST, ID_SIGNED_DATA};
use der::oid::db::rfc5912::{ECDSA_WITH_SHA_256, ID_SHA_256};
use der::{Decode, Encode};
use p256::ecdsa::Signature;
use p256::ecdsa::signature::Verifier as _;
use x509_cert::certificate::Certificate;

use crate::cms_sign::{ID_SIGNING_CERTIFICATE_V2, SigningCertificateV2};
use crate::pki;

/// Why a CMS signature does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CmsCheckError {
    #[error("the signature container is malformed: {0}")]
    Malformed(String),
    #[error("the signed content was changed (message digest mismatch)")]
    DigestMismatch,
    #[error("the signature value does not verify")]
    BadSignature,
    #[error("the signing certificate is missing or not bound to the signature")]
    CertificateBinding,
    #[error("unsupported algorithm {0}")]
    Unsupported(String),
}

/// A signature that verified, with what it carries.
#[derive(Debug, Clone)]
pub struct CheckedSignedData {
    pub signer: Certificate,
    pub certificates: Vec<Certificate>,
    pub signer_info: SignerInfo,
    pub content_type: ObjectIdentifier,
    /// The encapsulated content's bytes, if the content is not detached.
    pub content: Option<Vec<u8>>,
}

fn malformed(e: impl std::fmt::Display) -> CmsCheckError {
    CmsCheckError::Malformed(e.to_string())
}

/// Decodes a `ContentInfo` holding `SignedData`.
pub fn decode_signed_data(der: &[u8]) -> Result<SignedData, CmsCheckError> {
    let info = ContentInfo::from_der(der).map_err(malformed)?;
    if info.content_type != ID_SIGNED_DATA {
        return Err(malformed("not SignedData"));
    }
    info.content.decode_as::<SignedData>().map_err(malformed)
}

fn single_attribute(info: &SignerInfo, oid: ObjectIdentifier) -> Option<&der::Any> {
    let attrs = info.signed_attrs.as_ref()?;
    let mut matching = attrs.iter().filter(|a| a.oid == oid);
    let attr = matching.next()?;
    if matching.next().is_some() || attr.values.len() != 1 {
        return None;
    }
    attr.values.get(0)
}

/// Verifies `der` (a `ContentInfo`) whose content (detached or encapsulated) has SHA-256
/// `content_digest`; `None` hashes the encapsulated content.
pub fn check(
    der: &[u8],
    content_digest: Option<[u8; 32]>,
) -> Result<CheckedSignedData, CmsCheckError> {
    let signed = decode_signed_data(der)?;
    let mut infos = signed.signer_infos.0.iter();
    let info = infos.next().ok_or_else(|| malformed("no signer"))?.clone();
    if infos.next().is_some() {
        return Err(malformed("more than one signer"));
    }
    if info.digest_alg.oid != ID_SHA_256 {
        return Err(CmsCheckError::Unsupported(info.digest_alg.oid.to_string()));
    }
    if info.signature_algorithm.oid != ECDSA_WITH_SHA_256 {
        return Err(CmsCheckError::Unsupported(
            info.signature_algorithm.oid.to_string(),
        ));
    }
    let certificates: Vec<Certificate> = signed
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|choice| match choice {
            CertificateChoices::Certificate(cert) => Some(cert.clone()),
            CertificateChoices::Other(_) => None,
        })
        .collect();
    let SignerIdentifier::IssuerAndSerialNumber(sid) = &info.sid else {
        return Err(CmsCheckError::CertificateBinding);
    };
    let signer = certificates
        .iter()
        .find(|c| {
            c.tbs_certificate.issuer == sid.issuer
                && c.tbs_certificate.serial_number == sid.serial_number
        })
        .cloned()
        .ok_or(CmsCheckError::CertificateBinding)?;

    let content_type = signed.encap_content_info.econtent_type;
    let content = match &signed.encap_content_info.econtent {
        Some(any) => Some(
            OctetStringRef::try_from(any)
                .map_err(malformed)?
                .as_bytes()
                .to_vec(),
        ),
        None => None,
    };
    let expected_digest = match (content_digest, &content) {
        (Some(digest), None) => digest,
        (None, Some(content)) => pki_digest(content),
        _ => return Err(malformed("content is both detached and encapsulated")),
    };

    let declared_type = single_attribute(&info, ID_CONTENT_TYPE)
        .ok_or_else(|| malformed("content-type attribute missing"))?
        .decode_as::<ObjectIdentifier>()
        .map_err(malformed)?;
    if declared_type != content_type {
        return Err(malformed(
            "content-type attribute disagrees with the content",
        ));
    }
    let digest = single_attribute(&info, ID_MESSAGE_DIGEST)
        .ok_or_else(|| malformed("message-digest attribute missing"))?;
    let digest = OctetStringRef::try_from(digest).map_err(malformed)?;
    if digest.as_bytes() != expected_digest {
        return Err(CmsCheckError::DigestMismatch);
    }

    let binding = single_attribute(&info, ID_SIGNING_CERTIFICATE_V2)
        .ok_or(CmsCheckError::CertificateBinding)?
        .decode_as::<SigningCertificateV2>()
        .map_err(|_| CmsCheckError::CertificateBinding)?;
    let hash = pki::certificate_hash(&signer).map_err(malformed)?;
    if binding.certs.first().map(|id| id.cert_hash.as_bytes()) != Some(hash.as_slice()) {
        return Err(CmsCheckError::CertificateBinding);
    }

    let attrs = info
        .signed_attrs
        .as_ref()
        .ok_or_else(|| malformed("no signed attributes"))?
        .to_der()
        .map_err(malformed)?;
    let key = pki::verifying_key(&signer)
        .map_err(|_| CmsCheckError::Unsupported("signer key type".into()))?;
    let signature =
        Signature::from_der(info.signature.as_bytes()).map_err(|_| CmsCheckError::BadSignature)?;
    key.verify(&attrs, &signature)
        .map_err(|_| CmsCheckError::BadSignature)?;

    Ok(CheckedSignedData {
        signer,
        certificates,
        signer_info: info,
        content_type,
        content,
    })
}

fn pki_digest(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).into()
}
