//! `GET /office/cases`: the queue, filtered, sorted and paged by the domain's cursor.
//! Lines name no applicant: opening a case is the audited read.

use super::{Names, failed, queue_path, status_text};
use crate::OfficeState;
use crate::pages::{guard, staff_page};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use jiff::civil::Date;
use serde::Deserialize;
use varoskapu_core::cases::{AssigneeFilter, CaseStatus, QueueFilter, QueueOrder};
use varoskapu_http::auth::OFFICE;
use varoskapu_web::{FieldErrors, Lang, PageLang};

/// Lines on one page of the queue.
const PAGE_SIZE: usize = 50;

/// The queue's filters as the form sends them (empty fields mean "any").
#[derive(Debug, Default, Clone, Deserialize)]
pub struct QueueQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    case_type: String,
    #[serde(default)]
    due_by: String,
    /// `mine`, `unassigned`, or a colleague's account id.
    #[serde(default)]
    assignee: String,
    #[serde(default)]
    arrived_from: String,
    #[serde(default)]
    arrived_to: String,
    /// `deadline` (default) or `arrival`.
    #[serde(default)]
    sort: String,
    /// The cursor of the page (opaque).
    #[serde(default)]
    after: String,
}

impl QueueQuery {
    /// The query of the same filters and order, from `after` (none: the first page).
    fn link(&self, after: Option<&str>) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("status", &self.status),
            ("case_type", &self.case_type),
            ("due_by", &self.due_by),
            ("assignee", &self.assignee),
            ("arrived_from", &self.arrived_from),
            ("arrived_to", &self.arrived_to),
            ("sort", &self.sort),
        ] {
            if !value.is_empty() {
                query.append_pair(name, value);
            }
        }
        if let Some(after) = after {
            query.append_pair("after", after);
        }
        let query = query.finish();
        if query.is_empty() {
            queue_path()
        } else {
            format!("{}?{query}", queue_path())
        }
    }
}

/// A date field of the filter form, or the error it shows.
fn date_field(value: &str, field: &str, lang: Lang, errors: &mut FieldErrors) -> Option<Date> {
    if value.trim().is_empty() {
        return None;
    }
    match value.trim().parse::<Date>() {
        Ok(d) => Some(d),
        Err(_) => {
            errors.add(
                field,
                lang.t(
                    "Adjon meg egy napot ÉÉÉÉ-HH-NN alakban.",
                    "Enter a day as YYYY-MM-DD.",
                ),
            );
            None
        }
    }
}

/// A choice of a select, with whether it is the chosen one.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

fn choices(options: Vec<(String, String)>, chosen: &str) -> Vec<Choice> {
    options
        .into_iter()
        .map(|(value, label)| Choice {
            selected: value == chosen,
            value,
            label,
        })
        .collect()
}

struct Line {
    href: String,
    number: String,
    case_type: String,
    status: &'static str,
    assignee: String,
    arrived: String,
    due: String,
    overdue: bool,
}

#[derive(Template)]
#[template(path = "cases/queue.html")]
struct QueueBody<'a> {
    lang: Lang,
    q: &'a QueueQuery,
    errors: &'a FieldErrors,
    statuses: Vec<Choice>,
    case_types: Vec<Choice>,
    assignees: Vec<Choice>,
    sorts: Vec<Choice>,
    lines: Vec<Line>,
    total: usize,
    counts: Vec<(&'static str, usize)>,
    next: Option<String>,
    first: Option<String>,
}

