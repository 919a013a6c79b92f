//! Running the reminder job: once per scheduled invocation in AWS, periodically on the
//! local server. Overlapping runs are harmless: each reminder is claimed before sending.

use crate::state::AppointmentsState;
use jiff::SignedDuration;
use std::time::Duration;
use varoskapu_core::appointments::AppointmentError;
use varoskapu_core::appointments::reminders::{ReminderRun, send_due_reminders};

/// One run: reminds of every open booking starting within `lead`.
pub async fn run_once(
    state: &AppointmentsState,
    lead: SignedDuration,
) -> Result<ReminderRun, AppointmentError> {
    let run = send_due_reminders(&state.appointments, state.notifier.as_ref(), lead).await?;
    if run != ReminderRun::default() {
        tracing::info!(
            sent = run.sent,
            skipped = run.skipped,
            failed = run.failed,
            "appointment reminders"
        );
    }
    Ok(run)
}

/// Runs the job every `every` forever (the local server's stand-in for the schedule).
pub async fn run_periodically(state: AppointmentsState, lead: SignedDuration, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = run_once(&state, lead).await {
            tracing::warn!(error = %e, "appointment reminders failed; the next run retries");
        }
    }
}
