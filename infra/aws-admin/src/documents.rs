//! The document-signing key's certificate, in two steps: `documents csr` makes a PKCS#10
//! request for the KMS key (signed inside KMS, so the key never leaves it), the
//! municipality's CA issues the certificate, and `documents install-chain` checks that the
//! chain certifies this very key and stores it where the signing functions read it.

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{MessageType, SigningAlgorithmSpec};
use aws_sdk_ssm::types::{ParameterTier, ParameterType};
use der::asn1::BitString;
use der::{Decode, Encode, EncodePem};
use std::str::FromStr;
use x509_cert::Certificate;
use x509_cert::name::Name;
use x509_cert::request::{CertReq, CertReqInfo, Version};
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

/// ecdsa-with-SHA256 (RFC 5758), the signature of the CSR and of everything the key signs.
const ECDSA_WITH_SHA256: der::oid::ObjectIdentifier =
    der::oid::ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");

/// Parameter Store's limit for a Standard parameter; longer chains need the Advanced tier.
const STANDARD_TIER_LIMIT: usize = 4096;
/// Parameter Store's limit for an Advanced parameter.
const ADVANCED_TIER_LIMIT: usize = 8192;

/// The subject of the signing certificate, as options give it.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SubjectArgs {
    /// The whole subject as an RFC 4514 string (e.g. "CN=Budapest V. kerület,O=…,C=HU");
    /// otherwise it is made from the options below.
    #[arg(long)]
    pub subject: Option<String>,
    /// Common name (default: the stack's MunicipalityName).
    #[arg(long)]
    pub common_name: Option<String>,
    /// Organisation (default: the stack's MunicipalityName).
    #[arg(long)]
    pub organization: Option<String>,
    /// Organisation identifier (e.g. VATHU-15735636), as qualified certificates carry it.
    #[arg(long)]
    pub organization_identifier: Option<String>,
    #[arg(long)]
    pub locality: Option<String>,
    #[arg(long, default_value = "HU")]
    pub country: String,
}

/// Escapes a value for an RFC 4514 string.
fn escape(value: &str) -> String {
    let mut out = String::new();
    for (i, c) in value.chars().enumerate() {
        let leading = i == 0 && (c == ' ' || c == '#');
        if leading || matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    if out.ends_with(' ') {
        out.pop();
        out.push_str("\\ ");
    }
    out
}

impl SubjectArgs {
    /// The subject name; `municipality` fills what the options leave out.
    pub fn name(&self, municipality: Option<&str>) -> anyhow::Result<Name> {
        let text = match &self.subject {
            Some(subject) => subject.clone(),
            None => {
                let common_name =
                    self.common_name
                        .as_deref()
                        .or(municipality)
                        .ok_or_else(|| {
                            anyhow::anyhow!(
                                "no subject: give --subject or --common-name (the stack has no \
                             MunicipalityName)"
                            )
                        })?;
                // RFC 4514 lists the most specific part first.
                let mut parts = vec![format!("CN={}", escape(common_name))];
                if let Some(id) = &self.organization_identifier {
                    parts.push(format!("2.5.4.97={}", escape(id)));
                }
                if let Some(organization) = self.organization.as_deref().or(municipality) {
                    parts.push(format!("O={}", escape(organization)));
                }
                if let Some(locality) = &self.locality {
                    parts.push(format!("L={}", escape(locality)));
                }
                parts.push(format!("C={}", escape(&self.country)));
                parts.join(",")
            }
        };
        Name::from_str(&text).map_err(|e| anyhow::anyhow!("the subject {text:?} is not valid: {e}"))
    }
}

/// The KMS key's public key (DER SubjectPublicKeyInfo).
pub async fn public_key(kms: &aws_sdk_kms::Client, key_id: &str) -> anyhow::Result<Vec<u8>> {
    let out = kms
        .get_public_key()
        .key_id(key_id)
        .send()
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot read the public key of {key_id}: {}",
                aws_sdk_kms::error::DisplayErrorContext(e)
            )
        })?;
    out.public_key
        .map(Blob::into_inner)
        .ok_or_else(|| anyhow::anyhow!("KMS returned no public key for {key_id}"))
}

/// A PEM PKCS#10 request for the KMS key `key_id` with `subject`, signed by the key in KMS.
pub async fn csr(kms: &aws_sdk_kms::Client, key_id: &str, subject: Name) -> anyhow::Result<String> {
    let spki = SubjectPublicKeyInfoOwned::from_der(&public_key(kms, key_id).await?)
        .map_err(|e| anyhow::anyhow!("the key's public key is not a SubjectPublicKeyInfo: {e}"))?;
    let info = CertReqInfo {
        version: Version::V1,
        subject,
        public_key: spki,
        attributes: Default::default(),
    };
    let to_be_signed = info.to_der()?;
    // The request info is far below KMS's 4 KB limit for RAW messages.
    let signed = kms
        .sign()
        .key_id(key_id)
        .message(Blob::new(to_be_signed))
        .message_type(MessageType::Raw)
        .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
        .send()
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "KMS did not sign the request with {key_id}: {}",
                aws_sdk_kms::error::DisplayErrorContext(e)
            )
        })?;
    let signature = signed
        .signature
        .ok_or_else(|| anyhow::anyhow!("KMS returned no signature"))?;
    let request = CertReq {
        info,
        algorithm: AlgorithmIdentifierOwned {
            oid: ECDSA_WITH_SHA256,
            parameters: None,
        },
        signature: BitString::from_bytes(signature.as_ref())?,
    };
    Ok(request.to_pem(der::pem::LineEnding::LF)?)
}

