//! The citizen's payment routes: start (with a required `Idempotency-Key`), status,
//! receipt, invoice data, and the card provider's back-redirect, which only shows status.

use crate::extract::PaymentId;
use crate::problem::ApiError;
use crate::state::PayFeeState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use varoskapu_case_api::extract::CaseId;
use varoskapu_case_api::pdf::{document_response, pdf_response};
use varoskapu_core::cases::Money;
use varoskapu_core::payments::{Payment, PaymentError, PaymentMethod, PaymentStatus, StartPayment};
use varoskapu_http::auth::{Authenticated, Principal};
use varoskapu_http::extract::{ApiQuery, IdempotencyKey};
use varoskapu_http::{Problem, ProblemKind};

/// A payment as the citizen (and the office) sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PaymentView {
    pub id: Uuid,
    pub case_id: Uuid,
    pub method: PaymentMethod,
    pub status: PaymentStatus,
    pub amount: Money,
    /// Card: where to complete the payment.
    pub redirect_url: Option<String>,
    /// Bank transfer: the account to pay to and the reference to put in the remittance.
    pub bank_account: Option<String>,
    pub reference: String,
    pub reference_grouped: String,
    pub invoice_number: Option<String>,
    pub receipt_available: bool,
    #[schema(value_type = Vec<Object>)]
    pub history: Vec<varoskapu_core::payments::PaymentEvent>,
}

impl PaymentView {
    pub fn of(p: Payment, state: &PayFeeState) -> Self {
        Self {
            bank_account: (p.method == PaymentMethod::BankTransfer)
                .then(|| state.payments.settings.seller.bank_account.clone()),
            reference_grouped: p.reference.grouped(),
            reference: p.reference.to_string(),
            id: p.id,
            case_id: p.case_id,
            method: p.method,
            status: p.status,
            amount: p.amount,
            redirect_url: p.redirect_url,
            invoice_number: p.invoice_number,
            receipt_available: p.receipt.is_some(),
            history: p.history,
        }
    }
}

/// Starts paying a case's fee by card (returns the provider's URL) or bank transfer
/// (returns the account and reference). A retry with the same key returns the first.
#[utoipa::path(post, path = "/cases/{case_id}/payments", tag = "payments", request_body = StartPayment,
    params(("case_id" = Uuid, Path, description = "The case whose fee is paid"), varoskapu_http::extract::RequiredIdempotencyKeyHeader),
    responses((status = 201, body = PaymentView), (status = 400, body = Problem), (status = 409, body = Problem)))]
pub async fn start(
    State(state): State<PayFeeState>,
    Authenticated(p): Authenticated,
    origin: varoskapu_case_api::extract::Origin,
    case_id: CaseId,
    IdempotencyKey(key): IdempotencyKey,
    body: Bytes,
) -> Result<Response, ApiError> {
    let case_id = case_id.get();
    let key = key.ok_or_else(|| {
        Problem::with_detail(
            ProblemKind::BadRequest,
            "an Idempotency-Key header is required",
        )
    })?;
    let request: StartPayment = serde_json::from_slice(&body)
        .map_err(|e| Problem::with_detail(ProblemKind::BadRequest, e.to_string()))?;
    let fingerprint =
        varoskapu_core::idempotency::fingerprint(&[case_id.as_bytes().as_slice(), &body].concat());
    let back = format!("{}/payments/return", state.public_base_url);
    let payment = state
        .payments
        .start(
            &p.account,
            case_id,
            &request,
            &key,
            &fingerprint,
            &back,
            origin.0.as_deref(),
        )
        .await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(PaymentView::of(payment, &state)),
    )
        .into_response())
}

/// One of the caller's own payments.
#[utoipa::path(get, path = "/payments/{payment_id}", tag = "payments", params(("payment_id" = Uuid, Path)), responses((status = 200, body = PaymentView), (status = 404, body = Problem)))]
pub async fn get_one(
    State(state): State<PayFeeState>,
    Authenticated(p): Authenticated,
    id: PaymentId,
) -> Result<Json<PaymentView>, ApiError> {
    let payment = readable(&state, &p, id).await?;
    Ok(Json(PaymentView::of(payment, &state)))
}

async fn readable(state: &PayFeeState, p: &Principal, id: PaymentId) -> Result<Payment, ApiError> {
    Ok(state.payments.payment_of(&p.account, id.get()).await?)
}

