//! The periodic refresh from the population register as the CRM runs it: when it runs
//! ([`RefreshSchedule`]: nightly, every so often, or never) and one run over the CRM's own
//! registry that brings the search index up to date with exactly the records it changed.
//!
//! The schedule only says when; the process that owns the clock (the local server's
//! background task, EventBridge on AWS) does the waiting.

use super::error::CrmError;
use super::refresh::{RefreshReport, refresh_identified};
use super::registry::RegistryError;
use super::service::Crm;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use std::time::Duration;

/// How many records one page of the refresh's listing holds.
pub const REFRESH_BATCH: usize = 100;

/// The nightly run's wall-clock time in Budapest: after the day's desk work, before the
/// office opens, away from the DST change (which happens between 02:00 and 03:00 only on
/// two nights a year, when the run moves with the clock).
pub const NIGHTLY_AT: (i8, i8) = (2, 30);

/// When the refresh runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshSchedule {
    /// Once a day at [`NIGHTLY_AT`], Budapest time.
    Daily,
    /// Every this long, the first run this long after start.
    Every(Duration),
    /// Never on its own (`varoskapu crm refresh` still runs it by hand).
    Off,
}

/// A schedule that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a refresh schedule: use `daily`, `off` or an interval such as `30s`, `15m`, `6h`, `1d`"
)]
pub struct ScheduleError(pub String);

impl RefreshSchedule {
    /// Reads `daily`, `off` or an interval (`30s`, `15m`, `6h`, `1d`: a positive whole
    /// number and its unit); an empty text is the default, `daily`.
    pub fn parse(text: &str) -> Result<Self, ScheduleError> {
        let bad = || ScheduleError(text.to_owned());
        let trimmed = text.trim().to_ascii_lowercase();
        match trimmed.as_str() {
            "" | "daily" => return Ok(Self::Daily),
            "off" => return Ok(Self::Off),
            _ => {}
        }
        let split = trimmed
            .find(|c: char| !c.is_ascii_digit())
            .ok_or_else(bad)?;
        let (number, unit) = trimmed.split_at(split);
        let count: u64 = number.parse().map_err(|_| bad())?;
        let seconds = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return Err(bad()),
        };
        match count.checked_mul(seconds) {
            // More than a year between runs is a typo, not a schedule.
            Some(total) if total > 0 && total <= 366 * 86_400 => {
                Ok(Self::Every(Duration::from_secs(total)))
            }
            _ => Err(bad()),
        }
    }

    /// When the next run after `now` is due; `None` when the refresh is off.
    pub fn next_after(self, now: Timestamp) -> Option<Timestamp> {
        match self {
            Self::Off => None,
            Self::Every(every) => now.checked_add(every).ok(),
            Self::Daily => {
                let tz = TimeZone::get("Europe/Budapest").unwrap_or(TimeZone::UTC);
                let today = now.to_zoned(tz.clone()).date();
                let (hour, minute) = NIGHTLY_AT;
                [today, today.tomorrow().ok()?]
                    .into_iter()
                    .filter_map(|day| day.at(hour, minute, 0, 0).to_zoned(tz.clone()).ok())
                    .map(|at| at.timestamp())
                    .find(|at| *at > now)
            }
        }
    }
}

