//! Builds CMS `SignedData` as PAdES and RFC 3161 need it: detached or encapsulated
//! content, signed attributes content-type, message-digest and signing-certificate-v2
//! (no signing-time: PAdES puts the time in the signature dictionary), DER-sorted, with the
//! signature computed over their SET encoding.

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedAttributes, SignedData, SignerIdentifier,
    SignerInfo, SignerInfos,
};
use der::asn1::{OctetString, SetOfVec};
use der::oid::ObjectIdentifier;
use der::oid::db::rfc5911::{ID_CONTENT_TYPE, ID_MESSAGE_DIGEST, ID_SIGNED_DATA};
use der::oid::db::rfc5912::ID_SHA_256;
use der::{Any, Decode, Encode, Sequence, Tag};
use spki::AlgorithmIdentifierOwned;
use x509_cert::attr::Attribute;
use x509_cert::certificate::Certificate;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::serial_number::SerialNumber;

use crate::pki;

/// `id-aa-signingCertificateV2` (RFC 5035).
pub const ID_SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
/// `id-aa-signatureTimeStampToken` (RFC 3161 appendix A).
pub const ID_SIGNATURE_TIME_STAMP_TOKEN: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.14");
/// `id-data`: the content type of a detached PAdES signature.
pub const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
/// `id-ct-TSTInfo`: the content type of a timestamp token.
pub const ID_CT_TST_INFO: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");

/// What can go wrong building CMS.
#[derive(Debug, thiserror::Error)]
pub enum CmsError {
    #[error("DER encoding failed: {0}")]
    Der(#[from] der::Error),
    #[error("certificate problem: {0}")]
    Pki(#[from] pki::PkiError),
}

/// `IssuerSerial` of RFC 5035.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct IssuerSerial {
    pub issuer: Vec<GeneralName>,
    pub serial_number: SerialNumber,
}

/// `ESSCertIDv2` of RFC 5035; the hash algorithm is left at its default, SHA-256.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct EssCertIdV2 {
    pub cert_hash: OctetString,
    #[asn1(optional = "true")]
    pub issuer_serial: Option<IssuerSerial>,
}

/// `SigningCertificateV2` of RFC 5035 (no policies).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SigningCertificateV2 {
    pub certs: Vec<EssCertIdV2>,
}

/// SHA-256's algorithm identifier, parameters absent.
pub fn sha256_algorithm() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: ID_SHA_256,
        parameters: None,
    }
}

fn attribute(oid: ObjectIdentifier, value: Any) -> Result<Attribute, CmsError> {
    Ok(Attribute {
        oid,
        values: SetOfVec::try_from(vec![value])?,
    })
}

/// The signing-certificate-v2 attribute value binding the signature to `cert`.
pub fn signing_certificate_v2(cert: &Certificate) -> Result<SigningCertificateV2, CmsError> {
    Ok(SigningCertificateV2 {
        certs: vec![EssCertIdV2 {
            cert_hash: OctetString::new(pki::certificate_hash(cert)?)?,
            issuer_serial: Some(IssuerSerial {
                issuer: vec![GeneralName::DirectoryName(
                    cert.tbs_certificate.issuer.clone(),
                )],
                serial_number: cert.tbs_certificate.serial_number.clone(),
            }),
        }],
    })
}

/// Signed attributes ready to be signed, with the bytes the signer must sign.
pub struct ToBeSigned {
    pub attributes: SignedAttributes,
    /// The attributes' DER `SET OF` encoding, which the signature covers (hashed with
    /// SHA-256 by the signer).
    pub der: Vec<u8>,
}

/// The signed attributes over content of `content_type` whose SHA-256 is `content_digest`.
pub fn to_be_signed(
    content_type: ObjectIdentifier,
    content_digest: &[u8; 32],
    signer: &Certificate,
) -> Result<ToBeSigned, CmsError> {
    let attributes = SetOfVec::try_from(vec![
        attribute(ID_CONTENT_TYPE, Any::encode_from(&content_type)?)?,
        attribute(
            ID_MESSAGE_DIGEST,
            Any::new(Tag::OctetString, content_digest.as_slice())?,
        )?,
        attribute(
            ID_SIGNING_CERTIFICATE_V2,
            Any::encode_from(&signing_certificate_v2(signer)?)?,
        )?,
    ])?;
    let der = attributes.to_der()?;
    Ok(ToBeSigned { attributes, der })
}

/// Everything that goes into one `SignedData` with a single signer.
pub struct SignedDataParts<'a> {
    pub content_type: ObjectIdentifier,
    /// Encapsulated content (timestamp tokens); `None` for a detached signature (PAdES).
    pub content: Option<&'a [u8]>,
    pub signed: ToBeSigned,
    /// DER `Ecdsa-Sig-Value` over `signed.der`.
    pub signature: &'a [u8],
    /// The signer's certificate first, then the rest of its chain.
    pub certificates: &'a [Certificate],
    /// A timestamp token to attach as `id-aa-signatureTimeStampToken`.
    pub timestamp_token: Option<&'a [u8]>,
}

/// Assembles and encodes a CMS `ContentInfo` holding `SignedData`.
pub fn assemble(parts: SignedDataParts<'_>) -> Result<Vec<u8>, CmsError> {
    let signer = parts
        .certificates
        .first()
        .ok_or_else(|| CmsError::Pki(pki::PkiError::Invalid("no signing certificate".into())))?;
    let unsigned_attrs = match parts.timestamp_token {
        Some(token) => Some(SetOfVec::try_from(vec![attribute(
            ID_SIGNATURE_TIME_STAMP_TOKEN,
            Any::from_der(token)?,
        )?])?),
        None => None,
    };
    let signer_info = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: signer.tbs_certificate.issuer.clone(),
            serial_number: signer.tbs_certificate.serial_number.clone(),
        }),
        digest_alg: sha256_algorithm(),
        signed_attrs: Some(parts.signed.attributes),
        signature_algorithm: pki::ecdsa_sha256(),
        signature: OctetString::new(parts.signature)?,
        unsigned_attrs,
    };
    let certificates = parts
        .certificates
        .iter()
        .cloned()
        .map(CertificateChoices::Certificate)
        .collect::<Vec<_>>();
    let signed_data = SignedData {
        version: if parts.content_type == ID_DATA {
            CmsVersion::V1
        } else {
            CmsVersion::V3
        },
        digest_algorithms: SetOfVec::try_from(vec![sha256_algorithm()])?,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: parts.content_type,
            econtent: match parts.content {
                Some(content) => Some(Any::new(Tag::OctetString, content)?),
                None => None,
            },
        },
        certificates: Some(CertificateSet(SetOfVec::try_from(certificates)?)),
        crls: None,
        signer_infos: SignerInfos(SetOfVec::try_from(vec![signer_info])?),
    };
    Ok(ContentInfo {
        content_type: ID_SIGNED_DATA,
        content: Any::encode_from(&signed_data)?,
    }
    .to_der()?)
}
