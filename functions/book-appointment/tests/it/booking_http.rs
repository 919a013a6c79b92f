//! The appointment API over HTTP on a fresh SQLite data folder: slots across DST changes,
//! booking, the 100-way race, limits, changes from both sides, iCalendar, reminders, desks.

use crate::common::{self, ParsedCalendar, spawn_app};
use futures::future::join_all;
use serde_json::{Value, json};
use varoskapu_book_appointment::demo::{
    ADDRESS_CARD_SERVICE_ID, CLERK_IDS, OFFICE_ID, PHOTO_SERVICE_ID,
};

const MONDAY_0800: &str = "2026-03-23T07:00:00Z";
const MONDAY_0820: &str = "2026-03-23T07:20:00Z";
const MONDAY_0900: &str = "2026-03-23T08:00:00Z";

#[tokio::test]
async fn slots_across_the_spring_clock_change_carry_the_right_offsets() {
    let app = spawn_app().await;
    let slots = app
        .slots(PHOTO_SERVICE_ID, "2026-03-27", "2026-03-30")
        .await;
    let first_friday = &slots[0];
    assert_eq!(first_friday["start"], "2026-03-27T07:00:00Z");
    assert_eq!(first_friday["local_start"], "2026-03-27T08:00:00+01:00");
    assert_eq!(first_friday["remaining"], 2);
    // No slot at the weekend (29 March is the change day itself).
    assert!(slots.iter().all(|s| {
        let local = s["local_start"].as_str().unwrap_or_default();
        !local.starts_with("2026-03-28") && !local.starts_with("2026-03-29")
    }));
    let first_monday = slots
        .iter()
        .find(|s| {
            s["local_start"]
                .as_str()
                .is_some_and(|l| l.starts_with("2026-03-30"))
        })
        .expect("Monday slots");
    assert_eq!(first_monday["start"], "2026-03-30T06:00:00Z");
    assert_eq!(first_monday["local_start"], "2026-03-30T08:00:00+02:00");
    // Friday closes at 13:00 and lunch is 12:00-12:30: 12 slots, then one at 12:30.
    let friday: Vec<&Value> = slots
        .iter()
        .filter(|s| {
            s["local_start"]
                .as_str()
                .is_some_and(|l| l.starts_with("2026-03-27"))
        })
        .collect();
    assert_eq!(friday.len(), 13);
    assert_eq!(friday[12]["local_start"], "2026-03-27T12:30:00+01:00");
}

#[tokio::test]
async fn slots_across_the_autumn_clock_change_carry_the_right_offsets() {
    let app = spawn_app().await;
    app.clock
        .set("2026-10-20T08:00:00Z".parse().expect("instant"));
    // Thursday 22 October is summer time; Friday the 23rd is a national holiday; the clocks
    // go back on Sunday the 25th; Monday the 26th is winter time.
    let slots = app
        .slots(PHOTO_SERVICE_ID, "2026-10-22", "2026-10-26")
        .await;
    assert_eq!(slots[0]["local_start"], "2026-10-22T08:00:00+02:00");
    assert_eq!(slots[0]["start"], "2026-10-22T06:00:00Z");
    assert!(!slots.iter().any(|s| {
        s["local_start"]
            .as_str()
            .is_some_and(|l| l.starts_with("2026-10-23"))
    }));
    let monday = slots
        .iter()
        .find(|s| {
            s["local_start"]
                .as_str()
                .is_some_and(|l| l.starts_with("2026-10-26"))
        })
        .expect("Monday slots");
    assert_eq!(monday["start"], "2026-10-26T07:00:00Z");
    assert_eq!(monday["local_start"], "2026-10-26T08:00:00+01:00");
}

#[tokio::test]
async fn slot_pages_follow_each_other_without_gaps_or_repeats() {
    let app = spawn_app().await;
    let all = app
        .slots(PHOTO_SERVICE_ID, "2026-03-23", "2026-03-23")
        .await;
    // 08:00-12:00 and 12:30-16:00 at two desks: 12 + 10 slots of 20 minutes.
    assert_eq!(all.len(), 22);
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!(
            "/appointments/services/{PHOTO_SERVICE_ID}/slots?from=2026-03-23&to=2026-03-23&limit=5"
        );
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let (status, page) = app.get(&path, None).await;
        assert_eq!(status, 200);
        paged.extend(page["items"].as_array().cloned().unwrap_or_default());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(paged, all);
}

