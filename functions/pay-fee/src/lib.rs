//! `pay-fee`: citizens pay case fees by card (SimplePay) or bank transfer; the provider's
//! signed notifications settle card payments; clerks import bank statements, resolve the
//! matching queue and record desk payments. Every settled payment gets a signed receipt
//! and NAV invoice data.
//!
//! `router` is what the Lambda binary runs and what the local server mounts, with
//! `simulator::router` beside it in the local server's demo mode only.

pub mod citizen;
pub mod config;
pub mod extract;
pub mod office;
pub mod problem;
pub mod simplepay_client;
pub mod simulator;
pub mod state;

use axum::Router;
use axum::http::Method;
use utoipa::OpenApi;
use varoskapu_http::auth::{OFFICE, OWN_PAYMENTS, Routes};
use varoskapu_http::openapi::BearerScheme;

pub use state::PayFeeState;

/// Every pay-fee route with what it needs: the card provider's back-redirect and signed
/// notification are public (the notification proves itself by its signature).
fn routes() -> Routes<PayFeeState> {
    Routes::new()
        .protected(
            Method::POST,
            "/cases/{case_id}/payments",
            &OWN_PAYMENTS,
            citizen::start,
        )
        .public(Method::GET, "/payments/return", citizen::back_redirect)
        .public(Method::POST, "/payments/simplepay/ipn", citizen::ipn)
        .protected(
            Method::GET,
            "/payments/{payment_id}",
            &OWN_PAYMENTS,
            citizen::get_one,
        )
        .protected(
            Method::GET,
            "/payments/{payment_id}/receipt",
            &OWN_PAYMENTS,
            citizen::receipt,
        )
        .protected(
            Method::GET,
            "/payments/{payment_id}/invoice-data",
            &OWN_PAYMENTS,
            citizen::invoice_data,
        )
        .protected(
            Method::POST,
            "/backoffice/payments/statements",
            &OFFICE,
            office::import,
        )
        .protected(
            Method::GET,
            "/backoffice/payments/queue",
            &OFFICE,
            office::queue,
        )
        .protected(
            Method::POST,
            "/backoffice/payments/link",
            &OFFICE,
            office::link,
        )
        .protected(
            Method::POST,
            "/backoffice/payments/unlink",
            &OFFICE,
            office::unlink,
        )
        .protected(
            Method::GET,
            "/backoffice/payments/overpayments",
            &OFFICE,
            office::overpayments,
        )
        .protected(
            Method::GET,
            "/backoffice/payments/{payment_id}",
            &OFFICE,
            office::get_one,
        )
        .protected(
            Method::POST,
            "/backoffice/payments/{payment_id}/refunds",
            &OFFICE,
            office::refund,
        )
        .protected(
            Method::POST,
            "/backoffice/cases/{case_id}/desk-payment",
            &OFFICE,
            office::desk_payment,
        )
}

/// Every pay-fee route over `state`.
pub fn router(state: PayFeeState) -> Router {
    routes().into_router(state.tokens.clone()).with_state(state)
}

#[derive(OpenApi)]
#[openapi(
    paths(
        citizen::start, citizen::get_one, citizen::receipt, citizen::invoice_data,
        citizen::back_redirect, citizen::ipn,
        office::import, office::queue, office::link, office::unlink, office::desk_payment,
        office::overpayments, office::get_one,
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
    let mut doc = PayFeeApi::openapi();
    routes().document(&mut doc);
    doc
}
