//! The back office's payment routes: statement import, the matching queue, manual link and
//! unlink, desk payments (cash, POS) and overpayments to refund. Clerks only.

use crate::citizen::PaymentView;
use crate::extract::PaymentId;
use crate::problem::ApiError;
use crate::state::PayFeeState;
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use serde::Deserialize;
use uuid::Uuid;
use varoskapu_case_api::extract::{CaseId, Origin};
use varoskapu_core::cases::{Actor, OfficeActor};
use varoskapu_core::payments::camt::{self, CamtError};
use varoskapu_core::payments::{
    BankEntry, ImportSummary, Overpayment, PaymentError, PaymentMethod, Settled, SettlementSource,
};
use varoskapu_http::auth::{Authenticated, Principal};
use varoskapu_http::{ApiJson, Problem, ProblemKind};

/// The acting clerk (the route's requirement admitted only office staff).
fn clerk(p: &Principal, origin: Origin) -> OfficeActor {
    OfficeActor {
        actor: Actor::Clerk(p.account.clone()),
        origin: origin.0,
    }
}

/// Any payment, as the office reads it.
#[utoipa::path(get, path = "/backoffice/payments/{payment_id}", tag = "payments-backoffice", params(("payment_id" = Uuid, Path)),
    responses((status = 200, body = PaymentView), (status = 404, body = Problem)))]
pub async fn get_one(
    State(state): State<PayFeeState>,
    Authenticated(p): Authenticated,
    origin: Origin,
    id: PaymentId,
) -> Result<Json<PaymentView>, ApiError> {
    let by = clerk(&p, origin);
    let payment = state.payments.payment_for_office(id.get(), &by).await?;
    Ok(Json(PaymentView::of(payment, &state)))
}

/// Imports a camt.053 or camt.054 file (the XML as the body, at most 16 MiB, nested at
/// most 64 elements deep); importing it again changes nothing. Statements of an account
/// other than the collection account are listed as refused in the summary.
#[utoipa::path(post, path = "/backoffice/payments/statements", tag = "payments-backoffice", request_body(content = String, content_type = "application/xml"),
    responses((status = 200, body = ImportSummary), (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn import(
    State(state): State<PayFeeState>,
    Authenticated(p): Authenticated,
    origin: Origin,
    body: Body,
) -> Result<Json<ImportSummary>, ApiError> {
    let by = clerk(&p, origin);
    let too_large = || {
        PaymentError::Statement(CamtError::TooLarge {
            max_bytes: camt::MAX_STATEMENT_BYTES,
        })
    };
    let body = axum::body::to_bytes(body, camt::MAX_STATEMENT_BYTES)
        .await
        .map_err(|_| too_large())?;
    let xml = String::from_utf8(body.to_vec()).map_err(|_| {
        Problem::with_detail(ProblemKind::BadRequest, "the statement must be UTF-8 XML")
    })?;
    let statements = parse_statements(xml)
        .await
        .map_err(|e| Problem::internal(&e))?
        .map_err(PaymentError::Statement)?;
    Ok(Json(
        state
            .payments
            .import_statements(statements, by.actor, by.origin.as_deref())
            .await?,
    ))
}

/// Reads a camt.053/054 file into its statements. Parsing a large file is CPU work: off
/// the async workers, on a thread of its own (the outer error: that thread failed).
pub async fn parse_statements(
    xml: String,
) -> Result<Result<Vec<camt::Statement>, CamtError>, tokio::task::JoinError> {
    tokio::task::spawn_blocking(move || camt::parse(&xml)).await
}

/// Entries waiting for a clerk, with the automatic suggestion and why it was not clear.
#[utoipa::path(get, path = "/backoffice/payments/queue", tag = "payments-backoffice", responses((status = 200, body = Vec<BankEntry>)))]
pub async fn queue(
    State(state): State<PayFeeState>,
    Authenticated(p): Authenticated,
    origin: Origin,
) -> Result<Json<Vec<BankEntry>>, ApiError> {
    Ok(Json(state.payments.queue(&clerk(&p, origin)).await?))
}

/// A clerk's link of an entry to a payment.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct LinkBody {
    pub entry_id: String,
    pub payment_id: Uuid,
}

/// Links a queued entry to a payment by hand (audited); the payment settles.
#[utoipa::path(post, path = "/backoffice/payments/link", tag = "payments-backoffice", request_body = LinkBody, responses((status = 200, body = Object), (status = 404, description = "No such bank statement entry or payment", body = Problem), (status = 409, body = Problem)))]
pub async fn link(
    State(state): State<PayFeeState>,
    Authenticated(p): Authenticated,
    origin: Origin,
    ApiJson(body): ApiJson<LinkBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let by = clerk(&p, origin);
    let settled = state
        .payments
        .link(&by, &body.entry_id, body.payment_id)
        .await?;
    let outcome = match settled {
        Settled::Now(_) => "settled",
        Settled::Already(_) => "already_settled",
        Settled::Overpaid(_) => "overpayment",
    };
    Ok(Json(
        serde_json::json!({"outcome": outcome, "payment_id": body.payment_id}),
    ))
}

/// A clerk's decision that an entry pays no fee.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct UnlinkBody {
    pub entry_id: String,
    pub remark: Option<String>,
}

