//! An office's day at the desks: the bookings by start, check-in by the code the citizen
//! quotes, no-shows, and one booking moved or cancelled by the office with its reason.

use super::{clock, failed, local_time, parse_date, parse_time, status_text, today};
use crate::OfficeState;
use crate::pages::{guard, guard_posted, not_found, path, staff_page};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use jiff::civil::Date;
use serde::Deserialize;
use uuid::Uuid;
use varoskapu_book_appointment::desk;
use varoskapu_core::appointments::slots::{local_date, local_instant};
use varoskapu_core::appointments::{AppointmentError, Booking, BookingStatus};
use varoskapu_http::auth::OFFICE_DESKS;
use varoskapu_web::fields::FieldErrors;
use varoskapu_web::signin::{Visitor, see_other};
use varoskapu_web::{Lang, PageLang};

const DAY: &str = "/appointments";

/// The day view's address for an office and a day.
fn day_url(office: &str, date: Date, done: Option<&str>) -> String {
    let mut url = format!("{}?office={office}&date={date}", path(DAY));
    if let Some(done) = done {
        url.push_str("&done=");
        url.push_str(done);
    }
    url
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

struct BookingLine {
    id: Uuid,
    time: String,
    code: String,
    desk: String,
    service: String,
    status: &'static str,
    open: bool,
    started: bool,
}

#[derive(Template)]
#[template(path = "appointments/day.html")]
struct DayBody<'a> {
    lang: Lang,
    csrf: &'a str,
    offices: Vec<Choice>,
    office_id: &'a str,
    date: String,
    bookings: Vec<BookingLine>,
    code: &'a str,
    code_error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct DayQuery {
    office: Option<String>,
    date: Option<String>,
    done: Option<String>,
}

fn done_notice(done: Option<&str>, l: Lang) -> Option<String> {
    let text = match done? {
        "checked-in" => l.t(
            "Az ügyfél megérkezését rögzítettük.",
            "The citizen's arrival was recorded.",
        ),
        "no-show" => l.t(
            "Rögzítettük, hogy az ügyfél nem jelent meg.",
            "It was recorded that the citizen did not come.",
        ),
        "cancelled" => l.t(
            "A foglalást lemondtuk; az ügyfelet értesítettük az indokkal.",
            "The booking was cancelled; the citizen was told why.",
        ),
        "moved" => l.t(
            "A foglalást áthelyeztük; az ügyfelet értesítettük az indokkal.",
            "The booking was moved; the citizen was told why.",
        ),
        _ => return None,
    };
    Some(text.to_owned())
}

/// The day view of `office` (the first office when none is chosen) on `date`.
#[allow(clippy::too_many_arguments)]
async fn day_page(
    state: &OfficeState,
    lang: PageLang,
    visitor: &Visitor,
    office: Option<&str>,
    date: Date,
    notice: Option<String>,
    code: &str,
    errors: FieldErrors,
) -> Response {
    let l = lang.lang;
    let a = &state.appointments.appointments;
    let back = path(DAY);
    let offices = match a.store().offices().await {
        Ok(offices) => offices,
        Err(e) => return failed(lang, visitor, &back, &AppointmentError::from(e)),
    };
    let Some(office_id) = office
        .filter(|o| !o.is_empty())
        .or_else(|| offices.first().map(|o| o.id.as_str()))
    else {
        return not_found(lang, visitor);
    };
    let (_, bookings) = match desk::day(&state.appointments, office_id, date).await {
        Ok(day) => day,
        Err(e) => return failed(lang, visitor, &back, &e),
    };
    let (clerks, services) = match (a.store().clerks().await, a.store().services().await) {
        (Ok(c), Ok(s)) => (c, s),
        (Err(e), _) | (_, Err(e)) => {
            return failed(lang, visitor, &back, &AppointmentError::from(e));
        }
    };
    let now = a.now();
    let lines = bookings
        .iter()
        .map(|b| BookingLine {
            id: b.id,
            time: format!(
                "{}–{}",
                clock(&state.appointments, b.start),
                clock(&state.appointments, b.end)
            ),
            code: b.code.to_string(),
            desk: clerks
                .iter()
                .find(|c| c.id == b.clerk_id)
                .map(|c| c.desk.clone())
                .unwrap_or_default(),
            service: services
                .iter()
                .find(|s| s.id == b.service_id)
                .map(|s| s.name.clone())
                .unwrap_or_default(),
            status: status_text(b.status, l),
            open: b.status.is_open(),
            started: now >= b.start,
        })
        .collect();
    let code_error = errors.get("code").map(str::to_owned);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let mut page = staff_page(
        lang,
        l.t("Ügyfélfogadás – napi nézet", "Appointments – the day"),
        &path(DAY),
        visitor,
    )
    .status(status)
    .errors(errors);
    if let Some(notice) = notice {
        page = page.notice(notice);
    }
    page.template(&DayBody {
        lang: l,
        csrf: visitor.csrf(),
        offices: offices
            .iter()
            .map(|o| Choice {
                value: o.id.clone(),
                label: o.name.clone(),
                selected: o.id == office_id,
            })
            .collect(),
        office_id,
        date: date.to_string(),
        bookings: lines,
        code,
        code_error,
    })
}

/// `GET /office/appointments?office=…&date=…`: an office's bookings of a day (today in
/// Budapest by default), with check-in by code.
pub async fn day_view(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    Query(q): Query<DayQuery>,
) -> Response {
    let visitor = match guard(&state, lang, &headers, &OFFICE_DESKS, &path(DAY)).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let date = q
        .date
        .as_deref()
        .and_then(parse_date)
        .unwrap_or_else(|| today(&state));
    let notice = done_notice(q.done.as_deref(), lang.lang);
    day_page(
        &state,
        lang,
        &visitor,
        q.office.as_deref(),
        date,
        notice,
        "",
        FieldErrors::default(),
    )
    .await
}

#[derive(Deserialize)]
pub struct CodeForm {
    csrf: Option<String>,
    code: Option<String>,
    office: Option<String>,
    date: Option<String>,
}

/// `POST /office/appointments/check-in`: the citizen at the desk quotes the booking's code.
pub async fn check_in_by_code(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    axum::Form(form): axum::Form<CodeForm>,
) -> Response {
    let visitor = match guard_posted(
        &state,
        lang,
        &headers,
        &OFFICE_DESKS,
        &path(DAY),
        form.csrf.as_deref(),
    )
    .await
    {
        Ok(v) => v,
        Err(r) => return r,
    };
    let code = form.code.as_deref().unwrap_or_default();
    let date = form
        .date
        .as_deref()
        .and_then(parse_date)
        .unwrap_or_else(|| today(&state));
    let booking = match desk::by_code(&state.appointments, code).await {
        Ok(found) => found,
        Err(e) => return failed(lang, &visitor, &path(DAY), &e),
    };
    let Some(booking) = booking else {
        let mut errors = FieldErrors::default();
        errors.add(
            "code",
            lang.lang.t(
                "Nincs foglalás ezzel a kóddal. Ellenőrizze a 8 karakteres kódot (a szóközök és kötőjelek nem számítanak).",
                "No booking has this code. Check the 8-character code (spaces and dashes do not matter).",
            ),
        );
        return day_page(
            &state,
            lang,
            &visitor,
            form.office.as_deref(),
            date,
            None,
            code,
            errors,
        )
        .await;
    };
    marked(&state, lang, &visitor, &booking, BookingStatus::CheckedIn).await
}

/// Marks the booking and goes back to its day.
async fn marked(
    state: &OfficeState,
    lang: PageLang,
    visitor: &Visitor,
    booking: &Booking,
    to: BookingStatus,
) -> Response {
    let tz = state.appointments.appointments.store().tz();
    let back = day_url(&booking.office_id, local_date(tz, booking.start), None);
    match desk::mark(&state.appointments, booking.id, to).await {
        Ok(b) => {
            let done = if to == BookingStatus::NoShow {
                "no-show"
            } else {
                "checked-in"
            };
            see_other(&day_url(&b.office_id, local_date(tz, b.start), Some(done)))
        }
        Err(AppointmentError::Invalid(_)) => crate::pages::message_page(
            lang,
            Some(visitor),
            StatusCode::CONFLICT,
            lang.lang
                .t("Még nem kezdődött el", "It has not started yet"),
            lang.lang.t(
                "A meg nem jelenést csak a foglalt időpont kezdete után lehet rögzíteni.",
                "A no-show can be recorded only after the booked time has begun.",
            ),
            vec![(
                back,
                lang.lang
                    .t("Vissza a napi nézethez", "Back to the day")
                    .to_owned(),
            )],
        ),
        Err(e) => failed(lang, visitor, &back, &e),
    }
}

/// The booking of a path's id, or the page that says there is none.
async fn booking_of(
    state: &OfficeState,
    lang: PageLang,
    visitor: &Visitor,
    id: &str,
) -> Result<Booking, Response> {
    let Ok(id) = Uuid::parse_str(id) else {
        return Err(not_found(lang, visitor));
    };
    let office = varoskapu_core::appointments::Requester::Office { reason: "" };
    match state
        .appointments
        .appointments
        .booking_for(&office, id)
        .await
    {
        Ok((booking, _)) => Ok(booking),
        Err(e) => Err(failed(lang, visitor, &path(DAY), &e)),
    }
}

/// A form of one button with its CSRF token.
#[derive(Deserialize)]
pub struct ButtonForm {
    csrf: Option<String>,
}

async fn mark_posted(
    state: OfficeState,
    lang: PageLang,
    headers: HeaderMap,
    booking_id: String,
    form: ButtonForm,
    to: BookingStatus,
) -> Response {
    let visitor = match guard_posted(
        &state,
        lang,
        &headers,
        &OFFICE_DESKS,
        &path(DAY),
        form.csrf.as_deref(),
    )
    .await
    {
        Ok(v) => v,
        Err(r) => return r,
    };
    match booking_of(&state, lang, &visitor, &booking_id).await {
        Ok(booking) => marked(&state, lang, &visitor, &booking, to).await,
        Err(r) => r,
    }
}

/// `POST /office/appointments/bookings/{booking_id}/check-in`: the citizen has arrived.
pub async fn check_in(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    Path(booking_id): Path<String>,
    axum::Form(form): axum::Form<ButtonForm>,
) -> Response {
    mark_posted(
        state,
        lang,
        headers,
        booking_id,
        form,
        BookingStatus::CheckedIn,
    )
    .await
}

/// `POST /office/appointments/bookings/{booking_id}/no-show`: the citizen did not come.
pub async fn no_show(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    Path(booking_id): Path<String>,
    axum::Form(form): axum::Form<ButtonForm>,
) -> Response {
    mark_posted(
        state,
        lang,
        headers,
        booking_id,
        form,
        BookingStatus::NoShow,
    )
    .await
}

#[derive(Template)]
#[template(path = "appointments/booking.html")]
struct BookingBody<'a> {
    lang: Lang,
    csrf: &'a str,
    id: Uuid,
    day_link: String,
    at: String,
    code: String,
    office: String,
    service: String,
    desk: String,
    status: &'static str,
    reason: String,
    case_id: String,
    open: bool,
    desks: Vec<Choice>,
    typed: &'a ChangeForm,
    errors: &'a FieldErrors,
}

