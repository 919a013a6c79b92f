//! The deadline diary: every open case by working days left, grouped by the clerk who holds
//! it (the unassigned ones first in their own group), overdue ones flagged, filtered to one
//! clerk, to one's own or to the unassigned; beside it the working-day calendar of the
//! coming weeks from the domain's own calendar, so a clerk sees which days the statutory
//! deadlines skip. No applicant's data is shown: opening a case (audited) is the case page.

use super::{guard, path, staff_page, unavailable};
use crate::OfficeState;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use jiff::civil::{Date, Weekday};
use serde::Deserialize;
use std::collections::HashMap;
use varoskapu_core::calendar::{is_public_holiday, is_working_day};
use varoskapu_core::cases::{CaseStatus, DiaryEntry};
use varoskapu_http::auth::OFFICE;
use varoskapu_web::signin::Visitor;
use varoskapu_web::{Lang, PageLang};

/// How many weeks of the calendar are shown, this week included.
const CALENDAR_WEEKS: usize = 6;

/// The filter value of one's own cases.
const MINE: &str = "mine";
/// The filter value of the cases nobody holds yet.
const UNASSIGNED: &str = "none";

/// This area's pages, relative to `/office`.
pub fn routes() -> Router<OfficeState> {
    Router::new().route("/diary", get(diary))
}

#[derive(Deserialize)]
struct DiaryQuery {
    /// [`MINE`], [`UNASSIGNED`], a clerk's account id, or nothing for the whole office.
    clerk: Option<String>,
}

/// A status as the office reads it.
fn status_text(status: CaseStatus, lang: Lang) -> &'static str {
    match status {
        CaseStatus::Draft => lang.t("Piszkozat", "Draft"),
        CaseStatus::Submitted => lang.t("Beérkezett", "Arrived"),
        CaseStatus::AwaitingPayment => lang.t("Díjfizetésre vár", "Awaiting payment"),
        CaseStatus::InReview => lang.t("Ügyintézés alatt", "In review"),
        CaseStatus::WaitingForCitizen => lang.t("Hiánypótlásra vár", "Waiting for the citizen"),
        CaseStatus::DecisionDrafted => lang.t("Döntéstervezet kész", "Decision drafted"),
        CaseStatus::Approved => lang.t("Döntés jóváhagyva", "Decision approved"),
        CaseStatus::Decided => lang.t("Döntés meghozva", "Decided"),
        CaseStatus::Delivered => lang.t("Kézbesítve", "Delivered"),
    }
}

/// A day as people write it: `2026. 05. 18.` in Hungarian, `18 May 2026` in English.
pub fn day_text(day: Date, lang: Lang) -> String {
    match lang {
        Lang::Hu => day.strftime("%Y. %m. %d.").to_string(),
        Lang::En => day.strftime("%-d %b %Y").to_string(),
    }
}

fn weekday_name(day: Weekday, lang: Lang) -> &'static str {
    match day {
        Weekday::Monday => lang.t("hétfő", "Monday"),
        Weekday::Tuesday => lang.t("kedd", "Tuesday"),
        Weekday::Wednesday => lang.t("szerda", "Wednesday"),
        Weekday::Thursday => lang.t("csütörtök", "Thursday"),
        Weekday::Friday => lang.t("péntek", "Friday"),
        Weekday::Saturday => lang.t("szombat", "Saturday"),
        Weekday::Sunday => lang.t("vasárnap", "Sunday"),
    }
}

/// What is left of a deadline, in words.
fn days_left_text(days_left: i64, lang: Lang) -> String {
    match (days_left, lang) {
        (0, Lang::Hu) => "ma jár le".to_owned(),
        (0, Lang::En) => "due today".to_owned(),
        (n, Lang::Hu) if n > 0 => format!("{n} munkanap"),
        (n, Lang::En) if n > 0 => format!("{n} working day{}", if n == 1 { "" } else { "s" }),
        (n, Lang::Hu) => format!("{} munkanapja lejárt", -n),
        (n, Lang::En) => format!(
            "overdue by {} working day{}",
            -n,
            if n == -1 { "" } else { "s" }
        ),
    }
}

