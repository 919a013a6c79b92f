//! The matching queue: bank entries waiting for a clerk with the cases they may pay, the
//! statement upload, linking an entry to a case and taking one off the queue.

use super::*;

#[derive(Deserialize, Default)]
pub struct QueueQuery {
    done: Option<String>,
    statements: Option<usize>,
    entries: Option<usize>,
    settled: Option<usize>,
    overpaid: Option<usize>,
    queued: Option<usize>,
    duplicates: Option<usize>,
    skipped: Option<usize>,
    already: Option<usize>,
    refused: Option<usize>,
}

/// A case awaiting payment that an entry may be linked to.
struct CaseChoice {
    id: Uuid,
    label: String,
}

/// A case option of one entry's list.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

struct Suggested {
    case_id: Uuid,
    reference: String,
    confidence: u8,
    basis: &'static str,
}

struct EntryLine {
    entry_id: String,
    /// The prefix of the entry's field ids.
    dom: String,
    booked: String,
    amount: String,
    payer: String,
    remittance: String,
    reason: String,
    suggested: Option<Suggested>,
    choices: Vec<Choice>,
    case_error: Option<String>,
    remark: String,
    remark_error: Option<String>,
}

#[derive(Template)]
#[template(path = "payments/queue.html")]
struct QueueBody<'a> {
    lang: Lang,
    csrf: &'a str,
    entries: Vec<EntryLine>,
    statement_error: Option<String>,
}

/// What a form of the queue page sent back, shown again beside its entry.
#[derive(Default)]
struct Typed<'a> {
    entry_id: &'a str,
    case_id: Option<&'a str>,
    remark: &'a str,
}

fn basis_text(basis: MatchBasis, l: Lang) -> &'static str {
    match basis {
        MatchBasis::Reference => l.t("közlemény szerint", "by the reference"),
        MatchBasis::AmountAndName => l.t("összeg és név szerint", "by amount and name"),
        MatchBasis::Clerk => l.t("ügyintéző döntése", "a clerk's decision"),
    }
}

/// The queue's lines: each entry with its suggested case (the payment read is audited on
/// that case) and the cases awaiting payment, those of the entry's amount first.
async fn entry_lines(
    state: &OfficeState,
    l: Lang,
    by: &OfficeActor,
    typed: &Typed<'_>,
    errors: &FieldErrors,
) -> Result<Vec<EntryLine>, PaymentError> {
    let payments = &state.payments.payments;
    let entries: Vec<BankEntry> = payments.queue(by).await?;
    let awaiting = payments
        .cases
        .queue(&QueueFilter {
            status: Some(CaseStatus::AwaitingPayment),
            ..QueueFilter::default()
        })
        .await?;
    let cases: Vec<(CaseChoice, Option<i64>)> = awaiting
        .iter()
        .map(|c| {
            let number = c.arrival_number.clone().unwrap_or_else(|| c.id.to_string());
            let fee = c.fee.as_ref().map(|f| money(f.amount, &f.currency));
            let label = match fee {
                Some(fee) => format!("{number} – {} – {fee}", c.case_type),
                None => format!("{number} – {}", c.case_type),
            };
            (
                CaseChoice { id: c.id, label },
                c.fee.as_ref().map(|f| f.amount),
            )
        })
        .collect();
    let mut lines = Vec::with_capacity(entries.len());
    for entry in entries {
        let suggested = match entry.suggestion {
            Some(s) => {
                let p = payments.payment_for_office(s.payment_id, by).await?;
                Some(Suggested {
                    case_id: p.case_id,
                    reference: p.reference.grouped(),
                    confidence: s.confidence,
                    basis: basis_text(s.basis, l),
                })
            }
            None => None,
        };
        let dom = dom_id("entry", &entry.entry.entry_id);
        let this_one = typed.entry_id == entry.entry.entry_id;
        let chosen = if this_one {
            typed.case_id.map(str::to_owned)
        } else {
            suggested.as_ref().map(|s| s.case_id.to_string())
        };
        let mut ordered: Vec<&(CaseChoice, Option<i64>)> = cases.iter().collect();
        ordered.sort_by_key(|(_, fee)| *fee != Some(entry.entry.amount.amount));
        let choices = ordered
            .into_iter()
            .map(|(c, _)| Choice {
                value: c.id.to_string(),
                label: c.label.clone(),
                selected: chosen.as_deref() == Some(c.id.to_string().as_str()),
            })
            .collect();
        lines.push(EntryLine {
            booked: entry.entry.booking_date.clone().unwrap_or_default(),
            amount: money(entry.entry.amount.amount, &entry.entry.amount.currency),
            payer: entry.entry.payer_name.clone().unwrap_or_default(),
            remittance: entry.entry.remittance.clone(),
            reason: entry.reason.clone().unwrap_or_default(),
            suggested,
            choices,
            case_error: errors.get(&format!("{dom}-case")).map(str::to_owned),
            remark: if this_one {
                typed.remark.to_owned()
            } else {
                String::new()
            },
            remark_error: errors.get(&format!("{dom}-remark")).map(str::to_owned),
            entry_id: entry.entry.entry_id,
            dom,
        });
    }
    Ok(lines)
}

