//! Deriving bookable slots from offices' and clerks' hours, in Europe/Budapest.
//!
//! Slots are never stored for the future: they are computed from the hours for the days
//! asked, and a slot is free for a clerk when none of its time units is claimed. Local
//! hours are turned into instants per day, then slots step in absolute time, so a day
//! when clocks change has one hour less or more of slots, never a wrong one.

use super::hours::UNIT_MINUTES;
use super::office::{Clerk, Office, Service};
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::LazyLock;

/// The zone of every office, calendar and document.
pub const ZONE: &str = "Europe/Budapest";

// The bundled database, not the system's: the same rules on every host, and no walk of
// /usr/share/zoneinfo (a large part of a Lambda function's cold start).
static BUDAPEST: LazyLock<Option<TimeZone>> =
    LazyLock::new(|| jiff::tz::TimeZoneDatabase::bundled().get(ZONE).ok());

/// Europe/Budapest from the bundled time zone database (`None` only if it is missing).
pub fn budapest() -> Option<TimeZone> {
    BUDAPEST.clone()
}

/// The instant a local wall-clock time of `day` denotes; in a spring-forward gap the later
/// reading is taken, and in the autumn overlap the earlier (RFC 5545's rule too).
pub fn local_instant(tz: &TimeZone, day: Date, time: Time) -> Option<Timestamp> {
    tz.to_ambiguous_zoned(day.to_datetime(time))
        .compatible()
        .ok()
        .map(|z| z.timestamp())
}

/// The local date of an instant.
pub fn local_date(tz: &TimeZone, at: Timestamp) -> Date {
    at.to_zoned(tz.clone()).date()
}

/// The time units `[start, end)` covers.
pub fn units(start: Timestamp, end: Timestamp) -> Vec<Timestamp> {
    let step = SignedDuration::from_mins(UNIT_MINUTES);
    let mut out = Vec::new();
    let mut t = start;
    while t < end {
        out.push(t);
        match t.checked_add(step) {
            Ok(next) => t = next,
            Err(_) => break,
        }
    }
    out
}

/// One candidate time of a clerk: `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Interval {
    pub start: Timestamp,
    pub end: Timestamp,
}

/// The slots of `service` a clerk's hours allow on `day`, before blocks and bookings.
pub fn clerk_slots(
    tz: &TimeZone,
    office: &Office,
    service: &Service,
    clerk: &Clerk,
    day: Date,
) -> Vec<Interval> {
    let duration = SignedDuration::from_mins(service.duration_minutes);
    let mut out = Vec::new();
    for range in clerk.hours_on(office, day) {
        let (Some(start), Some(end)) = (
            local_instant(tz, day, range.start),
            local_instant(tz, day, range.end),
        ) else {
            continue;
        };
        let mut t = start;
        while let Ok(slot_end) = t.checked_add(duration) {
            if slot_end > end {
                break;
            }
            out.push(Interval {
                start: t,
                end: slot_end,
            });
            t = slot_end;
        }
    }
    out
}

/// A free slot and the clerks who could still take it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub start: Timestamp,
    pub end: Timestamp,
    /// Clerks free for the whole slot; its length is the remaining capacity.
    pub clerk_ids: Vec<String>,
}

/// Claimed units per clerk id, as read from storage.
pub type BusyUnits = HashMap<String, BTreeSet<Timestamp>>;

/// Free slots of `service` on `days`, starting no earlier than `not_before`, ordered by start.
pub fn free_slots(
    tz: &TimeZone,
    office: &Office,
    service: &Service,
    clerks: &[Clerk],
    busy: &BusyUnits,
    days: &[Date],
    not_before: Timestamp,
) -> Vec<Slot> {
    let mut by_start: BTreeMap<Timestamp, Slot> = BTreeMap::new();
    let empty = BTreeSet::new();
    for clerk in clerks.iter().filter(|c| service.clerk_ids.contains(&c.id)) {
        let taken = busy.get(&clerk.id).unwrap_or(&empty);
        for day in days {
            for slot in clerk_slots(tz, office, service, clerk, *day) {
                if slot.start < not_before
                    || units(slot.start, slot.end)
                        .iter()
                        .any(|u| taken.contains(u))
                {
                    continue;
                }
                by_start
                    .entry(slot.start)
                    .or_insert_with(|| Slot {
                        start: slot.start,
                        end: slot.end,
                        clerk_ids: Vec::new(),
                    })
                    .clerk_ids
                    .push(clerk.id.clone());
            }
        }
    }
    by_start.into_values().collect()
}

/// Whether `start` is a slot of `service` at `clerk`'s desk (ignoring bookings): a booking
/// may only claim a time the calendars offer.
pub fn is_clerk_slot(
    tz: &TimeZone,
    office: &Office,
    service: &Service,
    clerk: &Clerk,
    start: Timestamp,
) -> bool {
    service.clerk_ids.contains(&clerk.id)
        && clerk_slots(tz, office, service, clerk, local_date(tz, start))
            .iter()
            .any(|s| s.start == start)
}

