//! SimplePay v2's wire format, shared by the HTTP client and the local simulator:
//! HMAC-SHA384 of the exact body bytes with the merchant secret, base64, in a `Signature`
//! header; notifications (IPN) acknowledged by echoing them with a `receiveDate`, signed.

use super::provider::{
    Acknowledgement, BackRedirect, ProviderError, ProviderNotification, ProviderOutcome,
    StartRequest,
};
use crate::cases::Money;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use jiff::Timestamp;
use serde_json::{Map, Value, json};
use sha2::Sha384;
use subtle::ConstantTimeEq;

/// Name of the header carrying the signature, both ways.
pub const SIGNATURE_HEADER: &str = "Signature";

/// Largest notification body read: SimplePay's IPN is a few hundred bytes.
pub const MAX_NOTIFICATION_BYTES: usize = 16 * 1024;

/// The SDK version sent in start requests (SimplePay logs it).
pub const SDK_VERSION: &str = "Varoskapu:1.0";

/// The merchant's account at the provider.
#[derive(Clone)]
pub struct Merchant {
    pub id: String,
    secret: Vec<u8>,
}

impl std::fmt::Debug for Merchant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret never reaches a log line.
        f.debug_struct("Merchant").field("id", &self.id).finish()
    }
}

impl Merchant {
    pub fn new(id: impl Into<String>, secret: impl AsRef<[u8]>) -> Self {
        Self {
            id: id.into(),
            secret: secret.as_ref().to_vec(),
        }
    }

    /// base64(HMAC-SHA384(secret, body)).
    pub fn sign(&self, body: &[u8]) -> String {
        let mut mac = match Hmac::<Sha384>::new_from_slice(&self.secret) {
            Ok(mac) => mac,
            // HMAC takes keys of any length; this branch cannot run.
            Err(_) => return String::new(),
        };
        mac.update(body);
        STANDARD.encode(mac.finalize().into_bytes())
    }

    /// Whether `signature` is this merchant's signature of `body`, compared in constant time.
    pub fn verify(&self, body: &[u8], signature: Option<&str>) -> Result<(), ProviderError> {
        let given = signature
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or(ProviderError::BadSignature)?;
        let expected = self.sign(body);
        if expected.as_bytes().ct_eq(given.as_bytes()).into() {
            Ok(())
        } else {
            Err(ProviderError::BadSignature)
        }
    }

    /// The JSON body of a `/payment/v2/start` request.
    pub fn start_body(&self, request: &StartRequest, salt: &str) -> Vec<u8> {
        let body = json!({
            "salt": salt,
            "merchant": self.id,
            "orderRef": request.order_ref,
            "currency": request.amount.currency,
            "total": request.amount.amount,
            "language": request.language,
            "sdkVersion": SDK_VERSION,
            "methods": ["CARD"],
            "timeout": format_time(request.timeout),
            "url": request.back_url,
        });
        body.to_string().into_bytes()
    }

    /// Reads a verified notification.
    pub fn read_notification(
        &self,
        body: &[u8],
        signature: Option<&str>,
    ) -> Result<ProviderNotification, ProviderError> {
        self.verify(body, signature)?;
        if body.len() > MAX_NOTIFICATION_BYTES {
            return Err(ProviderError::Malformed(format!(
                "notification: larger than {MAX_NOTIFICATION_BYTES} bytes"
            )));
        }
        // serde_json refuses nesting deeper than 128 levels before it could exhaust a stack.
        let raw: Map<String, Value> = serde_json::from_slice(body)
            .map_err(|e| ProviderError::Malformed(format!("notification: {e}")))?;
        let order_ref = text(&raw, "orderRef")?;
        let transaction_id = text(&raw, "transactionId")?;
        let merchant = text(&raw, "merchant")?;
        let amount = match raw.get("total") {
            None => None,
            Some(total) => {
                let currency = text(&raw, "currency")?;
                let amount = match total {
                    Value::Number(n) => n.as_i64(),
                    Value::String(s) => super::camt::parse_amount(s, &currency),
                    _ => None,
                }
                .ok_or_else(|| ProviderError::Malformed("total is not an amount".into()))?;
                Some(Money { amount, currency })
            }
        };
        let outcome = match text(&raw, "status")?.as_str() {
            "FINISHED" => ProviderOutcome::Succeeded,
            "NOTAUTHORIZED" | "FRAUD" => ProviderOutcome::Failed,
            "CANCELLED" => ProviderOutcome::Cancelled,
            "TIMEOUT" => ProviderOutcome::Expired,
            "REFUND" | "REVERSED" => ProviderOutcome::Refunded,
            other => ProviderOutcome::Other(other.to_owned()),
        };
        Ok(ProviderNotification {
            order_ref,
            transaction_id,
            merchant,
            amount,
            outcome,
            raw,
        })
    }