/// Takes a queued entry off the queue as paying no fee, dropping the suggestion (audited).
#[utoipa::path(post, path = "/backoffice/payments/unlink", tag = "payments-backoffice", request_body = UnlinkBody, responses((status = 200, body = BankEntry), (status = 404, description = "No such bank statement entry", body = Problem), (status = 409, body = Problem)))]
pub async fn unlink(
    State(state): State<PayFeeState>,
    Authenticated(p): Authenticated,
    origin: Origin,
    ApiJson(body): ApiJson<UnlinkBody>,
) -> Result<Json<BankEntry>, ApiError> {
    let by = clerk(&p, origin);
    Ok(Json(
        state
            .payments
            .unlink(&by, &body.entry_id, body.remark)
            .await?,
    ))
}

/// A payment taken at the desk.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DeskBody {
    #[schema(value_type = varoskapu_core::payments::DeskMethod)]
    pub method: PaymentMethod,
    /// The cash register's or card terminal's receipt number; not blank.
    #[schema(pattern = "\\S")]
    pub receipt_number: String,
}

/// Records a fee paid at the desk in cash or by card terminal; the case moves on and the
/// citizen gets a signed receipt.
#[utoipa::path(post, path = "/backoffice/cases/{case_id}/desk-payment", tag = "payments-backoffice", params(("case_id" = Uuid, Path)), request_body = DeskBody, responses((status = 200, body = PaymentView), (status = 409, body = Problem)))]
pub async fn desk_payment(
    State(state): State<PayFeeState>,
    Authenticated(p): Authenticated,
    origin: Origin,
    case_id: CaseId,
    ApiJson(body): ApiJson<DeskBody>,
) -> Result<Json<PaymentView>, ApiError> {
    let by = clerk(&p, origin);
    let case_id = case_id.get();
    let payment = state
        .payments
        .record_at_desk(&by, case_id, body.method, &body.receipt_number)
        .await?;
    Ok(Json(PaymentView::of(payment, &state)))
}

/// Money received beyond what cases owed, to refund.
#[utoipa::path(get, path = "/backoffice/payments/overpayments", tag = "payments-backoffice", responses((status = 200, body = Vec<Overpayment>)))]
pub async fn overpayments(
    State(state): State<PayFeeState>,
    Authenticated(p): Authenticated,
    origin: Origin,
) -> Result<Json<Vec<Overpayment>>, ApiError> {
    Ok(Json(state.payments.overpayments(&clerk(&p, origin)).await?))
}

/// An overpayment paid back to the citizen.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RefundBody {
    /// The money to refund, exactly as the overpayments list names it.
    pub source: SettlementSource,
    /// The outgoing transfer's or cash register's reference: not blank, at most 140
    /// characters once trimmed.
    #[schema(pattern = "\\S", max_length = 140)]
    pub reference: String,
}

/// Records that an overpayment was refunded; it leaves the list of refunds to make, and a
/// second refund of the same money is refused.
#[utoipa::path(post, path = "/backoffice/payments/{payment_id}/refunds", tag = "payments-backoffice", params(("payment_id" = Uuid, Path)), request_body = RefundBody,
    responses((status = 200, body = Overpayment), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn refund(
    State(state): State<PayFeeState>,
    Authenticated(p): Authenticated,
    origin: Origin,
    payment_id: PaymentId,
    ApiJson(body): ApiJson<RefundBody>,
) -> Result<Json<Overpayment>, ApiError> {
    let by = clerk(&p, origin);
    let payment_id = payment_id.get();
    Ok(Json(
        state
            .payments
            .refund_overpayment(&by, payment_id, &body.source, &body.reference)
            .await?,
    ))
}