/// The signed payment receipt and invoice (PDF/A, PAdES, timestamped).
#[utoipa::path(get, path = "/payments/{payment_id}/receipt", tag = "payments", params(("payment_id" = Uuid, Path)), responses((status = 200, content_type = "application/pdf", body = varoskapu_http::openapi::Binary), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn receipt(
    State(state): State<PayFeeState>,
    Authenticated(p): Authenticated,
    id: PaymentId,
) -> Result<Response, ApiError> {
    let payment = readable(&state, &p, id).await?;
    if payment.status != PaymentStatus::Succeeded {
        return Err(PaymentError::IllegalTransition {
            from: payment.status,
            to: PaymentStatus::Succeeded,
        }
        .into());
    }
    let payment = state.payments.receipt_of(payment).await?;
    let document = payment.receipt.ok_or(PaymentError::Busy)?;
    let blob = state
        .payments
        .cases
        .documents
        .get(&document.blob_key)
        .await
        .map_err(PaymentError::Blob)?;
    Ok(pdf_response(
        blob.bytes.to_vec(),
        &format!("nyugta-{}.pdf", payment.id),
    ))
}

/// The NAV Online Számla `InvoiceData` XML of the payment's invoice.
#[utoipa::path(get, path = "/payments/{payment_id}/invoice-data", tag = "payments", params(("payment_id" = Uuid, Path)), responses((status = 200, content_type = "application/xml", body = String), (status = 404, body = Problem)))]
pub async fn invoice_data(
    State(state): State<PayFeeState>,
    Authenticated(p): Authenticated,
    id: PaymentId,
) -> Result<Response, ApiError> {
    let payment = readable(&state, &p, id).await?;
    let payment = state.payments.receipt_of(payment).await?;
    let key = payment
        .invoice_xml_key
        .ok_or(PaymentError::UnknownPayment)?;
    let blob = state
        .payments
        .cases
        .documents
        .get(&key)
        .await
        .map_err(PaymentError::Blob)?;
    Ok(document_response(
        blob.bytes.to_vec(),
        "application/xml",
        &format!("szamla-{}.xml", payment.id),
    ))
}

/// The card provider's back-redirect query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BackQuery {
    pub r: String,
    pub s: String,
}

/// What the back-redirect shows: the payment's recorded status (never changed here).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReturnView {
    pub payment_id: Uuid,
    /// What the provider told the browser (`SUCCESS`, `FAIL`, `CANCEL`, `TIMEOUT`).
    pub provider_event: String,
    /// What this system has recorded from the provider's signed notification.
    pub status: PaymentStatus,
}

/// Where the card provider sends the payer back; it only shows status, it never marks
/// anything paid (the signed notification does).
#[utoipa::path(get, path = "/payments/return", tag = "payments", params(BackQuery),
    responses((status = 200, body = ReturnView), (status = 401, body = Problem)))]
pub async fn back_redirect(
    State(state): State<PayFeeState>,
    ApiQuery(q): ApiQuery<BackQuery>,
) -> Result<Json<ReturnView>, ApiError> {
    let redirect = state
        .payments
        .provider
        .read_back_redirect(&q.r, &q.s)
        .map_err(PaymentError::Provider)?;
    let id = PaymentId::parse(&redirect.order_ref)?;
    let payment = state.payments.payment(id).await?;
    Ok(Json(ReturnView {
        payment_id: id,
        provider_event: redirect.event,
        status: payment.status,
    }))
}

/// The card provider's notification (IPN): verified by its signature over the raw body,
/// applied once, acknowledged with a signed echo as SimplePay expects.
#[utoipa::path(post, path = "/payments/simplepay/ipn", tag = "payments",
    params(("Signature" = String, Header, description = "base64 HMAC-SHA384 of the body with the merchant secret")),
    request_body(content = Object, content_type = "application/json"),
    responses((status = 200, body = Object), (status = 401, body = Problem)))]
pub async fn ipn(
    State(state): State<PayFeeState>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let signature = headers.get("signature").and_then(|v| v.to_str().ok());
    let ack = state.payments.notify(&body, signature).await?;
    let mut response = ack.body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(v) = HeaderValue::from_str(&ack.signature) {
        headers.insert("signature", v);
    }
    Ok(response)
}