impl Crm {
    /// Refreshes every identified record from the registry the CRM was built with, then
    /// re-indexes exactly the records that changed. Without a registry there is nothing to
    /// refresh from: that is a [`RegistryError::Unavailable`], not an empty run, so a
    /// schedule configured without one shows up as failing rather than as quiet success.
    pub async fn refresh_from_registry(&self, batch: usize) -> Result<RefreshReport, CrmError> {
        let registry = self
            .registry
            .as_deref()
            .ok_or_else(|| RegistryError::Unavailable("no registry service is connected".into()))?;
        let report = refresh_identified(
            &self.store,
            registry,
            self.clock.as_ref(),
            &self.audit,
            batch,
        )
        .await?;
        if !report.changed_ids.is_empty() {
            self.apply_changes(&report.changed_ids).await?;
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crm::identify::channel;
    use crate::crm::identify::tests::world;
    use crate::crm::person::PersonId;
    use crate::crm::registry::in_test::anna;
    use crate::crm::search::{Criteria, PageRequest, PersonDoc, PersonIndex, SearchPage};
    use crate::crm::{CrmPorts, RecordChange};
    use crate::{SequentialIds, Table};
    use async_trait::async_trait;
    use futures::executor::block_on;
    use jiff::civil::Date;
    use std::sync::{Arc, Mutex};

    fn at(text: &str) -> Timestamp {
        text.parse().expect("time")
    }

    #[test]
    fn schedules_are_read_and_bad_ones_are_refused() {
        assert_eq!(RefreshSchedule::parse(""), Ok(RefreshSchedule::Daily));
        assert_eq!(
            RefreshSchedule::parse(" Daily "),
            Ok(RefreshSchedule::Daily)
        );
        assert_eq!(RefreshSchedule::parse("off"), Ok(RefreshSchedule::Off));
        for (text, seconds) in [("30s", 30), ("15m", 900), ("6h", 21_600), ("1d", 86_400)] {
            assert_eq!(
                RefreshSchedule::parse(text),
                Ok(RefreshSchedule::Every(Duration::from_secs(seconds))),
                "{text}"
            );
        }
        for bad in [
            "0m",
            "15",
            "m",
            "15 m",
            "-5m",
            "1.5h",
            "6hours",
            "weekly",
            "400d",
            "99999999999999999999s",
        ] {
            let refused = RefreshSchedule::parse(bad).expect_err(bad);
            assert!(refused.to_string().contains("daily"), "{refused}");
        }
    }

    #[test]
    fn the_nightly_run_is_at_half_past_two_in_budapest_across_the_clock_changes() {
        let daily = RefreshSchedule::Daily;
        // Winter (UTC+1): 02:30 is 01:30Z; just before it runs the same night.
        assert_eq!(
            daily.next_after(at("2026-01-15T01:00:00Z")),
            Some(at("2026-01-15T01:30:00Z"))
        );
        // Just after: the next night.
        assert_eq!(
            daily.next_after(at("2026-01-15T01:30:00Z")),
            Some(at("2026-01-16T01:30:00Z"))
        );
        // Summer (UTC+2): 00:30Z.
        assert_eq!(
            daily.next_after(at("2026-07-01T12:00:00Z")),
            Some(at("2026-07-02T00:30:00Z"))
        );
        // 29 March 2026: 02:00 becomes 03:00, so 02:30 does not exist; the run is at 03:30
        // summer time (01:30Z), once.
        assert_eq!(
            daily.next_after(at("2026-03-28T12:00:00Z")),
            Some(at("2026-03-29T01:30:00Z"))
        );
        // 25 October 2026: 02:30 happens twice; the run is at the first (00:30Z), once.
        let first = daily.next_after(at("2026-10-24T12:00:00Z"));
        assert_eq!(first, Some(at("2026-10-25T00:30:00Z")));
        assert_eq!(
            first.and_then(|t| daily.next_after(t)),
            Some(at("2026-10-26T01:30:00Z"))
        );

        let every = RefreshSchedule::Every(Duration::from_secs(900));
        assert_eq!(
            every.next_after(at("2026-01-15T01:00:00Z")),
            Some(at("2026-01-15T01:15:00Z"))
        );
        assert_eq!(
            RefreshSchedule::Off.next_after(at("2026-01-15T01:00:00Z")),
            None
        );
    }

    /// An index that remembers which documents were put.
    #[derive(Default)]
    struct Recording(Mutex<Vec<PersonId>>);

    #[async_trait]
    impl PersonIndex for Recording {
        async fn put(&self, docs: Vec<PersonDoc>) -> Result<(), crate::crm::search::SearchError> {
            self.0
                .lock()
                .expect("lock")
                .extend(docs.iter().map(|d| d.id));
            Ok(())
        }
        async fn remove(&self, _: &[PersonId]) -> Result<(), crate::crm::search::SearchError> {
            Ok(())
        }
        async fn rebuild(&self, _: Vec<PersonDoc>) -> Result<(), crate::crm::search::SearchError> {
            Ok(())
        }
        async fn quick(
            &self,
            _: &str,
            _: PageRequest,
        ) -> Result<SearchPage, crate::crm::search::SearchError> {
            Ok(SearchPage::default())
        }
        async fn advanced(
            &self,
            _: &Criteria,
            _: Date,
            _: PageRequest,
        ) -> Result<SearchPage, crate::crm::search::SearchError> {
            Ok(SearchPage::default())
        }
        async fn len(&self) -> Result<usize, crate::crm::search::SearchError> {
            Ok(0)
        }
    }

    #[test]
    fn a_run_re_indexes_exactly_the_records_the_register_changed() {
        block_on(async {
            let w = world();
            w.identification
                .identify("acc-1", anna().identity, channel::SIGN_IN)
                .await
                .expect("identified");
            let index = Arc::new(Recording::default());
            let table: Arc<dyn Table> = w.store.table().clone();
            let crm = Crm::new(CrmPorts {
                table,
                index: index.clone(),
                clock: w.clock.clone(),
                ids: Arc::new(SequentialIds::default()),
                audit: w.audit.clone(),
            });
            // Without a registry there is nothing to refresh from.
            assert!(matches!(
                crm.refresh_from_registry(REFRESH_BATCH).await,
                Err(CrmError::Registry(RegistryError::Unavailable(_)))
            ));
            let crm = crm.with_registry(w.registry.clone());

            let report = crm.refresh_from_registry(REFRESH_BATCH).await.expect("run");
            assert_eq!((report.checked, report.changed), (1, 0));
            assert!(index.0.lock().expect("lock").is_empty(), "nothing changed");

            let mut dead = anna();
            dead.deceased_on = Some(jiff::civil::date(2026, 2, 20));
            w.registry.put(dead);
            let report = crm.refresh_from_registry(REFRESH_BATCH).await.expect("run");
            let record = w
                .store
                .by_account("acc-1")
                .await
                .expect("read")
                .expect("record")
                .record;
            assert_eq!(report.changed_ids, [record.id]);
            assert_eq!(*index.0.lock().expect("lock"), [record.id]);
            assert!(
                record
                    .history
                    .iter()
                    .any(|c: &RecordChange| c.what == "deceased")
            );
        });
    }
}