fn import_notice(q: &QueueQuery, l: Lang) -> Option<String> {
    q.statements?;
    let n = |v: Option<usize>| v.unwrap_or(0);
    let mut text = match l {
        Lang::Hu => format!(
            "A kivonat beolvasva: {} tétel, ebből {} befizetést rendezett, {} kézi párosításra vár, {} túlfizetés, {} nem díjbefizetés, {} már korábban beérkezett.",
            n(q.entries),
            n(q.settled),
            n(q.queued),
            n(q.overpaid),
            n(q.skipped),
            n(q.duplicates)
        ),
        Lang::En => format!(
            "The statement was read: {} entries; {} settled a payment, {} wait for manual linking, {} overpaid, {} pay no fee, {} arrived before.",
            n(q.entries),
            n(q.settled),
            n(q.queued),
            n(q.overpaid),
            n(q.skipped),
            n(q.duplicates)
        ),
    };
    if n(q.already) > 0 {
        text.push(' ');
        text.push_str(l.t(
            "A fájl egy kivonatát már korábban beolvasták; azon nem változott semmi.",
            "A statement of the file was read before; nothing changed for it.",
        ));
    }
    if n(q.refused) > 0 {
        text.push(' ');
        text.push_str(l.t(
            "A fájl egy kivonata nem a hivatal beszedési számlájáé, ezért nem dolgoztuk fel.",
            "A statement of the file is not of the office's collection account, so it was not processed.",
        ));
    }
    Some(text)
}

/// The queue page, with the errors and typed values of a form sent back to it.
async fn queue_page(
    state: &OfficeState,
    lang: PageLang,
    visitor: &Visitor,
    by: &OfficeActor,
    notice: Option<String>,
    typed: Typed<'_>,
    errors: FieldErrors,
) -> Response {
    let l = lang.lang;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let entries = match entry_lines(state, l, by, &typed, &errors).await {
        Ok(lines) => lines,
        Err(e) => return failed(lang, visitor, &e),
    };
    let statement_error = errors.get("statement").map(str::to_owned);
    let mut page = staff_page(
        lang,
        l.t("Befizetések párosítása", "Matching payments"),
        &path(QUEUE),
        visitor,
    )
    .status(status)
    .errors(errors);
    if let Some(notice) = notice {
        page = page.notice(notice);
    }
    page.template(&QueueBody {
        lang: l,
        csrf: visitor.csrf(),
        entries,
        statement_error,
    })
}

