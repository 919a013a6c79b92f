//! The `PaymentProvider` port, modelled on SimplePay v2 (OTP Mobil): starting a card
//! payment returns a URL to send the payer to; the outcome arrives later as a signed
//! notification (IPN) that must be verified and acknowledged in the provider's format.
//! The back-redirect only tells the payer's browser what happened; it settles nothing.

use crate::cases::Money;
use async_trait::async_trait;
use jiff::Timestamp;
use serde_json::{Map, Value};

/// What the provider needs to start a card payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartRequest {
    /// Our order reference: the payment's id.
    pub order_ref: String,
    pub amount: Money,
    /// Where the provider sends the payer's browser back.
    pub back_url: String,
    /// When an unfinished payment lapses.
    pub timeout: Timestamp,
    /// `HU` or `EN`.
    pub language: String,
}

/// A started card payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartedPayment {
    pub transaction_id: String,
    pub redirect_url: String,
}

/// What the provider says happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderOutcome {
    Succeeded,
    Failed,
    Cancelled,
    Expired,
    Refunded,
    /// A status this system does not act on (kept in the acknowledgement only).
    Other(String),
}

/// A verified notification.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderNotification {
    pub order_ref: String,
    pub transaction_id: String,
    /// The merchant account the notification is for.
    pub merchant: String,
    /// The amount, when the notification carries one (SimplePay's IPN does not: its
    /// transaction id stands for the amount registered at start).
    pub amount: Option<Money>,
    pub outcome: ProviderOutcome,
    /// The notification as sent, echoed in the acknowledgement.
    pub raw: Map<String, Value>,
}

/// The response the provider expects to a notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acknowledgement {
    pub body: Vec<u8>,
    /// For the `Signature` header.
    pub signature: String,
}

/// What the back-redirect says, after its signature is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackRedirect {
    pub order_ref: String,
    pub transaction_id: String,
    /// `SUCCESS`, `FAIL`, `CANCEL` or `TIMEOUT`.
    pub event: String,
}

/// Why the provider could not be used or a message from it is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    #[error("the provider's signature is missing or wrong")]
    BadSignature,
    #[error("the provider's message is malformed: {0}")]
    Malformed(String),
    #[error("the provider refused: {0}")]
    Refused(String),
    #[error("the provider is unreachable: {0}")]
    Unavailable(String),
}

/// A card payment provider (SimplePay in production, its simulator locally).
#[async_trait]
pub trait PaymentProvider: Send + Sync + 'static {
    /// The merchant account payments are registered under.
    fn merchant(&self) -> &str;

    /// Registers a payment with the provider and returns where to send the payer.
    async fn start(&self, request: &StartRequest) -> Result<StartedPayment, ProviderError>;

    /// Checks a notification's signature over the raw body and reads it.
    fn verify_notification(
        &self,
        body: &[u8],
        signature: Option<&str>,
    ) -> Result<ProviderNotification, ProviderError>;

    /// The signed acknowledgement of a verified notification.
    fn acknowledge(
        &self,
        notification: &ProviderNotification,
        now: Timestamp,
    ) -> Result<Acknowledgement, ProviderError>;

    /// Checks and reads the query of the payer's back-redirect (`r`, `s`).
    fn read_back_redirect(&self, r: &str, s: &str) -> Result<BackRedirect, ProviderError>;
}
