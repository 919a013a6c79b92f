//! The office screens (office_appointments), as a browser meets them: the desk checks a
//! citizen in by the booking code as it is quoted, the office moves or cancels a booking
//! with a reason, a clerk blocks and frees time in her calendar; none of it for a citizen,
//! none of it without the form's CSRF token, and every page clean for axe-core.

use crate::office_payments::{assert_accessible, clerk_in_chromium};
use crate::support::browser::start_driver;
use crate::support::nojs::Browser;
use crate::support::{Person, World};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use varoskapu_book_appointment::demo::{CLERK_IDS, OFFICE_ID, PHOTO_SERVICE_ID};
use varoskapu_local::identity::{
    DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD, DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD,
};

fn budapest_today() -> jiff::civil::Date {
    jiff::Timestamp::now()
        .to_zoned(varoskapu_core::appointments::budapest().expect("tz"))
        .date()
}

/// The citizen books the first free slot of the photo service; the booking as the API
/// shows it.
async fn book(world: &World, citizen: &Person) -> Value {
    let from = budapest_today();
    let to = from.checked_add(jiff::Span::new().days(20)).expect("date");
    let slots = world
        .ok(
            citizen,
            Method::GET,
            &format!("/appointments/services/{PHOTO_SERVICE_ID}/slots?from={from}&to={to}"),
            None,
        )
        .await;
    let start = slots["items"][0]["start"]
        .as_str()
        .unwrap_or_else(|| panic!("a free slot: {slots}"))
        .to_owned();
    world
        .ok(
            citizen,
            Method::POST,
            "/appointments/bookings",
            Some(json!({"service_id": PHOTO_SERVICE_ID, "start": start})),
        )
        .await
}

async fn booking_status(world: &World, citizen: &Person, id: &str) -> String {
    let booking = world
        .ok(
            citizen,
            Method::GET,
            &format!("/appointments/bookings/{id}"),
            None,
        )
        .await;
    booking["status"].as_str().expect("status").to_owned()
}

/// The first desk's calendar as the API shows it (hours, absences, blocks of a week).
async fn first_desk_calendar(world: &World, clerk: &Person) -> Value {
    let from = budapest_today();
    let to = from.checked_add(jiff::Span::new().days(7)).expect("date");
    let mut calendar = world
        .ok(
            clerk,
            Method::GET,
            &format!(
                "/backoffice/appointments/clerks/{}/calendar?from={from}&to={to}",
                CLERK_IDS[0]
            ),
            None,
        )
        .await;
    // Bookings come and go with other tests' citizens; the calendar's own settings stay.
    if let Some(days) = calendar["days"].as_array_mut() {
        for day in days {
            day["bookings"] = Value::Null;
        }
    }
    calendar
}

