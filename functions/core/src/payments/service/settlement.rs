//! Settling a payment with its case in one transaction, and what follows: the signed
//! receipt, the invoice number and the report to the tax authority.

use super::*;

impl Payments {
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
            // The payer hears of it in the same transaction where the outbox allows it.
            let notice = self.settled_notice(&case, &payment);
            let queued = match self.cases.notifier.queue_op(&notice) {
                Ok(op) => op,
                Err(e) => {
                    tracing::warn!(error = %e, payment = %id, "payment notice not queued");
                    None
                }
            };
            let send_after = queued.is_none();
            ops.extend(queued);
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
                    if send_after && let Err(e) = self.cases.notifier.send(notice).await {
                        // The settlement stands; the case's history shows it either way.
                        tracing::warn!(error = %e, payment = %id, "payment notice not sent");
                    }
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

    /// The message telling the case's applicant that the fee is paid: the amount, the case
    /// number and, where the portal's address is known, a link to the case.
    fn settled_notice(&self, case: &crate::cases::Case, payment: &Payment) -> Message {
        let label = case
            .arrival_number
            .clone()
            .unwrap_or_else(|| case.id.to_string());
        let amount = format!(
            "{} {}",
            grouped_digits(payment.amount.amount),
            payment.amount.currency
        );
        let (hu_link, en_link) = match &self.public_url {
            Some(base) => {
                let link = format!("{}/my-cases/{}", base.trim_end_matches('/'), case.id);
                (
                    format!(" Ügyét itt követheti: {link}"),
                    format!(" Follow your case here: {link}"),
                )
            }
            None => (
                " Ügyét a Városkapuban követheti.".to_owned(),
                " You can follow your case in Városkapu.".to_owned(),
            ),
        };
        Message {
            recipient: case.owner.clone(),
            kind: "payment_settled".into(),
            subject: format!("Befizetését megkaptuk – {label} / Payment received"),
            body: format!(
                "A(z) {label} ügyszámú ügyének eljárási díját ({amount}) megkaptuk, ügyét \
                 hamarosan megvizsgáljuk.{hu_link}\n\nWe have received the fee ({amount}) for \
                 your case {label}; it will be reviewed soon.{en_link}"
            ),
            attachments: Vec::new(),
        }
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

    pub(super) async fn try_finish(&self, payment: &Payment) -> Result<Payment, PaymentError> {
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

    /// The payment's signed receipt, issuing it now if settling could not.
    pub async fn receipt_of(&self, payment: Payment) -> Result<Payment, PaymentError> {
        self.finish(payment).await.map_err(|(_, e)| e)
    }
}

/// An amount with its thousands apart (`12 500`), as Hungarian texts write it.
fn grouped_digits(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    if amount < 0 {
        out.insert(0, '-');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::grouped_digits;

    #[test]
    fn amounts_are_written_with_their_thousands_apart() {
        assert_eq!(grouped_digits(0), "0");
        assert_eq!(grouped_digits(500), "500");
        assert_eq!(grouped_digits(12_500), "12 500");
        assert_eq!(grouped_digits(1_234_567), "1 234 567");
        assert_eq!(grouped_digits(-3_000), "-3 000");
    }
}
