//! The local stand-in for the EventBridge schedule of the registry refresh: a background
//! task of the server that refreshes every identified person record from the population
//! register when `VAROSKAPU_REGISTRY_REFRESH` says (`daily`, the default: each night at
//! 02:30 Budapest time; an interval such as `6h`; or `off`).
//!
//! A run that fails is logged and left to the next one; records the register did not
//! answer for are counted and asked about again then. The task holds nothing the process
//! needs to finish: the server aborts it on shutdown, between or within runs (each record
//! is written in its own transaction).

use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use varoskapu_core::Clock;
use varoskapu_core::crm::Crm;
use varoskapu_core::crm::schedule::{REFRESH_BATCH, RefreshSchedule};

/// The setting that says when the server refreshes the records.
pub const SCHEDULE_VAR: &str = "VAROSKAPU_REGISTRY_REFRESH";

/// The longest sleep between looks at the clock, so that a machine that slept through
/// the night (a laptop) runs the refresh when it wakes rather than a day late.
const LOOK_AT_THE_CLOCK: Duration = Duration::from_secs(600);

/// The schedule of `VAROSKAPU_REGISTRY_REFRESH` (unset: `daily`); a bad value is an error
/// that names the setting.
pub fn schedule_from_env() -> anyhow::Result<RefreshSchedule> {
    let text = match std::env::var(SCHEDULE_VAR) {
        Ok(text) => text,
        Err(std::env::VarError::NotPresent) => String::new(),
        Err(std::env::VarError::NotUnicode(_)) => {
            anyhow::bail!("{SCHEDULE_VAR} is not valid UTF-8 text")
        }
    };
    schedule_of(&text)
}

fn schedule_of(text: &str) -> anyhow::Result<RefreshSchedule> {
    RefreshSchedule::parse(text).map_err(|e| anyhow::anyhow!("{SCHEDULE_VAR}: {e}"))
}

/// Starts the refresh on `schedule`; `None` when it is off.
pub fn spawn(crm: Crm, clock: Arc<dyn Clock>, schedule: RefreshSchedule) -> Option<JoinHandle<()>> {
    if schedule == RefreshSchedule::Off {
        tracing::info!("the registry refresh is off ({SCHEDULE_VAR}=off)");
        return None;
    }
    Some(tokio::spawn(run_periodically(crm, clock, schedule)))
}

async fn run_periodically(crm: Crm, clock: Arc<dyn Clock>, schedule: RefreshSchedule) {
    let mut due = schedule.next_after(clock.now());
    while let Some(at) = due {
        tracing::debug!(next = %at, "the next registry refresh");
        loop {
            let left = clock.now().duration_until(at);
            if left.is_zero() || left.is_negative() {
                break;
            }
            let left = Duration::try_from(left).unwrap_or(LOOK_AT_THE_CLOCK);
            tokio::time::sleep(left.min(LOOK_AT_THE_CLOCK)).await;
        }
        run_once(&crm).await;
        due = schedule.next_after(clock.now());
    }
}

/// Aborts the run it guards when the task that awaits it is aborted.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One run, logged; in a task of its own, so that even a panic deep inside is a failed
/// run and not the end of the schedule.
async fn run_once(crm: &Crm) {
    let crm = crm.clone();
    let mut run = AbortOnDrop(tokio::spawn(async move {
        let started = std::time::Instant::now();
        match crm.refresh_from_registry(REFRESH_BATCH).await {
            Ok(report) => tracing::info!(
                checked = report.checked,
                changed = report.changed,
                failed = report.failed,
                seconds = started.elapsed().as_secs(),
                "registry refresh done"
            ),
            Err(e) => tracing::warn!(
                error = %e,
                "registry refresh failed; the next run tries again"
            ),
        }
    }));
    if let Err(e) = (&mut run.0).await {
        tracing::error!(error = %e, "registry refresh stopped; the next run tries again");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_schedule_stops_start_up_naming_the_setting() {
        assert_eq!(schedule_of("").expect("default"), RefreshSchedule::Daily);
        assert_eq!(
            schedule_of("15m").expect("interval"),
            RefreshSchedule::Every(Duration::from_secs(900))
        );
        let refused = schedule_of("hetente")
            .expect_err("not a schedule")
            .to_string();
        assert!(
            refused.starts_with("VAROSKAPU_REGISTRY_REFRESH: \"hetente\" is not"),
            "{refused}"
        );
    }
}
