//! A case's fee paid at the desk, in cash or by card terminal.

use super::*;

#[derive(Template)]
#[template(path = "payments/desk.html")]
struct DeskBody<'a> {
    lang: Lang,
    csrf: &'a str,
    case_id: Uuid,
    number: String,
    case_type: String,
    applicant: String,
    fee: String,
    method: &'a str,
    method_error: Option<String>,
    receipt_number: &'a str,
    receipt_error: Option<String>,
}

/// What the desk form sent.
#[derive(Deserialize, Default)]
pub struct DeskForm {
    csrf: Option<String>,
    method: Option<String>,
    receipt_number: Option<String>,
}

/// The desk payment form of a case awaiting its fee (the case read is audited).
async fn desk_page(
    state: &OfficeState,
    lang: PageLang,
    visitor: &Visitor,
    by: &OfficeActor,
    case_id: Uuid,
    typed: &DeskForm,
    errors: FieldErrors,
) -> Response {
    let l = lang.lang;
    let opened = match state.cases.cases.view(by, case_id).await {
        Ok(opened) => opened,
        Err(e) => return failed(lang, visitor, &PaymentError::from(e)),
    };
    let case = &opened.case;
    let (CaseStatus::AwaitingPayment, Some(fee)) = (case.status, &case.fee) else {
        return failed(lang, visitor, &PaymentError::NoFeeDue);
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let body = DeskBody {
        lang: l,
        csrf: visitor.csrf(),
        case_id,
        number: case
            .arrival_number
            .clone()
            .unwrap_or_else(|| case.id.to_string()),
        case_type: case.case_type.clone(),
        applicant: opened
            .applicant
            .as_ref()
            .map(|p| p.name.clone())
            .unwrap_or_default(),
        fee: money(fee.amount, &fee.currency),
        method: typed.method.as_deref().unwrap_or_default(),
        method_error: errors.get("method").map(str::to_owned),
        receipt_number: typed.receipt_number.as_deref().unwrap_or_default(),
        receipt_error: errors.get("receipt_number").map(str::to_owned),
    };
    staff_page(
        lang,
        l.t("Befizetés az ügyfélszolgálaton", "Payment at the desk"),
        &path(QUEUE),
        visitor,
    )
    .status(status)
    .errors(errors)
    .template(&body)
}

/// `GET /office/cases/{case_id}/desk-payment`: the fee paid at the desk in cash or by
/// card terminal.
pub async fn desk_form(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    Path(case_id): Path<String>,
) -> Response {
    let here = path(&format!("/cases/{case_id}/desk-payment"));
    let visitor = match guard(&state, lang, &headers, &OFFICE, &here).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Ok(id) = Uuid::parse_str(&case_id) else {
        return not_found(lang, &visitor);
    };
    let by = clerk(&visitor, origin);
    desk_page(
        &state,
        lang,
        &visitor,
        &by,
        id,
        &DeskForm::default(),
        FieldErrors::default(),
    )
    .await
}

/// `POST /office/cases/{case_id}/desk-payment`: records the payment; the case moves on and
/// the receipt is ready to print.
pub async fn desk_record(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    Path(case_id): Path<String>,
    axum::Form(form): axum::Form<DeskForm>,
) -> Response {
    let here = path(&format!("/cases/{case_id}/desk-payment"));
    let visitor =
        match guard_posted(&state, lang, &headers, &OFFICE, &here, form.csrf.as_deref()).await {
            Ok(v) => v,
            Err(r) => return r,
        };
    let Ok(id) = Uuid::parse_str(&case_id) else {
        return not_found(lang, &visitor);
    };
    let by = clerk(&visitor, origin);
    let l = lang.lang;
    let method = match form.method.as_deref() {
        Some("cash") => Some(PaymentMethod::Cash),
        Some("pos") => Some(PaymentMethod::Pos),
        _ => None,
    };
    let mut errors = FieldErrors::default();
    if method.is_none() {
        errors.add(
            "method",
            l.t(
                "Válassza ki, hogyan fizetett az ügyfél.",
                "Choose how the citizen paid.",
            ),
        );
    }
    let receipt_missing = l.t(
        "Adja meg a pénztárgép vagy a kártyaterminál bizonylatának számát.",
        "Give the number of the cash register's or card terminal's slip.",
    );
    let receipt_number = form.receipt_number.as_deref().unwrap_or_default();
    if receipt_number.trim().is_empty() {
        errors.add("receipt_number", receipt_missing);
    }
    let Some(method) = method.filter(|_| errors.is_empty()) else {
        return desk_page(&state, lang, &visitor, &by, id, &form, errors).await;
    };
    match state
        .payments
        .payments
        .record_at_desk(&by, id, method, receipt_number)
        .await
    {
        Ok(payment) => see_other(&format!(
            "{}?done=desk",
            path(&format!("/payments/{}", payment.id))
        )),
        Err(PaymentError::Invalid(_)) => {
            let mut errors = FieldErrors::default();
            errors.add("receipt_number", receipt_missing);
            desk_page(&state, lang, &visitor, &by, id, &form, errors).await
        }
        Err(e) => failed(lang, &visitor, &e),
    }
}
