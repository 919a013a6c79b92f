//! One payment as the office reads it, and its signed receipt to print.

use super::*;

struct HistoryLine {
    at: String,
    status: &'static str,
    remark: String,
}

#[derive(Template)]
#[template(path = "payments/payment.html")]
struct PaymentBody {
    lang: Lang,
    id: Uuid,
    case_id: Uuid,
    amount: String,
    method: &'static str,
    status: &'static str,
    reference: String,
    settled: Option<String>,
    settled_by: Option<String>,
    succeeded: bool,
    history: Vec<HistoryLine>,
}

/// `GET /office/payments/{payment_id}`: a payment (read audited on its case), with the
/// receipt to print once paid.
pub async fn payment(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    Path(payment_id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Response {
    let here = path(&format!("/payments/{payment_id}"));
    let visitor = match guard(&state, lang, &headers, &OFFICE, &here).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Ok(id) = Uuid::parse_str(&payment_id) else {
        return not_found(lang, &visitor);
    };
    let by = clerk(&visitor, origin);
    let p: Payment = match state.payments.payments.payment_for_office(id, &by).await {
        Ok(p) => p,
        Err(e) => return failed(lang, &visitor, &e),
    };
    let l = lang.lang;
    let at = |t| local_time(&state.appointments, t);
    let body = PaymentBody {
        lang: l,
        id: p.id,
        case_id: p.case_id,
        amount: money(p.amount.amount, &p.amount.currency),
        method: method_text(p.method, l),
        status: status_text(p.status, l),
        reference: p.reference.grouped(),
        settled: p.settled_at.map(at),
        settled_by: p.settled_by.as_ref().map(|s| source_text(s, l)),
        succeeded: p.status == PaymentStatus::Succeeded,
        history: p
            .history
            .iter()
            .map(|e| HistoryLine {
                at: at(e.at),
                status: status_text(e.to, l),
                remark: e.remark.clone().unwrap_or_default(),
            })
            .collect(),
    };
    let mut page = staff_page(lang, l.t("Befizetés", "Payment"), &path(QUEUE), &visitor);
    if let Some(notice) = done_notice(q.done.as_deref(), l) {
        page = page.notice(notice);
    }
    page.template(&body)
}

/// `GET /office/payments/{payment_id}/receipt.pdf`: the signed receipt of a paid fee, to
/// print for the citizen at the desk.
pub async fn receipt(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    Path(payment_id): Path<String>,
) -> Response {
    let here = path(&format!("/payments/{payment_id}"));
    let visitor = match guard(&state, lang, &headers, &OFFICE, &here).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Ok(id) = Uuid::parse_str(&payment_id) else {
        return not_found(lang, &visitor);
    };
    let by = clerk(&visitor, origin);
    let payments = &state.payments.payments;
    let result = async {
        let payment = payments.payment_for_office(id, &by).await?;
        if payment.status != PaymentStatus::Succeeded {
            return Err(PaymentError::UnknownPayment);
        }
        let payment = payments.receipt_of(payment).await?;
        let document = payment.receipt.clone().ok_or(PaymentError::Busy)?;
        let blob = payments
            .cases
            .documents
            .get(&document.blob_key)
            .await
            .map_err(PaymentError::Blob)?;
        Ok::<_, PaymentError>(blob)
    }
    .await;
    match result {
        Ok(blob) => pdf_response(blob.bytes.to_vec(), &format!("nyugta-{id}.pdf")),
        Err(e) => failed(lang, &visitor, &e),
    }
}
