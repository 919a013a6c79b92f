//! A case as the office opens it (the domain's audited `view` and `notes`), with the form
//! of every action its state allows; the case's documents (the audited `attachment`) and
//! its audit trail (the audited `audit_trail_for`).

use super::{Names, case_path, failed, form_lines, office_actor, queue_path, status_text};
use crate::OfficeState;
use crate::pages::{guard, money, not_found, staff_page};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use uuid::Uuid;
use varoskapu_case_api::extract::Origin;
use varoskapu_core::access::Role;
use varoskapu_core::cases::{Case, CaseStatus, CaseType, Outcome};
use varoskapu_http::auth::OFFICE;
use varoskapu_web::signin::Visitor;
use varoskapu_web::{FieldErrors, Lang, PageLang};

/// What a staff member typed into the case page's forms, shown again when one is refused.
#[derive(Debug, Default, Clone)]
pub struct Typed {
    pub colleague: String,
    pub reassign: bool,
    pub note: String,
    pub info_message: String,
    pub info_due: String,
    pub outcome: String,
    pub reasoning: String,
    pub remark: String,
    pub received_on: String,
    pub authority: String,
    pub forwarded_on: String,
}

/// How a case page is answered besides the case itself: a notice, field errors with what
/// was typed, and the status.
pub struct Answer {
    pub status: StatusCode,
    pub notice: Option<String>,
    pub errors: FieldErrors,
    pub typed: Typed,
}

impl Answer {
    /// The plain page, with a notice if the last action left one.
    pub fn notice(notice: Option<String>) -> Self {
        Self {
            status: StatusCode::OK,
            notice,
            errors: FieldErrors::default(),
            typed: Typed::default(),
        }
    }
}

/// The case id of a path, if it is one.
pub fn parse_id(text: &str) -> Option<Uuid> {
    Uuid::parse_str(text).ok()
}

/// What a finished action says on the page it returns to (`?done=…`).
fn done_text(done: &str, lang: Lang) -> Option<&'static str> {
    Some(match done {
        "claimed" => lang.t("Átvette az ügyet.", "You took the case."),
        "assigned" => lang.t("Az ügyet kiosztotta.", "The case was assigned."),
        "filed" => lang.t("Az ügyet iktatta.", "The case was filed."),
        "noted" => lang.t("A feljegyzést rögzítette.", "The note was added."),
        "requested" => lang.t(
            "A hiánypótlási felhívást elküldtük az ügyfélnek; a határidő szünetel.",
            "The request for missing information was sent to the citizen; the deadline is paused.",
        ),
        "drafted" => lang.t(
            "A döntéstervezet elkészült, kiadmányozásra vár.",
            "The decision is drafted and waits for approval.",
        ),
        "decided" => lang.t(
            "A döntést kiadtuk (ehhez az ügytípushoz nem kell kiadmányozó).",
            "The decision was issued (this case type needs no signatory).",
        ),
        "returned" => lang.t(
            "A tervezetet átdolgozásra visszaküldte.",
            "The draft was sent back for rework.",
        ),
        "approved" => lang.t(
            "A döntést kiadmányozta; az aláírt határozatot kiadtuk.",
            "You approved the decision; the signed decision was issued.",
        ),
        "issued" => lang.t(
            "Az aláírt határozatot kiadtuk.",
            "The signed decision was issued.",
        ),
        "forwarded" => lang.t(
            "A fellebbezés felterjesztését rögzítette.",
            "The appeal's forwarding was recorded.",
        ),
        _ => return None,
    })
}

#[derive(Deserialize)]
pub struct ViewQuery {
    done: Option<String>,
}

/// `GET /office/cases/{case_id}`.
pub async fn view(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    Path(case_id): Path<String>,
    Query(q): Query<ViewQuery>,
) -> Response {
    let here = super::super::path(&format!("/cases/{case_id}"));
    let visitor = match guard(&state, lang, &headers, &OFFICE, &here).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(id) = parse_id(&case_id) else {
        return not_found(lang, &visitor);
    };
    let notice = q
        .done
        .as_deref()
        .and_then(|d| done_text(d, lang.lang))
        .map(str::to_owned);
    case_page(&state, lang, &visitor, &origin, id, Answer::notice(notice)).await
}

struct Fact {
    label: &'static str,
    value: String,
}

struct DocumentLine {
    name: String,
    media_type: String,
    size: String,
    attached: String,
    view: String,
    download: String,
}

