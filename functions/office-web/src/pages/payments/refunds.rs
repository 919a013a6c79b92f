//! Overpayments (money beyond what cases owed) and the refunds the office records.

use super::*;

struct OverpaymentLine {
    payment_id: Uuid,
    case_id: Uuid,
    dom: String,
    source_key: String,
    source: String,
    recorded: String,
    amount: String,
    refund: Option<String>,
    reference: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "payments/overpayments.html")]
struct OverpaymentsBody<'a> {
    lang: Lang,
    csrf: &'a str,
    lines: Vec<OverpaymentLine>,
}

async fn overpayments_page(
    state: &OfficeState,
    lang: PageLang,
    visitor: &Visitor,
    by: &OfficeActor,
    notice: Option<String>,
    typed: Option<(Uuid, &str, &str)>,
    errors: FieldErrors,
) -> Response {
    let l = lang.lang;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let list = match state.payments.payments.overpayments(by).await {
        Ok(list) => list,
        Err(e) => return failed(lang, visitor, &e),
    };
    let lines = list
        .into_iter()
        .map(|o| {
            let source_key = o.source.key();
            let dom = dom_id("refund", &format!("{}-{source_key}", o.payment_id));
            let typed_here = typed
                .filter(|(id, key, _)| *id == o.payment_id && *key == source_key)
                .map(|(_, _, reference)| reference.to_owned());
            OverpaymentLine {
                payment_id: o.payment_id,
                case_id: o.case_id,
                source: source_text(&o.source, l),
                recorded: local_time(&state.appointments, o.recorded_at),
                amount: money(o.amount.amount, &o.amount.currency),
                refund: o.refund.map(|r| {
                    format!(
                        "{} ({})",
                        r.reference,
                        local_time(&state.appointments, r.at)
                    )
                }),
                reference: typed_here.unwrap_or_default(),
                error: errors.get(&format!("{dom}-reference")).map(str::to_owned),
                dom,
                source_key,
            }
        })
        .collect();
    let mut page = staff_page(
        lang,
        l.t(
            "Túlfizetések és visszatérítések",
            "Overpayments and refunds",
        ),
        &path(QUEUE),
        visitor,
    )
    .status(status)
    .errors(errors);
    if let Some(notice) = notice {
        page = page.notice(notice);
    }
    page.template(&OverpaymentsBody {
        lang: l,
        csrf: visitor.csrf(),
        lines,
    })
}

/// `GET /office/payments/overpayments`: money received beyond what cases owed, to refund.
pub async fn overpayments(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    Query(q): Query<DoneQuery>,
) -> Response {
    let visitor = match guard(&state, lang, &headers, &OFFICE, &path(OVERPAYMENTS)).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let by = clerk(&visitor, origin);
    let notice = done_notice(q.done.as_deref(), lang.lang);
    overpayments_page(
        &state,
        lang,
        &visitor,
        &by,
        notice,
        None,
        FieldErrors::default(),
    )
    .await
}

#[derive(Deserialize)]
pub struct RefundForm {
    csrf: Option<String>,
    source: Option<String>,
    reference: Option<String>,
}

/// `POST /office/payments/{payment_id}/refunds`: records that an overpayment was paid back.
pub async fn refund(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    Path(payment_id): Path<String>,
    axum::Form(form): axum::Form<RefundForm>,
) -> Response {
    let visitor = match guard_posted(
        &state,
        lang,
        &headers,
        &OFFICE,
        &path(OVERPAYMENTS),
        form.csrf.as_deref(),
    )
    .await
    {
        Ok(v) => v,
        Err(r) => return r,
    };
    let by = clerk(&visitor, origin);
    let source_key = form.source.as_deref().unwrap_or_default();
    let (Ok(id), Some(source)) = (
        Uuid::parse_str(&payment_id),
        SettlementSource::from_key(source_key),
    ) else {
        return not_found(lang, &visitor);
    };
    let reference = form.reference.as_deref().unwrap_or_default();
    match state
        .payments
        .payments
        .refund_overpayment(&by, id, &source, reference)
        .await
    {
        Ok(_) => see_other(&format!("{}?done=refunded", path(OVERPAYMENTS))),
        Err(PaymentError::Invalid(_)) => {
            let mut errors = FieldErrors::default();
            errors.add(
                format!(
                    "{}-reference",
                    dom_id("refund", &format!("{id}-{source_key}"))
                ),
                lang.lang.t(
                    "Adja meg a visszautalás vagy a pénztári kifizetés azonosítóját (legfeljebb 140 karakter).",
                    "Give the refund transfer's or the cash payout's reference (at most 140 characters).",
                ),
            );
            overpayments_page(
                &state,
                lang,
                &visitor,
                &by,
                None,
                Some((id, source_key, reference)),
                errors,
            )
            .await
        }
        Err(e) => failed(lang, &visitor, &e),
    }
}