/// Why a chain was not installed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainRefused {
    NotPem(String),
    NotCertificate(usize, String),
    OtherKey,
    OutOfOrder(usize),
    Expired,
    TooLarge(usize),
}

impl std::fmt::Display for ChainRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotPem(e) => write!(f, "the file is not a PEM certificate chain: {e}"),
            Self::NotCertificate(i, e) => write!(f, "certificate {} is not X.509: {e}", i + 1),
            Self::OtherKey => write!(
                f,
                "the chain's first certificate certifies another key, not the stack's \
                 document-signing key: issue it for the request `documents csr` made"
            ),
            Self::OutOfOrder(i) => write!(
                f,
                "certificate {} was not issued by certificate {}: put the signing \
                 certificate first, then each issuer",
                i + 1,
                i + 2
            ),
            Self::Expired => write!(f, "the signing certificate is not valid now"),
            Self::TooLarge(n) => write!(
                f,
                "the chain is {n} bytes, more than Parameter Store keeps ({ADVANCED_TIER_LIMIT})"
            ),
        }
    }
}

impl std::error::Error for ChainRefused {}

/// Checks a PEM chain against the key's public key: the first certificate certifies
/// exactly this key and is valid at `now`, each certificate is issued by the next.
pub fn check_chain(
    pem: &str,
    public_key_der: &[u8],
    now: jiff::Timestamp,
) -> Result<Vec<Certificate>, ChainRefused> {
    let ders = varoskapu_aws::kms_signer::pem_certificates(pem)
        .map_err(|e| ChainRefused::NotPem(e.to_string()))?;
    let certificates = ders
        .iter()
        .enumerate()
        .map(|(i, der)| {
            Certificate::from_der(der).map_err(|e| ChainRefused::NotCertificate(i, e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let leaf = &certificates[0];
    let leaf_key = leaf
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| ChainRefused::NotCertificate(0, e.to_string()))?;
    if leaf_key != public_key_der {
        return Err(ChainRefused::OtherKey);
    }
    for (i, pair) in certificates.windows(2).enumerate() {
        if pair[0].tbs_certificate.issuer != pair[1].tbs_certificate.subject {
            return Err(ChainRefused::OutOfOrder(i));
        }
    }
    let validity = &leaf.tbs_certificate.validity;
    let seconds = |t: &x509_cert::time::Time| t.to_unix_duration().as_secs() as i64;
    let now = now.as_second();
    if now < seconds(&validity.not_before) || now > seconds(&validity.not_after) {
        return Err(ChainRefused::Expired);
    }
    Ok(certificates)
}

/// The Parameter Store tier a chain of `len` bytes needs.
fn tier_for(len: usize) -> Result<ParameterTier, ChainRefused> {
    match len {
        n if n > ADVANCED_TIER_LIMIT => Err(ChainRefused::TooLarge(n)),
        n if n > STANDARD_TIER_LIMIT => Ok(ParameterTier::Advanced),
        _ => Ok(ParameterTier::Standard),
    }
}

/// Checks `pem` against the KMS key and stores it in the SSM parameter `name` (Advanced
/// tier when over 4 KB); returns the tier used.
pub async fn install_chain(
    kms: &aws_sdk_kms::Client,
    ssm: &aws_sdk_ssm::Client,
    key_id: &str,
    name: &str,
    pem: &str,
) -> anyhow::Result<(Vec<Certificate>, ParameterTier)> {
    let public_key = public_key(kms, key_id).await?;
    let certificates = check_chain(pem, &public_key, jiff::Timestamp::now())?;
    let tier = tier_for(pem.len())?;
    ssm.put_parameter()
        .name(name)
        .description("Városkapu document-signing certificate chain (signing certificate first)")
        .value(pem)
        .r#type(ParameterType::String)
        .tier(tier.clone())
        .overwrite(true)
        .send()
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot store the chain in {name}: {}",
                aws_sdk_ssm::error::DisplayErrorContext(e)
            )
        })?;
    Ok((certificates, tier))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_made_from_the_options_and_the_municipality() {
        let args = SubjectArgs {
            country: "HU".into(),
            organization_identifier: Some("VATHU-15735636".into()),
            ..SubjectArgs::default()
        };
        let name = args
            .name(Some("Budapest V. kerület, Belváros"))
            .expect("name");
        let text = name.to_string();
        assert!(
            text.starts_with("CN=Budapest V. kerület\\, Belváros"),
            "{text}"
        );
        assert!(text.ends_with("C=HU"), "{text}");
        assert!(SubjectArgs::default().name(None).is_err());
    }

    #[test]
    fn chains_over_4_kb_take_the_advanced_tier_and_over_8_kb_are_refused() {
        assert_eq!(tier_for(4096), Ok(ParameterTier::Standard));
        assert_eq!(tier_for(4097), Ok(ParameterTier::Advanced));
        assert_eq!(tier_for(8192), Ok(ParameterTier::Advanced));
        assert_eq!(tier_for(8193), Err(ChainRefused::TooLarge(8193)));
    }

    #[test]
    fn garbage_is_not_a_chain() {
        let now = jiff::Timestamp::now();
        assert!(matches!(
            check_chain("hello", b"", now),
            Err(ChainRefused::NotPem(_))
        ));
        let not_x509 = "-----BEGIN CERTIFICATE-----\nAQI=\n-----END CERTIFICATE-----\n";
        assert!(matches!(
            check_chain(not_x509, b"", now),
            Err(ChainRefused::NotCertificate(0, _))
        ));
    }
}
