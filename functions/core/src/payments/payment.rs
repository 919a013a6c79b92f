//! A payment as recorded: what it is for, how much, where it stands, what settled it and
//! the history of every change (its audit trail); and overpayments waiting for a refund.

use super::reference::PaymentReference;
use super::status::{PaymentMethod, PaymentStatus};
use crate::cases::{Actor, Money};
use crate::documents::IssuedDocument;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What moved money onto a payment; its key makes settling the same money twice a no-op.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SettlementSource {
    /// The card provider's notification of this transaction.
    Provider { transaction_id: String },
    /// A credit entry of an imported bank statement.
    BankEntry { entry_id: String },
    /// A clerk at the desk, with the cash register's or terminal's receipt number.
    Desk { receipt_number: String },
}

impl SettlementSource {
    /// The stable identity of the money, used in storage keys.
    pub fn key(&self) -> String {
        match self {
            SettlementSource::Provider { transaction_id } => format!("provider:{transaction_id}"),
            SettlementSource::BankEntry { entry_id } => format!("bank:{entry_id}"),
            SettlementSource::Desk { receipt_number } => format!("desk:{receipt_number}"),
        }
    }

    /// The source a [`key`](Self::key) names (forms carry the key), if it names one.
    pub fn from_key(key: &str) -> Option<Self> {
        let (kind, id) = key.split_once(':')?;
        let id = id.to_owned();
        match kind {
            "provider" => Some(SettlementSource::Provider { transaction_id: id }),
            "bank" => Some(SettlementSource::BankEntry { entry_id: id }),
            "desk" => Some(SettlementSource::Desk { receipt_number: id }),
            _ => None,
        }
    }
}

/// One change of a payment, kept forever with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PaymentEvent {
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub from: Option<PaymentStatus>,
    pub to: PaymentStatus,
    pub actor: Actor,
    /// Why: the provider's status, the bank entry, the clerk's remark.
    pub remark: Option<String>,
}

/// A fee payment for a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payment {
    pub id: Uuid,
    pub case_id: Uuid,
    /// The citizen's account.
    pub owner: String,
    pub method: PaymentMethod,
    pub amount: Money,
    pub status: PaymentStatus,
    pub reference: PaymentReference,
    /// The name a bank transfer is expected from, for matching when the reference is lost.
    pub payer_name: Option<String>,
    /// The provider's transaction (card payments).
    pub provider_transaction: Option<String>,
    /// Where the payer completes a card payment.
    pub redirect_url: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub settled_at: Option<Timestamp>,
    pub settled_by: Option<SettlementSource>,
    /// Sequential invoice number, assigned when the receipt is issued.
    pub invoice_number: Option<String>,
    pub receipt: Option<IssuedDocument>,
    /// `BlobStore` key of the NAV `InvoiceData` XML.
    pub invoice_xml_key: Option<String>,
    pub history: Vec<PaymentEvent>,
}

/// What a new payment is made of; the rest starts empty.
#[derive(Debug, Clone)]
pub struct NewPayment {
    pub id: Uuid,
    pub case_id: Uuid,
    pub owner: String,
    pub method: PaymentMethod,
    pub amount: Money,
    pub reference: PaymentReference,
    pub payer_name: Option<String>,
    /// Who started it, and why, for the first history entry.
    pub actor: Actor,
    pub remark: Option<String>,
}

impl Payment {
    /// A payment just initiated, with its first history entry.
    pub fn initiated(new: NewPayment, now: Timestamp) -> Self {
        Payment {
            id: new.id,
            case_id: new.case_id,
            owner: new.owner,
            method: new.method,
            amount: new.amount,
            status: PaymentStatus::Initiated,
            reference: new.reference,
            payer_name: new.payer_name,
            provider_transaction: None,
            redirect_url: None,
            created_at: now,
            updated_at: now,
            settled_at: None,
            settled_by: None,
            invoice_number: None,
            receipt: None,
            invoice_xml_key: None,
            history: vec![PaymentEvent {
                at: now,
                from: None,
                to: PaymentStatus::Initiated,
                actor: new.actor,
                remark: new.remark,
            }],
        }
    }

    /// Moves the payment to `to`, recording who and why, or refuses an illegal change.
    pub fn move_to(
        &mut self,
        to: PaymentStatus,
        actor: Actor,
        at: Timestamp,
        remark: Option<String>,
    ) -> Result<(), super::PaymentError> {
        if !self.status.may_become(to) {
            return Err(super::PaymentError::IllegalTransition {
                from: self.status,
                to,
            });
        }
        self.history.push(PaymentEvent {
            at,
            from: Some(self.status),
            to,
            actor,
            remark,
        });
        self.status = to;
        self.updated_at = at;
        Ok(())
    }
}

/// Money received beyond what a case owed (a second success, a duplicate transfer): kept
/// for refunding, never counted as a second payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Overpayment {
    pub payment_id: Uuid,
    pub case_id: Uuid,
    pub amount: Money,
    pub source: SettlementSource,
    #[schema(value_type = String, format = DateTime)]
    pub recorded_at: Timestamp,
    pub refunded: bool,
    /// The refund transfer's reference, once a clerk has paid the money back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund: Option<Refund>,
}

/// An overpayment paid back to the citizen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Refund {
    /// The outgoing transfer's or the cash register's reference.
    pub reference: String,
    pub actor: Actor,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::SettlementSource;

    #[test]
    fn a_settlement_source_is_read_back_from_its_key() {
        for source in [
            SettlementSource::Provider {
                transaction_id: "tx:1".into(),
            },
            SettlementSource::BankEntry {
                entry_id: "HU42/REF".into(),
            },
            SettlementSource::Desk {
                receipt_number: "P-7".into(),
            },
        ] {
            assert_eq!(SettlementSource::from_key(&source.key()), Some(source));
        }
        assert_eq!(SettlementSource::from_key("cheque:1"), None);
    }
}
