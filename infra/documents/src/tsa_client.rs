//! The production `TimestampAuthority`: any RFC 3161 TSA reached over HTTP.

use async_trait::async_trait;
use cmpv2::status::PkiStatus;
use der::asn1::{Int, OctetString};
use der::{Decode, Encode};
use varoskapu_core::documents::{TimestampAuthority, TimestampError};
use x509_tsp::{MessageImprint, TimeStampReq, TimeStampResp, TspVersion, TstInfo};

use crate::cms_sign::sha256_algorithm;
use crate::cms_verify;

/// The media type of an RFC 3161 request.
pub const QUERY_CONTENT_TYPE: &str = "application/timestamp-query";
/// The media type of an RFC 3161 reply.
pub const REPLY_CONTENT_TYPE: &str = "application/timestamp-reply";

/// Asks a TSA at a URL for tokens, and checks each answers the question asked.
pub struct HttpTsa {
    url: String,
    client: reqwest::Client,
}

impl HttpTsa {
    /// A client for the TSA at `url` (e.g. `http://127.0.0.1:8080/tsa`).
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            client: reqwest::Client::new(),
        }
    }
}

fn malformed(e: impl std::fmt::Display) -> TimestampError {
    TimestampError::Malformed(e.to_string())
}

#[async_trait]
impl TimestampAuthority for HttpTsa {
    async fn timestamp(&self, sha256: &[u8; 32]) -> Result<Vec<u8>, TimestampError> {
        let mut nonce: [u8; 8] = rand::random();
        nonce[0] = (nonce[0] & 0x7f) | 0x01;
        let nonce = Int::new(&nonce).map_err(malformed)?;
        let request = TimeStampReq {
            version: TspVersion::V1,
            message_imprint: MessageImprint {
                hash_algorithm: sha256_algorithm(),
                hashed_message: OctetString::new(sha256.as_slice()).map_err(malformed)?,
            },
            req_policy: None,
            nonce: Some(nonce.clone()),
            cert_req: true,
            extensions: None,
        }
        .to_der()
        .map_err(malformed)?;
        let reply = self
            .client
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, QUERY_CONTENT_TYPE)
            .body(request)
            .send()
            .await
            .map_err(|e| TimestampError::Unavailable(e.to_string()))?;
        if !reply.status().is_success() {
            return Err(TimestampError::Unavailable(format!(
                "HTTP {}",
                reply.status()
            )));
        }
        let body = reply
            .bytes()
            .await
            .map_err(|e| TimestampError::Unavailable(e.to_string()))?;
        let response = TimeStampResp::from_der(&body).map_err(malformed)?;
        if !matches!(
            response.status.status,
            PkiStatus::Accepted | PkiStatus::GrantedWithMods
        ) {
            return Err(TimestampError::Refused(format!(
                "{:?} {:?}",
                response.status.status, response.status.fail_info
            )));
        }
        let token = response
            .time_stamp_token
            .ok_or_else(|| malformed("granted without a token"))?
            .to_der()
            .map_err(malformed)?;
        let signed = cms_verify::decode_signed_data(&token).map_err(malformed)?;
        let content = signed
            .encap_content_info
            .econtent
            .ok_or_else(|| malformed("token without TSTInfo"))?;
        let info = TstInfo::from_der(content.value()).map_err(malformed)?;
        if info.message_imprint.hashed_message.as_bytes() != sha256 || info.nonce != Some(nonce) {
            return Err(malformed("the token answers a different request"));
        }
        Ok(token)
    }
}