struct RequestLine {
    requested: String,
    by: String,
    message: String,
    answer_by: String,
    answered: String,
    answer: String,
}

struct HistoryLine {
    at: String,
    status: &'static str,
    by: String,
    remark: String,
}

struct NoteLine {
    at: String,
    by: String,
    text: String,
}

struct OutcomeChoice {
    value: &'static str,
    label: &'static str,
    checked: bool,
}

/// Which forms the case's state allows (the guard of each form's route still decides).
struct Actions {
    claim: bool,
    assign: bool,
    file: bool,
    request: bool,
    draft: bool,
    return_draft: bool,
    approve: bool,
    issue: bool,
    forward_appeal: bool,
    /// The fee is due: it may be paid at the desk.
    desk_payment: bool,
}

impl Actions {
    fn of(case: &Case, visitor: &Visitor) -> Self {
        let workable = case.status.is_open() && case.status != CaseStatus::AwaitingPayment;
        let mine = case.assignee.as_deref() == Some(visitor.principal.account.as_str());
        Self {
            claim: workable && !mine,
            assign: workable,
            file: case.filing_number.is_none()
                && !matches!(
                    case.status,
                    CaseStatus::Draft | CaseStatus::Submitted | CaseStatus::AwaitingPayment
                ),
            request: case.status == CaseStatus::InReview,
            draft: case.status == CaseStatus::InReview,
            return_draft: case.status == CaseStatus::DecisionDrafted,
            // Only a signatory's approval counts; a clerk is not shown a form she may not send.
            approve: case.status == CaseStatus::DecisionDrafted
                && visitor.principal.has_role(Role::Signatory),
            issue: case.status == CaseStatus::Approved,
            forward_appeal: case.appeal_of.is_some() && case.appeal_forwarding.is_none(),
            desk_payment: case.status == CaseStatus::AwaitingPayment,
        }
    }
}

#[derive(Template)]
#[template(path = "cases/case.html")]
struct CaseBody<'a> {
    lang: Lang,
    csrf: &'a str,
    base: String,
    errors: &'a FieldErrors,
    typed: &'a Typed,
    facts: Vec<Fact>,
    applicant: Vec<Fact>,
    form: Vec<(String, String)>,
    documents: Vec<DocumentLine>,
    deadline: Vec<Fact>,
    requests: Vec<RequestLine>,
    decision: Vec<Fact>,
    appeal: Vec<Fact>,
    appeal_of: Option<String>,
    appealed_by: Option<String>,
    history: Vec<HistoryLine>,
    notes: Vec<NoteLine>,
    actions: Actions,
    outcomes: Vec<OutcomeChoice>,
    reasoning: String,
    last_return: Option<String>,
    audit: String,
    queue: String,
}

/// The reasoning a new decision starts from: the case type's own (its rule's approval
/// reasoning), else the standard opening of a reasoning naming the case type. It is in
/// Hungarian whatever the page's language, as the decision is.
fn reasoning_template(case_type: &CaseType) -> String {
    match &case_type.auto_decision {
        Some(rule) if !rule.approval_reasoning.trim().is_empty() => rule.approval_reasoning.clone(),
        _ => format!(
            "A kérelmező {} iránti kérelmét a hatóság a kérelemben közölt adatok és a csatolt \
             dokumentumok alapján megvizsgálta. ",
            case_type.name.hu.to_lowercase()
        ),
    }
}

fn outcome_text(outcome: Outcome, lang: Lang) -> &'static str {
    match outcome {
        Outcome::Approve => lang.t("a kérelemnek helyt ad", "grants the application"),
        Outcome::Reject => lang.t("a kérelmet elutasítja", "rejects the application"),
        Outcome::Partial => lang.t("részben helyt ad", "grants it in part"),
    }
}

