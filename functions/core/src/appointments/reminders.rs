//! The reminder job: each open booking gets one reminder before its start, exactly once,
//! even when two runs of the job overlap.
//!
//! A run marks a booking's reminder as sent with a conditional update (it holds only while
//! the reminder of that very start time is pending) and sends only if its mark won; if the
//! sending fails it gives the mark back, so the next run tries again.

use super::error::AppointmentError;
use super::notices::{self, Notice};
use super::service::Appointments;
use crate::notify::Notifier;
use jiff::SignedDuration;

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReminderRun {
    pub sent: usize,
    /// Reminders another run claimed first.
    pub skipped: usize,
    pub failed: usize,
}

/// Sends the reminders of bookings starting within `lead`.
pub async fn send_due_reminders(
    appointments: &Appointments,
    notifier: &dyn Notifier,
    lead: SignedDuration,
) -> Result<ReminderRun, AppointmentError> {
    let mut run = ReminderRun::default();
    let store = appointments.store();
    for booking in appointments.due_reminders(lead).await? {
        if !store.claim_reminder(&booking).await? {
            run.skipped += 1;
            continue;
        }
        let (office, service) = match (
            appointments.office(&booking.office_id).await,
            appointments.service(&booking.service_id).await,
        ) {
            (Ok(o), Ok(s)) => (o, s),
            (Err(e), _) | (_, Err(e)) => {
                store.release_reminder(&booking).await?;
                return Err(e);
            }
        };
        let message = notices::message(
            Notice::Reminder,
            &booking,
            &office,
            &service,
            store.tz(),
            appointments.now(),
        );
        match notifier.send(message).await {
            Ok(()) => run.sent += 1,
            Err(_) => {
                store.release_reminder(&booking).await?;
                run.failed += 1;
            }
        }
    }
    Ok(run)
}
