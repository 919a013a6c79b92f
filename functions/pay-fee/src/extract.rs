//! Payment ids in the path, read like every other id of the API.

use varoskapu_http::extract::{IdKind, PathId};

/// Payment ids in the path (`/payments/{payment_id}`).
pub struct PaymentIds;

impl IdKind for PaymentIds {
    const PARAM: &'static str = "payment_id";
    const NOT_FOUND: &'static str = "no such payment";
}

/// The payment id of the path; a malformed one names no payment (404).
pub type PaymentId = PathId<PaymentIds>;
