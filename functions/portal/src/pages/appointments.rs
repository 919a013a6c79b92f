//! Appointments at the offices: choose an office's service, a free slot, book; the
//! person's bookings with rescheduling, cancelling and the calendar entry (`.ics`). The
//! same use cases, notices and retries as the appointment API.

use super::{csrf_refused, not_found, unavailable, visitor_page};
use crate::PortalState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde::Deserialize;
use uuid::Uuid;
use varoskapu_book_appointment::notify::tell_citizen;
use varoskapu_book_appointment::retry::retrying;
use varoskapu_core::appointments::notices::Notice;
use varoskapu_core::appointments::{
    AppointmentError, Booking, BookingRequest, BookingStatus, IdempotencyGuard, Requester, ics,
};
use varoskapu_http::auth::OWN_APPOINTMENTS;
use varoskapu_web::signin::{Visitor, see_other};
use varoskapu_web::{FieldErrors, Lang, PageLang};

/// How many days ahead the slot list looks, and how many slots it shows.
const SLOT_DAYS: i64 = 14;
const SLOT_LIMIT: usize = 40;

fn failed(
    state: &PortalState,
    lang: PageLang,
    visitor: &Visitor,
    e: &AppointmentError,
) -> Response {
    match e {
        AppointmentError::UnknownBooking
        | AppointmentError::NotYours
        | AppointmentError::UnknownService
        | AppointmentError::UnknownOffice => not_found(state, lang, visitor),
        AppointmentError::PastCutOff { minutes } => super::message_page(
            state,
            lang,
            Some(&visitor.session),
            StatusCode::CONFLICT,
            lang.lang.t("Ez most nem lehetséges", "Not possible now"),
            &match lang.lang {
                Lang::Hu => format!(
                    "Az időpont a kezdete előtti {minutes} percben már nem módosítható és nem mondható le."
                ),
                Lang::En => format!(
                    "A booking cannot be changed or cancelled in the {minutes} minutes before it starts."
                ),
            },
        ),
        AppointmentError::IllegalTransition { .. } => super::message_page(
            state,
            lang,
            Some(&visitor.session),
            StatusCode::CONFLICT,
            lang.lang.t("Ez most nem lehetséges", "Not possible now"),
            lang.lang.t(
                "Ez az időpont már nem módosítható. Kérjük, hívja az ügyfélszolgálatot.",
                "This booking can no longer be changed. Please call the office.",
            ),
        ),
        e => {
            tracing::error!(error = %e, "appointment use case failed");
            unavailable(state, lang, Some(visitor))
        }
    }
}

/// A problem with the chosen slot, in the person's words, if it is one.
fn slot_problem(e: &AppointmentError, lang: Lang) -> Option<String> {
    Some(match e {
        AppointmentError::SlotTaken | AppointmentError::TimeTaken => lang
            .t(
                "Ezt az időpontot közben lefoglalták. Válasszon másikat.",
                "This slot was just taken. Please choose another one.",
            )
            .to_owned(),
        AppointmentError::NotASlot | AppointmentError::OutOfRange => lang
            .t("Válasszon egy szabad időpontot.", "Choose a free slot.")
            .to_owned(),
        AppointmentError::TooManyOpenBookings { limit } => match lang {
            Lang::Hu => {
                format!("Ehhez a szolgáltatáshoz legfeljebb {limit} nyitott foglalása lehet.")
            }
            Lang::En => format!("You may hold at most {limit} open bookings for this service."),
        },
        _ => return None,
    })
}

fn local(state: &PortalState, at: Timestamp) -> String {
    at.to_zoned(state.appointments.appointments.store().tz().clone())
        .strftime("%Y.%m.%d. %H:%M")
        .to_string()
}

fn status_text(status: BookingStatus, lang: Lang) -> &'static str {
    match status {
        BookingStatus::Booked => lang.t("Lefoglalva", "Booked"),
        BookingStatus::Rescheduled => lang.t("Áthelyezve", "Moved"),
        BookingStatus::Cancelled => lang.t("Lemondva", "Cancelled"),
        BookingStatus::CheckedIn => lang.t("Megjelent", "Attended"),
        BookingStatus::NoShow => lang.t("Nem jelent meg", "Missed"),
    }
}

struct BookingLine {
    id: Uuid,
    code: String,
    service: String,
    office: String,
    at: String,
    status: &'static str,
    open: bool,
}

struct ServiceLink {
    id: String,
    name: String,
    minutes: i64,
}

struct OfficeGroup {
    name: String,
    address: String,
    services: Vec<ServiceLink>,
}