/// `GET /office/payments`: bank entries waiting for a clerk, each with the case it may
/// pay; the statement upload.
pub async fn queue(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    Query(q): Query<QueueQuery>,
) -> Response {
    let visitor = match guard(&state, lang, &headers, &OFFICE, &path(QUEUE)).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let by = clerk(&visitor, origin);
    let notice = import_notice(&q, lang.lang).or_else(|| done_notice(q.done.as_deref(), lang.lang));
    queue_page(
        &state,
        lang,
        &visitor,
        &by,
        notice,
        Typed::default(),
        FieldErrors::default(),
    )
    .await
}

#[derive(Default)]
struct StatementUpload {
    csrf: Option<String>,
    file: Option<Vec<u8>>,
}

async fn read_statement_upload(mut multipart: Multipart) -> Result<StatementUpload, ()> {
    let mut upload = StatementUpload::default();
    while let Some(field) = multipart.next_field().await.map_err(|_| ())? {
        match field.name() {
            Some("csrf") => upload.csrf = Some(field.text().await.map_err(|_| ())?),
            Some("file") => {
                let bytes = field.bytes().await.map_err(|_| ())?;
                if !bytes.is_empty() {
                    upload.file = Some(bytes.to_vec());
                }
            }
            _ => {}
        }
    }
    Ok(upload)
}

fn summary_query(s: &ImportSummary) -> String {
    format!(
        "?statements={}&entries={}&settled={}&overpaid={}&queued={}&duplicates={}&skipped={}&already={}&refused={}",
        s.statements,
        s.entries,
        s.settled,
        s.overpaid,
        s.queued,
        s.duplicates,
        s.skipped,
        s.already_imported,
        s.refused.len()
    )
}

/// `POST /office/payments/statements`: imports a camt.053/054 file (importing it again
/// changes nothing) and shows what matched and what is left.
pub async fn import(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    multipart: Multipart,
) -> Response {
    let upload = read_statement_upload(multipart).await.unwrap_or_default();
    let visitor = match guard_posted(
        &state,
        lang,
        &headers,
        &OFFICE,
        &path(QUEUE),
        upload.csrf.as_deref(),
    )
    .await
    {
        Ok(v) => v,
        Err(r) => return r,
    };
    let by = clerk(&visitor, origin);
    let l = lang.lang;
    let refuse = |message: &str| {
        let mut errors = FieldErrors::default();
        errors.add("statement", message);
        errors
    };
    let outcome = match upload.file {
        None => Err(refuse(l.t(
            "Válassza ki a bank kivonatfájlját (camt.053 vagy camt.054 XML).",
            "Choose the bank's statement file (camt.053 or camt.054 XML).",
        ))),
        Some(bytes) if bytes.len() > MAX_STATEMENT_BYTES => {
            Err(refuse(l.t("A fájl túl nagy.", "The file is too large.")))
        }
        Some(bytes) => match String::from_utf8(bytes) {
            Err(_) => Err(refuse(l.t(
                "A fájl nem UTF-8 kódolású XML.",
                "The file is not UTF-8 XML.",
            ))),
            Ok(xml) => match varoskapu_pay_fee::office::parse_statements(xml).await {
                Err(e) => {
                    tracing::error!(error = %e, "statement parsing stopped");
                    return unavailable(lang, Some(&visitor));
                }
                Ok(Err(e)) => Err(refuse(&match (e, l) {
                    (CamtError::NotCamt, _) => l
                        .t(
                            "A fájl nem camt.053 vagy camt.054 bankszámlakivonat.",
                            "The file is not a camt.053 or camt.054 bank statement.",
                        )
                        .to_owned(),
                    (e, Lang::Hu) => format!("A kivonat nem olvasható: {e}"),
                    (e, Lang::En) => format!("The statement cannot be read: {e}"),
                })),
                Ok(Ok(statements)) => Ok(statements),
            },
        },
    };
    let statements = match outcome {
        Ok(statements) => statements,
        Err(errors) => {
            return queue_page(&state, lang, &visitor, &by, None, Typed::default(), errors).await;
        }
    };
    let payments = &state.payments.payments;
    match payments
        .import_statements(statements, by.actor.clone(), by.origin.as_deref())
        .await
    {
        Ok(summary) => see_other(&format!("{}{}", path(QUEUE), summary_query(&summary))),
        Err(e) => failed(lang, &visitor, &e),
    }
}

