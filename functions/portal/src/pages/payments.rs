//! Paying a case's fee: by card through the payment provider (the simulator in demo
//! mode), which sends the browser back here, or by bank transfer with the reference shown.

use super::{csrf_refused, money, not_found, unavailable, visitor_page};
use crate::PortalState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use uuid::Uuid;
use varoskapu_case_api::extract::Origin;
use varoskapu_case_api::pdf::pdf_response;
use varoskapu_core::cases::{CaseError, CaseStatus};
use varoskapu_core::payments::{Payment, PaymentError, PaymentMethod, PaymentStatus, StartPayment};
use varoskapu_http::auth::OWN_PAYMENTS;
use varoskapu_web::signin::{Visitor, see_other};
use varoskapu_web::{Lang, PageLang};

fn failed(state: &PortalState, lang: PageLang, visitor: &Visitor, e: &PaymentError) -> Response {
    match e {
        PaymentError::UnknownPayment
        | PaymentError::Case(CaseError::UnknownCase | CaseError::CaseNotYours) => {
            not_found(state, lang, visitor)
        }
        PaymentError::NoFeeDue => super::message_page(
            state,
            lang,
            Some(&visitor.session),
            StatusCode::CONFLICT,
            lang.lang.t("Nincs fizetendő díj", "No fee is due"),
            lang.lang.t(
                "Ennek az ügynek most nincs fizetendő díja.",
                "This case has no fee to pay now.",
            ),
        ),
        e => {
            tracing::error!(error = %e, "payment use case failed");
            unavailable(state, lang, Some(visitor))
        }
    }
}

#[derive(Template)]
#[template(path = "pay.html")]
struct ChooseBody<'a> {
    lang: Lang,
    id: Uuid,
    csrf: &'a str,
    amount: String,
    idempotency_key: String,
}

/// `GET /my-cases/{case_id}/pay`: card or transfer.
pub async fn choose(
    State(state): State<PortalState>,
    lang: PageLang,
    headers: HeaderMap,
    Path(case_id): Path<String>,
) -> Response {
    let path = format!("/my-cases/{case_id}/pay");
    let visitor = match state.signin.visitor(&headers, &OWN_PAYMENTS, &path).await {
        Ok(v) => v,
        Err(r) => return crate::pages::refused(&state, lang, r),
    };
    let Ok(id) = Uuid::parse_str(&case_id) else {
        return not_found(&state, lang, &visitor);
    };
    let case = match state
        .cases
        .cases
        .case_of(&visitor.principal.account, id)
        .await
    {
        Ok(c) => c,
        Err(e) => return failed(&state, lang, &visitor, &PaymentError::Case(e)),
    };
    let (CaseStatus::AwaitingPayment, Some(fee)) = (case.status, &case.fee) else {
        return failed(&state, lang, &visitor, &PaymentError::NoFeeDue);
    };
    visitor_page(
        lang,
        lang.lang.t("Díj befizetése", "Pay the fee"),
        "",
        &visitor,
    )
    .template(&ChooseBody {
        lang: lang.lang,
        id,
        csrf: visitor.csrf(),
        amount: money(fee.amount, &fee.currency),
        idempotency_key: varoskapu_core::secrets::random_token(),
    })
}

#[derive(Deserialize)]
pub struct StartForm {
    csrf: Option<String>,
    method: Option<String>,
    idempotency_key: Option<String>,
}

/// `POST /my-cases/{case_id}/pay`: starts the payment; a card payment goes on to the
/// provider's page, a transfer to its details.
pub async fn start(
    State(state): State<PortalState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    Path(case_id): Path<String>,
    axum::Form(form): axum::Form<StartForm>,
) -> Response {
    let path = format!("/my-cases/{case_id}/pay");
    let visitor = match state.signin.visitor(&headers, &OWN_PAYMENTS, &path).await {
        Ok(v) => v,
        Err(r) => return crate::pages::refused(&state, lang, r),
    };
    let Ok(id) = Uuid::parse_str(&case_id) else {
        return not_found(&state, lang, &visitor);
    };
    if !visitor.form_ok(form.csrf.as_deref()) {
        return csrf_refused(&state, lang, &visitor);
    }
    let method = match form.method.as_deref() {
        Some("card") => PaymentMethod::Card,
        Some("bank_transfer") => PaymentMethod::BankTransfer,
        _ => return see_other(&path),
    };
    let key = form
        .idempotency_key
        .filter(|k| !k.is_empty())
        .unwrap_or_else(varoskapu_core::secrets::random_token);
    let request = StartPayment {
        method,
        payer_name: None,
        back_url: Some(format!(
            "{}/my-cases/{id}/card-return",
            state.signin.config.public_url
        )),
    };
    let fingerprint =
        varoskapu_core::idempotency::fingerprint(format!("{id}:{:?}", method).as_bytes());
    let default_back = format!("{}/payments/return", state.payments.public_base_url);
    match state
        .payments
        .payments
        .start(
            &visitor.principal.account,
            id,
            &request,
            &key,
            &fingerprint,
            &default_back,
            origin.0.as_deref(),
        )
        .await
    {
        Ok(payment) => match (&payment.method, &payment.redirect_url) {
            (PaymentMethod::Card, Some(url)) => see_other(url),
            _ => see_other(&format!("/my-cases/{id}/payments/{}", payment.id)),
        },
        Err(e) => failed(&state, lang, &visitor, &e),
    }
}

#[derive(Deserialize)]
pub struct BackQuery {
    r: Option<String>,
    s: Option<String>,
}