/// The case page of `id` with `answer`; the read is the domain's audited `view`.
pub async fn case_page(
    state: &OfficeState,
    lang: PageLang,
    visitor: &Visitor,
    origin: &Origin,
    id: Uuid,
    answer: Answer,
) -> Response {
    let l = lang.lang;
    let cases = &state.cases.cases;
    let by = office_actor(visitor, origin);
    let opened = match cases.view(&by, id).await {
        Ok(o) => o,
        Err(e) => return failed(lang, visitor, &e),
    };
    let notes = match cases.notes(&by, id).await {
        Ok(n) => n,
        Err(e) => return failed(lang, visitor, &e),
    };
    let case = &opened.case;
    let case_type = match cases.case_type(&case.case_type).await {
        Ok(t) => Some(t),
        Err(varoskapu_core::cases::CaseError::UnknownCaseType) => None,
        Err(e) => return failed(lang, visitor, &e),
    };
    let mut names = Names::new(state);
    let label = case
        .arrival_number
        .clone()
        .unwrap_or_else(|| case.id.to_string());
    let type_name = case_type
        .as_ref()
        .map(|t| l.t(&t.name.hu, &t.name.en).to_owned())
        .unwrap_or_else(|| case.case_type.clone());
    let dash = || "–".to_owned();
    let mut facts = vec![
        Fact {
            label: l.t("Állapot", "Status"),
            value: status_text(case.status, l).to_owned(),
        },
        Fact {
            label: l.t("Ügytípus", "Case type"),
            value: type_name.clone(),
        },
        Fact {
            label: l.t("Érkeztetési szám", "Arrival number"),
            value: case.arrival_number.clone().unwrap_or_else(dash),
        },
        Fact {
            label: l.t("Iktatószám", "Filing number"),
            value: case
                .filing_number
                .clone()
                .unwrap_or_else(|| l.t("még nincs iktatva", "not filed yet").to_owned()),
        },
        Fact {
            label: l.t("Beérkezett", "Arrived"),
            value: case
                .submitted_at
                .map(|t| cases.local_time(t))
                .unwrap_or_else(dash),
        },
        Fact {
            label: l.t("Ügyintéző", "Clerk"),
            value: match &case.assignee {
                Some(a) => names.of(a).await,
                None => l.t("kiosztatlan", "unassigned").to_owned(),
            },
        },
    ];
    if let Some(fee) = &case.fee {
        facts.push(Fact {
            label: l.t("Eljárási díj", "Fee"),
            value: match case.paid_at {
                Some(at) => format!(
                    "{} ({} {})",
                    money(fee.amount, &fee.currency),
                    l.t("befizetve:", "paid:"),
                    cases.local_time(at)
                ),
                None => format!(
                    "{} ({})",
                    money(fee.amount, &fee.currency),
                    l.t("még nincs befizetve", "not paid yet")
                ),
            },
        });
    }
    let applicant = match &opened.applicant {
        Some(p) => {
            let mut lines = vec![Fact {
                label: l.t("Név", "Name"),
                value: p.formal_name(),
            }];
            if let Some(org) = &p.organisation {
                lines.push(Fact {
                    label: l.t("Szervezet", "Organisation"),
                    value: org.clone(),
                });
            }
            lines.push(Fact {
                label: l.t("E-mail-cím", "E-mail address"),
                value: p.email.clone().unwrap_or_else(dash),
            });
            lines
        }
        None => vec![Fact {
            label: l.t("Fiók", "Account"),
            value: format!(
                "{} ({})",
                case.owner,
                l.t("a nyilvántartás nem ismeri", "not in the directory")
            ),
        }],
    };
    let schema = case_type
        .as_ref()
        .map(|t| t.form_schema.clone())
        .unwrap_or_default();
    let form = form_lines(&schema, &case.form, l);
    let documents = case
        .documents
        .iter()
        .map(|d| {
            let name = case_type
                .as_ref()
                .and_then(|t| t.document(&d.kind))
                .map(|k| l.t(&k.name.hu, &k.name.en).to_owned())
                .unwrap_or_else(|| {
                    if d.kind == varoskapu_core::cases::ANSWER_DOCUMENT_KIND {
                        l.t("Hiánypótlás melléklete", "Attached to an answer")
                            .to_owned()
                    } else {
                        d.kind.clone()
                    }
                });
            let href = super::super::path(&format!("/cases/{}/documents/{}", case.id, d.id));
            DocumentLine {
                name,
                media_type: d.media_type.clone(),
                size: format!("{} {}", d.size, l.t("bájt", "bytes")),
                attached: cases.local_time(d.attached_at),
                download: format!("{href}?download=1"),
                view: href,
            }
        })
        .collect();
    let today = cases.today();
    let deadline = match &case.deadline {
        Some(d) => {
            let left = d.days_left(today);
            let mut lines = vec![
                Fact {
                    label: l.t("Határidő", "Due"),
                    value: d.due().to_string(),
                },
                Fact {
                    label: l.t("Ügyintézési idő", "Time allowed"),
                    value: format!("{} {}", d.working_days, l.t("munkanap", "working days")),
                },
                Fact {
                    label: l.t("Hátralévő idő", "Time left"),
                    value: if left < 0 {
                        format!(
                            "{} {}",
                            -left,
                            l.t("munkanapja lejárt", "working days overdue")
                        )
                    } else {
                        format!("{left} {}", l.t("munkanap", "working days"))
                    },
                },
                Fact {
                    label: l.t("Szünetelés eddig", "Paused so far"),
                    value: format!(
                        "{} {}",
                        d.paused_working_days,
                        l.t(
                            "munkanap (hozzáadva a határidőhöz)",
                            "working days (added to the deadline)"
                        )
                    ),
                },
            ];
            if let Some(since) = d.paused_since {
                lines.push(Fact {
                    label: l.t("Szünetel", "Paused"),
                    value: format!(
                        "{since} {}",
                        l.t(
                            "óta, az ügyfél válaszáig",
                            "since, until the citizen answers"
                        )
                    ),
                });
            }
            lines
        }
        None => Vec::new(),
    };
    let mut requests = Vec::new();
    for r in &case.info_requests {
        requests.push(RequestLine {
            requested: cases.local_time(r.requested_at),
            by: names.actor(&r.requested_by, l).await,
            message: r.message.clone(),
            answer_by: r.answer_by.map(|d| d.to_string()).unwrap_or_else(dash),
            answered: r
                .answered_at
                .map(|t| cases.local_time(t))
                .unwrap_or_else(|| l.t("még nem válaszolt", "not answered yet").to_owned()),
            answer: r.answer.clone().unwrap_or_default(),
        });
    }
    let mut decision = Vec::new();
    if let Some(d) = &case.decision {
        decision.push(Fact {
            label: l.t("A hatóság", "The authority"),
            value: outcome_text(d.outcome, l).to_owned(),
        });
        decision.push(Fact {
            label: l.t("Indoklás", "Reasoning"),
            value: d.reasoning.clone(),
        });
        decision.push(Fact {
            label: l.t("Tervezte", "Drafted by"),
            value: format!(
                "{}, {}",
                names.actor(&d.drafted_by, l).await,
                cases.local_time(d.drafted_at)
            ),
        });
        if let (Some(who), Some(at)) = (&d.approved_by, d.approved_at) {
            decision.push(Fact {
                label: l.t("Kiadmányozta", "Approved by"),
                value: format!("{}, {}", names.actor(who, l).await, cases.local_time(at)),
            });
        }
        if let Some(doc) = &d.document {
            decision.push(Fact {
                label: l.t("Aláírt határozat", "Signed decision"),
                value: format!(
                    "{}, SHA-256 {}",
                    cases.local_time(doc.signed_at),
                    doc.sha256
                ),
            });
        }
    }
    let mut appeal = Vec::new();
    if let Some(f) = &case.appeal_forwarding {
        appeal.push(Fact {
            label: l.t("A fellebbezés beérkezett", "Appeal received"),
            value: f.received_on.to_string(),
        });
        appeal.push(Fact {
            label: l.t("Felterjesztve ide", "Forwarded to"),
            value: f.authority.clone(),
        });
        appeal.push(Fact {
            label: l.t("Felterjesztés napja", "Forwarded on"),
            value: f.forwarded_on.to_string(),
        });
        appeal.push(Fact {
            label: l.t("Rögzítette", "Recorded by"),
            value: names.actor(&f.recorded_by, l).await,
        });
    }
    let mut history = Vec::new();
    for h in &case.history {
        history.push(HistoryLine {
            at: cases.local_time(h.at),
            status: status_text(h.to, l),
            by: names.actor(&h.actor, l).await,
            remark: h.remark.clone().unwrap_or_default(),
        });
    }
    let last_return = case
        .history
        .iter()
        .rev()
        .find(|h| h.from == Some(CaseStatus::DecisionDrafted) && h.to == CaseStatus::InReview)
        .filter(|_| case.status == CaseStatus::InReview)
        .and_then(|h| h.remark.clone());
    let mut note_lines = Vec::new();
    for n in &notes {
        note_lines.push(NoteLine {
            at: cases.local_time(n.at),
            by: names.actor(&n.author, l).await,
            text: n.text.clone(),
        });
    }
    let typed = &answer.typed;
    let outcomes = [Outcome::Approve, Outcome::Partial, Outcome::Reject]
        .into_iter()
        .map(|o| {
            let value = match o {
                Outcome::Approve => "approve",
                Outcome::Partial => "partial",
                Outcome::Reject => "reject",
            };
            OutcomeChoice {
                value,
                label: outcome_text(o, l),
                checked: typed.outcome == value || (typed.outcome.is_empty() && value == "approve"),
            }
        })
        .collect();
    let reasoning = if typed.reasoning.is_empty() {
        case_type
            .as_ref()
            .map(reasoning_template)
            .unwrap_or_default()
    } else {
        typed.reasoning.clone()
    };
    let body = CaseBody {
        lang: l,
        csrf: visitor.csrf(),
        base: case_path(case.id),
        errors: &answer.errors,
        typed,
        facts,
        applicant,
        form,
        documents,
        deadline,
        requests,
        decision,
        appeal,
        appeal_of: case.appeal_of.map(case_path),
        appealed_by: case.appealed_by.map(case_path),
        history,
        notes: note_lines,
        actions: Actions::of(case, visitor),
        outcomes,
        reasoning,
        last_return,
        audit: format!("{}/audit", case_path(case.id)),
        queue: queue_path(),
    };
    let title = format!("{type_name} – {label}");
    let mut page = staff_page(lang, &title, &queue_path(), visitor).status(answer.status);
    if let Some(notice) = answer.notice {
        page = page.notice(notice);
    }
    page.errors(answer.errors.clone()).template(&body)
}

