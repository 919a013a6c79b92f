//! The clerks' calendars: weekly hours at the desk and breaks, absences (leave, training,
//! other hours) and blocked time, each added and removed by the clerk or a manager.

use super::{clock, failed, parse_date, parse_ranges, parse_time, ranges_text, today};
use crate::OfficeState;
use crate::pages::{guard, guard_posted, message_page, not_found, path, staff_page};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use jiff::civil::{Date, Time, Weekday};
use serde::Deserialize;
use std::collections::HashMap;
use varoskapu_book_appointment::desk;
use varoskapu_core::appointments::slots::local_instant;
use varoskapu_core::appointments::{Absence, AppointmentError, Clerk, WeeklyHours};
use varoskapu_http::auth::OFFICE_DESKS;
use varoskapu_web::fields::FieldErrors;
use varoskapu_web::signin::{Visitor, see_other};
use varoskapu_web::{Lang, PageLang};

/// Days of a calendar page.
const DAYS_SHOWN: i64 = 7;

const WEEK: [(Weekday, &str, &str, &str); 7] = [
    (Weekday::Monday, "monday", "Hétfő", "Monday"),
    (Weekday::Tuesday, "tuesday", "Kedd", "Tuesday"),
    (Weekday::Wednesday, "wednesday", "Szerda", "Wednesday"),
    (Weekday::Thursday, "thursday", "Csütörtök", "Thursday"),
    (Weekday::Friday, "friday", "Péntek", "Friday"),
    (Weekday::Saturday, "saturday", "Szombat", "Saturday"),
    (Weekday::Sunday, "sunday", "Vasárnap", "Sunday"),
];

fn calendar_url(clerk_id: &str) -> String {
    path(&format!("/appointments/clerks/{clerk_id}"))
}

struct ClerkLine {
    id: String,
    desk: String,
    name: String,
    office: String,
}

#[derive(Template)]
#[template(path = "appointments/clerks.html")]
struct ClerksBody {
    lang: Lang,
    clerks: Vec<ClerkLine>,
}

/// `GET /office/appointments/clerks`: every desk, to open its calendar.
pub async fn clerks(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
) -> Response {
    let here = path("/appointments/clerks");
    let visitor = match guard(&state, lang, &headers, &OFFICE_DESKS, &here).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let store = state.appointments.appointments.store();
    let (clerks, offices) = match (store.clerks().await, store.offices().await) {
        (Ok(c), Ok(o)) => (c, o),
        (Err(e), _) | (_, Err(e)) => {
            return failed(lang, &visitor, &here, &AppointmentError::from(e));
        }
    };
    let l = lang.lang;
    staff_page(
        lang,
        l.t("Ügyintézők naptárai", "Clerks' calendars"),
        &path("/appointments"),
        &visitor,
    )
    .template(&ClerksBody {
        lang: l,
        clerks: clerks
            .into_iter()
            .map(|c| ClerkLine {
                office: offices
                    .iter()
                    .find(|o| o.id == c.office_id)
                    .map(|o| o.name.clone())
                    .unwrap_or_default(),
                id: c.id,
                desk: c.desk,
                name: c.name,
            })
            .collect(),
    })
}

struct WeekdayLine {
    key: &'static str,
    name: &'static str,
    hours: String,
    breaks: String,
}

struct AbsenceLine {
    index: usize,
    date: String,
    kind: &'static str,
    hours: String,
}

struct BlockLine {
    id: String,
    time: String,
    reason: String,
}

struct DayLine {
    date: String,
    hours: String,
    blocks: Vec<BlockLine>,
    bookings: usize,
}

#[derive(Template)]
#[template(path = "appointments/calendar.html")]
struct CalendarBody<'a> {
    lang: Lang,
    csrf: &'a str,
    clerk_id: &'a str,
    desk: &'a str,
    name: &'a str,
    office: String,
    manage: bool,
    week: Vec<WeekdayLine>,
    absences: Vec<AbsenceLine>,
    days: Vec<DayLine>,
    from: String,
    typed: &'a HashMap<String, String>,
    errors: &'a FieldErrors,
}