/// `GET /office/cases`.
pub async fn queue(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    Query(q): Query<QueueQuery>,
) -> Response {
    let here = q.link(non_empty(&q.after));
    let visitor = match guard(&state, lang, &headers, &OFFICE, &here).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let l = lang.lang;
    let cases = &state.cases.cases;
    let mut errors = FieldErrors::default();
    let status = match q.status.as_str() {
        "" => None,
        s => match CaseStatus::parse(s) {
            Some(s) => Some(s),
            None => {
                errors.add(
                    "status",
                    l.t(
                        "Válasszon állapotot a listából.",
                        "Choose a status from the list.",
                    ),
                );
                None
            }
        },
    };
    let filter = QueueFilter {
        status,
        case_type: non_empty(&q.case_type).map(str::to_owned),
        due_by: date_field(&q.due_by, "due_by", l, &mut errors),
        assignee: match q.assignee.as_str() {
            "" => None,
            "mine" => Some(AssigneeFilter::Clerk(visitor.principal.account.clone())),
            "unassigned" => Some(AssigneeFilter::Unassigned),
            colleague => Some(AssigneeFilter::Clerk(colleague.to_owned())),
        },
        arrived_from: date_field(&q.arrived_from, "arrived_from", l, &mut errors),
        arrived_to: date_field(&q.arrived_to, "arrived_to", l, &mut errors),
        post: visitor.principal.claims.case_types.clone(),
    };
    let order = match q.sort.as_str() {
        "arrival" => QueueOrder::Arrival,
        _ => QueueOrder::Deadline,
    };
    let page = if errors.is_empty() {
        match cases
            .queue_page(&filter, order, non_empty(&q.after), PAGE_SIZE)
            .await
        {
            Ok(page) => Some(page),
            // A cursor from an old link or typed by hand: start from the first page.
            Err(varoskapu_core::cases::CaseError::Invalid(_)) => {
                return varoskapu_web::signin::see_other(&q.link(None));
            }
            Err(e) => return failed(lang, &visitor, &e),
        }
    } else {
        None
    };
    let catalogue = match cases.catalogue().await {
        Ok(c) => c,
        Err(e) => return failed(lang, &visitor, &e),
    };
    // The colleagues to choose from are those holding open cases now.
    let holders = match cases.queue(&QueueFilter::default()).await {
        Ok(open) => {
            let mut holders: Vec<String> = open.into_iter().filter_map(|c| c.assignee).collect();
            holders.sort();
            holders.dedup();
            holders.retain(|a| a != &visitor.principal.account);
            holders
        }
        Err(e) => return failed(lang, &visitor, &e),
    };
    let mut names = Names::new(&state);
    let mut assignee_options = vec![
        (String::new(), l.t("bárki", "anyone").to_owned()),
        ("mine".to_owned(), l.t("az enyéim", "mine").to_owned()),
        (
            "unassigned".to_owned(),
            l.t("kiosztatlan", "unassigned").to_owned(),
        ),
    ];
    for holder in holders {
        let name = names.of(&holder).await;
        assignee_options.push((holder, name));
    }
    let type_name = |id: &str| {
        catalogue
            .iter()
            .find(|t| t.id == id)
            .map(|t| l.t(&t.name.hu, &t.name.en).to_owned())
            .unwrap_or_else(|| id.to_owned())
    };
    let today = cases.today();
    let mut lines = Vec::new();
    let (total, counts, next) = match &page {
        Some(page) => (
            page.total,
            page.by_status
                .iter()
                .map(|(s, n)| (status_text(*s, l), *n))
                .collect(),
            page.next.as_deref().map(|after| q.link(Some(after))),
        ),
        None => (0, Vec::new(), None),
    };
    for case in page.iter().flat_map(|p| p.cases.iter()) {
        let assignee = match &case.assignee {
            Some(a) => names.of(a).await,
            None => l.t("kiosztatlan", "unassigned").to_owned(),
        };
        let (due, overdue) = match &case.deadline {
            Some(d) => {
                let left = d.days_left(today);
                let note = if d.is_paused() {
                    l.t("szünetel", "paused").to_owned()
                } else if left < 0 {
                    format!(
                        "{} {}",
                        -left,
                        l.t("munkanapja lejárt", "working days overdue")
                    )
                } else {
                    format!("{left} {}", l.t("munkanap van hátra", "working days left"))
                };
                (format!("{} ({note})", d.due()), left < 0 && !d.is_paused())
            }
            None => ("–".to_owned(), false),
        };
        lines.push(Line {
            href: super::case_path(case.id),
            number: case
                .arrival_number
                .clone()
                .unwrap_or_else(|| case.id.to_string()),
            case_type: type_name(&case.case_type),
            status: status_text(case.status, l),
            assignee,
            arrived: case
                .submitted_at
                .map(|t| cases.local_time(t))
                .unwrap_or_default(),
            due,
            overdue,
        });
    }
    let mut status_options = vec![(
        String::new(),
        l.t("minden nyitott", "every open one").to_owned(),
    )];
    status_options.extend(
        CaseStatus::ALL
            .into_iter()
            .filter(|s| *s != CaseStatus::Draft)
            .map(|s| (s.as_str().to_owned(), status_text(s, l).to_owned())),
    );
    let mut type_options = vec![(String::new(), l.t("bármelyik", "any").to_owned())];
    type_options.extend(
        catalogue
            .iter()
            .map(|t| (t.id.clone(), l.t(&t.name.hu, &t.name.en).to_owned())),
    );
    let sort_options = vec![
        (
            "deadline".to_owned(),
            l.t("határidő szerint", "by deadline").to_owned(),
        ),
        (
            "arrival".to_owned(),
            l.t("érkezés szerint", "by arrival").to_owned(),
        ),
    ];
    let sort_chosen = if q.sort == "arrival" {
        "arrival"
    } else {
        "deadline"
    };
    let body = QueueBody {
        lang: l,
        q: &q,
        errors: &errors,
        statuses: choices(status_options, &q.status),
        case_types: choices(type_options, &q.case_type),
        assignees: choices(assignee_options, &q.assignee),
        sorts: choices(sort_options, sort_chosen),
        lines,
        total,
        counts,
        next,
        first: non_empty(&q.after).map(|_| q.link(None)),
    };
    let mut page = staff_page(lang, l.t("Ügyek", "Cases"), &queue_path(), &visitor);
    if !errors.is_empty() {
        page = page.status(StatusCode::BAD_REQUEST);
    }
    page.errors(errors.clone()).template(&body)
}

fn non_empty(text: &str) -> Option<&str> {
    Some(text).filter(|t| !t.is_empty())
}
