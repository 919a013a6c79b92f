//! Overpayments (money for a case already paid) and their refunds by the office.

use super::*;

impl Payments {
    /// Overpayments to refund (the read is audited).
    pub async fn overpayments(&self, by: &OfficeActor) -> Result<Vec<Overpayment>, PaymentError> {
        self.record_read(by, "read_overpayments").await?;
        Ok(self.store.overpayments().await?)
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
        if reference.is_empty() || reference.chars().count() > 140 {
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
}
