//! Payments taken at the office desk (cash or card terminal), recorded by a clerk.

use super::*;

impl Payments {
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
        let payment = self
            .new_office_payment(
                by,
                case_id,
                method,
                format!("{} at the desk", method.as_str()),
            )
            .await?;
        let id = payment.id;
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

    /// A new payment of the fee a case awaits, started by the office (at the desk, or for
    /// a bank entry a clerk links to the case); `NoFeeDue` unless the case awaits payment.
    pub(super) async fn new_office_payment(
        &self,
        by: &OfficeActor,
        case_id: Uuid,
        method: PaymentMethod,
        remark: String,
    ) -> Result<Payment, PaymentError> {
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
                remark: Some(remark),
            },
            self.now(),
        );
        self.store
            .table
            .transact(vec![
                PaymentStore::save_op(&payment, None)?,
                PaymentStore::claim_reference_op(&payment.reference, id),
            ])
            .await?;
        Ok(payment)
    }
}