struct AuditLine {
    seq: u64,
    at: String,
    by: String,
    action: String,
    object: String,
    origin: String,
}

#[derive(Template)]
#[template(path = "cases/audit.html")]
struct AuditBody {
    lang: Lang,
    lines: Vec<AuditLine>,
    back: String,
}

/// `GET /office/cases/{case_id}/audit`: who read or changed the case, oldest first
/// (reading the trail is recorded in it too).
pub async fn audit(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    Path(case_id): Path<String>,
) -> Response {
    let here = super::super::path(&format!("/cases/{case_id}/audit"));
    let visitor = match guard(&state, lang, &headers, &OFFICE, &here).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(id) = parse_id(&case_id) else {
        return not_found(lang, &visitor);
    };
    let l = lang.lang;
    let cases = &state.cases.cases;
    let trail = match cases
        .audit_trail_for(&office_actor(&visitor, &origin), id)
        .await
    {
        Ok(t) => t,
        Err(e) => return failed(lang, &visitor, &e),
    };
    let mut names = Names::new(&state);
    let mut lines = Vec::new();
    for e in &trail {
        lines.push(AuditLine {
            seq: e.seq,
            at: cases.local_time(e.at),
            by: names.actor(&e.actor, l).await,
            action: e.action.clone(),
            object: e.object.clone().unwrap_or_default(),
            origin: e.origin.clone().unwrap_or_default(),
        });
    }
    staff_page(
        lang,
        l.t("Az ügy naplója", "The case's audit trail"),
        &queue_path(),
        &visitor,
    )
    .template(&AuditBody {
        lang: l,
        lines,
        back: case_path(id),
    })
}