impl CalendarBody<'_> {
    /// What was typed into a field of the form sent back.
    fn typed(&self, field: &str) -> &str {
        self.typed.get(field).map_or("", String::as_str)
    }
}

fn absence_kind(a: &Absence, l: Lang) -> &'static str {
    match a {
        Absence::Leave { .. } => l.t("Szabadság (egész nap)", "Leave (whole day)"),
        Absence::Training { .. } => l.t("Képzés (a nap egy része)", "Training (part of the day)"),
        Absence::OtherHours { .. } => l.t("Eltérő munkaidő", "Other hours"),
    }
}

/// The calendar page of a clerk from `from` on, with a form's typed values and errors.
#[allow(clippy::too_many_arguments)]
async fn calendar_page(
    state: &OfficeState,
    lang: PageLang,
    visitor: &Visitor,
    clerk: &Clerk,
    from: Date,
    notice: Option<&str>,
    typed: &HashMap<String, String>,
    errors: FieldErrors,
) -> Response {
    let l = lang.lang;
    let here = calendar_url(&clerk.id);
    let a = &state.appointments.appointments;
    let store = a.store();
    let tz = store.tz();
    let office = match a.office(&clerk.office_id).await {
        Ok(o) => o,
        Err(e) => return failed(lang, visitor, &here, &e),
    };
    let mut days = Vec::new();
    for offset in 0..DAYS_SHOWN {
        let Ok(day) = from.checked_add(jiff::Span::new().days(offset)) else {
            break;
        };
        let (Some(start), Some(end)) = (
            local_instant(tz, day, Time::midnight()),
            day.tomorrow()
                .ok()
                .and_then(|d| local_instant(tz, d, Time::midnight())),
        ) else {
            continue;
        };
        let (blocks, bookings) = match (
            store.blocks(&clerk.id, start, end).await,
            store.day(&office.id, day).await,
        ) {
            (Ok(b), Ok(d)) => (b, d),
            (Err(e), _) | (_, Err(e)) => {
                return failed(lang, visitor, &here, &AppointmentError::from(e));
            }
        };
        days.push(DayLine {
            date: day.to_string(),
            hours: ranges_text(&clerk.hours_on(&office, day)),
            blocks: blocks
                .iter()
                .map(|b| BlockLine {
                    id: b.id.to_string(),
                    time: format!(
                        "{}–{}",
                        clock(&state.appointments, b.start),
                        clock(&state.appointments, b.end)
                    ),
                    reason: b.reason.clone(),
                })
                .collect(),
            bookings: bookings
                .iter()
                .filter(|b| b.clerk_id == clerk.id && b.status.is_open())
                .count(),
        });
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let body = CalendarBody {
        lang: l,
        csrf: visitor.csrf(),
        clerk_id: &clerk.id,
        desk: &clerk.desk,
        name: &clerk.name,
        office: office.name.clone(),
        manage: desk::may_manage(&visitor.principal, clerk),
        week: WEEK
            .iter()
            .map(|(weekday, key, hu, en)| WeekdayLine {
                key,
                name: l.t(hu, en),
                hours: typed
                    .get(&format!("hours-{key}"))
                    .cloned()
                    .unwrap_or_else(|| ranges_text(clerk.working_hours.on(*weekday))),
                breaks: typed
                    .get(&format!("breaks-{key}"))
                    .cloned()
                    .unwrap_or_else(|| ranges_text(clerk.breaks.on(*weekday))),
            })
            .collect(),
        absences: clerk
            .absences
            .iter()
            .enumerate()
            .map(|(index, a)| AbsenceLine {
                index,
                date: a.date().to_string(),
                kind: absence_kind(a, l),
                hours: match a {
                    Absence::Leave { .. } => String::new(),
                    Absence::Training { hours, .. } | Absence::OtherHours { hours, .. } => {
                        ranges_text(hours)
                    }
                },
            })
            .collect(),
        days,
        from: from.to_string(),
        typed,
        errors: &errors,
    };
    let mut page = staff_page(
        lang,
        &format!("{} – {}", l.t("Naptár", "Calendar"), clerk.desk),
        &path("/appointments"),
        visitor,
    )
    .status(status)
    .errors(errors.clone());
    if let Some(notice) = notice {
        page = page.notice(notice);
    }
    page.template(&body)
}

#[derive(Deserialize)]
pub struct CalendarQuery {
    from: Option<String>,
    done: Option<String>,
}

/// The clerk of a path's id, or the page that says there is none.
async fn clerk_of(
    state: &OfficeState,
    lang: PageLang,
    visitor: &Visitor,
    clerk_id: &str,
) -> Result<Clerk, Response> {
    state
        .appointments
        .appointments
        .clerk(clerk_id)
        .await
        .map_err(|e| failed(lang, visitor, &path("/appointments/clerks"), &e))
}

/// `GET /office/appointments/clerks/{clerk_id}?from=…`: a clerk's week at the desk.
pub async fn calendar(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    Path(clerk_id): Path<String>,
    Query(q): Query<CalendarQuery>,
) -> Response {
    let visitor = match guard(
        &state,
        lang,
        &headers,
        &OFFICE_DESKS,
        &calendar_url(&clerk_id),
    )
    .await
    {
        Ok(v) => v,
        Err(r) => return r,
    };
    let clerk = match clerk_of(&state, lang, &visitor, &clerk_id).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let from = q
        .from
        .as_deref()
        .and_then(parse_date)
        .unwrap_or_else(|| today(&state));
    let l = lang.lang;
    let notice = match q.done.as_deref() {
        Some("hours") => Some(l.t(
            "A heti beosztást elmentettük.",
            "The weekly hours were saved.",
        )),
        Some("absence") => Some(l.t("A távollétet rögzítettük.", "The absence was recorded.")),
        Some("absence-removed") => Some(l.t("A távollétet töröltük.", "The absence was removed.")),
        Some("block") => Some(l.t("Az időt zároltuk.", "The time was blocked.")),
        Some("block-removed") => Some(l.t("A zárolást töröltük.", "The block was removed.")),
        _ => None,
    };
    calendar_page(
        &state,
        lang,
        &visitor,
        &clerk,
        from,
        notice,
        &HashMap::new(),
        FieldErrors::default(),
    )
    .await
}

/// A posted calendar form: its fields by name, the CSRF token among them.
type Fields = HashMap<String, String>;

/// The clerk of a posted calendar form, once the session, the CSRF token and the right to
/// manage this calendar are checked.
async fn managed_clerk(
    state: &OfficeState,
    lang: PageLang,
    headers: &HeaderMap,
    clerk_id: &str,
    fields: &Fields,
) -> Result<(Visitor, Clerk), Response> {
    let back = calendar_url(clerk_id);
    let csrf = fields.get("csrf").map(String::as_str);
    let visitor = guard_posted(state, lang, headers, &OFFICE_DESKS, &back, csrf).await?;
    let clerk = clerk_of(state, lang, &visitor, clerk_id).await?;
    if !desk::may_manage(&visitor.principal, &clerk) {
        let l = lang.lang;
        return Err(message_page(
            lang,
            Some(&visitor),
            StatusCode::FORBIDDEN,
            l.t("Nincs jogosultsága", "Not allowed"),
            l.t(
                "Ezt a naptárat csak az ügyintéző maga vagy egy vezető módosíthatja.",
                "Only this clerk or a manager may change this calendar.",
            ),
            vec![(
                back,
                l.t("Vissza a naptárhoz", "Back to the calendar").to_owned(),
            )],
        ));
    }
    Ok((visitor, clerk))
}

fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields.get(name).map_or("", String::as_str)
}