/// Which cases the diary shows.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Holder {
    Everyone,
    Unassigned,
    Clerk(String),
}

impl Holder {
    fn of(query: Option<&str>, me: &str) -> Self {
        match query.map(str::trim) {
            None | Some("") => Holder::Everyone,
            Some(MINE) => Holder::Clerk(me.to_owned()),
            Some(UNASSIGNED) => Holder::Unassigned,
            Some(account) => Holder::Clerk(account.to_owned()),
        }
    }

    fn admits(&self, assignee: Option<&str>) -> bool {
        match self {
            Holder::Everyone => true,
            Holder::Unassigned => assignee.is_none(),
            Holder::Clerk(account) => assignee == Some(account.as_str()),
        }
    }
}

struct DiaryRow {
    case_href: String,
    /// The arrival number, or the case type when it has none yet.
    case_label: String,
    case_type: String,
    status: &'static str,
    due: String,
    days_left: String,
    overdue: bool,
    paused: bool,
}

struct DiaryGroup {
    heading: String,
    overdue: usize,
    rows: Vec<DiaryRow>,
}

/// A filter link above the diary.
struct FilterLink {
    href: String,
    label: String,
    current: bool,
}

struct CalendarDay {
    label: String,
    working: bool,
    holiday: bool,
    today: bool,
    /// Deadlines of the shown cases falling on this day.
    due: usize,
}

#[derive(Template)]
#[template(path = "diary/index.html")]
struct DiaryBody {
    lang: Lang,
    filters: Vec<FilterLink>,
    total: usize,
    overdue: usize,
    groups: Vec<DiaryGroup>,
    calendar: Calendar,
}

/// The clerks holding open cases with their names, in the order the diary first meets
/// them (the most urgent first). A name the directory does not know shows the account id.
async fn holders(
    state: &OfficeState,
    entries: &[DiaryEntry],
    lang: Lang,
) -> Result<Vec<(String, String)>, Response> {
    let mut out: Vec<(String, String)> = Vec::new();
    for account in entries.iter().filter_map(|e| e.case.assignee.as_deref()) {
        if out.iter().any(|(a, _)| a == account) {
            continue;
        }
        let name = match state.cases.cases.person(account).await {
            Ok(Some(person)) => person.formal_name(),
            Ok(None) => format!("{} {account}", lang.t("ügyintéző", "clerk")),
            Err(e) => {
                tracing::warn!(error = %e, "the directory did not answer for the diary");
                return Err(unavailable(
                    PageLang {
                        lang,
                        explicit: false,
                    },
                    None,
                ));
            }
        };
        out.push((account.to_owned(), name));
    }
    Ok(out)
}

/// The weeks from this week's Monday, each Monday to Sunday.
fn calendar(today: Date, due: &HashMap<Date, usize>, lang: Lang) -> Vec<Vec<CalendarDay>> {
    let monday = monday_of(today);
    let mut weeks = Vec::with_capacity(CALENDAR_WEEKS);
    let mut day = monday;
    for _ in 0..CALENDAR_WEEKS {
        let mut week = Vec::with_capacity(7);
        for _ in 0..7 {
            week.push(CalendarDay {
                label: match lang {
                    Lang::Hu => day.strftime("%m. %d.").to_string(),
                    Lang::En => day.strftime("%-d %b").to_string(),
                },
                working: is_working_day(day),
                holiday: is_public_holiday(day),
                today: day == today,
                due: due.get(&day).copied().unwrap_or(0),
            });
            day = day.tomorrow().unwrap_or(day);
        }
        weeks.push(week);
    }
    weeks
}