#[derive(Deserialize)]
pub struct DocumentQuery {
    download: Option<String>,
}

/// `GET /office/cases/{case_id}/documents/{document_id}`: an attached document, shown in
/// the browser or downloaded (`?download=1`); the read is audited. It is served as the
/// type sniffed on upload, never sniffed again by the browser, and shown in a sandbox so
/// that a document cannot run anything on the office's origin.
pub async fn document(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    origin: Origin,
    Path((case_id, document_id)): Path<(String, String)>,
    Query(q): Query<DocumentQuery>,
) -> Response {
    let here = super::super::path(&format!("/cases/{case_id}"));
    let visitor = match guard(&state, lang, &headers, &OFFICE, &here).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let (Some(id), Some(document)) = (parse_id(&case_id), parse_id(&document_id)) else {
        return not_found(lang, &visitor);
    };
    let (attached, blob) = match state
        .cases
        .cases
        .attachment(&office_actor(&visitor, &origin), id, document)
        .await
    {
        Ok(found) => found,
        Err(e) => return failed(lang, &visitor, &e),
    };
    let extension = match attached.media_type.as_str() {
        "application/pdf" => "pdf",
        "image/png" => "png",
        "image/jpeg" => "jpg",
        _ => "bin",
    };
    let disposition = if q.download.is_some() {
        "attachment"
    } else {
        "inline"
    };
    let mut response = blob.bytes.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&attached.media_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!(
            "{disposition}; filename=\"{}-{}.{extension}\"",
            attached.kind, attached.id
        ))
        .unwrap_or(HeaderValue::from_static("attachment")),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
        ),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}