#[derive(Template)]
#[template(path = "appointments.html")]
struct ListBody<'a> {
    lang: Lang,
    csrf: &'a str,
    bookings: Vec<BookingLine>,
    offices: Vec<OfficeGroup>,
}

#[derive(Deserialize)]
pub struct ListQuery {
    booked: Option<String>,
    moved: Option<String>,
    cancelled: Option<String>,
}

/// `GET /my-appointments`: the person's bookings and the services to book.
pub async fn list(
    State(state): State<PortalState>,
    lang: PageLang,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Response {
    let visitor = match state
        .signin
        .visitor(&headers, &OWN_APPOINTMENTS, "/my-appointments")
        .await
    {
        Ok(v) => v,
        Err(r) => return crate::pages::refused(&state, lang, r),
    };
    let store = state.appointments.appointments.store();
    let loaded = async {
        Ok::<_, varoskapu_core::TableError>((
            store.bookings_of(&visitor.principal.account).await?,
            store.offices().await?,
            store.services().await?,
        ))
    }
    .await;
    let (mut bookings, offices, services) = match loaded {
        Ok(all) => all,
        Err(e) => return failed(&state, lang, &visitor, &AppointmentError::from(e)),
    };
    bookings.sort_by_key(|b| std::cmp::Reverse(b.start));
    let l = lang.lang;
    let name_of = |id: &str| {
        services
            .iter()
            .find(|s| s.id == id)
            .map_or(id.to_owned(), |s| s.name.clone())
    };
    let office_of = |id: &str| {
        offices
            .iter()
            .find(|o| o.id == id)
            .map_or(id.to_owned(), |o| o.name.clone())
    };
    let lines = bookings
        .iter()
        .map(|b: &Booking| BookingLine {
            id: b.id,
            code: b.code.to_string(),
            service: name_of(&b.service_id),
            office: office_of(&b.office_id),
            at: local(&state, b.start),
            status: status_text(b.status, l),
            open: matches!(b.status, BookingStatus::Booked | BookingStatus::Rescheduled),
        })
        .collect();
    let groups = offices
        .iter()
        .map(|o| OfficeGroup {
            name: o.name.clone(),
            address: o.address.one_line(),
            services: services
                .iter()
                .filter(|s| s.office_id == o.id)
                .map(|s| ServiceLink {
                    id: s.id.clone(),
                    name: s.name.clone(),
                    minutes: s.duration_minutes,
                })
                .collect(),
        })
        .filter(|g| !g.services.is_empty())
        .collect();
    let mut page = visitor_page(
        lang,
        l.t("Időpontfoglalás", "Appointments"),
        "/my-appointments",
        &visitor,
    );
    if q.booked.is_some() {
        page = page.notice(l.t(
            "Az időpontot lefoglaltuk; a visszaigazolást e-mailben is elküldtük.",
            "Your appointment is booked; the confirmation is also sent by e-mail.",
        ));
    } else if q.moved.is_some() {
        page = page.notice(l.t("Az időpontot áthelyeztük.", "Your appointment is moved."));
    } else if q.cancelled.is_some() {
        page = page.notice(l.t("Az időpontot lemondtuk.", "Your appointment is cancelled."));
    }
    page.template(&ListBody {
        lang: l,
        csrf: visitor.csrf(),
        bookings: lines,
        offices: groups,
    })
}

struct SlotChoice {
    id: String,
    value: String,
    label: String,
}

#[derive(Template)]
#[template(path = "slots.html")]
struct SlotsBody<'a> {
    lang: Lang,
    csrf: &'a str,
    action: String,
    intro: String,
    slots: Vec<SlotChoice>,
    error: Option<String>,
    idempotency_key: String,
}

async fn slots_page(
    state: &PortalState,
    lang: PageLang,
    visitor: &Visitor,
    service_id: &str,
    action: String,
    error: Option<String>,
) -> Response {
    let a = &state.appointments.appointments;
    let service = match a.service(service_id).await {
        Ok(s) => s,
        Err(e) => return failed(state, lang, visitor, &e),
    };
    let office = match a.office(&service.office_id).await {
        Ok(o) => o,
        Err(e) => return failed(state, lang, visitor, &e),
    };
    let today = a.now().to_zoned(a.store().tz().clone()).date();
    let until = today
        .checked_add(jiff::Span::new().days(SLOT_DAYS - 1))
        .unwrap_or(today);
    let page = match a
        .free_slots(service_id, today, until, None, SLOT_LIMIT)
        .await
    {
        Ok(p) => p,
        Err(e) => return failed(state, lang, visitor, &e),
    };
    let slots = page
        .slots
        .iter()
        .enumerate()
        .map(|(i, s)| SlotChoice {
            id: format!("slot-{i}"),
            value: s.start.to_string(),
            label: local(state, s.start),
        })
        .collect();
    let l = lang.lang;
    let mut errors = FieldErrors::default();
    if let Some(e) = &error {
        errors.add("slots", e.clone());
    }
    visitor_page(lang, &service.name, "/my-appointments", visitor)
        .errors(errors)
        .template(&SlotsBody {
            lang: l,
            csrf: visitor.csrf(),
            action,
            intro: format!(
                "{} – {} ({} {})",
                office.name,
                office.address.one_line(),
                service.duration_minutes,
                l.t("perc", "minutes")
            ),
            slots,
            error,
            idempotency_key: varoskapu_core::secrets::random_token(),
        })
}