async fn saved(
    state: &OfficeState,
    lang: PageLang,
    visitor: &Visitor,
    clerk: &Clerk,
    done: &str,
) -> Response {
    match desk::save_calendar(&state.appointments, clerk).await {
        Ok(()) => see_other(&format!("{}?done={done}", calendar_url(&clerk.id))),
        Err(e) => failed(lang, visitor, &calendar_url(&clerk.id), &e),
    }
}

fn ranges_error(l: Lang) -> &'static str {
    l.t(
        "Időszakok vesszővel elválasztva, 5 perces pontossággal, például 08:00-12:00, 12:30-16:00.",
        "Periods separated by commas, on 5-minute marks, e.g. 08:00-12:00, 12:30-16:00.",
    )
}

/// `POST /office/appointments/clerks/{clerk_id}/hours`: the weekly hours and breaks.
pub async fn set_hours(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    Path(clerk_id): Path<String>,
    axum::Form(fields): axum::Form<Fields>,
) -> Response {
    let (visitor, mut clerk) = match managed_clerk(&state, lang, &headers, &clerk_id, &fields).await
    {
        Ok(found) => found,
        Err(r) => return r,
    };
    let mut errors = FieldErrors::default();
    let mut hours = WeeklyHours::default();
    let mut breaks = WeeklyHours::default();
    for (weekday, key, _, _) in WEEK {
        for (prefix, week) in [("hours", &mut hours), ("breaks", &mut breaks)] {
            let name = format!("{prefix}-{key}");
            match parse_ranges(field(&fields, &name)) {
                Some(ranges) => *week.on_mut(weekday) = ranges,
                None => errors.add(name, ranges_error(lang.lang)),
            }
        }
    }
    if !errors.is_empty() {
        return calendar_page(
            &state,
            lang,
            &visitor,
            &clerk,
            today(&state),
            None,
            &fields,
            errors,
        )
        .await;
    }
    clerk.working_hours = hours;
    clerk.breaks = breaks;
    saved(&state, lang, &visitor, &clerk, "hours").await
}

