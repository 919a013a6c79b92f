//! Retrying a use case that lost a race to a concurrent writer (nothing was written), with
//! a short randomized back-off so that racing requests spread out.

use std::future::Future;
use std::time::Duration;
use varoskapu_core::appointments::AppointmentError;

/// Attempts before giving up with `Busy`.
const ATTEMPTS: u32 = 12;

/// Runs `attempt` again while it fails with a retryable error.
pub async fn retrying<T, F, Fut>(mut attempt: F) -> Result<T, AppointmentError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AppointmentError>>,
{
    let mut n = 0;
    loop {
        match attempt().await {
            Err(e) if e.is_retryable() && n + 1 < ATTEMPTS => {
                n += 1;
                let ceiling = 5u64 << n.min(6);
                let wait = rand::random_range(1..=ceiling);
                tokio::time::sleep(Duration::from_millis(wait)).await;
            }
            other => return other,
        }
    }
}