/// `GET /my-cases/{case_id}/card-return`: the card provider's signed back-redirect, read
/// and sent on to the payment's page.
pub async fn card_return(
    State(state): State<PortalState>,
    lang: PageLang,
    headers: HeaderMap,
    Path(case_id): Path<String>,
    Query(q): Query<BackQuery>,
) -> Response {
    let path = format!("/my-cases/{case_id}");
    let visitor = match state.signin.visitor(&headers, &OWN_PAYMENTS, &path).await {
        Ok(v) => v,
        Err(r) => return crate::pages::refused(&state, lang, r),
    };
    let read = state
        .payments
        .payments
        .provider
        .read_back_redirect(q.r.as_deref().unwrap_or(""), q.s.as_deref().unwrap_or(""));
    match read.ok().and_then(|b| Uuid::parse_str(&b.order_ref).ok()) {
        Some(payment) => see_other(&format!("/my-cases/{case_id}/payments/{payment}")),
        None => not_found(&state, lang, &visitor),
    }
}

#[derive(Template)]
#[template(path = "payment.html")]
struct PaymentBody {
    lang: Lang,
    case_id: Uuid,
    id: Uuid,
    status: &'static str,
    succeeded: bool,
    transfer: bool,
    amount: String,
    bank_account: String,
    reference: String,
}

/// A payment's status as people read it.
pub fn status_text(status: PaymentStatus, lang: Lang) -> &'static str {
    match status {
        PaymentStatus::Initiated => lang.t("Elindítva", "Started"),
        PaymentStatus::Pending => lang.t("Folyamatban", "Pending"),
        PaymentStatus::Succeeded => lang.t("Sikeres", "Paid"),
        PaymentStatus::Failed => lang.t("Sikertelen", "Failed"),
        PaymentStatus::Cancelled => lang.t("Megszakítva", "Cancelled"),
        PaymentStatus::Refunded => lang.t("Visszatérítve", "Refunded"),
        PaymentStatus::Expired => lang.t("Lejárt", "Expired"),
    }
}

async fn own_payment(
    state: &PortalState,
    visitor: &Visitor,
    case_id: &str,
    payment_id: &str,
) -> Result<(Uuid, Payment), PaymentError> {
    let case_id = Uuid::parse_str(case_id).map_err(|_| PaymentError::UnknownPayment)?;
    let id = Uuid::parse_str(payment_id).map_err(|_| PaymentError::UnknownPayment)?;
    let payment = state
        .payments
        .payments
        .payment_of(&visitor.principal.account, id)
        .await?;
    if payment.case_id != case_id {
        return Err(PaymentError::UnknownPayment);
    }
    Ok((case_id, payment))
}

/// `GET /my-cases/{case_id}/payments/{payment_id}`: a payment's status, the transfer's
/// details, and the receipt once paid.
pub async fn status(
    State(state): State<PortalState>,
    lang: PageLang,
    headers: HeaderMap,
    Path((case_id, payment_id)): Path<(String, String)>,
) -> Response {
    let path = format!("/my-cases/{case_id}/payments/{payment_id}");
    let visitor = match state.signin.visitor(&headers, &OWN_PAYMENTS, &path).await {
        Ok(v) => v,
        Err(r) => return crate::pages::refused(&state, lang, r),
    };
    let (case_id, payment) = match own_payment(&state, &visitor, &case_id, &payment_id).await {
        Ok(found) => found,
        Err(e) => return failed(&state, lang, &visitor, &e),
    };
    let l = lang.lang;
    let transfer = payment.method == PaymentMethod::BankTransfer;
    visitor_page(lang, l.t("Díjfizetés", "Fee payment"), "", &visitor).template(&PaymentBody {
        lang: l,
        case_id,
        id: payment.id,
        status: status_text(payment.status, l),
        succeeded: payment.status == PaymentStatus::Succeeded,
        transfer,
        amount: money(payment.amount.amount, &payment.amount.currency),
        bank_account: state.payments.payments.settings.seller.bank_account.clone(),
        reference: payment.reference.grouped(),
    })
}

/// `GET /my-cases/{case_id}/payments/{payment_id}/receipt.pdf`: the signed receipt of a
/// successful payment.
pub async fn receipt(
    State(state): State<PortalState>,
    lang: PageLang,
    headers: HeaderMap,
    Path((case_id, payment_id)): Path<(String, String)>,
) -> Response {
    let path = format!("/my-cases/{case_id}/payments/{payment_id}");
    let visitor = match state.signin.visitor(&headers, &OWN_PAYMENTS, &path).await {
        Ok(v) => v,
        Err(r) => return crate::pages::refused(&state, lang, r),
    };
    let payment = match own_payment(&state, &visitor, &case_id, &payment_id).await {
        Ok((_, p)) if p.status == PaymentStatus::Succeeded => p,
        Ok(_) => return not_found(&state, lang, &visitor),
        Err(e) => return failed(&state, lang, &visitor, &e),
    };
    let payments = &state.payments.payments;
    let result = async {
        let payment = payments.receipt_of(payment).await?;
        let document = payment.receipt.clone().ok_or(PaymentError::Busy)?;
        let blob = payments
            .cases
            .documents
            .get(&document.blob_key)
            .await
            .map_err(PaymentError::Blob)?;
        Ok::<_, PaymentError>((payment.id, blob))
    }
    .await;
    match result {
        Ok((id, blob)) => pdf_response(blob.bytes.to_vec(), &format!("nyugta-{id}.pdf")),
        Err(e) => failed(&state, lang, &visitor, &e),
    }
}