#[tokio::test]
async fn booking_confirms_with_a_code_and_lowers_the_remaining_capacity() {
    let app = spawn_app().await;
    assert_eq!(
        app.remaining(PHOTO_SERVICE_ID, "2026-03-23", MONDAY_0800)
            .await,
        2
    );
    let (status, booking) = app.book("citizen-1", PHOTO_SERVICE_ID, MONDAY_0800).await;
    assert_eq!(status, 201, "{booking}");
    assert_eq!(booking["status"], "booked");
    assert_eq!(booking["local_start"], "2026-03-23T08:00:00+01:00");
    assert_eq!(booking["code"].as_str().map(str::len), Some(8));
    assert_eq!(
        app.remaining(PHOTO_SERVICE_ID, "2026-03-23", MONDAY_0800)
            .await,
        1
    );

    let messages = app.outbox("citizen-1").await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].kind, "appointment_booked");
    assert!(
        messages[0]
            .body
            .contains(booking["code"].as_str().unwrap_or("?"))
    );
    let ics = &messages[0].attachments[0];
    assert!(ics.content_type.starts_with("text/calendar"));
    let parsed = ParsedCalendar::parse(&ics.content);
    assert_eq!(
        parsed.event_param("DTSTART", "TZID"),
        Some("Europe/Budapest")
    );
    assert_eq!(parsed.event_prop("DTSTART"), Some("20260323T080000"));

    let (status, mine) = app
        .get("/appointments/bookings", Some(&app.citizen("citizen-1")))
        .await;
    assert_eq!(status, 200);
    assert_eq!(mine.as_array().map(Vec::len), Some(1));
    let (_, theirs) = app
        .get("/appointments/bookings", Some(&app.citizen("citizen-2")))
        .await;
    assert_eq!(theirs, json!([]));
}

