//! The `PaymentProvider` adapter speaking SimplePay v2 over HTTPS; locally the very same
//! client talks to the simulator mounted on the local server.

use async_trait::async_trait;
use jiff::Timestamp;
use std::time::Duration;
use varoskapu_core::payments::provider::{
    Acknowledgement, BackRedirect, PaymentProvider, ProviderError, ProviderNotification,
    StartRequest, StartedPayment,
};
use varoskapu_core::payments::simplepay::{Merchant, SIGNATURE_HEADER};

/// SimplePay's sandbox API base.
pub const SANDBOX_URL: &str = "https://sandbox.simplepay.hu/payment";

/// SimplePay over HTTP.
pub struct SimplePayClient {
    pub merchant: Merchant,
    /// API base, e.g. `https://secure.simplepay.hu/payment` (no trailing slash).
    pub base_url: String,
    http: reqwest::Client,
}

impl SimplePayClient {
    pub fn new(merchant: Merchant, base_url: &str) -> Self {
        Self {
            merchant,
            base_url: base_url.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
        }
    }
}

fn salt() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

#[async_trait]
impl PaymentProvider for SimplePayClient {
    fn merchant(&self) -> &str {
        &self.merchant.id
    }

    async fn start(&self, request: &StartRequest) -> Result<StartedPayment, ProviderError> {
        let body = self.merchant.start_body(request, &salt());
        let response = self
            .http
            .post(format!("{}/v2/start", self.base_url))
            .header("content-type", "application/json")
            .header(SIGNATURE_HEADER, self.merchant.sign(&body))
            .body(body)
            .timeout(Duration::from_secs(15))
            .send()
            .await
            .map_err(|e| ProviderError::Unavailable(e.without_url().to_string()))?;
        let signature = response
            .headers()
            .get(SIGNATURE_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = response
            .bytes()
            .await
            .map_err(|e| ProviderError::Unavailable(e.without_url().to_string()))?;
        let answer: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| ProviderError::Malformed(format!("start answer: {e}")))?;
        if let Some(codes) = answer.get("errorCodes") {
            return Err(ProviderError::Refused(codes.to_string()));
        }
        self.merchant.verify(&bytes, signature.as_deref())?;
        let transaction_id = match answer.get("transactionId") {
            Some(serde_json::Value::Number(n)) => n.to_string(),
            Some(serde_json::Value::String(s)) => s.clone(),
            _ => return Err(ProviderError::Malformed("no transactionId".into())),
        };
        let redirect_url = answer
            .get("paymentUrl")
            .and_then(|v| v.as_str())
            .ok_or_else(|| ProviderError::Malformed("no paymentUrl".into()))?
            .to_owned();
        Ok(StartedPayment {
            transaction_id,
            redirect_url,
        })
    }

    fn verify_notification(
        &self,
        body: &[u8],
        signature: Option<&str>,
    ) -> Result<ProviderNotification, ProviderError> {
        self.merchant.read_notification(body, signature)
    }

    fn acknowledge(
        &self,
        notification: &ProviderNotification,
        now: Timestamp,
    ) -> Result<Acknowledgement, ProviderError> {
        Ok(self.merchant.acknowledge(notification, now))
    }

    fn read_back_redirect(&self, r: &str, s: &str) -> Result<BackRedirect, ProviderError> {
        self.merchant.read_back_redirect(r, s)
    }
}