/// The dates from `from` to `to` inclusive.
pub fn dates(from: Date, to: Date) -> Vec<Date> {
    let mut out = Vec::new();
    let mut day = from;
    while day <= to {
        out.push(day);
        match day.tomorrow() {
            Ok(next) => day = next,
            Err(_) => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::appointments::hours::{TimeRange, WeeklyHours};
    use crate::appointments::office::{Address, Clerk, Office, Service};
    use jiff::civil::date;

    fn office(hours: WeeklyHours) -> Office {
        Office {
            id: "o".into(),
            name: "Okmányiroda".into(),
            address: Address {
                postal_code: "6720".into(),
                city: "Szeged".into(),
                street: "Széchenyi tér 10.".into(),
            },
            opening_hours: hours,
            closed_days: vec![],
        }
    }

    fn clerk(id: &str, hours: WeeklyHours) -> Clerk {
        Clerk {
            id: id.into(),
            office_id: "o".into(),
            desk: id.into(),
            name: id.into(),
            account_id: None,
            working_hours: hours,
            breaks: WeeklyHours::default(),
            absences: vec![],
        }
    }

    fn service(minutes: i64, clerks: &[&str]) -> Service {
        Service {
            id: "s".into(),
            office_id: "o".into(),
            name: "Lakcímkártya".into(),
            duration_minutes: minutes,
            clerk_ids: clerks.iter().map(|c| (*c).to_owned()).collect(),
            max_open_bookings: 2,
            cut_off_minutes: 60,
        }
    }

    fn all_week(range: TimeRange) -> WeeklyHours {
        let mut h = WeeklyHours::weekdays(&[range]);
        h.saturday = vec![range];
        h.sunday = vec![range];
        h
    }

    fn tz() -> TimeZone {
        budapest().expect("bundled tzdb")
    }

    #[test]
    fn local_times_map_to_the_right_offset_either_side_of_the_change() {
        let tz = tz();
        // Friday before the spring change: CET (+01:00); Monday after: CEST (+02:00).
        let fri = local_instant(&tz, date(2026, 3, 27), jiff::civil::time(9, 0, 0, 0)).unwrap();
        let mon = local_instant(&tz, date(2026, 3, 30), jiff::civil::time(9, 0, 0, 0)).unwrap();
        assert_eq!(fri.to_string(), "2026-03-27T08:00:00Z");
        assert_eq!(mon.to_string(), "2026-03-30T07:00:00Z");
    }

    #[test]
    fn spring_forward_day_has_one_hour_of_slots_less() {
        let tz = tz();
        let hours = all_week(TimeRange::hm(0, 0, 6, 0));
        let (o, c, s) = (
            office(hours.clone()),
            clerk("c", hours),
            service(60, &["c"]),
        );
        // 29 March 2026 is a Sunday but not a public holiday; 02:00-03:00 does not exist.
        let spring = clerk_slots(&tz, &o, &s, &c, date(2026, 3, 29));
        let normal = clerk_slots(&tz, &o, &s, &c, date(2026, 3, 22));
        assert_eq!(normal.len(), 6);
        assert_eq!(spring.len(), 5);
        assert_eq!(spring[0].start.to_string(), "2026-03-28T23:00:00Z");
        assert_eq!(spring[4].end.to_string(), "2026-03-29T04:00:00Z");
    }

    #[test]
    fn fall_back_day_has_one_hour_of_slots_more() {
        let tz = tz();
        let hours = all_week(TimeRange::hm(0, 0, 6, 0));
        let (o, c, s) = (
            office(hours.clone()),
            clerk("c", hours),
            service(60, &["c"]),
        );
        let autumn = clerk_slots(&tz, &o, &s, &c, date(2026, 10, 25));
        assert_eq!(autumn.len(), 7);
        // Consecutive, gap-free, in absolute time.
        assert!(autumn.windows(2).all(|w| w[0].end == w[1].start));
        assert_eq!(autumn[0].start.to_string(), "2026-10-24T22:00:00Z");
        assert_eq!(autumn[6].end.to_string(), "2026-10-25T05:00:00Z");
    }

    #[test]
    fn busy_units_remove_overlapping_slots_and_lower_capacity() {
        let tz = tz();
        let hours = WeeklyHours::weekdays(&[TimeRange::hm(8, 0, 9, 0)]);
        let o = office(hours.clone());
        let clerks = vec![clerk("a", hours.clone()), clerk("b", hours)];
        let s = service(20, &["a", "b"]);
        let day = date(2026, 11, 24);
        // "a" has a 15-minute booking at 08:15: its 08:00 and 08:20 slots overlap it.
        let at = |h, m| local_instant(&tz, day, jiff::civil::time(h, m, 0, 0)).unwrap();
        let mut busy = BusyUnits::new();
        busy.insert(
            "a".into(),
            units(at(8, 15), at(8, 30)).into_iter().collect(),
        );
        let slots = free_slots(&tz, &o, &s, &clerks, &busy, &[day], Timestamp::MIN);
        let caps: Vec<(String, usize)> = slots
            .iter()
            .map(|s| {
                (
                    s.start.to_zoned(tz.clone()).strftime("%H:%M").to_string(),
                    s.clerk_ids.len(),
                )
            })
            .collect();
        assert_eq!(
            caps,
            vec![
                ("08:00".into(), 1),
                ("08:20".into(), 1),
                ("08:40".into(), 2)
            ]
        );
        assert!(is_clerk_slot(&tz, &o, &s, &clerks[0], at(8, 40)));
        assert!(!is_clerk_slot(&tz, &o, &s, &clerks[0], at(8, 30)));
    }
}
