//! Offices, the services they offer and the clerks (desks) who serve them.

use super::hours::{TimeRange, UNIT_MINUTES, WeeklyHours};
use crate::calendar;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// A postal address in Hungary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub postal_code: String,
    pub city: String,
    pub street: String,
}

impl Address {
    /// One line, as printed in calendars and letters.
    pub fn one_line(&self) -> String {
        format!("{} {}, {}", self.postal_code, self.city, self.street)
    }
}

/// A place where citizens are served in person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Office {
    pub id: String,
    pub name: String,
    pub address: Address,
    pub opening_hours: WeeklyHours,
    /// The office's own closed days beyond the public holidays (swapped days, works).
    #[serde(default)]
    pub closed_days: Vec<Date>,
}

impl Office {
    /// Whether the office receives citizens at all on `day`.
    pub fn is_open_on(&self, day: Date) -> bool {
        !calendar::is_public_holiday(day)
            && !self.closed_days.contains(&day)
            && !self.opening_hours.on_date(day).is_empty()
    }

    /// The opening hours of `day` (empty when closed).
    pub fn hours_on(&self, day: Date) -> &[TimeRange] {
        if self.is_open_on(day) {
            self.opening_hours.on_date(day)
        } else {
            &[]
        }
    }
}

/// Longest bookable service: a reschedule releases and claims every unit of a booking in
/// one transaction, which must stay within the table's 25 operations.
pub const MAX_SERVICE_MINUTES: i64 = 60;

/// A matter citizens book time for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub id: String,
    pub office_id: String,
    pub name: String,
    pub duration_minutes: i64,
    /// The clerks (desks) who can do it.
    pub clerk_ids: Vec<String>,
    /// Open bookings one citizen may hold for this service (stops slot hoarding).
    pub max_open_bookings: u32,
    /// Citizens may cancel or reschedule only until this many minutes before the start.
    pub cut_off_minutes: i64,
}

impl Service {
    pub fn is_valid(&self) -> bool {
        self.duration_minutes > 0
            && self.duration_minutes <= MAX_SERVICE_MINUTES
            && self.duration_minutes % UNIT_MINUTES == 0
            && !self.clerk_ids.is_empty()
            && self.max_open_bookings > 0
            && self.cut_off_minutes >= 0
    }
}

/// Why a clerk is away or works other hours on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Absence {
    /// Away the whole day.
    Leave {
        #[schema(value_type = String, format = Date)]
        date: Date,
    },
    /// Away for part of the day.
    Training {
        #[schema(value_type = String, format = Date)]
        date: Date,
        hours: Vec<TimeRange>,
    },
    /// Works these hours instead of the usual ones.
    OtherHours {
        #[schema(value_type = String, format = Date)]
        date: Date,
        hours: Vec<TimeRange>,
    },
}

impl Absence {
    pub fn date(&self) -> Date {
        match self {
            Absence::Leave { date }
            | Absence::Training { date, .. }
            | Absence::OtherHours { date, .. } => *date,
        }
    }
}

/// A clerk's desk calendar: the hours from which slots are derived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clerk {
    pub id: String,
    pub office_id: String,
    /// Display name shown to citizens (e.g. "2. ablak").
    pub desk: String,
    pub name: String,
    /// The account (token subject) of the clerk, who may manage this calendar.
    #[serde(default)]
    pub account_id: Option<String>,
    pub working_hours: WeeklyHours,
    /// Breaks repeated every week (lunch).
    #[serde(default)]
    pub breaks: WeeklyHours,
    #[serde(default)]
    pub absences: Vec<Absence>,
}

impl Clerk {
    /// The local hours the clerk is at the desk on `day`, before blocks and bookings.
    pub fn hours_on(&self, office: &Office, day: Date) -> Vec<TimeRange> {
        let open = office.hours_on(day);
        if open.is_empty() {
            return Vec::new();
        }
        let mut working = self.working_hours.on_date(day).to_vec();
        let mut away: Vec<TimeRange> = self.breaks.on_date(day).to_vec();
        for absence in self.absences.iter().filter(|a| a.date() == day) {
            match absence {
                Absence::Leave { .. } => return Vec::new(),
                Absence::Training { hours, .. } => away.extend(hours.iter().copied()),
                Absence::OtherHours { hours, .. } => working = hours.clone(),
            }
        }
        super::hours::subtract(&super::hours::intersect(&working, open), &away)
    }

    pub fn is_valid(&self) -> bool {
        let absences_ok = self.absences.iter().all(|a| match a {
            Absence::Leave { .. } => true,
            Absence::Training { hours, .. } | Absence::OtherHours { hours, .. } => {
                hours.iter().all(TimeRange::is_valid)
            }
        });
        self.working_hours.is_valid() && self.breaks.is_valid() && absences_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    pub(crate) fn office() -> Office {
        Office {
            id: "o1".into(),
            name: "Okmányiroda".into(),
            address: Address {
                postal_code: "1052".into(),
                city: "Budapest".into(),
                street: "Városház utca 9-11.".into(),
            },
            opening_hours: WeeklyHours::weekdays(&[TimeRange::hm(8, 0, 16, 0)]),
            closed_days: vec![date(2026, 12, 24)],
        }
    }

    #[test]
    fn offices_close_on_public_holidays_weekends_and_their_own_days() {
        let o = office();
        assert!(o.is_open_on(date(2026, 11, 24)));
        assert!(!o.is_open_on(date(2026, 10, 23)), "national holiday");
        assert!(!o.is_open_on(date(2026, 11, 28)), "Saturday");
        assert!(!o.is_open_on(date(2026, 12, 24)), "own closed day");
    }

    #[test]
    fn clerk_hours_respect_office_hours_breaks_and_absences() {
        let o = office();
        let clerk = Clerk {
            id: "c1".into(),
            office_id: "o1".into(),
            desk: "1. ablak".into(),
            name: "Kiss Anna".into(),
            account_id: None,
            working_hours: WeeklyHours::weekdays(&[TimeRange::hm(7, 0, 15, 0)]),
            breaks: WeeklyHours::weekdays(&[TimeRange::hm(12, 0, 12, 30)]),
            absences: vec![
                Absence::Leave {
                    date: date(2026, 11, 25),
                },
                Absence::Training {
                    date: date(2026, 11, 26),
                    hours: vec![TimeRange::hm(8, 0, 10, 0)],
                },
            ],
        };
        assert_eq!(
            clerk.hours_on(&o, date(2026, 11, 24)),
            vec![TimeRange::hm(8, 0, 12, 0), TimeRange::hm(12, 30, 15, 0)]
        );
        assert!(clerk.hours_on(&o, date(2026, 11, 25)).is_empty());
        assert_eq!(
            clerk.hours_on(&o, date(2026, 11, 26))[0],
            TimeRange::hm(10, 0, 12, 0)
        );
        assert!(clerk.hours_on(&o, date(2026, 10, 23)).is_empty());
    }
}