/// `GET /my-appointments/new/{service_id}`: the service's free slots.
pub async fn new_booking(
    State(state): State<PortalState>,
    lang: PageLang,
    headers: HeaderMap,
    Path(service_id): Path<String>,
) -> Response {
    let path = format!("/my-appointments/new/{service_id}");
    let visitor = match state
        .signin
        .visitor(&headers, &OWN_APPOINTMENTS, &path)
        .await
    {
        Ok(v) => v,
        Err(r) => return crate::pages::refused(&state, lang, r),
    };
    slots_page(&state, lang, &visitor, &service_id, path, None).await
}

#[derive(Deserialize)]
pub struct SlotForm {
    csrf: Option<String>,
    slot: Option<String>,
    idempotency_key: Option<String>,
}

/// `POST /my-appointments/new/{service_id}`: books the chosen slot (once per form).
pub async fn book(
    State(state): State<PortalState>,
    lang: PageLang,
    headers: HeaderMap,
    Path(service_id): Path<String>,
    axum::Form(form): axum::Form<SlotForm>,
) -> Response {
    let path = format!("/my-appointments/new/{service_id}");
    let visitor = match state
        .signin
        .visitor(&headers, &OWN_APPOINTMENTS, &path)
        .await
    {
        Ok(v) => v,
        Err(r) => return crate::pages::refused(&state, lang, r),
    };
    if !visitor.form_ok(form.csrf.as_deref()) {
        return csrf_refused(&state, lang, &visitor);
    }
    let Some(start) = form
        .slot
        .as_deref()
        .and_then(|s| s.parse::<Timestamp>().ok())
    else {
        let e = slot_problem(&AppointmentError::NotASlot, lang.lang);
        return slots_page(&state, lang, &visitor, &service_id, path, e).await;
    };
    let request = BookingRequest {
        service_id: service_id.clone(),
        start,
        clerk_id: None,
        case_id: None,
    };
    let guard = form
        .idempotency_key
        .filter(|k| !k.is_empty())
        .map(|key| IdempotencyGuard {
            key,
            fingerprint: varoskapu_core::idempotency::fingerprint(
                format!("{service_id}:{start}").as_bytes(),
            ),
        });
    let citizen = visitor.principal.account.clone();
    let a = &state.appointments.appointments;
    match retrying(|| a.book(&citizen, &request, guard.as_ref())).await {
        Ok((booking, replayed)) => {
            if !replayed {
                tell_citizen(&state.appointments, Notice::Booked, &booking).await;
            }
            see_other("/my-appointments?booked=1")
        }
        Err(e) => match slot_problem(&e, lang.lang) {
            Some(message) => {
                slots_page(&state, lang, &visitor, &service_id, path, Some(message)).await
            }
            None => failed(&state, lang, &visitor, &e),
        },
    }
}

async fn own_booking(
    state: &PortalState,
    visitor: &Visitor,
    id: &str,
) -> Result<Booking, AppointmentError> {
    let id = Uuid::parse_str(id).map_err(|_| AppointmentError::UnknownBooking)?;
    let requester = Requester::Citizen(&visitor.principal.account);
    Ok(state
        .appointments
        .appointments
        .booking_for(&requester, id)
        .await?
        .0)
}

/// `GET /my-appointments/{booking_id}/reschedule`: other free slots of the same service.
pub async fn reschedule_form(
    State(state): State<PortalState>,
    lang: PageLang,
    headers: HeaderMap,
    Path(booking_id): Path<String>,
) -> Response {
    let path = format!("/my-appointments/{booking_id}/reschedule");
    let visitor = match state
        .signin
        .visitor(&headers, &OWN_APPOINTMENTS, &path)
        .await
    {
        Ok(v) => v,
        Err(r) => return crate::pages::refused(&state, lang, r),
    };
    match own_booking(&state, &visitor, &booking_id).await {
        Ok(b) => slots_page(&state, lang, &visitor, &b.service_id, path, None).await,
        Err(e) => failed(&state, lang, &visitor, &e),
    }
}

