//! Fee payments: card payments through a SimplePay-shaped provider, bank transfers
//! identified by a checked payment reference and matched from ISO 20022 statements, cash
//! and POS at the desk; each settled payment moves its case on and gets a signed receipt
//! with NAV-ready invoice data.

pub mod account;
pub mod camt;
pub mod error;
pub mod matching;
pub mod nav;
pub mod payment;
pub mod provider;
pub mod reference;
pub mod return_origin;
pub mod service;
pub mod simplepay;
pub mod status;
pub mod store;

pub use error::PaymentError;
pub use payment::{Overpayment, Payment, PaymentEvent, Refund, SettlementSource};
pub use provider::{PaymentProvider, ProviderError};
pub use reference::PaymentReference;
pub use return_origin::ReturnOrigins;
pub use service::{
    ImportSummary, PaymentSettings, Payments, RefusedStatement, Settled, StartPayment,
};
pub use status::{DeskMethod, OnlineMethod, PaymentMethod, PaymentStatus};
pub use store::{BankEntry, EntryEvent, EntryStatus, PaymentStore};