#[tokio::test]
async fn the_desk_checks_a_citizen_in_by_the_code_as_quoted() {
    let world = World::start().await;
    let citizen = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    let booking = book(&world, &citizen).await;
    let id = booking["id"].as_str().expect("id");
    let code = booking["code"].as_str().expect("code");
    // As read out at the desk: lower case, in two halves with a dash and spaces.
    let quoted = format!("{} - {}", &code[..4], &code[4..]).to_lowercase();

    let driver = start_driver().await;
    let chromium = clerk_in_chromium(&world, &driver, "/office/appointments").await;
    assert_accessible(&chromium, "today's desks").await;
    chromium.type_into("#code", "zzzz-zzzz").await;
    chromium
        .click_through(r#"form[action="/office/appointments/check-in"] button[type=submit]"#)
        .await;
    let unknown = chromium.page_text().await;
    assert!(
        unknown.contains("Nincs foglalás ezzel a kóddal"),
        "{unknown}"
    );
    assert_accessible(&chromium, "check-in with an unknown code").await;
    assert_eq!(booking_status(&world, &citizen, id).await, "booked");

    chromium.type_into("#code", &quoted).await;
    chromium
        .click_through(r#"form[action="/office/appointments/check-in"] button[type=submit]"#)
        .await;
    let arrived = chromium.page_text().await;
    assert!(
        arrived.contains("Az ügyfél megérkezését rögzítettük"),
        "{arrived}"
    );
    assert!(
        arrived.contains(code),
        "the booking's day is shown: {arrived}"
    );
    assert!(arrived.contains("Megérkezett"), "{arrived}");
    assert_accessible(&chromium, "the booking's day").await;
    chromium.close().await;
    assert_eq!(booking_status(&world, &citizen, id).await, "checked_in");
}

#[tokio::test]
async fn the_office_moves_and_cancels_bookings_with_a_reason_and_blocks_a_clerks_time() {
    let world = World::start().await;
    let citizen = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    let booking = book(&world, &citizen).await;
    let id = booking["id"].as_str().expect("id");
    let page = format!("/office/appointments/bookings/{id}");

    let driver = start_driver().await;
    let chromium = clerk_in_chromium(&world, &driver, &page).await;
    assert_accessible(&chromium, "a booking").await;
    // Moved without a day, a time or a reason: each field says what it needs.
    chromium
        .click_through(r#"form[action$="/move"] button[type=submit]"#)
        .await;
    let refused = chromium.page_text().await;
    assert!(refused.contains("Adja meg az új napot"), "{refused}");
    assert_accessible(&chromium, "the move form with its errors").await;
    chromium
        .type_into("#cancel-reason", "Az ügyintéző megbetegedett.")
        .await;
    chromium
        .click_through(r#"form[action$="/cancel"] button[type=submit]"#)
        .await;
    let cancelled = chromium.page_text().await;
    assert!(cancelled.contains("A foglalást lemondtuk"), "{cancelled}");
    assert_eq!(booking_status(&world, &citizen, id).await, "cancelled");

    chromium
        .goto(&format!("{}/office/appointments/clerks", world.base))
        .await;
    chromium.wait_loaded().await;
    assert_accessible(&chromium, "the clerks' calendars").await;
    chromium
        .click_through(&format!(
            r#"a[href="/office/appointments/clerks/{}"]"#,
            CLERK_IDS[0]
        ))
        .await;
    assert_accessible(&chromium, "the first desk's calendar").await;
    let day = budapest_today()
        .checked_add(jiff::Span::new().days(1))
        .expect("date");
    // Typed into a date field as Chromium's keyboard enters it for a Hungarian locale is
    // not portable: the field's value is set as a person's picker would set it.
    chromium
        .execute(&format!(
            "document.getElementById('block-date').value = '{day}'; \
             document.getElementById('block-from').value = '06:00'; \
             document.getElementById('block-to').value = '07:00';"
        ))
        .await;
    chromium
        .type_into("#block-reason", "Csoportmegbeszélés")
        .await;
    chromium
        .click_through(r#"form[action$="/blocks"] button[type=submit]"#)
        .await;
    let blocked = chromium.page_text().await;
    assert!(blocked.contains("Az időt zároltuk"), "{blocked}");
    assert!(
        blocked.contains("06:00–07:00: Csoportmegbeszélés"),
        "{blocked}"
    );
    chromium
        .click_through(r#"form[action$="/remove"] button[type=submit]"#)
        .await;
    let freed = chromium.page_text().await;
    assert!(freed.contains("A zárolást töröltük"), "{freed}");
    assert!(!freed.contains("Csoportmegbeszélés"), "{freed}");
    chromium.close().await;
}

#[tokio::test]
async fn a_citizen_is_refused_every_desk_page_and_form() {
    let world = World::start().await;
    let citizen_api = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    let booking = book(&world, &citizen_api).await;
    let id = booking["id"].as_str().expect("id");
    let code = booking["code"].as_str().expect("code");
    let mut citizen = Browser::new(&world);
    let first = citizen
        .sign_in(
            DEMO_CITIZEN_EMAIL,
            DEMO_CITIZEN_PASSWORD,
            "/office/appointments",
        )
        .await;
    assert_eq!(first.status, StatusCode::FORBIDDEN);
    let clerk = CLERK_IDS[0];
    for page in [
        format!("/office/appointments?office={OFFICE_ID}"),
        format!("/office/appointments/bookings/{id}"),
        "/office/appointments/clerks".to_owned(),
        format!("/office/appointments/clerks/{clerk}"),
    ] {
        let answer = citizen.get(&page).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{page}");
    }
    for form in [
        "/office/appointments/check-in".to_owned(),
        format!("/office/appointments/bookings/{id}/check-in"),
        format!("/office/appointments/bookings/{id}/no-show"),
        format!("/office/appointments/bookings/{id}/cancel"),
        format!("/office/appointments/bookings/{id}/move"),
        format!("/office/appointments/clerks/{clerk}/hours"),
        format!("/office/appointments/clerks/{clerk}/absences"),
        format!("/office/appointments/clerks/{clerk}/absences/remove"),
        format!("/office/appointments/clerks/{clerk}/blocks"),
    ] {
        let answer = citizen
            .post(
                &form,
                &[("code", code), ("reason", "x"), ("absence_kind", "leave")],
            )
            .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{form}");
    }
    assert_eq!(booking_status(&world, &citizen_api, id).await, "booked");
}

#[tokio::test]
async fn desk_forms_without_their_csrf_token_change_nothing() {
    let world = World::start().await;
    let citizen = world
        .sign_in(DEMO_CITIZEN_EMAIL, DEMO_CITIZEN_PASSWORD)
        .await;
    let api_clerk = world
        .sign_in_office(DEMO_CLERK_EMAIL, DEMO_CLERK_PASSWORD)
        .await;
    let booking = book(&world, &citizen).await;
    let id = booking["id"].as_str().expect("id").to_owned();
    let code = booking["code"].as_str().expect("code").to_owned();
    let clerk = CLERK_IDS[0];
    let tomorrow_date = budapest_today()
        .checked_add(jiff::Span::new().days(1))
        .expect("date");
    let tomorrow = tomorrow_date.to_string();
    // A block to remove, made through the API, early tomorrow (before any booking).
    let start = tomorrow_date
        .at(6, 0, 0, 0)
        .to_zoned(varoskapu_core::appointments::budapest().expect("tz"))
        .expect("zoned")
        .timestamp();
    let block = world
        .ok(
            &api_clerk,
            Method::POST,
            &format!("/backoffice/appointments/clerks/{clerk}/blocks"),
            Some(json!({"start": start.to_string(),
                "end": (start + jiff::SignedDuration::from_hours(1)).to_string(),
                "reason": "Megbeszélés"})),
        )
        .await;
    let block_id = block["id"].as_str().expect("block id").to_owned();
    let before = first_desk_calendar(&world, &api_clerk).await;

    let mut browser = Browser::new(&world);
    let day = browser
        .sign_in(
            DEMO_CLERK_EMAIL,
            DEMO_CLERK_PASSWORD,
            "/office/appointments",
        )
        .await;
    assert_eq!(day.status, StatusCode::OK);
    for csrf in [None, Some("not-the-session-token")] {
        let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
            (
                "/office/appointments/check-in".into(),
                vec![("code", code.as_str())],
            ),
            (
                format!("/office/appointments/bookings/{id}/check-in"),
                vec![],
            ),
            (
                format!("/office/appointments/bookings/{id}/no-show"),
                vec![],
            ),
            (
                format!("/office/appointments/bookings/{id}/cancel"),
                vec![("reason", "Beteg az ügyintéző")],
            ),
            (
                format!("/office/appointments/bookings/{id}/move"),
                vec![
                    ("date", tomorrow.as_str()),
                    ("time", "10:00"),
                    ("reason", "Beteg az ügyintéző"),
                ],
            ),
            (
                format!("/office/appointments/clerks/{clerk}/hours"),
                vec![("hours-monday", "08:00-09:00")],
            ),
            (
                format!("/office/appointments/clerks/{clerk}/absences"),
                vec![
                    ("absence_kind", "leave"),
                    ("absence_date", tomorrow.as_str()),
                ],
            ),
            (
                format!("/office/appointments/clerks/{clerk}/blocks"),
                vec![
                    ("block_date", tomorrow.as_str()),
                    ("block_from", "06:00"),
                    ("block_to", "07:00"),
                    ("block_reason", "Megbeszélés"),
                ],
            ),
            (
                format!("/office/appointments/clerks/{clerk}/blocks/{block_id}/remove"),
                vec![],
            ),
        ];
        for (action, mut form) in posts {
            if let Some(token) = csrf {
                form.push(("csrf", token));
            }
            let answer = browser.post(&action, &form).await;
            assert_eq!(answer.status, StatusCode::FORBIDDEN, "{action}");
            assert!(answer.body.contains("Az űrlap lejárt"), "{action}");
        }
    }
    assert_eq!(booking_status(&world, &citizen, &id).await, "booked");
    assert_eq!(first_desk_calendar(&world, &api_clerk).await, before);
}