/// What the move and cancel forms sent.
#[derive(Deserialize, Default)]
pub struct ChangeForm {
    csrf: Option<String>,
    date: Option<String>,
    time: Option<String>,
    clerk_id: Option<String>,
    reason: Option<String>,
    /// Which form the errors belong to: `move` or `cancel`.
    #[serde(skip)]
    form: &'static str,
}

impl ChangeForm {
    fn value<'a>(&'a self, form: &str, field: &'a Option<String>) -> &'a str {
        if self.form == form {
            field.as_deref().unwrap_or_default()
        } else {
            ""
        }
    }

    fn move_date(&self) -> &str {
        self.value("move", &self.date)
    }

    fn move_time(&self) -> &str {
        self.value("move", &self.time)
    }

    fn move_reason(&self) -> &str {
        self.value("move", &self.reason)
    }

    fn cancel_reason(&self) -> &str {
        self.value("cancel", &self.reason)
    }
}

async fn booking_page(
    state: &OfficeState,
    lang: PageLang,
    visitor: &Visitor,
    booking: &Booking,
    typed: &ChangeForm,
    errors: FieldErrors,
) -> Response {
    let l = lang.lang;
    let a = &state.appointments.appointments;
    let tz = a.store().tz();
    let (office, service) = match (
        a.office(&booking.office_id).await,
        a.service(&booking.service_id).await,
    ) {
        (Ok(o), Ok(s)) => (o, s),
        (Err(e), _) | (_, Err(e)) => return failed(lang, visitor, &path(DAY), &e),
    };
    let desks = match a.clerks_of(&service).await {
        Ok(clerks) => clerks,
        Err(e) => return failed(lang, visitor, &path(DAY), &e),
    };
    let chosen = typed.clerk_id.as_deref().unwrap_or_default();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let body = BookingBody {
        lang: l,
        csrf: visitor.csrf(),
        id: booking.id,
        day_link: day_url(&booking.office_id, local_date(tz, booking.start), None),
        at: format!(
            "{}–{}",
            local_time(&state.appointments, booking.start),
            clock(&state.appointments, booking.end)
        ),
        code: booking.code.to_string(),
        office: office.name,
        service: service.name,
        desk: desks
            .iter()
            .find(|c| c.id == booking.clerk_id)
            .map(|c| c.desk.clone())
            .unwrap_or_default(),
        status: status_text(booking.status, l),
        reason: booking.reason.clone().unwrap_or_default(),
        case_id: booking.case_id.clone().unwrap_or_default(),
        open: booking.status.is_open(),
        desks: desks
            .iter()
            .map(|c| Choice {
                value: c.id.clone(),
                label: format!("{} ({})", c.desk, c.name),
                selected: c.id == chosen,
            })
            .collect(),
        typed,
        errors: &errors,
    };
    staff_page(lang, l.t("Foglalás", "Booking"), &path(DAY), visitor)
        .status(status)
        .errors(errors.clone())
        .template(&body)
}