#[derive(Deserialize)]
pub struct LinkForm {
    csrf: Option<String>,
    entry_id: Option<String>,
    case_id: Option<String>,
}

/// `POST /office/payments/link`: links a queued entry to the case chosen; the case's fee
/// is settled (or, if it was paid already, the money waits as an overpayment).
pub async fn link(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    axum::Form(form): axum::Form<LinkForm>,
) -> Response {
    let visitor = match guard_posted(
        &state,
        lang,
        &headers,
        &OFFICE,
        &path(QUEUE),
        form.csrf.as_deref(),
    )
    .await
    {
        Ok(v) => v,
        Err(r) => return r,
    };
    let by = clerk(&visitor, origin);
    let entry_id = form.entry_id.as_deref().unwrap_or_default();
    let case_id = form.case_id.as_deref().unwrap_or_default();
    let Ok(case) = Uuid::parse_str(case_id.trim()) else {
        let mut errors = FieldErrors::default();
        errors.add(
            format!("{}-case", dom_id("entry", entry_id)),
            lang.lang.t(
                "Válassza ki az ügyet, amelynek díját ez a tétel fizeti.",
                "Choose the case whose fee this entry pays.",
            ),
        );
        let typed = Typed {
            entry_id,
            ..Typed::default()
        };
        return queue_page(&state, lang, &visitor, &by, None, typed, errors).await;
    };
    match state
        .payments
        .payments
        .link_to_case(&by, entry_id, case)
        .await
    {
        Ok((_, varoskapu_core::payments::Settled::Overpaid(_))) => {
            see_other(&format!("{}?done=overpaid", path(QUEUE)))
        }
        Ok(_) => see_other(&format!("{}?done=linked", path(QUEUE))),
        Err(e) => failed(lang, &visitor, &e),
    }
}

#[derive(Deserialize)]
pub struct UnlinkForm {
    csrf: Option<String>,
    entry_id: Option<String>,
    remark: Option<String>,
}

/// Longest reason kept with an unlinked entry.
const MAX_REMARK: usize = 500;

/// `POST /office/payments/unlink`: takes a queued entry off the queue as paying no fee,
/// with the clerk's reason.
pub async fn unlink(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    axum::Form(form): axum::Form<UnlinkForm>,
) -> Response {
    let visitor = match guard_posted(
        &state,
        lang,
        &headers,
        &OFFICE,
        &path(QUEUE),
        form.csrf.as_deref(),
    )
    .await
    {
        Ok(v) => v,
        Err(r) => return r,
    };
    let by = clerk(&visitor, origin);
    let entry_id = form.entry_id.as_deref().unwrap_or_default();
    let remark = form.remark.as_deref().unwrap_or_default();
    if remark.trim().is_empty() || remark.trim().chars().count() > MAX_REMARK {
        let mut errors = FieldErrors::default();
        errors.add(
            format!("{}-remark", dom_id("entry", entry_id)),
            lang.lang.t(
                "Írja le, miért nem díjbefizetés ez a tétel (legfeljebb 500 karakter).",
                "Say why this entry pays no fee (at most 500 characters).",
            ),
        );
        let typed = Typed {
            entry_id,
            case_id: None,
            remark,
        };
        return queue_page(&state, lang, &visitor, &by, None, typed, errors).await;
    }
    match state
        .payments
        .payments
        .unlink(&by, entry_id, Some(remark.trim().to_owned()))
        .await
    {
        Ok(_) => see_other(&format!("{}?done=unlinked", path(QUEUE))),
        Err(e) => failed(lang, &visitor, &e),
    }
}