/// `POST /office/appointments/clerks/{clerk_id}/absences`: leave, training or other hours
/// on one day.
pub async fn add_absence(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    Path(clerk_id): Path<String>,
    axum::Form(fields): axum::Form<Fields>,
) -> Response {
    let (visitor, mut clerk) = match managed_clerk(&state, lang, &headers, &clerk_id, &fields).await
    {
        Ok(found) => found,
        Err(r) => return r,
    };
    let l = lang.lang;
    let mut errors = FieldErrors::default();
    let date = parse_date(field(&fields, "absence_date"));
    if date.is_none() {
        errors.add("absence-date", l.t("Adja meg a napot.", "Give the day."));
    }
    let kind = field(&fields, "absence_kind");
    let hours = parse_ranges(field(&fields, "absence_hours")).filter(|h| !h.is_empty());
    if kind != "leave" && hours.is_none() {
        errors.add("absence-hours", ranges_error(l));
    }
    let absence = match (kind, date, hours) {
        ("leave", Some(date), _) => Some(Absence::Leave { date }),
        ("training", Some(date), Some(hours)) => Some(Absence::Training { date, hours }),
        ("other_hours", Some(date), Some(hours)) => Some(Absence::OtherHours { date, hours }),
        _ => None,
    };
    if !matches!(kind, "leave" | "training" | "other_hours") {
        errors.add(
            "absence-kind",
            l.t(
                "Válassza ki a távollét fajtáját.",
                "Choose the kind of absence.",
            ),
        );
    }
    let Some(absence) = absence.filter(|_| errors.is_empty()) else {
        return calendar_page(
            &state,
            lang,
            &visitor,
            &clerk,
            today(&state),
            None,
            &fields,
            errors,
        )
        .await;
    };
    clerk.absences.push(absence);
    saved(&state, lang, &visitor, &clerk, "absence").await
}

/// `POST /office/appointments/clerks/{clerk_id}/absences/remove`: one absence, named by its
/// place in the list and its day (so a list changed meanwhile removes nothing wrong).
pub async fn remove_absence(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    Path(clerk_id): Path<String>,
    axum::Form(fields): axum::Form<Fields>,
) -> Response {
    let (visitor, mut clerk) = match managed_clerk(&state, lang, &headers, &clerk_id, &fields).await
    {
        Ok(found) => found,
        Err(r) => return r,
    };
    let index: Option<usize> = field(&fields, "index").parse().ok();
    let date = parse_date(field(&fields, "date"));
    match index.filter(|i| clerk.absences.get(*i).map(Absence::date) == date && date.is_some()) {
        Some(i) => {
            clerk.absences.remove(i);
            saved(&state, lang, &visitor, &clerk, "absence-removed").await
        }
        None => not_found(lang, &visitor),
    }
}