/// `GET /office/appointments/bookings/{booking_id}`: one booking, to move or cancel.
pub async fn booking(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    Path(booking_id): Path<String>,
) -> Response {
    let here = path(&format!("/appointments/bookings/{booking_id}"));
    let visitor = match guard(&state, lang, &headers, &OFFICE_DESKS, &here).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    match booking_of(&state, lang, &visitor, &booking_id).await {
        Ok(b) => {
            booking_page(
                &state,
                lang,
                &visitor,
                &b,
                &ChangeForm::default(),
                FieldErrors::default(),
            )
            .await
        }
        Err(r) => r,
    }
}

fn reason_error(l: Lang) -> &'static str {
    l.t(
        "Írja le az indokot, amelyet az ügyfél megkap (legfeljebb 500 karakter).",
        "Write the reason the citizen is told (at most 500 characters).",
    )
}

/// `POST /office/appointments/bookings/{booking_id}/cancel`: the office cancels, telling
/// the citizen why.
pub async fn cancel(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    Path(booking_id): Path<String>,
    axum::Form(mut form): axum::Form<ChangeForm>,
) -> Response {
    form.form = "cancel";
    let here = path(&format!("/appointments/bookings/{booking_id}"));
    let visitor = match guard_posted(
        &state,
        lang,
        &headers,
        &OFFICE_DESKS,
        &here,
        form.csrf.as_deref(),
    )
    .await
    {
        Ok(v) => v,
        Err(r) => return r,
    };
    let booking = match booking_of(&state, lang, &visitor, &booking_id).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let why = form.reason.as_deref().unwrap_or_default();
    match desk::cancel(&state.appointments, booking.id, why).await {
        Ok(b) => {
            let tz = state.appointments.appointments.store().tz();
            see_other(&day_url(
                &b.office_id,
                local_date(tz, b.start),
                Some("cancelled"),
            ))
        }
        Err(AppointmentError::Invalid(_)) => {
            let mut errors = FieldErrors::default();
            errors.add("cancel-reason", reason_error(lang.lang));
            booking_page(&state, lang, &visitor, &booking, &form, errors).await
        }
        Err(e) => failed(lang, &visitor, &here, &e),
    }
}

