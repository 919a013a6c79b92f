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
use crate::table::{TableError, TxOp};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use uuid::Uuid;

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
        }
    }

    fn now(&self) -> Timestamp {
        self.cases.clock.now()
    }

    /// A fresh reference from random id bits (unique by its conditional claim).
    fn new_reference(&self) -> PaymentReference {
        let id = self.cases.ids.new_id();
        PaymentReference::from_number((id.as_u128() & u128::from(u64::MAX)) as u64)
    }

    /// The citizen starts paying a case's fee. A retry with the same `Idempotency-Key`
    /// returns the first payment; a card payment is registered with the provider first, and
    /// a registration whose record lost the race is never shown, so never paid.
    #[allow(clippy::too_many_arguments)]
    pub async fn start(
        &self,
        owner: &str,
        case_id: Uuid,
        request: &StartPayment,
        key: &str,
        fingerprint: &str,
        default_back_url: &str,
        origin: Option<&str>,
    ) -> Result<Payment, PaymentError> {
        let scope = format!("pay#{owner}");
        if let Replay::Stored(id) =
            idempotency::lookup::<Uuid>(self.store.table.as_ref(), &scope, key, fingerprint).await?
        {
            return self.payment_of(owner, id).await;
        }
        let case = self.cases.case_of(owner, case_id).await?;
        let fee = match (&case.status, &case.fee) {
            (CaseStatus::AwaitingPayment, Some(fee)) => fee.clone(),
            _ => return Err(PaymentError::NoFeeDue),
        };
        if matches!(request.method, PaymentMethod::Cash | PaymentMethod::Pos) {
            return Err(PaymentError::Invalid(
                "cash and POS payments are made at the office's desk".into(),
            ));
        }
        if let Some(back_url) = &request.back_url
            && !self
                .settings
                .return_origins
                .as_ref()
                .is_some_and(|o| o.allows(back_url))
        {
            return Err(PaymentError::BackUrlNotAllowed {
                allowed: self
                    .settings
                    .return_origins
                    .as_ref()
                    .map(|o| o.origins().to_vec())
                    .unwrap_or_default(),
            });
        }
        let now = self.now();
        let id = self.cases.ids.new_id();
        let mut payment = Payment::initiated(
            NewPayment {
                id,
                case_id,
                owner: owner.to_owned(),
                method: request.method,
                amount: fee,
                reference: self.new_reference(),
                payer_name: request
                    .payer_name
                    .as_ref()
                    .map(|n| n.trim().to_owned())
                    .filter(|n| !n.is_empty()),
                actor: Actor::Citizen(owner.to_owned()),
                remark: None,
            },
            now,
        );
        let remark = if payment.method == PaymentMethod::Card {
            let started = self
                .provider
                .start(&StartRequest {
                    order_ref: id.to_string(),
                    amount: payment.amount.clone(),
                    back_url: request
                        .back_url
                        .clone()
                        .unwrap_or_else(|| default_back_url.to_owned()),
                    timeout: now + self.settings.card_timeout,
                    language: "HU".into(),
                })
                .await?;
            payment.provider_transaction = Some(started.transaction_id);
            payment.redirect_url = Some(started.redirect_url);
            "registered with the card provider"
        } else {
            "waiting for the transfer"
        };
        payment.move_to(
            PaymentStatus::Pending,
            Actor::System,
            now,
            Some(remark.into()),
        )?;
        let mut ops = vec![
            PaymentStore::save_op(&payment, None)?,
            PaymentStore::claim_reference_op(&payment.reference, id),
            idempotency::record_op(&scope, key, fingerprint, &id, now.as_second())?,
        ];
        let started = self
            .cases
            .audit_entry(
                &Actor::Citizen(owner.to_owned()),
                case_id,
                "start_payment",
                origin,
            )
            .on(format!("payment/{id}"));
        ops.extend(self.cases.audit.seal(vec![started]).await?);
        match self.cases.audit.commit(ops).await {
            Ok(()) => Ok(payment),
            Err(e) if idempotency::lost_race(&e, 2) => {
                match idempotency::lookup::<Uuid>(
                    self.store.table.as_ref(),
                    &scope,
                    key,
                    fingerprint,
                )
                .await?
                {
                    Replay::Stored(first) => self.payment_of(owner, first).await,
                    Replay::Fresh => Err(PaymentError::Busy),
                }
            }
            // A reference collision (one in ten billion): the client's retry draws anew.
            Err(e) if e.is_condition_failure() => Err(PaymentError::Busy),
            Err(e) => Err(e.into()),
        }
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

    /// Handles the provider's notification: verified over the raw body, applied once (a
    /// replay changes nothing), acknowledged in the provider's format.
    pub async fn notify(
        &self,
        body: &[u8],
        signature: Option<&str>,
    ) -> Result<Acknowledgement, PaymentError> {
        let notification = self.provider.verify_notification(body, signature)?;
        let stored = match notification.order_ref.parse::<Uuid>() {
            Ok(id) => self.store.load(id).await?,
            Err(_) => None,
        };
        let Some((payment, _)) = stored else {
            tracing::warn!("card provider notification for an unknown payment refused");
            return Err(PaymentError::UnknownPayment);
        };
        let id = payment.id;
        if let Err(reason) = self.registered_as_notified(&payment, &notification) {
            tracing::warn!(payment = %id, %reason, "card provider notification refused");
            return Err(PaymentError::NotificationMismatch(reason));
        }
        let remark = format!("provider transaction {}", notification.transaction_id);
        match notification.outcome {
            ProviderOutcome::Succeeded => {
                let source = SettlementSource::Provider {
                    transaction_id: notification.transaction_id.clone(),
                };
                self.settle(id, source, payment.amount, Actor::System, None, Vec::new())
                    .await?;
            }
            ProviderOutcome::Failed => self.close(id, PaymentStatus::Failed, remark).await?,
            ProviderOutcome::Cancelled => self.close(id, PaymentStatus::Cancelled, remark).await?,
            ProviderOutcome::Expired => self.close(id, PaymentStatus::Expired, remark).await?,
            ProviderOutcome::Refunded => self.close(id, PaymentStatus::Refunded, remark).await?,
            ProviderOutcome::Other(_) => {}
        }
        Ok(self.provider.acknowledge(&notification, self.now())?)
    }

    /// Whether a (signature-checked) notification is about the transaction this payment
    /// registered at start: its merchant, its transaction id, and its amount if it names
    /// one. A notification correctly signed but for other money settles nothing.
    fn registered_as_notified(
        &self,
        payment: &Payment,
        notification: &super::provider::ProviderNotification,
    ) -> Result<(), String> {
        if notification.merchant != self.provider.merchant() {
            return Err("it is for another merchant account".into());
        }
        if payment.method != PaymentMethod::Card
            || payment.provider_transaction.as_deref() != Some(&notification.transaction_id)
        {
            return Err("its transaction id is not the one registered at start".into());
        }
        if let Some(amount) = &notification.amount
            && *amount != payment.amount
        {
            return Err(format!(
                "its amount is {} {}, the payment's {} {}",
                amount.amount, amount.currency, payment.amount.amount, payment.amount.currency
            ));
        }
        Ok(())
    }

    /// Ends an open payment (failed, cancelled, expired) or refunds a settled one; a
    /// payment already there, or past it, is left as it is.
    async fn close(&self, id: Uuid, to: PaymentStatus, remark: String) -> Result<(), PaymentError> {
        for _ in 0..MAX_ATTEMPTS {
            let (mut payment, version) = self
                .store
                .load(id)
                .await?
                .ok_or(PaymentError::UnknownPayment)?;
            if !payment.status.may_become(to) {
                return Ok(());
            }
            payment.move_to(to, Actor::System, self.now(), Some(remark.clone()))?;
            match self
                .store
                .table
                .transact(vec![PaymentStore::save_op(&payment, Some(version))?])
                .await
            {
                Ok(()) => return Ok(()),
                Err(e) if e.is_condition_failure() || e == TableError::Conflict => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(PaymentError::Busy)
    }

    /// Settles a payment with money from `source`: the payment succeeds and its case moves
    /// on in one transaction with `extra`. The same money twice is a no-op; money for a
    /// case already paid is recorded as an overpayment.
    pub async fn settle(
        &self,
        id: Uuid,
        source: SettlementSource,
        amount: crate::cases::Money,
        actor: Actor,
        origin: Option<&str>,
        extra: Vec<TxOp>,
    ) -> Result<Settled, PaymentError> {
        for _ in 0..MAX_ATTEMPTS {
            let (mut payment, version) = self
                .store
                .load(id)
                .await?
                .ok_or(PaymentError::UnknownPayment)?;
            if payment.settled_by.as_ref() == Some(&source) {
                return Ok(Settled::Already(payment));
            }
            let case = self
                .cases
                .store
                .load(payment.case_id)
                .await?
                .ok_or(PaymentError::Case(CaseError::UnknownCase))?
                .case;
            let now = self.now();
            let case_paid_elsewhere = case.status != CaseStatus::AwaitingPayment
                && case.payment_reference.as_deref() != Some(id.to_string().as_str());
            if payment.status == PaymentStatus::Succeeded || case_paid_elsewhere {
                let overpayment = Overpayment {
                    payment_id: id,
                    case_id: payment.case_id,
                    amount: amount.clone(),
                    source: source.clone(),
                    recorded_at: now,
                    refunded: false,
                    refund: None,
                };
                let mut ops = vec![PaymentStore::overpayment_op(&overpayment)?];
                if payment.status.is_open() {
                    payment.move_to(
                        PaymentStatus::Succeeded,
                        actor.clone(),
                        now,
                        Some(
                            "the case was already paid: recorded as an overpayment to refund"
                                .into(),
                        ),
                    )?;
                    payment.settled_at = Some(now);
                    payment.settled_by = Some(source.clone());
                    ops.push(PaymentStore::save_op(&payment, Some(version))?);
                }
                ops.extend(extra.iter().cloned());
                match self.store.table.transact(ops).await {
                    Ok(()) => return Ok(Settled::Overpaid(overpayment)),
                    Err(TableError::TransactionFailed { failed }) if failed == [0] => {
                        // This money was recorded before.
                        return Ok(Settled::Overpaid(overpayment));
                    }
                    Err(e) if e.is_condition_failure() || e == TableError::Conflict => continue,
                    Err(e) => return Err(e.into()),
                }
            }
            payment.move_to(
                PaymentStatus::Succeeded,
                actor.clone(),
                now,
                Some(source.key()),
            )?;
            payment.settled_at = Some(now);
            payment.settled_by = Some(source.clone());
            let mut ops = vec![PaymentStore::save_op(&payment, Some(version))?];
            ops.extend(extra.iter().cloned());
            if !matches!(actor, Actor::System) {
                let entry =
                    self.cases
                        .audit_entry(&actor, payment.case_id, "settle_payment", origin);
                ops.extend(self.cases.audit.seal(vec![entry]).await?);
            }
            match self
                .cases
                .mark_paid(payment.case_id, &id.to_string(), actor.clone(), ops)
                .await
            {
                Ok(_) => {
                    // The money is in and the case moved on; a receipt that could not be
                    // issued now is issued when the payment's receipt is first read.
                    let payment = self.finish(payment).await.unwrap_or_else(|(p, _)| p);
                    return Ok(Settled::Now(payment));
                }
                Err(CaseError::IllegalTransition { .. }) => continue,
                Err(CaseError::Table(e)) if e.is_condition_failure() => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(PaymentError::Busy)
    }

    /// Issues what a settled payment gets once: an invoice number, the signed receipt and
    /// invoice PDF, the NAV `InvoiceData` XML (stored and reported). On failure the
    /// payment is handed back with the error.
    pub async fn finish(&self, payment: Payment) -> Result<Payment, (Payment, PaymentError)> {
        match self.try_finish(&payment).await {
            Ok(p) => Ok(p),
            Err(e) => Err((payment, e)),
        }
    }

    async fn try_finish(&self, payment: &Payment) -> Result<Payment, PaymentError> {
        if payment.status != PaymentStatus::Succeeded || payment.receipt.is_some() {
            return Ok(payment.clone());
        }
        let settled_at = payment.settled_at.unwrap_or_else(|| self.now());
        let today = settled_at
            .to_zoned(crate::appointments::budapest().unwrap_or(jiff::tz::TimeZone::UTC))
            .date();
        let number = match &payment.invoice_number {
            Some(n) => n.clone(),
            None => self
                .store
                .claim_invoice_number(payment.id, today.year())
                .await?
                .ok_or(PaymentError::Busy)?,
        };
        let case = self
            .cases
            .store
            .load(payment.case_id)
            .await?
            .ok_or(PaymentError::Case(CaseError::UnknownCase))?
            .case;
        let case_label = case
            .arrival_number
            .clone()
            .unwrap_or_else(|| case.id.to_string());
        let case_type = self
            .cases
            .store
            .case_type(&case.case_type)
            .await?
            .map(|t| t.name.hu)
            .unwrap_or_else(|| case.case_type.clone());
        let amount = format!("{} {}", payment.amount.amount, payment.amount.currency);
        // The receipt names the payer's applicant as every case document does.
        let mut facts = vec![
            KeyFact::new("Számlaszám", number.clone()),
            KeyFact::new("Ügyszám", case_label.clone()),
        ];
        facts.extend(self.cases.applicant_facts(&payment.owner).await?);
        facts.extend([
            KeyFact::new("Fizetési azonosító", payment.reference.grouped()),
            KeyFact::new("Összeg", amount.clone()),
            KeyFact::new("Fizetési mód", payment.method.name_hu()),
            KeyFact::new("Teljesítés napja", today.to_string()),
            KeyFact::new("Eladó", self.settings.seller.name.clone()),
        ]);
        let receipt = self
            .cases
            .issuer
            .issue(DocumentRequest {
                kind: DocumentKind::PaymentReceipt,
                owner: payment.owner.clone(),
                case_id: Some(payment.case_id.to_string()),
                title: format!("Eljárási díj befizetése – {case_type}"),
                facts,
                paragraphs: vec![
                    format!(
                        "{} igazolja, hogy a(z) {case_label} ügyszámú eljárás díját ({amount}) megfizették.",
                        self.settings.seller.name
                    ),
                    "Az eljárási díj az általános forgalmi adóról szóló törvény hatályán kívül esik; a számla adatait a NAV Online Számla rendszerének jelentjük.".into(),
                ],
            })
            .await?;
        let xml = nav::invoice_data_xml(
            &self.settings.seller,
            &InvoiceFacts {
                number: number.clone(),
                issued_on: today,
                delivered_on: today,
                paid_on: today,
                payment_method: match payment.method {
                    PaymentMethod::Card | PaymentMethod::Pos => "CARD",
                    PaymentMethod::BankTransfer => "TRANSFER",
                    PaymentMethod::Cash => "CASH",
                },
                line_description: format!("Eljárási díj: {case_type}"),
                amount: payment.amount.clone(),
                vat: self.settings.vat,
                case_label,
                payment_reference: payment.reference.to_string(),
            },
        );
        let stored = self
            .cases
            .documents
            .put(
                BlobPut::content_addressed(
                    "invoices",
                    bytes::Bytes::from(xml.clone().into_bytes()),
                    "application/xml",
                )
                .write_once(),
            )
            .await;
        let xml_key = match stored {
            Ok(meta) => meta.key,
            // Content-addressed and write-once: the same XML stored before.
            Err(crate::blob::BlobError::AlreadyExists) => {
                crate::blob::content_key("invoices", &crate::blob::Sha256Digest::of(xml.as_bytes()))
            }
            Err(e) => return Err(e.into()),
        };
        self.reporter
            .report(InvoiceReport {
                invoice_number: number.clone(),
                operation: InvoiceOperation::create(&xml),
            })
            .await
            .map_err(|e| PaymentError::Invalid(e.to_string()))?;
        for _ in 0..MAX_ATTEMPTS {
            let (mut current, version) = self
                .store
                .load(payment.id)
                .await?
                .ok_or(PaymentError::UnknownPayment)?;
            if current.receipt.is_some() {
                return Ok(current);
            }
            current.invoice_number = Some(number.clone());
            current.receipt = Some(receipt.clone());
            current.invoice_xml_key = Some(xml_key.clone());
            match self
                .store
                .table
                .transact(vec![PaymentStore::save_op(&current, Some(version))?])
                .await
            {
                Ok(()) => return Ok(current),
                Err(e) if e.is_condition_failure() || e == TableError::Conflict => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(PaymentError::Busy)
    }

    /// Imports a camt.053/054 file: statements and entries are recorded by conditional
    /// writes, so importing the same file again changes nothing.
    pub async fn import(&self, xml: &str, actor: Actor) -> Result<ImportSummary, PaymentError> {
        let statements = camt::parse(xml)?;
        self.import_statements(statements, actor, None).await
    }

    /// Imports statements already parsed (the HTTP route parses on a blocking thread).
    /// Only statements of the municipality's collection account are taken; the others are
    /// listed in the summary as refused, their entries neither settle nor are recorded.
    pub async fn import_statements(
        &self,
        statements: Vec<camt::Statement>,
        actor: Actor,
        origin: Option<&str>,
    ) -> Result<ImportSummary, PaymentError> {
        // Statements name payers and their accounts: who brought them in is on record.
        let imported =
            self.cases
                .audit
                .event(payments_register(), &actor, "import_statement", origin);
        self.cases.audit.record(imported).await?;
        let mut summary = ImportSummary::default();
        let collection = &self.settings.seller.bank_account;
        for statement in statements {
            summary.statements += 1;
            if !account::same_account(&statement.account, collection) {
                tracing::warn!(
                    statement = %statement.id,
                    "bank statement of another account refused"
                );
                summary.refused.push(RefusedStatement {
                    reason: if statement.account.is_empty() {
                        "the statement names no account (Acct/Id/IBAN)".into()
                    } else {
                        format!(
                            "the statement is of account {}, not of the collection account {}",
                            statement.account, collection
                        )
                    },
                    statement_id: statement.id,
                    account: statement.account,
                });
                continue;
            }
            if !self
                .store
                .record_statement(&statement.id, self.now())
                .await?
            {
                summary.already_imported += 1;
                continue;
            }
            for entry in statement.entries {
                summary.entries += 1;
                if self.store.entry(&entry.entry_id).await?.is_some() {
                    summary.duplicates += 1;
                    continue;
                }
                self.import_entry(entry, &statement.id, &actor, &mut summary)
                    .await?;
            }
        }
        Ok(summary)
    }

    async fn import_entry(
        &self,
        entry: camt::StatementEntry,
        statement_id: &str,
        actor: &Actor,
        summary: &mut ImportSummary,
    ) -> Result<(), PaymentError> {
        let referenced = match matching::reference_of(&entry) {
            Some(r) => self.store.by_reference(&r).await?,
            None => None,
        };
        let open = if referenced.is_none() && entry.credit {
            self.store.open().await?
        } else {
            Vec::new()
        };
        let decision = matching::decide(&entry, referenced.as_ref(), &open);
        let now = self.now();
        let event = |action: &str, payment_id, remark: Option<String>| EntryEvent {
            at: now,
            actor: actor.clone(),
            action: action.into(),
            payment_id,
            remark,
        };
        let mut record = BankEntry {
            entry: entry.clone(),
            statement_id: statement_id.to_owned(),
            status: EntryStatus::Queued,
            payment_id: None,
            suggestion: None,
            reason: None,
            history: vec![event("imported", None, None)],
        };
        match decision {
            MatchDecision::Settle(suggestion) => {
                record.status = EntryStatus::Matched;
                record.payment_id = Some(suggestion.payment_id);
                record.suggestion = Some(suggestion);
                record.history.push(event(
                    "matched",
                    Some(suggestion.payment_id),
                    Some(format!("{:?} {}%", suggestion.basis, suggestion.confidence)),
                ));
                let source = SettlementSource::BankEntry {
                    entry_id: entry.entry_id.clone(),
                };
                let ops = vec![PaymentStore::entry_op(&record, None)?];
                match self
                    .settle(
                        suggestion.payment_id,
                        source,
                        entry.amount.clone(),
                        Actor::System,
                        None,
                        ops,
                    )
                    .await?
                {
                    Settled::Now(_) | Settled::Already(_) => summary.settled += 1,
                    Settled::Overpaid(_) => summary.overpaid += 1,
                }
            }
            MatchDecision::Queue { suggestion, reason } => {
                record.suggestion = suggestion;
                record.reason = Some(reason);
                record
                    .history
                    .push(event("queued", suggestion.map(|s| s.payment_id), None));
                self.put_new_entry(&record).await?;
                summary.queued += 1;
            }
            MatchDecision::Skip(reason) => {
                record.status = EntryStatus::Skipped;
                record.reason = Some(reason);
                self.put_new_entry(&record).await?;
                summary.skipped += 1;
            }
        }
        Ok(())
    }

    async fn put_new_entry(&self, record: &BankEntry) -> Result<(), PaymentError> {
        match self
            .store
            .table
            .transact(vec![PaymentStore::entry_op(record, None)?])
            .await
        {
            // A concurrent import of the same entry got there first.
            Ok(()) | Err(TableError::TransactionFailed { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Entries waiting for a clerk (payers' names and accounts: the read is audited).
    pub async fn queue(&self, by: &OfficeActor) -> Result<Vec<BankEntry>, PaymentError> {
        self.record_read(by, "read_matching_queue").await?;
        Ok(self.store.queue().await?)
    }

    /// Overpayments to refund (the read is audited).
    pub async fn overpayments(&self, by: &OfficeActor) -> Result<Vec<Overpayment>, PaymentError> {
        self.record_read(by, "read_overpayments").await?;
        Ok(self.store.overpayments().await?)
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

    /// A clerk records that an overpayment was paid back (`reference`: the outgoing
    /// transfer or cash register receipt); audited on the case. Refunding twice is refused.
    pub async fn refund_overpayment(
        &self,
        by: &OfficeActor,
        payment_id: Uuid,
        source: &SettlementSource,
        reference: &str,
    ) -> Result<Overpayment, PaymentError> {
        let reference = reference.trim();
        if reference.is_empty() || reference.len() > 140 {
            return Err(PaymentError::Invalid(
                "the refund's reference is required (at most 140 characters)".into(),
            ));
        }
        for _ in 0..MAX_ATTEMPTS {
            let (mut overpayment, version) = self
                .store
                .overpayment(payment_id, source)
                .await?
                .ok_or(PaymentError::UnknownOverpayment)?;
            if overpayment.refunded {
                return Err(PaymentError::AlreadyRefunded);
            }
            overpayment.refunded = true;
            overpayment.refund = Some(Refund {
                reference: reference.to_owned(),
                actor: by.actor.clone(),
                at: self.now(),
            });
            let entry = self.cases.audit_entry(
                &by.actor,
                overpayment.case_id,
                "refund_overpayment",
                by.origin.as_deref(),
            );
            let mut ops = vec![PaymentStore::refunded_op(&overpayment, version)?];
            ops.extend(self.cases.audit.seal(vec![entry]).await?);
            match self.cases.audit.commit(ops).await {
                Ok(()) => return Ok(overpayment),
                Err(e) if e.is_condition_failure() || e == TableError::Conflict => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(PaymentError::Busy)
    }

    /// A clerk links a queued entry to a payment (overriding any suggestion); audited on
    /// the entry and the case.
    pub async fn link(
        &self,
        by: &OfficeActor,
        entry_id: &str,
        payment_id: Uuid,
    ) -> Result<Settled, PaymentError> {
        let (mut record, version) = self
            .store
            .entry(entry_id)
            .await?
            .ok_or(PaymentError::UnknownEntry)?;
        if record.status != EntryStatus::Queued {
            return Err(PaymentError::EntryNotQueued);
        }
        let payment = self.payment(payment_id).await?;
        record.status = EntryStatus::Matched;
        record.payment_id = Some(payment_id);
        record.suggestion = Some(Suggestion {
            payment_id,
            confidence: 100,
            basis: MatchBasis::Clerk,
        });
        record.history.push(EntryEvent {
            at: self.now(),
            actor: by.actor.clone(),
            action: "linked".into(),
            payment_id: Some(payment_id),
            remark: None,
        });
        let mut ops = vec![PaymentStore::entry_op(&record, Some(version))?];
        ops.extend(
            self.cases
                .audit
                .seal(vec![self.cases.audit_entry(
                    &by.actor,
                    payment.case_id,
                    "link_bank_entry",
                    by.origin.as_deref(),
                )])
                .await?,
        );
        self.settle(
            payment_id,
            SettlementSource::BankEntry {
                entry_id: entry_id.to_owned(),
            },
            record.entry.amount.clone(),
            by.actor.clone(),
            by.origin.as_deref(),
            ops,
        )
        .await
    }

    /// A clerk decides a queued entry pays no fee (to be returned to the sender), dropping
    /// the automatic suggestion; audited on the entry.
    pub async fn unlink(
        &self,
        by: &OfficeActor,
        entry_id: &str,
        remark: Option<String>,
    ) -> Result<BankEntry, PaymentError> {
        for _ in 0..MAX_ATTEMPTS {
            let (mut record, version) = self
                .store
                .entry(entry_id)
                .await?
                .ok_or(PaymentError::UnknownEntry)?;
            if record.status != EntryStatus::Queued {
                return Err(PaymentError::EntryNotQueued);
            }
            let dropped = record.suggestion.take().map(|s| s.payment_id);
            record.status = EntryStatus::Unmatched;
            record.history.push(EntryEvent {
                at: self.now(),
                actor: by.actor.clone(),
                action: "unlinked".into(),
                payment_id: dropped,
                remark: remark.clone(),
            });
            match self
                .store
                .table
                .transact(vec![PaymentStore::entry_op(&record, Some(version))?])
                .await
            {
                Ok(()) => return Ok(record),
                Err(e) if e.is_condition_failure() || e == TableError::Conflict => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(PaymentError::Busy)
    }

    /// A clerk records a fee paid at the desk in cash or by card terminal, with the
    /// register's or terminal's receipt number; a repeated receipt number is a no-op.
    pub async fn record_at_desk(
        &self,
        by: &OfficeActor,
        case_id: Uuid,
        method: PaymentMethod,
        receipt_number: &str,
    ) -> Result<Payment, PaymentError> {
        let receipt_number = receipt_number.trim();
        if receipt_number.is_empty() {
            return Err(PaymentError::Invalid(
                "the receipt number is required".into(),
            ));
        }
        if !matches!(method, PaymentMethod::Cash | PaymentMethod::Pos) {
            return Err(PaymentError::Invalid(
                "the desk records cash or POS payments".into(),
            ));
        }
        let stored = self
            .cases
            .store
            .load(case_id)
            .await?
            .ok_or(PaymentError::Case(CaseError::UnknownCase))?;
        let fee = match (&stored.case.status, &stored.case.fee) {
            (CaseStatus::AwaitingPayment, Some(fee)) => fee.clone(),
            _ => return Err(PaymentError::NoFeeDue),
        };
        let now = self.now();
        let id = self.cases.ids.new_id();
        let payment = Payment::initiated(
            NewPayment {
                id,
                case_id,
                owner: stored.case.owner.clone(),
                method,
                amount: fee,
                reference: self.new_reference(),
                payer_name: None,
                actor: by.actor.clone(),
                remark: Some(format!("{} at the desk", method.as_str())),
            },
            now,
        );
        self.store
            .table
            .transact(vec![
                PaymentStore::save_op(&payment, None)?,
                PaymentStore::claim_reference_op(&payment.reference, id),
            ])
            .await?;
        let amount = payment.amount.clone();
        match self
            .settle(
                id,
                SettlementSource::Desk {
                    receipt_number: receipt_number.to_owned(),
                },
                amount,
                by.actor.clone(),
                by.origin.as_deref(),
                Vec::new(),
            )
            .await?
        {
            Settled::Now(p) | Settled::Already(p) => Ok(p),
            Settled::Overpaid(_) => self.payment(id).await,
        }
    }

    /// The payment's signed receipt, issuing it now if settling could not.
    pub async fn receipt_of(&self, payment: Payment) -> Result<Payment, PaymentError> {
        self.finish(payment).await.map_err(|(_, e)| e)
    }
}
