//! The embedded RFC 3161 timestamp authority: its own P-256 key and a certificate with the
//! critical timeStamping extended key usage, issuing tokens in process (as the local
//! `TimestampAuthority`) and answering DER requests for the `/tsa` endpoint.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use cmpv2::status::{PkiFailureInfoValues, PkiStatus, PkiStatusInfo};
use der::asn1::{GeneralizedTime, Int, OctetString};
use der::oid::ObjectIdentifier;
use der::oid::db::rfc5912::ID_SHA_256;
use der::{Decode, Encode};
use sha2::{Digest, Sha256};
use varoskapu_core::Clock;
use varoskapu_core::documents::{TimestampAuthority, TimestampError};
use x509_cert::certificate::Certificate;
use x509_tsp::{MessageImprint, TimeStampReq, TimeStampResp, TspVersion, TstInfo};

use crate::cms_sign::{self, ID_CT_TST_INFO, SignedDataParts, sha256_algorithm};
use crate::local_signer::EcSigningKey;

/// The local TSA's policy, under IANA's documentation enterprise number (RFC 5612): this TSA
/// promises no published policy beyond "the server's clock, signed".
pub const LOCAL_TSA_POLICY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.3161.1");

/// A timestamp authority running inside the process.
pub struct LocalTsa {
    key: EcSigningKey,
    /// The TSA certificate first, then the rest of its chain.
    chain: Vec<Certificate>,
    clock: Arc<dyn Clock>,
}

impl LocalTsa {
    /// A TSA signing with `key`, certified by `chain` (TSA certificate first).
    pub fn new(key: EcSigningKey, chain: Vec<Certificate>, clock: Arc<dyn Clock>) -> Self {
        Self { key, chain, clock }
    }

    /// The TSA's own certificate, for `openssl ts -verify` and other validators.
    pub fn certificate(&self) -> Option<&Certificate> {
        self.chain.first()
    }

    /// A DER `TimeStampToken` over `imprint` (SHA-256), echoing `nonce`.
    pub fn token(&self, imprint: &[u8; 32], nonce: Option<Int>) -> Result<Vec<u8>, TimestampError> {
        let failed = |e: &dyn std::fmt::Display| TimestampError::Unavailable(e.to_string());
        let tsa_cert = self
            .chain
            .first()
            .ok_or_else(|| TimestampError::Unavailable("no TSA certificate".into()))?;
        let secs = u64::try_from(self.clock.now().as_second()).map_err(|e| failed(&e))?;
        // Positive, and without a leading zero byte (which DER forbids).
        let mut serial: [u8; 16] = rand::random();
        serial[0] = (serial[0] & 0x7f) | 0x01;
        let info = TstInfo {
            version: TspVersion::V1,
            policy: LOCAL_TSA_POLICY,
            message_imprint: MessageImprint {
                hash_algorithm: sha256_algorithm(),
                hashed_message: OctetString::new(imprint.as_slice()).map_err(|e| failed(&e))?,
            },
            serial_number: Int::new(&serial).map_err(|e| failed(&e))?,
            gen_time: GeneralizedTime::from_unix_duration(Duration::from_secs(secs))
                .map_err(|e| failed(&e))?,
            accuracy: None,
            ordering: false,
            nonce,
            tsa: None,
            extensions: None,
        }
        .to_der()
        .map_err(|e| failed(&e))?;
        let signed =
            cms_sign::to_be_signed(ID_CT_TST_INFO, &Sha256::digest(&info).into(), tsa_cert)
                .map_err(|e| failed(&e))?;
        let signature = self.key.sign_der(&signed.der).map_err(|e| failed(&e))?;
        cms_sign::assemble(SignedDataParts {
            content_type: ID_CT_TST_INFO,
            content: Some(&info),
            signed,
            signature: &signature,
            certificates: std::slice::from_ref(tsa_cert),
            timestamp_token: None,
        })
        .map_err(|e| failed(&e))
    }

    /// Answers a DER `TimeStampReq` with a DER `TimeStampResp` (granted or rejected).
    pub fn respond(&self, request: &[u8]) -> Vec<u8> {
        let reject = |fail: PkiFailureInfoValues| TimeStampResp {
            status: PkiStatusInfo {
                status: PkiStatus::Rejection,
                status_string: None,
                fail_info: Some(fail.into()),
            },
            time_stamp_token: None,
        };
        let response = match TimeStampReq::from_der(request) {
            Err(_) => reject(PkiFailureInfoValues::BadDataFormat),
            Ok(req) if req.message_imprint.hash_algorithm.oid != ID_SHA_256 => {
                reject(PkiFailureInfoValues::BadAlg)
            }
            Ok(req) => match <[u8; 32]>::try_from(req.message_imprint.hashed_message.as_bytes()) {
                Err(_) => reject(PkiFailureInfoValues::BadDataFormat),
                Ok(imprint) => match self.token(&imprint, req.nonce).and_then(|t| {
                    x509_tsp::TimeStampToken::from_der(&t)
                        .map_err(|e| TimestampError::Malformed(e.to_string()))
                }) {
                    Ok(token) => TimeStampResp {
                        status: PkiStatusInfo {
                            status: PkiStatus::Accepted,
                            status_string: None,
                            fail_info: None,
                        },
                        time_stamp_token: Some(token),
                    },
                    Err(_) => reject(PkiFailureInfoValues::SystemFailure),
                },
            },
        };
        // A response built from valid parts always encodes; an empty body is the fallback.
        response.to_der().unwrap_or_default()
    }
}

#[async_trait]
impl TimestampAuthority for LocalTsa {
    async fn timestamp(&self, sha256: &[u8; 32]) -> Result<Vec<u8>, TimestampError> {
        self.token(sha256, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use varoskapu_core::SystemClock;

    #[test]
    fn every_token_decodes_whatever_its_random_serial() -> Result<(), Box<dyn std::error::Error>> {
        let keys = crate::keys::LocalKeys::generate(jiff::Timestamp::now())?;
        let tsa = keys.tsa(Arc::new(SystemClock));
        for i in 0..600u32 {
            let token = tsa.token(&[i as u8; 32], None)?;
            let signed = crate::cms_verify::check(&token, None)?;
            TstInfo::from_der(signed.content.as_deref().unwrap_or_default())?;
        }
        Ok(())
    }
}