/// `POST /office/appointments/bookings/{booking_id}/move`: the office moves the booking
/// to another free time, telling the citizen why.
pub async fn move_booking(
    State(state): State<OfficeState>,
    lang: PageLang,
    headers: HeaderMap,
    Path(booking_id): Path<String>,
    axum::Form(mut form): axum::Form<ChangeForm>,
) -> Response {
    form.form = "move";
    let here = path(&format!("/appointments/bookings/{booking_id}"));
    let visitor = match guard_posted(
        &state,
        lang,
        &headers,
        &OFFICE_DESKS,
        &here,
        form.csrf.as_deref(),
    )
    .await
    {
        Ok(v) => v,
        Err(r) => return r,
    };
    let booking = match booking_of(&state, lang, &visitor, &booking_id).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let l = lang.lang;
    let tz = state.appointments.appointments.store().tz();
    let mut errors = FieldErrors::default();
    let date = form.date.as_deref().and_then(parse_date);
    let time = form.time.as_deref().and_then(parse_time);
    if date.is_none() {
        errors.add(
            "move-date",
            l.t("Adja meg az új napot.", "Give the new day."),
        );
    }
    if time.is_none() {
        errors.add(
            "move-time",
            l.t(
                "Adja meg az új kezdési időt (óó:pp).",
                "Give the new starting time (hh:mm).",
            ),
        );
    }
    if desk::reason(form.reason.as_deref().unwrap_or_default()).is_err() {
        errors.add("move-reason", reason_error(l));
    }
    let start = date.zip(time).and_then(|(d, t)| local_instant(tz, d, t));
    let Some(start) = start.filter(|_| errors.is_empty()) else {
        return booking_page(&state, lang, &visitor, &booking, &form, errors).await;
    };
    let clerk = form.clerk_id.as_deref().filter(|c| !c.is_empty());
    let why = form.reason.as_deref().unwrap_or_default();
    match desk::reschedule(&state.appointments, booking.id, start, clerk, why).await {
        Ok(b) => see_other(&day_url(
            &b.office_id,
            local_date(tz, b.start),
            Some("moved"),
        )),
        Err(
            AppointmentError::NotASlot | AppointmentError::OutOfRange | AppointmentError::SlotTaken,
        ) => {
            errors.add(
                "move-time",
                l.t(
                    "Ez az idő nem szabad időpontja ennek a szolgáltatásnak (foglalt, zárolt, a múltban van, vagy nem esik a fogadási időbe). Válasszon másikat.",
                    "That time is not a free slot of this service (taken, blocked, past, or outside the desk's hours). Choose another.",
                ),
            );
            booking_page(&state, lang, &visitor, &booking, &form, errors).await
        }
        Err(AppointmentError::UnknownClerk) => {
            errors.add(
                "move-clerk",
                l.t("Nincs ilyen ügyfélablak.", "There is no such desk."),
            );
            booking_page(&state, lang, &visitor, &booking, &form, errors).await
        }
        Err(e) => failed(lang, &visitor, &here, &e),
    }
}