/// `GET /office/diary`: the deadline diary.
async fn diary(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    Query(query): Query<DiaryQuery>,
) -> Response {
    let here = path("/diary");
    let visitor = match guard(&state, lang, &headers, &OFFICE, &here).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let l = lang.lang;
    // Only the case types of her post (every type when her post names none).
    let entries: Vec<DiaryEntry> = match state.cases.cases.diary().await {
        Ok(entries) => entries
            .into_iter()
            .filter(|e| visitor.principal.post_covers(&e.case.case_type))
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "the diary could not be read");
            return unavailable(lang, Some(&visitor));
        }
    };
    let type_names: HashMap<String, String> = match state.cases.cases.store.case_types().await {
        Ok(types) => types
            .into_iter()
            .map(|t| (t.id, l.t(&t.name.hu, &t.name.en).to_owned()))
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "the case types could not be read");
            return unavailable(lang, Some(&visitor));
        }
    };
    let holders = match holders(&state, &entries, l).await {
        Ok(h) => h,
        Err(r) => return r,
    };
    let holder = Holder::of(query.clerk.as_deref(), &visitor.principal.account);
    let shown: Vec<&DiaryEntry> = entries
        .iter()
        .filter(|e| holder.admits(e.case.assignee.as_deref()))
        .collect();
    let body = DiaryBody {
        lang: l,
        filters: filter_links(&visitor, &holders, &holder, l),
        total: shown.len(),
        overdue: shown.iter().filter(|e| e.overdue).count(),
        groups: groups(&shown, &holders, &type_names, l),
        calendar: Calendar::of(state.cases.cases.today(), &shown, l),
    };
    staff_page(
        lang,
        l.t("Határidőnapló", "Deadline diary"),
        &here,
        &visitor,
    )
    .template(&body)
}

/// The working-day calendar of the coming weeks, with the shown cases' deadlines per day.
struct Calendar {
    weekdays: Vec<&'static str>,
    weeks: Vec<Vec<CalendarDay>>,
    from: String,
    to: String,
    /// The public holidays falling on a weekday in the shown weeks.
    holidays: Vec<String>,
}

fn monday_of(day: Date) -> Date {
    let back = i64::from(day.weekday().to_monday_zero_offset());
    day.checked_sub(jiff::Span::new().days(back)).unwrap_or(day)
}

impl Calendar {
    fn of(today: Date, shown: &[&DiaryEntry], lang: Lang) -> Self {
        let mut due: HashMap<Date, usize> = HashMap::new();
        for entry in shown {
            *due.entry(entry.due).or_default() += 1;
        }
        let days: Vec<Date> = monday_of(today)
            .series(jiff::Span::new().days(1))
            .take(7 * CALENDAR_WEEKS)
            .collect();
        let holidays = days
            .iter()
            .filter(|d| is_public_holiday(**d) && !is_weekend(**d))
            .map(|d| {
                format!(
                    "{} ({})",
                    day_text(*d, lang),
                    weekday_name(d.weekday(), lang)
                )
            })
            .collect();
        Self {
            weekdays: days
                .iter()
                .take(7)
                .map(|d| weekday_name(d.weekday(), lang))
                .collect(),
            weeks: calendar(today, &due, lang),
            from: days.first().map(|d| day_text(*d, lang)).unwrap_or_default(),
            to: days.last().map(|d| day_text(*d, lang)).unwrap_or_default(),
            holidays,
        }
    }
}

fn is_weekend(day: Date) -> bool {
    matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday)
}

