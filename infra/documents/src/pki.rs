//! Issues and checks X.509 certificates for the municipality's own small PKI: a root CA,
//! the document-signing certificate and the timestamp authority's certificate.

use std::str::FromStr;
use std::time::Duration;

use der::asn1::{BitString, OctetString, UtcTime};
use der::oid::ObjectIdentifier;
use der::oid::db::rfc5280::ID_KP_TIME_STAMPING;
use der::oid::db::rfc5912::ECDSA_WITH_SHA_256;
use der::{Decode, Encode};
use jiff::Timestamp;
use p256::ecdsa::signature::{Signer as _, Verifier as _};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePublicKey, EncodePublicKey};
use sha2::{Digest, Sha256};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::certificate::{Certificate, TbsCertificate, Version};
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages,
    SubjectKeyIdentifier,
};
use x509_cert::ext::{AsExtension, Extension};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};

/// What can go wrong building or checking certificates.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("invalid certificate field: {0}")]
    Invalid(String),
    #[error("DER encoding failed: {0}")]
    Der(#[from] der::Error),
    #[error("unsupported public key: only ECDSA P-256 is accepted")]
    UnsupportedKey,
}

/// The role a certificate is issued for; it decides the extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The municipality's self-signed root CA.
    RootCa,
    /// Signs documents (digitalSignature + nonRepudiation).
    DocumentSigner,
    /// Signs timestamp tokens (critical extended key usage timeStamping, as RFC 3161 asks).
    TimestampAuthority,
}

/// The ECDSA-with-SHA256 algorithm identifier (no parameters).
pub fn ecdsa_sha256() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: ECDSA_WITH_SHA_256,
        parameters: None,
    }
}

/// A subject name parsed from RFC 4514 text (`CN=…,O=…,C=HU`).
pub fn name(text: &str) -> Result<Name, PkiError> {
    Name::from_str(text).map_err(|e| PkiError::Invalid(format!("name {text:?}: {e}")))
}

/// The SPKI of a P-256 public key.
pub fn spki_of(key: &VerifyingKey) -> Result<SubjectPublicKeyInfoOwned, PkiError> {
    let der = key
        .to_public_key_der()
        .map_err(|e| PkiError::Invalid(e.to_string()))?;
    Ok(SubjectPublicKeyInfoOwned::from_der(der.as_bytes())?)
}

/// The P-256 verifying key in a certificate.
pub fn verifying_key(cert: &Certificate) -> Result<VerifyingKey, PkiError> {
    let der = cert.tbs_certificate.subject_public_key_info.to_der()?;
    VerifyingKey::from_public_key_der(&der).map_err(|_| PkiError::UnsupportedKey)
}

/// A random positive 16-byte serial number.
pub fn random_serial() -> Result<SerialNumber, PkiError> {
    let mut bytes: [u8; 16] = rand::random();
    bytes[0] = (bytes[0] & 0x7f) | 0x10;
    Ok(SerialNumber::new(&bytes)?)
}

fn key_identifier(spki: &SubjectPublicKeyInfoOwned) -> Result<OctetString, PkiError> {
    let digest = Sha256::digest(spki.subject_public_key.raw_bytes());
    Ok(OctetString::new(&digest[..20])?)
}

fn extension<T: AsExtension>(value: &T, critical: bool) -> Result<Extension, PkiError> {
    Ok(Extension {
        extn_id: T::OID,
        critical,
        extn_value: OctetString::new(value.to_der()?)?,
    })
}

fn utc(at: Timestamp) -> Result<Time, PkiError> {
    let secs =
        u64::try_from(at.as_second()).map_err(|_| PkiError::Invalid("time before 1970".into()))?;
    Ok(Time::UtcTime(UtcTime::from_unix_duration(
        Duration::from_secs(secs),
    )?))
}

/// The issuing side of a certificate: who signs it, with which key.
pub struct CertIssuer<'a> {
    pub name: &'a Name,
    pub key: &'a SigningKey,
    /// The issuer's SPKI, for the authority key identifier.
    pub spki: &'a SubjectPublicKeyInfoOwned,
}