/// `POST /my-appointments/{booking_id}/reschedule`: moves the booking to the chosen slot.
pub async fn reschedule(
    State(state): State<PortalState>,
    lang: PageLang,
    headers: HeaderMap,
    Path(booking_id): Path<String>,
    axum::Form(form): axum::Form<SlotForm>,
) -> Response {
    let path = format!("/my-appointments/{booking_id}/reschedule");
    let visitor = match state
        .signin
        .visitor(&headers, &OWN_APPOINTMENTS, &path)
        .await
    {
        Ok(v) => v,
        Err(r) => return crate::pages::refused(&state, lang, r),
    };
    if !visitor.form_ok(form.csrf.as_deref()) {
        return csrf_refused(&state, lang, &visitor);
    }
    let booking = match own_booking(&state, &visitor, &booking_id).await {
        Ok(b) => b,
        Err(e) => return failed(&state, lang, &visitor, &e),
    };
    let Some(start) = form
        .slot
        .as_deref()
        .and_then(|s| s.parse::<Timestamp>().ok())
    else {
        let e = slot_problem(&AppointmentError::NotASlot, lang.lang);
        return slots_page(&state, lang, &visitor, &booking.service_id, path, e).await;
    };
    let account = visitor.principal.account.clone();
    let requester = Requester::Citizen(&account);
    let a = &state.appointments.appointments;
    match retrying(|| a.reschedule(&requester, booking.id, start, None)).await {
        Ok(moved) => {
            tell_citizen(&state.appointments, Notice::Moved, &moved).await;
            see_other("/my-appointments?moved=1")
        }
        Err(e) => match slot_problem(&e, lang.lang) {
            Some(message) => {
                slots_page(
                    &state,
                    lang,
                    &visitor,
                    &booking.service_id,
                    path,
                    Some(message),
                )
                .await
            }
            None => failed(&state, lang, &visitor, &e),
        },
    }
}

#[derive(Deserialize)]
pub struct CancelForm {
    csrf: Option<String>,
}

/// `POST /my-appointments/{booking_id}/cancel`.
pub async fn cancel(
    State(state): State<PortalState>,
    lang: PageLang,
    headers: HeaderMap,
    Path(booking_id): Path<String>,
    axum::Form(form): axum::Form<CancelForm>,
) -> Response {
    let visitor = match state
        .signin
        .visitor(&headers, &OWN_APPOINTMENTS, "/my-appointments")
        .await
    {
        Ok(v) => v,
        Err(r) => return crate::pages::refused(&state, lang, r),
    };
    if !visitor.form_ok(form.csrf.as_deref()) {
        return csrf_refused(&state, lang, &visitor);
    }
    let booking = match own_booking(&state, &visitor, &booking_id).await {
        Ok(b) => b,
        Err(e) => return failed(&state, lang, &visitor, &e),
    };
    let account = visitor.principal.account.clone();
    let requester = Requester::Citizen(&account);
    let a = &state.appointments.appointments;
    match retrying(|| a.cancel(&requester, booking.id)).await {
        Ok(cancelled) => {
            tell_citizen(&state.appointments, Notice::Cancelled, &cancelled).await;
            see_other("/my-appointments?cancelled=1")
        }
        Err(e) => failed(&state, lang, &visitor, &e),
    }
}

/// `GET /my-appointments/{booking_id}/calendar.ics`: the booking for a calendar app.
pub async fn calendar(
    State(state): State<PortalState>,
    lang: PageLang,
    headers: HeaderMap,
    Path(booking_id): Path<String>,
) -> Response {
    let visitor = match state
        .signin
        .visitor(&headers, &OWN_APPOINTMENTS, "/my-appointments")
        .await
    {
        Ok(v) => v,
        Err(r) => return crate::pages::refused(&state, lang, r),
    };
    let a = &state.appointments.appointments;
    let found = async {
        let booking = own_booking(&state, &visitor, &booking_id).await?;
        let office = a.office(&booking.office_id).await?;
        let service = a.service(&booking.service_id).await?;
        Ok::<_, AppointmentError>((booking, office, service))
    }
    .await;
    let (booking, office, service) = match found {
        Ok(all) => all,
        Err(e) => return failed(&state, lang, &visitor, &e),
    };
    let body = ics::booking_calendar(&booking, &office, &service, a.store().tz(), a.now());
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(ics::TEXT_CALENDAR),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"idopont-{}.ics\"",
        booking.code
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}
