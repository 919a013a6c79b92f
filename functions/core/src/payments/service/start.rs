//! The citizen starts paying: a payment registered with the card provider or a bank
//! transfer reference, once per `Idempotency-Key`.

use super::*;

impl Payments {
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
}