/// Issues a certificate for `subject_key` in `role`, valid from `not_before` to `not_after`.
pub fn issue(
    role: Role,
    subject: &Name,
    subject_key: &VerifyingKey,
    issuer: Option<CertIssuer<'_>>,
    self_key: Option<&SigningKey>,
    not_before: Timestamp,
    not_after: Timestamp,
) -> Result<Certificate, PkiError> {
    let spki = spki_of(subject_key)?;
    let (issuer_name, issuer_key, issuer_spki) = match (&issuer, self_key) {
        (Some(i), _) => (i.name.clone(), i.key, i.spki.clone()),
        (None, Some(key)) => (subject.clone(), key, spki.clone()),
        (None, None) => return Err(PkiError::Invalid("no issuer key".into())),
    };
    let mut extensions = vec![
        extension(&SubjectKeyIdentifier(key_identifier(&spki)?), false)?,
        extension(
            &AuthorityKeyIdentifier {
                key_identifier: Some(key_identifier(&issuer_spki)?),
                authority_cert_issuer: None,
                authority_cert_serial_number: None,
            },
            false,
        )?,
    ];
    match role {
        Role::RootCa => {
            extensions.push(extension(
                &BasicConstraints {
                    ca: true,
                    path_len_constraint: Some(0),
                },
                true,
            )?);
            extensions.push(extension(
                &KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign),
                true,
            )?);
        }
        Role::DocumentSigner | Role::TimestampAuthority => {
            extensions.push(extension(
                &BasicConstraints {
                    ca: false,
                    path_len_constraint: None,
                },
                true,
            )?);
            extensions.push(extension(
                &KeyUsage(KeyUsages::DigitalSignature | KeyUsages::NonRepudiation),
                true,
            )?);
        }
    }
    if role == Role::TimestampAuthority {
        extensions.push(extension(
            &ExtendedKeyUsage(vec![ID_KP_TIME_STAMPING]),
            true,
        )?);
    }
    let tbs = TbsCertificate {
        version: Version::V3,
        serial_number: random_serial()?,
        signature: ecdsa_sha256(),
        issuer: issuer_name,
        validity: Validity {
            not_before: utc(not_before)?,
            not_after: utc(not_after)?,
        },
        subject: subject.clone(),
        subject_public_key_info: spki,
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(extensions),
    };
    let signature: Signature = issuer_key.sign(&tbs.to_der()?);
    Ok(Certificate {
        tbs_certificate: tbs,
        signature_algorithm: ecdsa_sha256(),
        signature: BitString::from_bytes(signature.to_der().as_bytes())?,
    })
}

/// The first value of `attribute` (e.g. common name) in a name, for display.
pub fn name_attribute(name: &Name, attribute: ObjectIdentifier) -> Option<String> {
    name.0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .find(|atv| atv.oid == attribute)
        .and_then(|atv| {
            der::asn1::Utf8StringRef::try_from(&atv.value)
                .map(|s| s.as_str().to_owned())
                .or_else(|_| {
                    der::asn1::PrintableStringRef::try_from(&atv.value)
                        .map(|s| s.as_str().to_owned())
                })
                .ok()
        })
}

/// The common name of a certificate's subject, or its whole name if it has none.
pub fn subject_display(cert: &Certificate) -> String {
    let subject = &cert.tbs_certificate.subject;
    name_attribute(subject, der::oid::db::rfc4519::CN).unwrap_or_else(|| subject.to_string())
}

/// Whether `cert` was signed by `issuer`'s key (signature only; no policy).
pub fn is_signed_by(cert: &Certificate, issuer: &Certificate) -> bool {
    if cert.tbs_certificate.issuer != issuer.tbs_certificate.subject
        || cert.signature_algorithm.oid != ECDSA_WITH_SHA_256
    {
        return false;
    }
    let (Ok(key), Ok(tbs), Some(sig)) = (
        verifying_key(issuer),
        cert.tbs_certificate.to_der(),
        cert.signature.as_bytes(),
    ) else {
        return false;
    };
    Signature::from_der(sig).is_ok_and(|sig| key.verify(&tbs, &sig).is_ok())
}

