//! The hook for fee payments: a case whose type has a fee waits in `awaiting_payment` after
//! submission, and the payment use cases (online or at the cash desk) call [`Cases::mark_paid`]
//! once the money is in, which hands the case to the office.

use super::case::Actor;
use super::case::Case;
use super::error::CaseError;
use super::service::{Cases, MAX_ATTEMPTS};
use super::status::CaseStatus;
use super::store::CaseStore;
use crate::audit::AuditStream;
use crate::table::{TableError, TxOp};
use uuid::Uuid;

impl Cases {
    /// Records the fee of a case as paid (`reference`: the payment's id) and moves it into
    /// review. `extra` are the payment's own writes, committed in the same transaction, so a
    /// payment is recorded exactly when the case moves on.
    pub async fn mark_paid(
        &self,
        id: Uuid,
        reference: &str,
        by: Actor,
        extra: Vec<TxOp>,
    ) -> Result<Case, CaseError> {
        for _ in 0..MAX_ATTEMPTS {
            let stored = self.load(id).await?;
            let mut case = stored.case;
            if case.status != CaseStatus::AwaitingPayment {
                if case.payment_reference.as_deref() == Some(reference) {
                    // Already recorded by this very payment: a retry.
                    return Ok(case);
                }
                return Err(CaseError::IllegalTransition {
                    from: case.status,
                    to: CaseStatus::InReview,
                });
            }
            let now = self.clock.now();
            case.paid_at = Some(now);
            case.payment_reference = Some(reference.to_owned());
            case.move_to(
                CaseStatus::InReview,
                by.clone(),
                now,
                Some("eljárási díj megfizetve".into()),
            )?;
            let mut ops = vec![CaseStore::save_op(&case, Some(stored.version))?];
            ops.extend(extra.iter().cloned());
            // The payment's own writes may record the step already (a clerk's settlement,
            // with their address); otherwise it is recorded here (a provider's notice).
            if !crate::audit::log::appends_to(&ops, &AuditStream::case(id)) {
                let event = self
                    .audit_entry(&by, id, "fee_paid", None)
                    .on(format!("payment/{reference}"));
                ops.extend(self.audit.seal(vec![event]).await?);
            }
            // Audit appends among `extra` are sealed again if their stream moved on.
            match self.audit.commit(ops).await {
                Ok(()) => return Ok(case),
                Err(TableError::TransactionFailed { failed }) if failed.iter().any(|i| *i > 0) => {
                    return Err(TableError::TransactionFailed { failed }.into());
                }
                Err(e) if e.is_condition_failure() || e == TableError::Conflict => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(CaseError::Busy)
    }
}