/// `POST /office/appointments/clerks/{clerk_id}/blocks`: blocks time on one day.
pub async fn add_block(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    Path(clerk_id): Path<String>,
    axum::Form(fields): axum::Form<Fields>,
) -> Response {
    let (visitor, clerk) = match managed_clerk(&state, lang, &headers, &clerk_id, &fields).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let l = lang.lang;
    let tz = state.appointments.appointments.store().tz();
    let mut errors = FieldErrors::default();
    let date = parse_date(field(&fields, "block_date"));
    if date.is_none() {
        errors.add("block-date", l.t("Adja meg a napot.", "Give the day."));
    }
    let at = |name: &str| {
        date.zip(parse_time(field(&fields, name)))
            .and_then(|(d, t)| local_instant(tz, d, t))
    };
    let (start, end) = (at("block_from"), at("block_to"));
    let times_error = l.t(
        "A zárolás egy napon belül, legfeljebb 12 óráig tart, 5 perces pontossággal kezdődik és végződik.",
        "A block lies within one day, lasts at most 12 hours, and starts and ends on 5-minute marks.",
    );
    if date.is_some() && start.is_none() {
        errors.add("block-from", times_error);
    }
    if date.is_some() && end.is_none() {
        errors.add("block-to", times_error);
    }
    let why = field(&fields, "block_reason");
    if desk::reason(why).is_err() {
        errors.add(
            "block-reason",
            l.t(
                "Írja le, miért zárolja az időt (legfeljebb 500 karakter).",
                "Say why the time is blocked (at most 500 characters).",
            ),
        );
    }
    let from = date.unwrap_or_else(|| today(&state));
    let again = |errors| calendar_page(&state, lang, &visitor, &clerk, from, None, &fields, errors);
    let (Some(start), Some(end)) = (start, end) else {
        return again(errors).await;
    };
    if !errors.is_empty() {
        return again(errors).await;
    }
    match desk::add_block(
        &state.appointments,
        &clerk,
        start,
        end,
        why,
        &visitor.principal.account,
    )
    .await
    {
        Ok(_) => see_other(&format!(
            "{}?from={from}&done=block",
            calendar_url(&clerk.id)
        )),
        Err(AppointmentError::Invalid(_)) => {
            let mut errors = FieldErrors::default();
            errors.add("block-from", times_error);
            again(errors).await
        }
        Err(AppointmentError::TimeTaken) => {
            let mut errors = FieldErrors::default();
            errors.add(
                "block-from",
                l.t(
                    "Ebben az időben már foglalás vagy másik zárolás van.",
                    "A booking or another block already lies in this time.",
                ),
            );
            again(errors).await
        }
        Err(e) => failed(lang, &visitor, &calendar_url(&clerk.id), &e),
    }
}

/// `POST /office/appointments/clerks/{clerk_id}/blocks/{block_id}/remove`: frees the time.
pub async fn remove_block(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    Path((clerk_id, block_id)): Path<(String, String)>,
    axum::Form(fields): axum::Form<Fields>,
) -> Response {
    let (visitor, clerk) = match managed_clerk(&state, lang, &headers, &clerk_id, &fields).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    match desk::remove_block(&state.appointments, &clerk, &block_id).await {
        Ok(Some(block)) => {
            let tz = state.appointments.appointments.store().tz();
            let from = varoskapu_core::appointments::slots::local_date(tz, block.start);
            see_other(&format!(
                "{}?from={from}&done=block-removed",
                calendar_url(&clerk.id)
            ))
        }
        Ok(None) => not_found(lang, &visitor),
        Err(e) => failed(lang, &visitor, &calendar_url(&clerk.id), &e),
    }
}