#[tokio::test]
async fn a_retried_booking_with_the_same_idempotency_key_returns_the_first_booking() {
    let app = spawn_app().await;
    let token = app.citizen("citizen-1");
    let body = json!({ "service_id": PHOTO_SERVICE_ID, "start": MONDAY_0800 });
    let send = |body: Value| {
        app.http
            .post(app.url("/appointments/bookings"))
            .bearer_auth(&token)
            .header("Idempotency-Key", "0b9c6f7e-2c1d-4a53-9d0e-5b4b1f7d2a10")
            .json(&body)
            .send()
    };
    let first: Value = send(body.clone())
        .await
        .expect("first")
        .json()
        .await
        .expect("json");
    let retry = send(body.clone()).await.expect("retry");
    assert_eq!(retry.status(), 201);
    let retry: Value = retry.json().await.expect("json");
    assert_eq!(retry["id"], first["id"]);
    assert_eq!(
        app.remaining(PHOTO_SERVICE_ID, "2026-03-23", MONDAY_0800)
            .await,
        1
    );
    assert_eq!(
        app.outbox("citizen-1").await.len(),
        1,
        "the retry sends nothing"
    );
    let other = send(json!({ "service_id": PHOTO_SERVICE_ID, "start": MONDAY_0820 }))
        .await
        .expect("other");
    assert_eq!(other.status(), 422);
    let problem: Value = other.json().await.expect("json");
    assert_eq!(
        problem["type"],
        "urn:varoskapu:problem:appointments:idempotency-key-reused"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hundred_concurrent_bookings_of_a_one_seat_slot_have_exactly_one_winner_on_sqlite() {
    let app = spawn_app().await;
    // Lakcímkártya is done at one desk only: one seat per slot.
    assert_eq!(
        app.remaining(ADDRESS_CARD_SERVICE_ID, "2026-03-23", MONDAY_0900)
            .await,
        1
    );
    let attempts = (0..100).map(|i| {
        let app = &app;
        async move {
            app.book(&format!("racer-{i}"), ADDRESS_CARD_SERVICE_ID, MONDAY_0900)
                .await
        }
    });
    let results = join_all(attempts).await;
    let won = results.iter().filter(|(s, _)| *s == 201).count();
    let taken = results
        .iter()
        .filter(|(s, p)| *s == 409 && p["type"] == "urn:varoskapu:problem:appointments:slot-taken")
        .count();
    assert_eq!(
        (won, taken),
        (1, 99),
        "{:?}",
        results.iter().map(|(s, _)| s).collect::<Vec<_>>()
    );
    assert_eq!(
        app.remaining(ADDRESS_CARD_SERVICE_ID, "2026-03-23", MONDAY_0900)
            .await,
        0
    );
}

#[tokio::test]
async fn the_open_booking_limit_per_service_stops_slot_hoarding() {
    let app = spawn_app().await;
    assert_eq!(
        app.book("hoarder", PHOTO_SERVICE_ID, "2026-03-23T07:00:00Z")
            .await
            .0,
        201
    );
    let (_, second) = app
        .book("hoarder", PHOTO_SERVICE_ID, "2026-03-23T07:20:00Z")
        .await;
    let (status, problem) = app
        .book("hoarder", PHOTO_SERVICE_ID, "2026-03-23T07:40:00Z")
        .await;
    assert_eq!(status, 409);
    assert_eq!(
        problem["type"],
        "urn:varoskapu:problem:appointments:too-many-open-bookings"
    );
    assert_eq!(problem["limit"], 2);
    assert_eq!(
        app.remaining(PHOTO_SERVICE_ID, "2026-03-23", "2026-03-23T07:40:00Z")
            .await,
        2,
        "nothing was claimed"
    );
    // Another service has its own limit; a cancellation frees one.
    assert_eq!(
        app.book("hoarder", ADDRESS_CARD_SERVICE_ID, MONDAY_0900)
            .await
            .0,
        201
    );
    let cancel = format!(
        "/appointments/bookings/{}/cancel",
        second["id"].as_str().unwrap_or_default()
    );
    assert_eq!(
        app.post(&cancel, Some(&app.citizen("hoarder")), &json!({}))
            .await
            .0,
        200
    );
    assert_eq!(
        app.book("hoarder", PHOTO_SERVICE_ID, "2026-03-23T07:40:00Z")
            .await
            .0,
        201
    );
}

#[tokio::test]
async fn rescheduling_keeps_exactly_one_seat() {
    let app = spawn_app().await;
    let token = app.citizen("mover");
    let (_, booking) = app
        .book("mover", ADDRESS_CARD_SERVICE_ID, MONDAY_0900)
        .await;
    let id = booking["id"].as_str().unwrap_or_default().to_owned();
    let new_start = "2026-03-23T08:15:00Z";
    let (status, moved) = app
        .post(
            &format!("/appointments/bookings/{id}/reschedule"),
            Some(&token),
            &json!({ "start": new_start }),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(
        (moved["status"].clone(), moved["sequence"].clone()),
        (json!("rescheduled"), json!(1))
    );
    assert_eq!(moved["id"], booking["id"]);
    assert_eq!(
        app.remaining(ADDRESS_CARD_SERVICE_ID, "2026-03-23", MONDAY_0900)
            .await,
        1,
        "old seat released"
    );
    assert_eq!(
        app.remaining(ADDRESS_CARD_SERVICE_ID, "2026-03-23", new_start)
            .await,
        0,
        "new seat held"
    );

    // Someone takes the old time; moving back onto it now fails and changes nothing.
    assert_eq!(
        app.book("other", ADDRESS_CARD_SERVICE_ID, MONDAY_0900)
            .await
            .0,
        201
    );
    let (status, problem) = app
        .post(
            &format!("/appointments/bookings/{id}/reschedule"),
            Some(&token),
            &json!({ "start": MONDAY_0900 }),
        )
        .await;
    assert_eq!(
        (status, problem["type"].clone()),
        (409, json!("urn:varoskapu:problem:appointments:slot-taken"))
    );
    let (_, still) = app
        .get(&format!("/appointments/bookings/{id}"), Some(&token))
        .await;
    assert_eq!(still["start"], new_start);
    assert_eq!(
        app.remaining(ADDRESS_CARD_SERVICE_ID, "2026-03-23", new_start)
            .await,
        0
    );

    let ics = app
        .http
        .get(app.url(&format!("/appointments/bookings/{id}/calendar.ics")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("ics");
    assert!(
        ics.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/calendar")
    );
    let parsed = ParsedCalendar::parse(&ics.text().await.expect("text"));
    assert_eq!(parsed.event_prop("SEQUENCE"), Some("1"));
    assert_eq!(parsed.event_prop("DTSTART"), Some("20260323T091500"));
}

#[tokio::test]
async fn citizens_cannot_change_a_booking_after_the_cut_off() {
    let app = spawn_app().await;
    let (_, booking) = app.book("late", PHOTO_SERVICE_ID, MONDAY_0800).await;
    // The cut-off is two hours: 06:00 local on Monday.
    app.clock
        .set("2026-03-23T05:30:00Z".parse().expect("instant"));
    let id = booking["id"].as_str().unwrap_or_default();
    let (status, problem) = app
        .post(
            &format!("/appointments/bookings/{id}/cancel"),
            Some(&app.citizen("late")),
            &json!({}),
        )
        .await;
    assert_eq!(status, 409);
    assert_eq!(
        problem["type"],
        "urn:varoskapu:problem:appointments:past-cut-off"
    );
    let (_, still) = app
        .get(
            &format!("/appointments/bookings/{id}"),
            Some(&app.citizen("late")),
        )
        .await;
    assert_eq!(still["status"], "booked");
}

#[tokio::test]
async fn office_cancellation_notifies_the_citizen_with_the_reason_and_a_cancelling_calendar_entry()
{
    let app = spawn_app().await;
    let (_, booking) = app.book("citizen-7", PHOTO_SERVICE_ID, MONDAY_0800).await;
    let id = booking["id"].as_str().unwrap_or_default();
    let (status, cancelled) = app
        .post(
            &format!("/backoffice/appointments/bookings/{id}/cancel"),
            Some(&app.clerk()),
            &json!({ "reason": "Az ügyintéző megbetegedett; kérjük, foglaljon új időpontot." }),
        )
        .await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(
        app.remaining(PHOTO_SERVICE_ID, "2026-03-23", MONDAY_0800)
            .await,
        2
    );

    let messages = app.outbox("citizen-7").await;
    let notice = messages
        .iter()
        .find(|m| m.kind == "appointment_cancelled")
        .expect("cancellation notice");
    assert!(notice.body.contains("megbetegedett"));
    let parsed = ParsedCalendar::parse(&notice.attachments[0].content);
    assert_eq!(parsed.calendar_prop("METHOD"), Some("CANCEL"));
    assert_eq!(parsed.event_prop("STATUS"), Some("CANCELLED"));
    assert_eq!(parsed.event_prop("SEQUENCE"), Some("1"));
    let uid = parsed.event_prop("UID").unwrap_or_default().to_owned();
    let first = ParsedCalendar::parse(&messages[0].attachments[0].content);
    assert_eq!(
        first.event_prop("UID"),
        Some(uid.as_str()),
        "the same entry is cancelled"
    );
}

#[tokio::test]
async fn office_move_notifies_the_citizen_and_keeps_one_seat() {
    let app = spawn_app().await;
    let (_, booking) = app.book("citizen-8", PHOTO_SERVICE_ID, MONDAY_0800).await;
    let id = booking["id"].as_str().unwrap_or_default();
    let (status, moved) = app
        .post(
            &format!("/backoffice/appointments/bookings/{id}/move"),
            Some(&app.clerk()),
            &json!({ "start": "2026-03-24T09:00:00Z", "reason": "Rendszerkarbantartás" }),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["local_start"], "2026-03-24T10:00:00+01:00");
    assert_eq!(moved["citizen_id"], common::account_id("citizen-8"));
    assert_eq!(
        app.remaining(PHOTO_SERVICE_ID, "2026-03-23", MONDAY_0800)
            .await,
        2
    );
    let notice = app
        .outbox("citizen-8")
        .await
        .into_iter()
        .find(|m| m.kind == "appointment_moved")
        .expect("notice");
    assert!(notice.body.contains("Rendszerkarbantartás"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reminder_is_sent_once_when_the_job_runs_twice() {
    let app = spawn_app().await;
    let (_, booking) = app.book("forgetful", PHOTO_SERVICE_ID, MONDAY_0800).await;
    assert_eq!(booking["status"], "booked");
    // Sunday morning: the appointment is within the 24-hour lead.
    app.clock
        .set("2026-03-22T09:00:00Z".parse().expect("instant"));
    let lead = varoskapu_book_appointment::config::DEFAULT_REMINDER_LEAD;
    let (a, b) = tokio::join!(
        varoskapu_book_appointment::reminders::run_once(&app.state, lead),
        varoskapu_book_appointment::reminders::run_once(&app.state, lead),
    );
    let (a, b) = (a.expect("run a"), b.expect("run b"));
    assert_eq!(a.sent + b.sent, 1);
    let again = varoskapu_book_appointment::reminders::run_once(&app.state, lead)
        .await
        .expect("run c");
    assert_eq!(again.sent, 0);
    let reminders: Vec<_> = app
        .outbox("forgetful")
        .await
        .into_iter()
        .filter(|m| m.kind == "appointment_reminder")
        .collect();
    assert_eq!(reminders.len(), 1);
    assert!(reminders[0].body.contains("2026.03.23. 08:00"));
}

#[tokio::test]
async fn the_desk_checks_citizens_in_and_marks_no_shows_after_the_start() {
    let app = spawn_app().await;
    let (_, arrives) = app.book("arrives", PHOTO_SERVICE_ID, MONDAY_0800).await;
    let (_, stays_home) = app.book("stays-home", PHOTO_SERVICE_ID, MONDAY_0820).await;
    let clerk = app.clerk();
    let (status, day) = app
        .get(
            &format!("/backoffice/appointments/offices/{OFFICE_ID}/day?date=2026-03-23"),
            Some(&clerk),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(day["bookings"].as_array().map(Vec::len), Some(2));
    let code = arrives["code"].as_str().unwrap_or_default().to_lowercase();
    let (status, found) = app
        .get(
            &format!("/backoffice/appointments/bookings/by-code/{code}"),
            Some(&clerk),
        )
        .await;
    assert_eq!((status, found["id"].clone()), (200, arrives["id"].clone()));

    app.clock
        .set("2026-03-23T06:55:00Z".parse().expect("instant"));
    let clerk = app.clerk();
    let id = arrives["id"].as_str().unwrap_or_default();
    let (status, checked) = app
        .post(
            &format!("/backoffice/appointments/bookings/{id}/check-in"),
            Some(&clerk),
            &json!({}),
        )
        .await;
    assert_eq!(
        (status, checked["status"].clone()),
        (200, json!("checked_in"))
    );
    let (status, _) = app
        .post(
            &format!("/backoffice/appointments/bookings/{id}/check-in"),
            Some(&clerk),
            &json!({}),
        )
        .await;
    assert_eq!(status, 409, "checked in once");

    let other = stays_home["id"].as_str().unwrap_or_default();
    let (status, _) = app
        .post(
            &format!("/backoffice/appointments/bookings/{other}/no-show"),
            Some(&clerk),
            &json!({}),
        )
        .await;
    assert_eq!(status, 422, "not before the start");
    app.clock
        .set("2026-03-23T07:45:00Z".parse().expect("instant"));
    let clerk = app.clerk();
    let (status, marked) = app
        .post(
            &format!("/backoffice/appointments/bookings/{other}/no-show"),
            Some(&clerk),
            &json!({}),
        )
        .await;
    assert_eq!((status, marked["status"].clone()), (200, json!("no_show")));
}

#[tokio::test]
async fn blocked_time_is_not_offered_and_a_block_over_a_booking_is_refused() {
    let app = spawn_app().await;
    let admin = app.token("manager", &["admin"]);
    let block = |start: &str, end: &str| json!({ "start": start, "end": end, "reason": "Csoportmegbeszélés" });
    let path = format!("/backoffice/appointments/clerks/{}/blocks", CLERK_IDS[2]);
    let (status, created) = app
        .post(
            &path,
            Some(&admin),
            &block("2026-03-23T08:00:00Z", "2026-03-23T09:00:00Z"),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        app.remaining(ADDRESS_CARD_SERVICE_ID, "2026-03-23", MONDAY_0900)
            .await,
        0
    );
    let (status, problem) = app
        .book("blocked", ADDRESS_CARD_SERVICE_ID, MONDAY_0900)
        .await;
    assert_eq!(
        (status, problem["type"].clone()),
        (409, json!("urn:varoskapu:problem:appointments:slot-taken"))
    );

    assert_eq!(
        app.book("early", ADDRESS_CARD_SERVICE_ID, "2026-03-23T09:00:00Z")
            .await
            .0,
        201
    );
    let (status, problem) = app
        .post(
            &path,
            Some(&admin),
            &block("2026-03-23T09:00:00Z", "2026-03-23T10:00:00Z"),
        )
        .await;
    assert_eq!(
        (status, problem["type"].clone()),
        (409, json!("urn:varoskapu:problem:appointments:time-taken"))
    );
    assert_eq!(
        app.remaining(
            ADDRESS_CARD_SERVICE_ID,
            "2026-03-23",
            "2026-03-23T09:30:00Z"
        )
        .await,
        1,
        "nothing stays blocked"
    );

    // A plain clerk may not block another clerk's calendar.
    let (status, _) = app
        .post(
            &path,
            Some(&app.clerk()),
            &block("2026-03-24T08:00:00Z", "2026-03-24T09:00:00Z"),
        )
        .await;
    assert_eq!(status, 403);
    // ...but blocks their own desk.
    let own = format!("/backoffice/appointments/clerks/{}/blocks", CLERK_IDS[0]);
    let (status, _) = app
        .post(
            &own,
            Some(&app.clerk()),
            &block("2026-03-24T08:00:00Z", "2026-03-24T09:00:00Z"),
        )
        .await;
    assert_eq!(status, 201);
    let id = created["id"].as_str().unwrap_or_default();
    let removed = app
        .http
        .delete(app.url(&format!("{path}/{id}")))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("delete");
    assert_eq!(removed.status(), 204);
    assert_eq!(
        app.remaining(ADDRESS_CARD_SERVICE_ID, "2026-03-23", MONDAY_0900)
            .await,
        1
    );
}

#[tokio::test]
async fn bad_requests_get_problem_json_and_change_nothing() {
    let app = spawn_app().await;
    let citizen = app.citizen("careful");
    let check = |status: u16, problem: &Value, expected: u16| {
        assert_eq!(status, expected, "{problem}");
        assert!(
            problem["type"]
                .as_str()
                .is_some_and(|t| t.starts_with("urn:varoskapu:problem:")),
            "{problem}"
        );
    };
    let body = json!({ "service_id": PHOTO_SERVICE_ID, "start": MONDAY_0800 });
    let (s, p) = app.post("/appointments/bookings", None, &body).await;
    check(s, &p, 401);
    let (s, p) = app
        .post("/appointments/bookings", Some(&app.clerk()), &body)
        .await;
    check(s, &p, 403);
    let (s, p) = app
        .post("/appointments/bookings", Some("not-a-token"), &body)
        .await;
    check(s, &p, 401);
    let (s, p) = app
        .post(
            "/appointments/bookings",
            Some(&citizen),
            &json!({ "service_id": PHOTO_SERVICE_ID, "start": "tomorrow" }),
        )
        .await;
    check(s, &p, 422);
    let (s, p) = app
        .post(
            "/appointments/bookings",
            Some(&citizen),
            &json!({ "service_id": PHOTO_SERVICE_ID, "start": MONDAY_0800, "seats": 5 }),
        )
        .await;
    check(s, &p, 422);
    let (s, p) = app
        .post(
            "/appointments/bookings",
            Some(&citizen),
            &json!({ "service_id": PHOTO_SERVICE_ID, "start": "2026-03-23T07:05:00Z" }),
        )
        .await;
    check(s, &p, 422);
    assert_eq!(p["type"], "urn:varoskapu:problem:appointments:not-a-slot");
    let (s, p) = app
        .post(
            "/appointments/bookings",
            Some(&citizen),
            &json!({ "service_id": PHOTO_SERVICE_ID, "start": "2026-03-19T07:00:00Z" }),
        )
        .await;
    check(s, &p, 422);
    let (s, p) = app
        .post(
            "/appointments/bookings",
            Some(&citizen),
            &json!({ "service_id": "no-such", "start": MONDAY_0800 }),
        )
        .await;
    check(s, &p, 404);
    let raw = app
        .http
        .post(app.url("/appointments/bookings"))
        .bearer_auth(&citizen)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .expect("raw");
    assert_eq!(raw.status(), 400);
    let (s, p) = app
        .get(
            &format!(
                "/appointments/services/{PHOTO_SERVICE_ID}/slots?from=2026-13-01&to=2026-03-30"
            ),
            None,
        )
        .await;
    check(s, &p, 400);
    let (s, p) = app
        .get(
            &format!(
                "/appointments/services/{PHOTO_SERVICE_ID}/slots?from=2026-03-30&to=2026-03-20"
            ),
            None,
        )
        .await;
    check(s, &p, 422);
    let (s, p) = app.get(&format!("/appointments/services/{PHOTO_SERVICE_ID}/slots?from=2026-03-20&to=2026-03-30&cursor=xyz"), None).await;
    check(s, &p, 400);
    let (s, p) = app.get(&format!("/appointments/services/{PHOTO_SERVICE_ID}/slots?from=2026-03-20&to=2026-03-30&limit=0"), None).await;
    check(s, &p, 400);

    // Someone else's booking does not exist for this citizen.
    let (_, theirs) = app.book("owner", PHOTO_SERVICE_ID, MONDAY_0800).await;
    let id = theirs["id"].as_str().unwrap_or_default();
    let (s, p) = app
        .post(
            &format!("/appointments/bookings/{id}/cancel"),
            Some(&citizen),
            &json!({}),
        )
        .await;
    check(s, &p, 404);
    let (s, p) = app
        .get("/appointments/bookings/not-a-uuid", Some(&citizen))
        .await;
    check(s, &p, 404);
    let (s, p) = app
        .post(
            &format!("/backoffice/appointments/bookings/{id}/cancel"),
            Some(&app.clerk()),
            &json!({ "reason": "  " }),
        )
        .await;
    check(s, &p, 422);
    let (s, p) = app
        .post(
            &format!("/backoffice/appointments/bookings/{id}/cancel"),
            Some(&citizen),
            &json!({ "reason": "mert" }),
        )
        .await;
    check(s, &p, 403);

    let (_, mine) = app.get("/appointments/bookings", Some(&citizen)).await;
    assert_eq!(mine, json!([]), "nothing was booked");
    let (_, still) = app
        .get(
            &format!("/appointments/bookings/{id}"),
            Some(&app.citizen("owner")),
        )
        .await;
    assert_eq!(still["status"], "booked");
    assert_eq!(
        app.remaining(PHOTO_SERVICE_ID, "2026-03-23", MONDAY_0800)
            .await,
        1
    );
}

#[tokio::test]
async fn offices_services_and_the_api_description_are_public() {
    let app = spawn_app().await;
    let (status, offices) = app.get("/appointments/offices", None).await;
    assert_eq!(status, 200);
    assert_eq!(offices[0]["name"], "Okmányiroda – V. kerület");
    assert_eq!(offices[0]["time_zone"], "Europe/Budapest");
    let (_, services) = app
        .get(&format!("/appointments/services?office={OFFICE_ID}"), None)
        .await;
    let names: Vec<&str> = services
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert!(names.contains(&"Személyi igazolvány fényképezés") && names.contains(&"Lakcímkártya"));
    let doc = serde_json::to_value(varoskapu_book_appointment::openapi()).expect("json");
    for path in [
        "/appointments/services/{service_id}/slots",
        "/appointments/bookings",
        "/backoffice/appointments/bookings/{booking_id}/move",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is described");
    }
}

#[tokio::test]
async fn a_booking_can_be_linked_only_to_the_citizens_own_case() {
    use varoskapu_core::Clock;
    use varoskapu_core::cases::{Case, CaseStore};
    let app = spawn_app().await;
    let case_id = uuid::Uuid::now_v7();
    let case = Case::draft(
        case_id,
        "lakcimbejelentes",
        &common::account_id("with-case"),
        json!({}),
        app.clock.now(),
    );
    CaseStore::new(app.table.clone())
        .save(&case, None)
        .await
        .expect("case");
    let body = json!({ "service_id": PHOTO_SERVICE_ID, "start": MONDAY_0800, "case_id": case_id.to_string() });
    let (status, problem) = app
        .post(
            "/appointments/bookings",
            Some(&app.citizen("someone-else")),
            &body,
        )
        .await;
    assert_eq!(
        (status, problem["type"].clone()),
        (
            422,
            json!("urn:varoskapu:problem:appointments:unknown-case")
        )
    );
    let (status, booking) = app
        .post(
            "/appointments/bookings",
            Some(&app.citizen("with-case")),
            &body,
        )
        .await;
    assert_eq!(status, 201, "{booking}");
    assert_eq!(booking["case_id"], case_id.to_string());
}