fn filter_links(
    visitor: &Visitor,
    holders: &[(String, String)],
    holder: &Holder,
    lang: Lang,
) -> Vec<FilterLink> {
    let link = |query: &str, label: String, current: bool| FilterLink {
        href: if query.is_empty() {
            path("/diary")
        } else {
            format!("{}?clerk={}", path("/diary"), urlencode(query))
        },
        label,
        current,
    };
    let me = visitor.principal.account.as_str();
    let mut links = vec![
        link(
            "",
            lang.t("Az egész hivatal", "The whole office").to_owned(),
            *holder == Holder::Everyone,
        ),
        link(
            MINE,
            lang.t("Az én ügyeim", "Mine").to_owned(),
            *holder == Holder::Clerk(me.to_owned()),
        ),
        link(
            UNASSIGNED,
            lang.t("Kiosztatlan ügyek", "Unassigned").to_owned(),
            *holder == Holder::Unassigned,
        ),
    ];
    for (account, name) in holders.iter().filter(|(a, _)| a != me) {
        links.push(link(
            account,
            name.clone(),
            *holder == Holder::Clerk(account.clone()),
        ));
    }
    links
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The shown entries by holder: the unassigned first, then each clerk in the order of her
/// most urgent case; each group keeps the domain's order (fewest days left first).
fn groups(
    shown: &[&DiaryEntry],
    holders: &[(String, String)],
    type_names: &HashMap<String, String>,
    lang: Lang,
) -> Vec<DiaryGroup> {
    let mut keys: Vec<Option<&str>> = vec![None];
    keys.extend(holders.iter().map(|(a, _)| Some(a.as_str())));
    keys.into_iter()
        .filter_map(|key| {
            let rows: Vec<&DiaryEntry> = shown
                .iter()
                .copied()
                .filter(|e| e.case.assignee.as_deref() == key)
                .collect();
            if rows.is_empty() {
                return None;
            }
            let heading = match key {
                None => lang.t("Kiosztatlan ügyek", "Unassigned").to_owned(),
                Some(account) => holders
                    .iter()
                    .find(|(a, _)| a == account)
                    .map(|(_, name)| name.clone())
                    .unwrap_or_else(|| account.to_owned()),
            };
            Some(DiaryGroup {
                heading,
                overdue: rows.iter().filter(|e| e.overdue).count(),
                rows: rows.iter().map(|e| row(e, type_names, lang)).collect(),
            })
        })
        .collect()
}

fn row(entry: &DiaryEntry, type_names: &HashMap<String, String>, lang: Lang) -> DiaryRow {
    let case = &entry.case;
    let case_type = type_names
        .get(&case.case_type)
        .cloned()
        .unwrap_or_else(|| case.case_type.clone());
    DiaryRow {
        case_href: path(&format!("/cases/{}", case.id)),
        case_label: case
            .arrival_number
            .clone()
            .unwrap_or_else(|| case.id.to_string()),
        case_type,
        status: status_text(case.status, lang),
        due: day_text(entry.due, lang),
        days_left: days_left_text(entry.days_left, lang),
        overdue: entry.overdue,
        paused: entry.paused,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn the_filter_reads_mine_unassigned_a_clerk_or_everyone() {
        assert_eq!(Holder::of(None, "me"), Holder::Everyone);
        assert_eq!(Holder::of(Some(""), "me"), Holder::Everyone);
        assert_eq!(Holder::of(Some(MINE), "me"), Holder::Clerk("me".into()));
        assert_eq!(Holder::of(Some(UNASSIGNED), "me"), Holder::Unassigned);
        assert!(Holder::Unassigned.admits(None));
        assert!(!Holder::Unassigned.admits(Some("me")));
        assert!(Holder::Clerk("me".into()).admits(Some("me")));
        assert!(!Holder::Clerk("me".into()).admits(Some("you")));
    }

    #[test]
    fn days_left_read_as_words_in_both_languages() {
        assert_eq!(days_left_text(3, Lang::Hu), "3 munkanap");
        assert_eq!(days_left_text(0, Lang::En), "due today");
        assert_eq!(days_left_text(-1, Lang::En), "overdue by 1 working day");
        assert_eq!(days_left_text(-2, Lang::Hu), "2 munkanapja lejárt");
    }

    #[test]
    fn the_calendar_starts_on_monday_and_marks_holidays_as_no_working_days() {
        // 2026-10-23 (a Friday) is a national holiday.
        let weeks = calendar(date(2026, 10, 21), &HashMap::new(), Lang::En);
        assert_eq!(weeks.len(), CALENDAR_WEEKS);
        assert_eq!(weeks[0][0].label, "19 Oct");
        assert!(weeks[0][2].today);
        assert!(weeks[0][4].holiday && !weeks[0][4].working);
        assert!(!weeks[0][5].working && !weeks[0][5].holiday);
        assert!(weeks[1][0].working);
    }
}
