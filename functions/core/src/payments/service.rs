//! `Payments`: the fee payment use cases over the case use cases and the payment ports.
//! Settling a payment and moving its case on are one transaction (through
//! [`Cases::mark_paid`]); money for a case already paid becomes an overpayment to refund.

use super::account;
use super::camt;
use super::error::PaymentError;
use super::matching::{self, MatchBasis, MatchDecision, Suggestion};
use super::nav::{
    self, InvoiceFacts, InvoiceOperation, InvoiceReport, InvoiceReporter, Seller, VatTreatment,
};
use super::payment::{NewPayment, Overpayment, Payment, Refund, SettlementSource};
use super::provider::{Acknowledgement, PaymentProvider, ProviderOutcome, StartRequest};
use super::reference::PaymentReference;
use super::return_origin::ReturnOrigins;
use super::status::{PaymentMethod, PaymentStatus};
use super::store::{BankEntry, EntryEvent, EntryStatus, PaymentStore};
use crate::blob::BlobPut;
use crate::cases::{Actor, CaseError, CaseStatus, Cases, OfficeActor};
use crate::documents::{DocumentKind, DocumentRequest, KeyFact};
use crate::idempotency::{self, Replay};
use crate::notify::Message;
use crate::table::{TableError, TxOp};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use uuid::Uuid;

// One module per use case; this file keeps the settings, the results and what they share.
mod card;
mod desk;
mod refunds;
mod settlement;
mod start;
mod statements;

const MAX_ATTEMPTS: usize = 32;

/// The municipality's payment settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentSettings {
    pub seller: Seller,
    pub vat: VatTreatment,
    /// How long a started card payment may take.
    pub card_timeout: SignedDuration,
    /// Where a citizen's `back_url` may send the browser after a card payment; `None`:
    /// only this API's own back-redirect, whatever the request says.
    pub return_origins: Option<ReturnOrigins>,
}

impl Default for PaymentSettings {
    fn default() -> Self {
        Self {
            seller: Seller::demo(),
            vat: VatTreatment::OutOfScope,
            card_timeout: SignedDuration::from_mins(30),
            return_origins: None,
        }
    }
}

/// What the citizen asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StartPayment {
    #[schema(value_type = super::status::OnlineMethod)]
    pub method: PaymentMethod,
    /// The account holder a transfer will come from (helps matching if the reference is lost).
    pub payer_name: Option<String>,
    /// Where the card provider sends the browser back (this API's status page by default).
    pub back_url: Option<String>,
}

/// What settling did.
#[derive(Debug, Clone, PartialEq)]
pub enum Settled {
    /// The payment settled the case's fee now.
    Now(Payment),
    /// This very money had settled it before (a replayed notification, a re-import).
    Already(Payment),
    /// The case was paid already: the money is recorded for a refund.
    Overpaid(Overpayment),
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportSummary {
    pub statements: usize,
    /// Statements seen before (nothing changed for them).
    pub already_imported: usize,
    pub entries: usize,
    /// Entries seen before in another statement or notification.
    pub duplicates: usize,
    pub settled: usize,
    pub overpaid: usize,
    pub queued: usize,
    pub skipped: usize,
    /// Statements of an account other than the municipality's collection account: none
    /// of their entries settles anything, none is recorded.
    pub refused: Vec<RefusedStatement>,
}

/// A statement an import did not take, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RefusedStatement {
    /// The bank's id of the statement (with the message id).
    pub statement_id: String,
    /// The account the statement is of, as the file names it.
    pub account: String,
    pub reason: String,
}

/// The audit stream of reads and imports that concern many payers at once.
fn payments_register() -> crate::audit::AuditStream {
    crate::audit::AuditStream::register("payments")
}

/// The fee payment use cases.
#[derive(Clone)]
pub struct Payments {
    pub cases: Cases,
    pub store: PaymentStore,
    pub provider: Arc<dyn PaymentProvider>,
    pub reporter: Arc<dyn InvoiceReporter>,
    pub settings: PaymentSettings,
    /// Where citizens reach the portal, for the links of payment notices.
    pub public_url: Option<String>,
}

impl Payments {
    pub fn new(
        cases: Cases,
        provider: Arc<dyn PaymentProvider>,
        reporter: Arc<dyn InvoiceReporter>,
        settings: PaymentSettings,
    ) -> Self {
        Self {
            store: PaymentStore::new(cases.store.table.clone()),
            cases,
            provider,
            reporter,
            settings,
            public_url: None,
        }
    }

    /// The use cases with the portal at `public_url`, which payment notices link to.
    pub fn with_public_url(mut self, public_url: impl Into<String>) -> Self {
        self.public_url = Some(public_url.into());
        self
    }

    fn now(&self) -> Timestamp {
        self.cases.clock.now()
    }

    /// A fresh reference from random id bits (unique by its conditional claim).
    fn new_reference(&self) -> PaymentReference {
        let id = self.cases.ids.new_id();
        PaymentReference::from_number((id.as_u128() & u128::from(u64::MAX)) as u64)
    }

    /// A payment of the citizen's own.
    pub async fn payment_of(&self, owner: &str, id: Uuid) -> Result<Payment, PaymentError> {
        let payment = self.payment(id).await?;
        if payment.owner != owner {
            return Err(PaymentError::UnknownPayment);
        }
        Ok(payment)
    }

    /// Any payment (the office).
    pub async fn payment(&self, id: Uuid) -> Result<Payment, PaymentError> {
        self.store
            .load(id)
            .await?
            .map(|(p, _)| p)
            .ok_or(PaymentError::UnknownPayment)
    }

    /// Any payment, as the office reads it; audited on its case.
    pub async fn payment_for_office(
        &self,
        id: Uuid,
        by: &OfficeActor,
    ) -> Result<Payment, PaymentError> {
        let payment = self.payment(id).await?;
        let read = self
            .cases
            .audit_entry(
                &by.actor,
                payment.case_id,
                "read_payment",
                by.origin.as_deref(),
            )
            .on(format!("payment/{id}"));
        self.cases.audit.record(read).await?;
        Ok(payment)
    }

    async fn record_read(&self, by: &OfficeActor, action: &str) -> Result<(), PaymentError> {
        let read =
            self.cases
                .audit
                .event(payments_register(), &by.actor, action, by.origin.as_deref());
        Ok(self.cases.audit.record(read).await?)
    }
}
