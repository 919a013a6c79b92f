//! A realistic office for the local server and the tests: Okmányiroda (documents office)
//! with three desks and the matters people book most.

use varoskapu_core::TableError;
use varoskapu_core::appointments::{
    Address, AppointmentStore, Clerk, Office, Service, TimeRange, WeeklyHours,
};

/// Ids of the demo records, for tests and the README.
pub const OFFICE_ID: &str = "okmanyiroda-v";
pub const PHOTO_SERVICE_ID: &str = "szemelyi-igazolvany-fenykep";
pub const ADDRESS_CARD_SERVICE_ID: &str = "lakcimkartya";
pub const CONTRACT_SERVICE_ID: &str = "szerzodes-alairas";
pub const CLERK_IDS: [&str; 3] = ["ablak-1", "ablak-2", "ablak-3"];

/// The demo office, its desks and services.
pub fn office() -> (Office, Vec<Clerk>, Vec<Service>) {
    let mut opening = WeeklyHours::weekdays(&[TimeRange::hm(8, 0, 16, 0)]);
    // Long Wednesday, short Friday, as Hungarian documents offices keep.
    opening.wednesday = vec![TimeRange::hm(8, 0, 18, 0)];
    opening.friday = vec![TimeRange::hm(8, 0, 13, 0)];
    let office = Office {
        id: OFFICE_ID.into(),
        name: "Okmányiroda – V. kerület".into(),
        address: Address {
            postal_code: "1051".into(),
            city: "Budapest".into(),
            street: "Erzsébet tér 5.".into(),
        },
        opening_hours: opening,
        // Extra rest days of the year (Christmas Eve, New Year's Eve).
        closed_days: vec![
            jiff::civil::date(2026, 12, 24),
            jiff::civil::date(2026, 12, 31),
        ],
    };
    let lunch = WeeklyHours::weekdays(&[TimeRange::hm(12, 0, 12, 30)]);
    let desk = |id: &str, desk: &str, name: &str, hours: &[TimeRange]| Clerk {
        id: id.into(),
        office_id: OFFICE_ID.into(),
        desk: desk.into(),
        name: name.into(),
        account_id: None,
        working_hours: {
            let mut h = WeeklyHours::weekdays(hours);
            h.wednesday = vec![TimeRange::hm(8, 0, 18, 0)];
            h
        },
        breaks: lunch.clone(),
        absences: Vec::new(),
    };
    let clerks = vec![
        desk(
            CLERK_IDS[0],
            "1. ablak",
            "Kiss Anna",
            &[TimeRange::hm(8, 0, 16, 0)],
        ),
        desk(
            CLERK_IDS[1],
            "2. ablak",
            "Szabó Péter",
            &[TimeRange::hm(8, 0, 16, 0)],
        ),
        desk(
            CLERK_IDS[2],
            "3. ablak",
            "Tóth Judit",
            &[TimeRange::hm(9, 0, 15, 0)],
        ),
    ];
    let service = |id: &str, name: &str, minutes: i64, desks: &[&str]| Service {
        id: id.into(),
        office_id: OFFICE_ID.into(),
        name: name.into(),
        duration_minutes: minutes,
        clerk_ids: desks.iter().map(|d| (*d).to_owned()).collect(),
        max_open_bookings: 2,
        cut_off_minutes: 120,
    };
    let services = vec![
        service(
            PHOTO_SERVICE_ID,
            "Személyi igazolvány fényképezés",
            20,
            &CLERK_IDS[..2],
        ),
        service(ADDRESS_CARD_SERVICE_ID, "Lakcímkártya", 15, &CLERK_IDS[2..]),
        service(CONTRACT_SERVICE_ID, "Szerződés aláírása", 30, &CLERK_IDS),
    ];
    (office, clerks, services)
}

/// Writes the demo office unless it is already there (safe on every start); the clerk
/// account given, if any, manages the first desk's calendar.
pub async fn seed(
    store: &AppointmentStore,
    first_desk_account: Option<String>,
) -> Result<(), TableError> {
    let (office, mut clerks, services) = office();
    if let Some(first) = clerks.first_mut() {
        first.account_id = first_desk_account;
    }
    store.put_office(&office, true).await?;
    for clerk in &clerks {
        store.put_clerk(clerk, true).await?;
    }
    for service in &services {
        store.put_service(service, true).await?;
    }
    Ok(())
}
