//! `pay-fee`: citizens pay case fees by card (SimplePay) or bank transfer; the provider's
//! signed notifications settle card payments; clerks import bank statements, resolve the
//! matching queue and record desk payments. Every settled payment gets a signed receipt
//! and NAV invoice data.
//!
//! `router` is what the Lambda binary runs and what the local server mounts, with
//! `simulator::router` beside it in the embedded setup.

pub mod citizen;
pub mod office;
pub mod problem;
pub mod simplepay_client;
pub mod simulator;
pub mod state;

use axum::Router;
use axum::routing::{get, post};
use utoipa::OpenApi;
use varoskapu_http::openapi::BearerScheme;

pub use state::PayFeeState;

/// Every pay-fee route over `state`.
pub fn router(state: PayFeeState) -> Router {
    Router::new()
        .route("/cases/{case_id}/payments", post(citizen::start))
        .route("/payments/return", get(citizen::back_redirect))
        .route("/payments/simplepay/ipn", post(citizen::ipn))
        .route("/payments/{payment_id}", get(citizen::get_one))
        .route("/payments/{payment_id}/receipt", get(citizen::receipt))
        .route(
            "/payments/{payment_id}/invoice-data",
            get(citizen::invoice_data),
        )
        .route("/backoffice/payments/statements", post(office::import))
        .route("/backoffice/payments/queue", get(office::queue))
        .route("/backoffice/payments/link", post(office::link))
        .route("/backoffice/payments/unlink", post(office::unlink))
        .route(
            "/backoffice/payments/overpayments",
            get(office::overpayments),
        )
        .route(
            "/backoffice/payments/{payment_id}/refunds",
            post(office::refund),
        )
        .route(
            "/backoffice/cases/{case_id}/desk-payment",
            post(office::desk_payment),
        )
        .with_state(state)
}

#[derive(OpenApi)]
#[openapi(
    paths(
        citizen::start, citizen::get_one, citizen::receipt, citizen::invoice_data,
        citizen::back_redirect, citizen::ipn,
        office::import, office::queue, office::link, office::unlink, office::desk_payment,
        office::overpayments,
        office::refund,
    ),
    components(schemas(varoskapu_http::Problem)),
    modifiers(&BearerScheme),
    tags(
        (name = "payments", description = "Citizens' fee payments and the card provider's notifications"),
        (name = "payments-backoffice", description = "Bank statements, the matching queue and desk payments")
    )
)]
struct PayFeeApi;

/// The OpenAPI description of [`router`].
pub fn openapi() -> utoipa::openapi::OpenApi {
    PayFeeApi::openapi()
}