    /// The acknowledgement: the notification echoed with `receiveDate`, signed.
    pub fn acknowledge(
        &self,
        notification: &ProviderNotification,
        now: Timestamp,
    ) -> Acknowledgement {
        let mut echo = notification.raw.clone();
        echo.insert("receiveDate".into(), Value::String(format_time(now)));
        let body = Value::Object(echo).to_string().into_bytes();
        Acknowledgement {
            signature: self.sign(&body),
            body,
        }
    }

    /// Reads the back-redirect's `r` (base64 JSON) after checking its signature `s`.
    pub fn read_back_redirect(&self, r: &str, s: &str) -> Result<BackRedirect, ProviderError> {
        if r.len() > MAX_NOTIFICATION_BYTES || s.len() > 512 {
            return Err(ProviderError::Malformed("back-redirect too long".into()));
        }
        let json = STANDARD
            .decode(r.trim())
            .map_err(|_| ProviderError::Malformed("back-redirect encoding".into()))?;
        self.verify(&json, Some(s))?;
        let value: Map<String, Value> = serde_json::from_slice(&json)
            .map_err(|e| ProviderError::Malformed(format!("back-redirect: {e}")))?;
        Ok(BackRedirect {
            order_ref: text(&value, "o")?,
            transaction_id: text(&value, "t")?,
            event: text(&value, "e")?,
        })
    }

    /// The back-redirect query the provider builds (`r`, `s`); the simulator uses it.
    pub fn back_redirect_query(&self, redirect: &BackRedirect) -> (String, String) {
        let json = json!({
            "r": 0,
            "t": redirect.transaction_id,
            "e": redirect.event,
            "m": self.id,
            "o": redirect.order_ref,
        })
        .to_string();
        (STANDARD.encode(json.as_bytes()), self.sign(json.as_bytes()))
    }
}

/// SimplePay's time format (ISO 8601 with offset).
pub fn format_time(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

/// A string or number member as text (SimplePay sends transaction ids as numbers).
fn text(map: &Map<String, Value>, name: &str) -> Result<String, ProviderError> {
    match map.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        _ => Err(ProviderError::Malformed(format!("{name} is missing"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merchant() -> Merchant {
        Merchant::new("PUBLICTESTHUF", "FxDa5w314kLlNseq2sKuVwaqZshZT5d6")
    }

    fn ipn(status: &str) -> Vec<u8> {
        json!({"salt": "c1ca1d0e9fc2323b3dda7cf145e36f5e", "orderRef": "o-1", "method": "CARD",
               "merchant": "PUBLICTESTHUF", "finishDate": "2026-11-24T10:00:00+00:00",
               "paymentDate": "2026-11-24T09:59:00+00:00", "transactionId": 99325165,
               "status": status})
        .to_string()
        .into_bytes()
    }

    #[test]
    fn signatures_are_base64_hmac_sha384_of_the_raw_body() {
        // HMAC-SHA384("key", "The quick brown fox jumps over the lazy dog"), base64.
        let m = Merchant::new("m", "key");
        assert_eq!(
            m.sign(b"The quick brown fox jumps over the lazy dog"),
            "1/RyfiwLOa4PHkDMlvYCQtW3gBhBzqb8WSxdPhrlBwBYKpbPNeHlVJlf5OAzgcI3"
        );
    }

    #[test]
    fn a_signed_notification_is_read_and_acknowledged_with_a_signed_echo() {
        let m = merchant();
        let body = ipn("FINISHED");
        let n = m
            .read_notification(&body, Some(&m.sign(&body)))
            .expect("valid");
        assert_eq!(n.outcome, ProviderOutcome::Succeeded);
        assert_eq!(n.transaction_id, "99325165");
        let ack = m.acknowledge(&n, Timestamp::UNIX_EPOCH);
        assert!(m.verify(&ack.body, Some(&ack.signature)).is_ok());
        let echo: Value = serde_json::from_slice(&ack.body).expect("json");
        assert_eq!(echo["receiveDate"], "1970-01-01T00:00:00+00:00");
        assert_eq!(echo["orderRef"], "o-1");
    }

    #[test]
    fn forged_or_altered_notifications_are_refused() {
        let m = merchant();
        let body = ipn("FINISHED");
        let forged = Merchant::new("PUBLICTESTHUF", "not-the-secret").sign(&body);
        assert_eq!(
            m.read_notification(&body, Some(&forged)),
            Err(ProviderError::BadSignature)
        );
        assert_eq!(
            m.read_notification(&body, None),
            Err(ProviderError::BadSignature)
        );
        let signature = m.sign(&body);
        let altered = ipn("REFUND");
        assert_eq!(
            m.read_notification(&altered, Some(&signature)),
            Err(ProviderError::BadSignature)
        );
    }

    #[test]
    fn back_redirects_round_trip_and_refuse_tampering() {
        let m = merchant();
        let redirect = BackRedirect {
            order_ref: "o-1".into(),
            transaction_id: "7".into(),
            event: "SUCCESS".into(),
        };
        let (r, s) = m.back_redirect_query(&redirect);
        assert_eq!(m.read_back_redirect(&r, &s), Ok(redirect));
        assert!(m.read_back_redirect(&r, "AAAA").is_err());
    }
}
