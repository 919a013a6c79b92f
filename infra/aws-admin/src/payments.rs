//! `payments import FILE`: a bank statement imported into the stack as the back office
//! would, settling the payments it matches (with signed receipts) and queueing the rest.

use async_trait::async_trait;
use std::sync::Arc;
use varoskapu_aws::S3BlobStore;
use varoskapu_aws::kms_signer::KmsSigner;
use varoskapu_case_api::people::AccountDirectory;
use varoskapu_core::cases::{CasePorts, Cases};
use varoskapu_core::documents::{Signer, TimestampAuthority, TimestampError};
use varoskapu_core::notify::OutboxNotifier;
use varoskapu_core::payments::provider::{
    Acknowledgement, BackRedirect, PaymentProvider, ProviderError, ProviderNotification,
    StartRequest, StartedPayment,
};
use varoskapu_core::payments::{ImportSummary, PaymentSettings, Payments};
use varoskapu_core::{Clock, SystemClock, Table, UuidV7Ids};
use varoskapu_documents::render::Municipality;
use varoskapu_documents::tsa_client::HttpTsa;
use varoskapu_documents::{CmsNotary, PadesIssuer};

use crate::stack::{Stack, logical, parameter};

/// The card side of payments, which a statement import never uses: the CLI holds no
/// merchant secret, so anything card-related is refused rather than guessed.
struct NoCardPayments {
    merchant: String,
}

fn no_cards() -> ProviderError {
    ProviderError::Refused("the operators' CLI takes no card payments".into())
}

#[async_trait]
impl PaymentProvider for NoCardPayments {
    fn merchant(&self) -> &str {
        &self.merchant
    }

    async fn start(&self, _: &StartRequest) -> Result<StartedPayment, ProviderError> {
        Err(no_cards())
    }

    fn verify_notification(
        &self,
        _: &[u8],
        _: Option<&str>,
    ) -> Result<ProviderNotification, ProviderError> {
        Err(no_cards())
    }

    fn acknowledge(
        &self,
        _: &ProviderNotification,
        _: jiff::Timestamp,
    ) -> Result<Acknowledgement, ProviderError> {
        Err(no_cards())
    }

    fn read_back_redirect(&self, _: &str, _: &str) -> Result<BackRedirect, ProviderError> {
        Err(no_cards())
    }
}

/// A stack without a timestamp authority cannot issue receipts; said when one is needed.
struct NoTimestampAuthority;

#[async_trait]
impl TimestampAuthority for NoTimestampAuthority {
    async fn timestamp(&self, _: &[u8; 32]) -> Result<Vec<u8>, TimestampError> {
        Err(TimestampError::Unavailable(
            "the stack's TimestampAuthorityUrl is empty".into(),
        ))
    }
}

/// The payment use cases over the stack: its table and buckets, the document-signing key
/// with the installed chain (receipts are signed), the stack's timestamp authority.
async fn payments(stack: &Stack) -> anyhow::Result<Payments> {
    let aws = stack.aws_config()?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let table: Arc<dyn Table> = Arc::new(aws.table(&stack.sdk, clock.clone()));
    let documents = Arc::new(aws.documents(&stack.sdk));
    let uploads = Arc::new(S3BlobStore::new(
        aws.s3_client(&stack.sdk),
        stack.resource(logical::UPLOADS_BUCKET)?.to_owned(),
    ));
    let chain_parameter = stack.signing_chain_parameter()?;
    let ssm = aws_sdk_ssm::Client::new(&stack.sdk);
    // Read as the signing functions read it, so that what they would refuse is refused here.
    let chain = varoskapu_aws::signing_chain::read_signing_chain(&ssm, &chain_parameter)
        .await?
        .ok_or_else(|| {
            anyhow::anyhow!(
                "no signing chain in {chain_parameter}: settled payments get signed receipts, \
                 so install the chain first (documents csr, then documents install-chain)"
            )
        })?;
    let signer: Arc<dyn Signer> = Arc::new(KmsSigner::new(
        aws_sdk_kms::Client::new(&stack.sdk),
        stack.resource(logical::DOCUMENT_SIGNING_KEY)?,
        chain,
    ));
    let tsa: Arc<dyn TimestampAuthority> = match stack.parameter(parameter::TIMESTAMP_AUTHORITY_URL)
    {
        Some(url) => Arc::new(HttpTsa::new(url)),
        None => Arc::new(NoTimestampAuthority),
    };
    let demo = Municipality::demo();
    let municipality = Municipality {
        name: stack
            .parameter(parameter::MUNICIPALITY_NAME)
            .map(str::to_owned)
            .unwrap_or(demo.name),
        office: stack
            .parameter(parameter::OFFICE_LINE)
            .map(str::to_owned)
            .unwrap_or(demo.office),
    };
    let issuer = Arc::new(PadesIssuer {
        municipality,
        signer: signer.clone(),
        tsa: tsa.clone(),
        blobs: documents.clone(),
        table: table.clone(),
        clock: clock.clone(),
        ids: Arc::new(UuidV7Ids),
    });
    let notifier = Arc::new(OutboxNotifier::new(
        table.clone(),
        clock.clone(),
        Arc::new(UuidV7Ids),
    ));
    let cases = Cases::new(CasePorts {
        people: Arc::new(AccountDirectory::new(table.clone())),
        notary: Some(Arc::new(CmsNotary { signer, tsa })),
        // No registry service yet: rules with registry checks leave every case to a clerk.
        registry: None,
        table: table.clone(),
        uploads,
        documents,
        issuer,
        notifier,
        clock,
        ids: Arc::new(UuidV7Ids),
    })?;
    let provider = NoCardPayments {
        merchant: stack
            .parameter(parameter::SIMPLEPAY_MERCHANT)
            .unwrap_or_default()
            .to_owned(),
    };
    Ok(Payments::new(
        cases,
        Arc::new(provider),
        Arc::new(varoskapu_core::payments::nav::RecordingInvoiceReporter { table }),
        PaymentSettings::default(),
    ))
}

/// Imports a camt.053/054 statement; importing it again changes nothing.
pub async fn import(stack: &Stack, xml: &str) -> anyhow::Result<ImportSummary> {
    Ok(payments(stack)
        .await?
        .import(xml, varoskapu_core::cases::Actor::System)
        .await?)
}
