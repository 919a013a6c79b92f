//! Card payments: the provider's notifications (IPN), answered once per payment, and
//! payments closed as cancelled, failed or timed out.

use super::*;

impl Payments {
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
    pub(super) fn registered_as_notified(
        &self,
        payment: &Payment,
        notification: &crate::payments::provider::ProviderNotification,
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
    pub(super) async fn close(
        &self,
        id: Uuid,
        to: PaymentStatus,
        remark: String,
    ) -> Result<(), PaymentError> {
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
}
