//! The payment state machine, asked by every use case before a payment changes.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a payment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Recorded, not yet handed to the provider or the payer.
    Initiated,
    /// The provider or the bank has it; the money is not in yet.
    Pending,
    /// The money is in; the case moved on.
    Succeeded,
    /// The provider refused the payment (card declined…).
    Failed,
    /// The payer gave up.
    Cancelled,
    /// Nothing arrived in time.
    Expired,
    /// The money was paid back.
    Refunded,
}

impl PaymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Initiated => "initiated",
            PaymentStatus::Pending => "pending",
            PaymentStatus::Succeeded => "succeeded",
            PaymentStatus::Failed => "failed",
            PaymentStatus::Cancelled => "cancelled",
            PaymentStatus::Expired => "expired",
            PaymentStatus::Refunded => "refunded",
        }
    }

    /// Whether `next` may follow this status.
    pub fn may_become(self, next: PaymentStatus) -> bool {
        use PaymentStatus::*;
        matches!(
            (self, next),
            (Initiated, Pending)
                | (
                    Initiated | Pending,
                    Succeeded | Failed | Cancelled | Expired
                )
                | (Succeeded, Refunded)
        )
    }

    /// Whether the payment is still waiting for money.
    pub fn is_open(self) -> bool {
        matches!(self, PaymentStatus::Initiated | PaymentStatus::Pending)
    }
}

impl fmt::Display for PaymentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the citizen pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    /// Online by card through the payment provider.
    Card,
    /// Bank transfer with the payment reference in the remittance information.
    BankTransfer,
    /// Cash at the office's desk.
    Cash,
    /// Card terminal (POS) at the office's desk.
    Pos,
}

/// The [`PaymentMethod`]s a citizen starts online, as the API's schema names them (cash and
/// card-terminal payments are recorded at the desk).
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum OnlineMethod {
    Card,
    BankTransfer,
}

/// The [`PaymentMethod`]s the desk records, as the API's schema names them.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum DeskMethod {
    Cash,
    Pos,
}

impl PaymentMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::Card => "card",
            PaymentMethod::BankTransfer => "bank_transfer",
            PaymentMethod::Cash => "cash",
            PaymentMethod::Pos => "pos",
        }
    }

    /// The Hungarian name printed on receipts.
    pub fn name_hu(self) -> &'static str {
        match self {
            PaymentMethod::Card => "bankkártya (online)",
            PaymentMethod::BankTransfer => "átutalás",
            PaymentMethod::Cash => "készpénz",
            PaymentMethod::Pos => "bankkártya (POS terminál)",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::PaymentStatus::*;

    #[test]
    fn settled_payments_never_reopen() {
        assert!(Initiated.may_become(Pending));
        assert!(Pending.may_become(Succeeded));
        assert!(Pending.may_become(Expired));
        assert!(Succeeded.may_become(Refunded));
        for terminal in [Succeeded, Failed, Cancelled, Expired, Refunded] {
            assert!(!terminal.may_become(Pending), "{terminal}");
            assert!(!terminal.may_become(Succeeded), "{terminal}");
        }
        assert!(!Failed.may_become(Refunded));
    }
}
