//! The pay-fee state of a Lambda function, from its environment: the case state, SimplePay
//! (card payments off until a merchant is named; its secret read from Secrets Manager once
//! per execution environment) and the public URL payments return to.

use crate::StartError;
use async_trait::async_trait;
use jiff::Timestamp;
use std::sync::Arc;
use varoskapu_aws::secrets::{SecretsManager, secret_arn};
use varoskapu_case_api::CasesState;
use varoskapu_core::payments::nav::RecordingInvoiceReporter;
use varoskapu_core::payments::provider::{
    Acknowledgement, BackRedirect, ProviderNotification, StartRequest, StartedPayment,
};
use varoskapu_core::payments::{PaymentProvider, PaymentSettings, Payments, ProviderError};
use varoskapu_http::config::optional;
use varoskapu_pay_fee::PayFeeState;
use varoskapu_pay_fee::config::{MERCHANT_VAR, SimplePaySettings};
use varoskapu_pay_fee::simplepay_client::SimplePayClient;

/// The ARN of the secret holding the SimplePay merchant secret (read only with a merchant).
pub const SIMPLEPAY_SECRET_VAR: &str = "VAROSKAPU_SIMPLEPAY_SECRET_ARN";

/// Builds the pay-fee state from the environment.
pub async fn state_from_env() -> Result<PayFeeState, StartError> {
    let aws = varoskapu_aws::AwsConfig::from_env()?;
    // A merchant without its secret's ARN stops start-up before any call to AWS.
    let secret_arn = merchant_secret_arn()?;
    let sdk = aws.sdk_config().await;
    let secrets = SecretsManager::new(&sdk);
    // The secret is read beside the case state's construction, so its round trip overlaps it.
    let (cases, secret) = tokio::try_join!(
        crate::cases::state_on(&aws, &sdk),
        read_merchant_secret(&secrets, secret_arn.as_deref())
    )?;
    state_with(cases, secret)
}

/// The ARN of the SimplePay merchant secret when a merchant is named (none: card payments
/// are off); a merchant without it stops start-up naming [`SIMPLEPAY_SECRET_VAR`].
pub fn merchant_secret_arn() -> Result<Option<String>, StartError> {
    match optional(MERCHANT_VAR) {
        Some(_) => Ok(Some(secret_arn(
            |name| std::env::var(name).ok(),
            SIMPLEPAY_SECRET_VAR,
        )?)),
        None => Ok(None),
    }
}

/// The merchant secret at `arn`, read once per execution environment (none without a merchant).
pub async fn read_merchant_secret(
    secrets: &SecretsManager,
    arn: Option<&str>,
) -> Result<Option<String>, StartError> {
    match arn {
        Some(arn) => Ok(Some(secrets.read(SIMPLEPAY_SECRET_VAR, arn).await?)),
        None => Ok(None),
    }
}

/// The pay-fee state over the case state `cases`, with the merchant secret if there is a
/// merchant (see [`read_merchant_secret`]).
pub fn state_with(cases: CasesState, secret: Option<String>) -> Result<PayFeeState, StartError> {
    let simplepay = secret
        .map(SimplePaySettings::from_env_with_secret)
        .transpose()?;
    let provider: Arc<dyn PaymentProvider> = match simplepay {
        Some(simplepay) => Arc::new(SimplePayClient::new(simplepay.merchant, &simplepay.api_url)),
        None => {
            tracing::warn!(
                "card payments are off: {MERCHANT_VAR} is not set; starting a card payment \
                 answers 503, bank transfers and desk payments work"
            );
            Arc::new(NoCardPayments)
        }
    };
    let public_base_url = varoskapu_pay_fee::config::public_url()?;
    let return_origins = varoskapu_pay_fee::config::return_origins(&public_base_url)?;
    // Invoices are recorded for the NAV reporter; the NAV API client is not wired yet.
    let reporter = Arc::new(RecordingInvoiceReporter {
        table: cases.cases.store.table.clone(),
    });
    let payments = Payments::new(
        cases.cases.clone(),
        provider,
        reporter,
        PaymentSettings {
            return_origins: Some(return_origins),
            ..PaymentSettings::default()
        },
    )
    // The portal is served at / of the same API (the template gives both the issuer's
    // URL), so payment notices link to the case there, as the local server's do.
    .with_public_url(public_base_url.clone());
    Ok(PayFeeState {
        payments,
        tokens: cases.tokens.clone(),
        public_base_url,
    })
}

/// The card provider of a deployment without a SimplePay merchant: no payment starts, and
/// no notification or back-redirect is believed, as none can carry our merchant's signature.
pub struct NoCardPayments;

const OFF: &str = "card payments are not set up for this municipality yet";

#[async_trait]
impl PaymentProvider for NoCardPayments {
    fn merchant(&self) -> &str {
        ""
    }

    async fn start(&self, _: &StartRequest) -> Result<StartedPayment, ProviderError> {
        Err(ProviderError::Unavailable(OFF.into()))
    }

    fn verify_notification(
        &self,
        _: &[u8],
        _: Option<&str>,
    ) -> Result<ProviderNotification, ProviderError> {
        Err(ProviderError::BadSignature)
    }

    fn acknowledge(
        &self,
        _: &ProviderNotification,
        _: Timestamp,
    ) -> Result<Acknowledgement, ProviderError> {
        Err(ProviderError::Unavailable(OFF.into()))
    }

    fn read_back_redirect(&self, _: &str, _: &str) -> Result<BackRedirect, ProviderError> {
        Err(ProviderError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_merchant_no_notification_or_redirect_is_believed() {
        // An attacker's forged IPN or back-redirect, signed or not, settles nothing.
        assert_eq!(
            NoCardPayments
                .verify_notification(br#"{"orderRef":"x","status":"FINISHED"}"#, Some("forged")),
            Err(ProviderError::BadSignature)
        );
        assert_eq!(
            NoCardPayments.read_back_redirect("e30=", "forged"),
            Err(ProviderError::BadSignature)
        );
    }
}
