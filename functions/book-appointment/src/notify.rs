//! Telling the citizen about a booking. A failure to notify never undoes the booking: it is
//! logged (without personal data) and the booking stands.

use crate::state::AppointmentsState;
use varoskapu_core::appointments::Booking;
use varoskapu_core::appointments::notices::{self, Notice};

/// Sends `notice` about `booking` with its calendar entry attached.
pub async fn tell_citizen(state: &AppointmentsState, notice: Notice, booking: &Booking) {
    let a = &state.appointments;
    let (office, service) = match (
        a.office(&booking.office_id).await,
        a.service(&booking.service_id).await,
    ) {
        (Ok(o), Ok(s)) => (o, s),
        (Err(e), _) | (_, Err(e)) => {
            tracing::warn!(error = %e, booking = %booking.id, "cannot compose the notification");
            return;
        }
    };
    let message = notices::message(notice, booking, &office, &service, a.store().tz(), a.now());
    if let Err(e) = state.notifier.send(message).await {
        tracing::warn!(error = %e, booking = %booking.id, kind = notice.kind(), "notification not sent");
    }
}