/// Whether a certificate is valid at `at`.
pub fn valid_at(cert: &Certificate, at: Timestamp) -> bool {
    let validity = &cert.tbs_certificate.validity;
    let secs = |t: &Time| i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX);
    let now = at.as_second();
    secs(&validity.not_before) <= now && now <= secs(&validity.not_after)
}

/// Whether a certificate may issue other certificates (basic constraints cA).
pub fn is_ca(cert: &Certificate) -> bool {
    matches!(
        cert.tbs_certificate.get::<BasicConstraints>(),
        Ok(Some((_, BasicConstraints { ca: true, .. })))
    )
}

/// Whether a certificate carries the timestamping extended key usage.
pub fn is_timestamping(cert: &Certificate) -> bool {
    matches!(
        cert.tbs_certificate.get::<ExtendedKeyUsage>(),
        Ok(Some((_, eku))) if eku.0.contains(&ID_KP_TIME_STAMPING)
    )
}

/// Why a certificate chain is not trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("no chain from {subject} to a trusted root")]
    NoPathToRoot { subject: String },
    #[error("certificate {subject} is not valid at {at}")]
    Expired { subject: String, at: Timestamp },
}

/// Builds a chain from `leaf` through `pool` to one of `roots`, checking signatures,
/// validity at `at`, and that every issuer is a CA. Returns the root's display name.
pub fn verify_chain(
    leaf: &Certificate,
    pool: &[Certificate],
    roots: &[Certificate],
    at: Timestamp,
) -> Result<String, ChainError> {
    let mut current = leaf.clone();
    for _ in 0..8 {
        if !valid_at(&current, at) {
            return Err(ChainError::Expired {
                subject: subject_display(&current),
                at,
            });
        }
        if let Some(root) = roots
            .iter()
            .find(|root| is_ca(root) && is_signed_by(&current, root))
        {
            if !valid_at(root, at) {
                return Err(ChainError::Expired {
                    subject: subject_display(root),
                    at,
                });
            }
            return Ok(subject_display(root));
        }
        match pool
            .iter()
            .find(|c| *c != &current && is_ca(c) && is_signed_by(&current, c))
        {
            Some(next) => current = next.clone(),
            None => break,
        }
    }
    Err(ChainError::NoPathToRoot {
        subject: subject_display(leaf),
    })
}

/// SHA-256 of a certificate's DER encoding.
pub fn certificate_hash(cert: &Certificate) -> Result<[u8; 32], PkiError> {
    Ok(Sha256::digest(cert.to_der()?).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[7u8; 32].into()).unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn a_leaf_chains_to_its_root_and_not_to_a_stranger() -> Result<(), PkiError> {
        let now = Timestamp::from_second(1_800_000_000).unwrap_or(Timestamp::UNIX_EPOCH);
        let later = Timestamp::from_second(1_900_000_000).unwrap_or(Timestamp::UNIX_EPOCH);
        let root_key = key();
        let root_name = name("CN=Városkapu Gyökér-CA,O=Városkapu,C=HU")?;
        let root = issue(
            Role::RootCa,
            &root_name,
            root_key.verifying_key(),
            None,
            Some(&root_key),
            now,
            later,
        )?;
        let leaf_key =
            SigningKey::from_bytes(&[9u8; 32].into()).map_err(|_| PkiError::UnsupportedKey)?;
        let root_spki = spki_of(root_key.verifying_key())?;
        let leaf = issue(
            Role::TimestampAuthority,
            &name("CN=Időbélyeg,C=HU")?,
            leaf_key.verifying_key(),
            Some(CertIssuer {
                name: &root_name,
                key: &root_key,
                spki: &root_spki,
            }),
            None,
            now,
            later,
        )?;
        assert!(is_timestamping(&leaf));
        assert!(is_ca(&root));
        assert_eq!(subject_display(&leaf), "Időbélyeg");
        assert_eq!(
            verify_chain(&leaf, &[], std::slice::from_ref(&root), now),
            Ok("Városkapu Gyökér-CA".to_owned())
        );
        assert!(verify_chain(&leaf, &[], std::slice::from_ref(&leaf), now).is_err());
        assert!(matches!(
            verify_chain(&leaf, &[], &[root], Timestamp::UNIX_EPOCH),
            Err(ChainError::Expired { .. })
        ));
        Ok(())
    }
}
