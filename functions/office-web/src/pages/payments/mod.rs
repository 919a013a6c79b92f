//! Payments in the office: the matching queue of bank entries with the cases they may pay,
//! linking and unlinking an entry, importing a bank statement, overpayments and their
//! refunds, a payment with its signed receipt, and the fee taken at the desk. Every page
//! asks for what the JSON `/backoffice/payments` routes ask ([`OFFICE`]) and acts as the
//! same clerk, through the same audited use cases.

mod desk;
mod queue;
mod receipt;
mod refunds;

use super::appointments::local_time;
use super::{guard, guard_posted, message_page, money, not_found, path, staff_page, unavailable};
use crate::OfficeState;
use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use uuid::Uuid;
use varoskapu_case_api::extract::Origin;
use varoskapu_case_api::pdf::pdf_response;
use varoskapu_core::cases::{Actor, CaseError, CaseStatus, OfficeActor, QueueFilter};
use varoskapu_core::payments::camt::{CamtError, MAX_STATEMENT_BYTES};
use varoskapu_core::payments::matching::MatchBasis;
use varoskapu_core::payments::{
    BankEntry, ImportSummary, Payment, PaymentError, PaymentMethod, PaymentStatus, SettlementSource,
};
use varoskapu_http::auth::OFFICE;
use varoskapu_web::fields::FieldErrors;
use varoskapu_web::signin::{Visitor, see_other};
use varoskapu_web::{Lang, PageLang};

/// This area's pages, relative to `/office`.
pub fn routes() -> Router<OfficeState> {
    Router::new()
        .route("/payments", get(queue::queue))
        .route("/payments/statements", axum::routing::post(queue::import))
        .route("/payments/link", axum::routing::post(queue::link))
        .route("/payments/unlink", axum::routing::post(queue::unlink))
        .route("/payments/overpayments", get(refunds::overpayments))
        .route("/payments/{payment_id}", get(receipt::payment))
        .route(
            "/payments/{payment_id}/refunds",
            axum::routing::post(refunds::refund),
        )
        .route("/payments/{payment_id}/receipt.pdf", get(receipt::receipt))
        .route(
            "/cases/{case_id}/desk-payment",
            get(desk::desk_form).post(desk::desk_record),
        )
}

const QUEUE: &str = "/payments";
const OVERPAYMENTS: &str = "/payments/overpayments";

/// The acting clerk, as the JSON payment routes name her.
fn clerk(visitor: &Visitor, origin: Origin) -> OfficeActor {
    OfficeActor {
        actor: Actor::Clerk(visitor.principal.account.clone()),
        origin: origin.0,
    }
}

/// An id usable in an element's `id` (bank entry ids carry slashes and dots).
fn dom_id(prefix: &str, key: &str) -> String {
    let safe: String = key
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("{prefix}-{safe}")
}

fn method_text(method: PaymentMethod, l: Lang) -> &'static str {
    match method {
        PaymentMethod::Card => l.t("Bankkártya (online)", "Card (online)"),
        PaymentMethod::BankTransfer => l.t("Banki átutalás", "Bank transfer"),
        PaymentMethod::Cash => l.t("Készpénz", "Cash"),
        PaymentMethod::Pos => l.t("Bankkártya (POS terminál)", "Card terminal (POS)"),
    }
}

fn status_text(status: PaymentStatus, l: Lang) -> &'static str {
    match status {
        PaymentStatus::Initiated => l.t("Elindítva", "Started"),
        PaymentStatus::Pending => l.t("Folyamatban", "Pending"),
        PaymentStatus::Succeeded => l.t("Sikeres", "Paid"),
        PaymentStatus::Failed => l.t("Sikertelen", "Failed"),
        PaymentStatus::Cancelled => l.t("Megszakítva", "Cancelled"),
        PaymentStatus::Refunded => l.t("Visszatérítve", "Refunded"),
        PaymentStatus::Expired => l.t("Lejárt", "Expired"),
    }
}

fn source_text(source: &SettlementSource, l: Lang) -> String {
    match source {
        SettlementSource::Provider { transaction_id } => {
            format!(
                "{} {transaction_id}",
                l.t("Kártyás tranzakció", "Card transaction")
            )
        }
        SettlementSource::BankEntry { entry_id } => {
            format!("{} {entry_id}", l.t("Banki tétel", "Bank entry"))
        }
        SettlementSource::Desk { receipt_number } => {
            format!(
                "{} {receipt_number}",
                l.t("Pénztári nyugta", "Desk receipt")
            )
        }
    }
}

/// A payment use case's failure as a page: what the clerk can do about it.
fn failed(lang: PageLang, visitor: &Visitor, e: &PaymentError) -> Response {
    let l = lang.lang;
    let conflict = |text: &str| {
        message_page(
            lang,
            Some(visitor),
            StatusCode::CONFLICT,
            l.t("A művelet nem hajtható végre", "This cannot be done"),
            text,
            vec![(
                path(QUEUE),
                l.t("Vissza a befizetésekhez", "Back to payments")
                    .to_owned(),
            )],
        )
    };
    match e {
        PaymentError::UnknownPayment
        | PaymentError::UnknownEntry
        | PaymentError::UnknownOverpayment
        | PaymentError::Case(CaseError::UnknownCase) => not_found(lang, visitor),
        PaymentError::NoFeeDue => conflict(l.t(
            "Ennek az ügynek most nincs fizetendő díja: vagy már befizették, vagy nem díjköteles.",
            "This case has no fee due now: it has been paid already, or it has no fee.",
        )),
        PaymentError::EntryNotQueued => conflict(l.t(
            "Ezt a banki tételt közben már rendezték (összekapcsolták vagy kivették a sorból).",
            "This bank entry has been dealt with meanwhile (linked, or taken off the queue).",
        )),
        PaymentError::AlreadyRefunded => conflict(l.t(
            "Ezt a túlfizetést már visszatérítették.",
            "This overpayment has been refunded already.",
        )),
        e => {
            tracing::error!(error = %e, "payment use case failed");
            unavailable(lang, Some(visitor))
        }
    }
}

/// What a page is told after a form posted to it did its work.
#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

fn done_notice(done: Option<&str>, l: Lang) -> Option<String> {
    let text = match done? {
        "linked" => l.t(
            "A banki tételt az ügyhöz kapcsoltuk; a befizetés rendezve.",
            "The bank entry was linked to the case; the payment is settled.",
        ),
        "overpaid" => l.t(
            "A banki tételt az ügyhöz kapcsoltuk, de az ügyet már befizették: az összeg túlfizetésként visszatérítésre vár.",
            "The bank entry was linked to the case, but the case had been paid: the money waits as an overpayment to refund.",
        ),
        "unlinked" => l.t(
            "A banki tételt kivettük a sorból: nem díjbefizetés, vissza kell utalni a küldőnek.",
            "The bank entry was taken off the queue: it pays no fee and goes back to the sender.",
        ),
        "refunded" => l.t(
            "A visszatérítést rögzítettük.",
            "The refund was recorded.",
        ),
        "desk" => l.t(
            "A befizetést rögzítettük; az ügy továbbhalad. A nyugtát kinyomtathatja.",
            "The payment was recorded; the case moves on. You can print the receipt.",
        ),
        _ => return None,
    };
    Some(text.to_owned())
}
