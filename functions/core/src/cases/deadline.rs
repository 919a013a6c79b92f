//! The statutory deadline of a case: working days from the day after arrival, with the time
//! spent waiting for the citizen's missing information (hiánypótlás) not counted.

use crate::calendar::{add_working_days, working_days_between};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// A case's running deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Deadline {
    /// The day the case arrived (Europe/Budapest); counting starts the next working day.
    #[schema(value_type = String, format = Date)]
    pub arrived_on: Date,
    pub working_days: u32,
    /// Working days spent waiting for the citizen, added to the deadline.
    pub paused_working_days: u32,
    /// Set while the office waits for the citizen.
    #[schema(value_type = Option<String>, format = Date)]
    pub paused_since: Option<Date>,
}

impl Deadline {
    /// A deadline of `working_days` for a case that arrived on `arrived_on`.
    pub fn start(arrived_on: Date, working_days: u32) -> Self {
        Self {
            arrived_on,
            working_days,
            paused_working_days: 0,
            paused_since: None,
        }
    }

    /// The last day for the decision as things stand; a pause extends it when it ends.
    pub fn due(&self) -> Date {
        // The day of arrival is never counted (the "day after arrival" rule), so an
        // application that arrives on a Saturday is due when one of the Friday before is.
        add_working_days(
            self.arrived_on,
            self.working_days + self.paused_working_days,
        )
    }

    /// Stops the clock on `today` (a request for missing information was sent).
    pub fn pause(&mut self, today: Date) {
        if self.paused_since.is_none() {
            self.paused_since = Some(today);
        }
    }

    /// Restarts the clock on `today`; the working days of the pause extend the deadline.
    pub fn resume(&mut self, today: Date) {
        if let Some(since) = self.paused_since.take() {
            let days = working_days_between(since, today).max(0);
            self.paused_working_days += u32::try_from(days).unwrap_or(0);
        }
    }

    /// Working days left on `today` (negative when overdue); frozen during a pause.
    pub fn days_left(&self, today: Date) -> i64 {
        let reference = self.paused_since.unwrap_or(today);
        working_days_between(reference, self.due())
    }

    pub fn is_paused(&self) -> bool {
        self.paused_since.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn the_deadline_counts_working_days_after_arrival() {
        // Thu 22 Oct 2026: Fri 23 Oct is a holiday, so 1 working day ends on Mon 26 Oct.
        let d = Deadline::start(date(2026, 10, 22), 1);
        assert_eq!(d.due(), date(2026, 10, 26));
        assert_eq!(d.days_left(date(2026, 10, 22)), 1);
        assert_eq!(d.days_left(date(2026, 10, 26)), 0);
        assert_eq!(d.days_left(date(2026, 10, 27)), -1);
    }

    #[test]
    fn waiting_for_the_citizen_does_not_count() {
        let mut d = Deadline::start(date(2026, 11, 2), 10);
        assert_eq!(d.due(), date(2026, 11, 16));
        d.pause(date(2026, 11, 4));
        // Frozen while paused, however long the citizen takes.
        assert_eq!(d.days_left(date(2026, 11, 4)), 8);
        assert_eq!(d.days_left(date(2026, 11, 13)), 8);
        // Answered on Fri 13 Nov: 7 working days of pause (5..13 Nov).
        d.resume(date(2026, 11, 13));
        assert_eq!(d.paused_working_days, 7);
        assert_eq!(d.due(), date(2026, 11, 25));
        assert_eq!(d.days_left(date(2026, 11, 13)), 8);
    }
}
