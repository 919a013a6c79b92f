//! Local wall-clock ranges and weekly opening/working hours, the raw material of slots.

use jiff::civil::{Date, Time, Weekday};
use serde::{Deserialize, Serialize};

/// Bookings and blocks are made of units of this many minutes, so overlapping claims of a
/// clerk's time collide on the same stored unit whatever the services' durations.
pub const UNIT_MINUTES: i64 = 5;

/// A half-open range `[start, end)` of local wall-clock time within one day, both ends on
/// the five-minute grid (`08:00`, `12:35`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(deny_unknown_fields)]
pub struct TimeRange {
    #[schema(value_type = String, pattern = "^([01][0-9]|2[0-3]):[0-5][05](:00)?$", example = "08:00")]
    pub start: Time,
    #[schema(value_type = String, pattern = "^([01][0-9]|2[0-3]):[0-5][05](:00)?$", example = "12:00")]
    pub end: Time,
}

impl TimeRange {
    /// A range from `h1:m1` to `h2:m2`; panics only on literal out-of-range input in code.
    pub fn hm(h1: i8, m1: i8, h2: i8, m2: i8) -> Self {
        Self {
            start: jiff::civil::time(h1, m1, 0, 0),
            end: jiff::civil::time(h2, m2, 0, 0),
        }
    }

    /// Non-empty, and both ends on the unit grid (so slots align with stored units).
    pub fn is_valid(&self) -> bool {
        let on_grid = |t: Time| {
            t.second() == 0
                && t.subsec_nanosecond() == 0
                && i64::from(t.minute()) % UNIT_MINUTES == 0
        };
        self.start < self.end && on_grid(self.start) && on_grid(self.end)
    }
}

/// Ranges per weekday (Monday first); a day without ranges is closed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WeeklyHours {
    #[serde(default)]
    pub monday: Vec<TimeRange>,
    #[serde(default)]
    pub tuesday: Vec<TimeRange>,
    #[serde(default)]
    pub wednesday: Vec<TimeRange>,
    #[serde(default)]
    pub thursday: Vec<TimeRange>,
    #[serde(default)]
    pub friday: Vec<TimeRange>,
    #[serde(default)]
    pub saturday: Vec<TimeRange>,
    #[serde(default)]
    pub sunday: Vec<TimeRange>,
}

impl WeeklyHours {
    /// The same ranges Monday to Friday, closed at the weekend.
    pub fn weekdays(ranges: &[TimeRange]) -> Self {
        Self {
            monday: ranges.to_vec(),
            tuesday: ranges.to_vec(),
            wednesday: ranges.to_vec(),
            thursday: ranges.to_vec(),
            friday: ranges.to_vec(),
            ..Self::default()
        }
    }

    pub fn on(&self, weekday: Weekday) -> &[TimeRange] {
        match weekday {
            Weekday::Monday => &self.monday,
            Weekday::Tuesday => &self.tuesday,
            Weekday::Wednesday => &self.wednesday,
            Weekday::Thursday => &self.thursday,
            Weekday::Friday => &self.friday,
            Weekday::Saturday => &self.saturday,
            Weekday::Sunday => &self.sunday,
        }
    }

    pub fn on_mut(&mut self, weekday: Weekday) -> &mut Vec<TimeRange> {
        match weekday {
            Weekday::Monday => &mut self.monday,
            Weekday::Tuesday => &mut self.tuesday,
            Weekday::Wednesday => &mut self.wednesday,
            Weekday::Thursday => &mut self.thursday,
            Weekday::Friday => &mut self.friday,
            Weekday::Saturday => &mut self.saturday,
            Weekday::Sunday => &mut self.sunday,
        }
    }

    /// The ranges of a date's weekday.
    pub fn on_date(&self, day: Date) -> &[TimeRange] {
        self.on(day.weekday())
    }

    pub fn is_valid(&self) -> bool {
        WEEK.iter()
            .all(|d| self.on(*d).iter().all(TimeRange::is_valid))
    }
}

/// The days of a week, Monday first.
pub const WEEK: [Weekday; 7] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
    Weekday::Saturday,
    Weekday::Sunday,
];

/// Sorted, merged union of ranges.
pub fn normalize(mut ranges: Vec<TimeRange>) -> Vec<TimeRange> {
    ranges.retain(|r| r.start < r.end);
    ranges.sort();
    let mut out: Vec<TimeRange> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

/// `a ∩ b` of two range sets.
pub fn intersect(a: &[TimeRange], b: &[TimeRange]) -> Vec<TimeRange> {
    let mut out = Vec::new();
    for x in a {
        for y in b {
            let start = x.start.max(y.start);
            let end = x.end.min(y.end);
            if start < end {
                out.push(TimeRange { start, end });
            }
        }
    }
    normalize(out)
}

/// `a \ b` of two range sets.
pub fn subtract(a: &[TimeRange], b: &[TimeRange]) -> Vec<TimeRange> {
    let mut current = normalize(a.to_vec());
    for cut in b {
        let mut next = Vec::with_capacity(current.len() + 1);
        for r in current {
            if cut.end <= r.start || cut.start >= r.end {
                next.push(r);
                continue;
            }
            if r.start < cut.start {
                next.push(TimeRange {
                    start: r.start,
                    end: cut.start,
                });
            }
            if cut.end < r.end {
                next.push(TimeRange {
                    start: cut.end,
                    end: r.end,
                });
            }
        }
        current = next;
    }
    current
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_algebra() {
        let day = [TimeRange::hm(8, 0, 16, 0)];
        let lunch = [TimeRange::hm(12, 0, 12, 30)];
        assert_eq!(
            subtract(&day, &lunch),
            vec![TimeRange::hm(8, 0, 12, 0), TimeRange::hm(12, 30, 16, 0)]
        );
        assert_eq!(
            intersect(
                &day,
                &[TimeRange::hm(7, 0, 9, 0), TimeRange::hm(15, 0, 18, 0)]
            ),
            vec![TimeRange::hm(8, 0, 9, 0), TimeRange::hm(15, 0, 16, 0)]
        );
        assert_eq!(
            normalize(vec![TimeRange::hm(9, 0, 10, 0), TimeRange::hm(8, 0, 9, 30)]),
            vec![TimeRange::hm(8, 0, 10, 0)]
        );
    }

    #[test]
    fn ranges_off_the_unit_grid_are_invalid() {
        assert!(TimeRange::hm(8, 0, 8, 5).is_valid());
        assert!(!TimeRange::hm(8, 0, 8, 7).is_valid());
        assert!(!TimeRange::hm(9, 0, 8, 0).is_valid());
    }
}
