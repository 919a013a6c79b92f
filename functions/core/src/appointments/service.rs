//! The appointment use cases: finding slots, booking, changes from both sides, the desk.
//!
//! Each call makes ONE attempt at its conditional write; when a concurrent writer got in
//! between (`AppointmentError::Busy`) the caller may simply call again, which re-reads.

use super::booking::{Actor, Booking, BookingCode, BookingStatus, ReminderState};
use super::error::AppointmentError;
use super::office::{Clerk, Office, Service};
use super::slots::{self, Slot};
use super::store::{AppointmentStore, ClaimFailure, ClaimFailureOr};
use crate::cases::CaseStore;
use crate::clock::{Clock, IdGenerator};
use crate::idempotency::{self, IdempotencyError, Replay};
use crate::table::TableError;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use std::sync::Arc;
use uuid::Uuid;

/// Limits of the booking rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppointmentRules {
    /// How far ahead slots may be booked.
    pub horizon_days: i64,
    /// Longest date range one slot search covers.
    pub max_search_days: i64,
}

impl Default for AppointmentRules {
    fn default() -> Self {
        Self {
            horizon_days: 90,
            max_search_days: 31,
        }
    }
}

/// An Idempotency-Key guarding a booking request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyGuard {
    pub key: String,
    pub fingerprint: String,
}

/// What a citizen asks to book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingRequest {
    pub service_id: String,
    pub start: Timestamp,
    /// A particular desk; otherwise any clerk who does the service.
    pub clerk_id: Option<String>,
    pub case_id: Option<String>,
}

/// Who asks for a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requester<'a> {
    /// A citizen, who may change only their own bookings and only until the cut-off.
    Citizen(&'a str),
    /// The office (a clerk or manager), with the reason the citizen is told.
    Office { reason: &'a str },
}

/// Whether a booking call returned an earlier request's booking.
pub type Replayed = bool;

/// One page of free slots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotPage {
    pub slots: Vec<Slot>,
    /// Pass as `after` to read the next page.
    pub next: Option<Timestamp>,
}

/// The appointment use cases over the ports.
#[derive(Clone)]
pub struct Appointments {
    store: AppointmentStore,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    rules: AppointmentRules,
}

impl Appointments {
    /// The use cases over a store, a clock and an id source.
    pub fn new(
        store: AppointmentStore,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        rules: AppointmentRules,
    ) -> Self {
        Self {
            store,
            clock,
            ids,
            rules,
        }
    }

    /// The store, for reads the use cases do not wrap.
    pub fn store(&self) -> &AppointmentStore {
        &self.store
    }

    /// The current time by the injected clock.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// An office, or `UnknownOffice`.
    pub async fn office(&self, id: &str) -> Result<Office, AppointmentError> {
        self.store
            .office(id)
            .await?
            .ok_or(AppointmentError::UnknownOffice)
    }

    /// A service, or `UnknownService`.
    pub async fn service(&self, id: &str) -> Result<Service, AppointmentError> {
        self.store
            .service(id)
            .await?
            .ok_or(AppointmentError::UnknownService)
    }

    /// A clerk, or `UnknownClerk`.
    pub async fn clerk(&self, id: &str) -> Result<Clerk, AppointmentError> {
        self.store
            .clerk(id)
            .await?
            .ok_or(AppointmentError::UnknownClerk)
    }

    /// The clerks who do `service`, in the service's order.
    pub async fn clerks_of(&self, service: &Service) -> Result<Vec<Clerk>, AppointmentError> {
        let all = self.store.clerks().await?;
        Ok(service
            .clerk_ids
            .iter()
            .filter_map(|id| {
                all.iter()
                    .find(|c| &c.id == id && c.office_id == service.office_id)
                    .cloned()
            })
            .collect())
    }

    /// Free slots of a service over local dates `from..=to`, `limit` per page.
    pub async fn free_slots(
        &self,
        service_id: &str,
        from: Date,
        to: Date,
        after: Option<Timestamp>,
        limit: usize,
    ) -> Result<SlotPage, AppointmentError> {
        let span = from
            .until(to)
            .map(|s| i64::from(s.get_days()))
            .unwrap_or(i64::MAX);
        if to < from || span >= self.rules.max_search_days {
            return Err(AppointmentError::Invalid(format!(
                "the date range must run forwards and cover at most {} days",
                self.rules.max_search_days
            )));
        }
        let service = self.service(service_id).await?;
        let office = self.office(&service.office_id).await?;
        let clerks = self.clerks_of(&service).await?;
        let days = slots::dates(from, to);
        let ids: Vec<String> = clerks.iter().map(|c| c.id.clone()).collect();
        let busy = self.store.busy_units(&ids, &days).await?;
        let now = self.now();
        let horizon = now
            .checked_add(SignedDuration::from_hours(24 * self.rules.horizon_days))
            .unwrap_or(now);
        let mut free: Vec<Slot> = slots::free_slots(
            self.store.tz(),
            &office,
            &service,
            &clerks,
            &busy,
            &days,
            now,
        )
        .into_iter()
        .filter(|s| after.is_none_or(|a| s.start > a) && s.start <= horizon)
        .take(limit.saturating_add(1))
        .collect();
        let next = if free.len() > limit {
            free.truncate(limit);
            free.last().map(|s| s.start)
        } else {
            None
        };
        Ok(SlotPage { slots: free, next })
    }

    /// Books a slot for a citizen; with an Idempotency-Key a retry returns the first booking
    /// (and says it is a replay, so nothing is sent twice).
    pub async fn book(
        &self,
        citizen: &str,
        request: &BookingRequest,
        guard: Option<&IdempotencyGuard>,
    ) -> Result<(Booking, Replayed), AppointmentError> {
        let scope = format!("book#{citizen}");
        if let Some(g) = guard {
            match idempotency::lookup::<Booking>(
                self.store.table().as_ref(),
                &scope,
                &g.key,
                &g.fingerprint,
            )
            .await
            {
                Ok(Replay::Stored(booking)) => return Ok((booking, true)),
                Ok(Replay::Fresh) => {}
                Err(e) => return Err(idempotency_error(e)),
            }
        }
        let service = self.service(&request.service_id).await?;
        let office = self.office(&service.office_id).await?;
        let now = self.now();
        self.check_bookable(request.start, now)?;
        if let Some(case_id) = &request.case_id {
            self.check_case_owner(citizen, case_id).await?;
        }
        let candidates = self
            .candidate_clerks(
                &office,
                &service,
                request.start,
                request.clerk_id.as_deref(),
            )
            .await?;
        let end = request
            .start
            .checked_add(SignedDuration::from_mins(service.duration_minutes))
            .map_err(|_| AppointmentError::OutOfRange)?;
        for clerk in candidates {
            let id = self.ids.new_id();
            let booking = Booking {
                id,
                code: BookingCode::from_random(code_bits(self.ids.new_id(), id)),
                citizen_id: citizen.to_owned(),
                office_id: office.id.clone(),
                service_id: service.id.clone(),
                clerk_id: clerk.id.clone(),
                start: request.start,
                end,
                status: BookingStatus::Booked,
                case_id: request.case_id.clone(),
                sequence: 0,
                reason: None,
                changed_by: None,
                reminder: ReminderState::Pending,
                created_at: now,
                updated_at: now,
            };
            let counter = self
                .store
                .counter_op(citizen, &service.id, 1, service.max_open_bookings)
                .await?
                .ok_or(AppointmentError::Busy)?;
            let record = match guard {
                Some(g) => Some(
                    idempotency::record_op(
                        &scope,
                        &g.key,
                        &g.fingerprint,
                        &booking,
                        now.as_second(),
                    )
                    .map_err(idempotency_error)?,
                ),
                None => None,
            };
            match self.store.insert_booking(&booking, counter, record).await {
                Ok(()) => return Ok((booking, false)),
                Err(ClaimFailureOr::Error(AppointmentError::Table(TableError::Unavailable(e)))) => {
                    return self.settle_ambiguous(&booking, e).await.map(|b| (b, false));
                }
                Err(ClaimFailureOr::Failed(ClaimFailure::SlotTaken)) => continue,
                Err(ClaimFailureOr::Failed(ClaimFailure::IdempotencyRace)) => {
                    let g = guard.ok_or(AppointmentError::Busy)?;
                    return match idempotency::lookup::<Booking>(
                        self.store.table().as_ref(),
                        &scope,
                        &g.key,
                        &g.fingerprint,
                    )
                    .await
                    {
                        Ok(Replay::Stored(first)) => Ok((first, true)),
                        Ok(Replay::Fresh) => Err(AppointmentError::Busy),
                        Err(e) => Err(idempotency_error(e)),
                    };
                }
                Err(ClaimFailureOr::Failed(_)) => return Err(AppointmentError::Busy),
                Err(ClaimFailureOr::Error(e)) => return Err(e),
            }
        }
        Err(AppointmentError::SlotTaken)
    }

    /// A booking may name only a case of the same citizen; any other id reads as unknown,
    /// so case ids of other people do not leak.
    async fn check_case_owner(&self, citizen: &str, case_id: &str) -> Result<(), AppointmentError> {
        let id = case_id.parse().map_err(|_| AppointmentError::UnknownCase)?;
        match CaseStore::new(self.store.table().clone()).load(id).await? {
            Some(stored) if stored.case.owner == citizen => Ok(()),
            _ => Err(AppointmentError::UnknownCase),
        }
    }

    fn check_bookable(&self, start: Timestamp, now: Timestamp) -> Result<(), AppointmentError> {
        let horizon = now
            .checked_add(SignedDuration::from_hours(24 * self.rules.horizon_days))
            .unwrap_or(now);
        if start <= now || start > horizon {
            return Err(AppointmentError::OutOfRange);
        }
        Ok(())
    }

    /// The clerks whose calendars offer `start` for the service (the one asked for, or all).
    async fn candidate_clerks(
        &self,
        office: &Office,
        service: &Service,
        start: Timestamp,
        wanted: Option<&str>,
    ) -> Result<Vec<Clerk>, AppointmentError> {
        let clerks: Vec<Clerk> = self
            .clerks_of(service)
            .await?
            .into_iter()
            .filter(|c| wanted.is_none_or(|w| w == c.id))
            .filter(|c| slots::is_clerk_slot(self.store.tz(), office, service, c, start))
            .collect();
        if clerks.is_empty() {
            return Err(AppointmentError::NotASlot);
        }
        Ok(clerks)
    }

    /// A booking the requester may see: the citizen's own, or any for the office.
    pub async fn booking_for(
        &self,
        requester: &Requester<'_>,
        id: Uuid,
    ) -> Result<(Booking, u64), AppointmentError> {
        let (booking, version) = self
            .store
            .booking(id)
            .await?
            .ok_or(AppointmentError::UnknownBooking)?;
        if let Requester::Citizen(citizen) = requester
            && booking.citizen_id != *citizen
        {
            // Someone else's booking is reported as absent, not as forbidden: ids do not leak.
            return Err(AppointmentError::UnknownBooking);
        }
        Ok((booking, version))
    }

    fn check_change(
        &self,
        requester: &Requester<'_>,
        booking: &Booking,
        service: &Service,
        to: BookingStatus,
    ) -> Result<(), AppointmentError> {
        if !booking.status.can_become(to) {
            return Err(AppointmentError::IllegalTransition {
                from: booking.status,
                to,
            });
        }
        if let Requester::Citizen(_) = requester {
            let cut_off = booking
                .start
                .checked_sub(SignedDuration::from_mins(service.cut_off_minutes))
                .unwrap_or(booking.start);
            if self.now() >= cut_off {
                return Err(AppointmentError::PastCutOff {
                    minutes: service.cut_off_minutes,
                });
            }
        }
        Ok(())
    }

    fn changed(
        &self,
        booking: &Booking,
        requester: &Requester<'_>,
        status: BookingStatus,
    ) -> Booking {
        let mut next = booking.clone();
        next.status = status;
        next.sequence = booking.sequence.saturating_add(1);
        next.updated_at = self.now();
        match requester {
            Requester::Citizen(_) => {
                next.changed_by = Some(Actor::Citizen);
                next.reason = None;
            }
            Requester::Office { reason } => {
                next.changed_by = Some(Actor::Office);
                next.reason = Some((*reason).to_owned());
            }
        }
        next
    }

    /// Cancels a booking, freeing its seat and the citizen's limit.
    pub async fn cancel(
        &self,
        requester: &Requester<'_>,
        id: Uuid,
    ) -> Result<Booking, AppointmentError> {
        let (booking, version) = self.booking_for(requester, id).await?;
        let service = self.service(&booking.service_id).await?;
        self.check_change(requester, &booking, &service, BookingStatus::Cancelled)?;
        let next = self.changed(&booking, requester, BookingStatus::Cancelled);
        let counter = self
            .store
            .counter_op(
                &booking.citizen_id,
                &booking.service_id,
                -1,
                service.max_open_bookings,
            )
            .await?;
        self.replace(&booking, version, &next, counter).await?;
        Ok(next)
    }

    /// Moves a booking to another slot: the new seat is claimed before the old is released,
    /// in one transaction, so the citizen never holds two seats nor none.
    pub async fn reschedule(
        &self,
        requester: &Requester<'_>,
        id: Uuid,
        start: Timestamp,
        clerk_id: Option<&str>,
    ) -> Result<Booking, AppointmentError> {
        let (booking, version) = self.booking_for(requester, id).await?;
        let service = self.service(&booking.service_id).await?;
        let office = self.office(&booking.office_id).await?;
        self.check_change(requester, &booking, &service, BookingStatus::Rescheduled)?;
        self.check_bookable(start, self.now())?;
        let mut candidates = self
            .candidate_clerks(&office, &service, start, clerk_id)
            .await?;
        // The same desk first: the citizen expects it, and overlapping units stay put.
        candidates.sort_by_key(|c| c.id != booking.clerk_id);
        let end = start
            .checked_add(SignedDuration::from_mins(service.duration_minutes))
            .map_err(|_| AppointmentError::OutOfRange)?;
        for clerk in candidates {
            let mut next = self.changed(&booking, requester, BookingStatus::Rescheduled);
            next.start = start;
            next.end = end;
            next.clerk_id = clerk.id.clone();
            next.reminder = ReminderState::Pending;
            match self
                .store
                .replace_booking(&booking, version, &next, None)
                .await
            {
                Ok(()) => return Ok(next),
                Err(ClaimFailureOr::Error(AppointmentError::Table(TableError::Unavailable(e)))) => {
                    return self.settle_ambiguous(&next, e).await;
                }
                Err(ClaimFailureOr::Failed(ClaimFailure::SlotTaken)) => continue,
                Err(ClaimFailureOr::Failed(_)) => return Err(AppointmentError::Busy),
                Err(ClaimFailureOr::Error(e)) => return Err(e),
            }
        }
        Err(AppointmentError::SlotTaken)
    }

    /// Marks at the desk that the citizen arrived (`CheckedIn`) or did not (`NoShow`).
    pub async fn mark(&self, id: Uuid, to: BookingStatus) -> Result<Booking, AppointmentError> {
        if !matches!(to, BookingStatus::CheckedIn | BookingStatus::NoShow) {
            return Err(AppointmentError::Invalid(
                "only check-in and no-show are marked at the desk".into(),
            ));
        }
        let requester = Requester::Office { reason: "" };
        let (booking, version) = self.booking_for(&requester, id).await?;
        let service = self.service(&booking.service_id).await?;
        self.check_change(&requester, &booking, &service, to)?;
        if to == BookingStatus::NoShow && self.now() < booking.start {
            return Err(AppointmentError::Invalid(
                "a no-show can be marked only after the start".into(),
            ));
        }
        let mut next = self.changed(&booking, &requester, to);
        next.reason = None;
        next.changed_by = None;
        let counter = self
            .store
            .counter_op(
                &booking.citizen_id,
                &booking.service_id,
                -1,
                service.max_open_bookings,
            )
            .await?;
        self.replace(&booking, version, &next, counter).await?;
        Ok(next)
    }

    async fn replace(
        &self,
        before: &Booking,
        version: u64,
        after: &Booking,
        counter: Option<crate::table::TxOp>,
    ) -> Result<(), AppointmentError> {
        match self
            .store
            .replace_booking(before, version, after, counter)
            .await
        {
            Ok(()) => Ok(()),
            Err(ClaimFailureOr::Error(AppointmentError::Table(TableError::Unavailable(e)))) => {
                self.settle_ambiguous(after, e).await.map(|_| ())
            }
            Err(ClaimFailureOr::Failed(_)) => Err(AppointmentError::Busy),
            Err(ClaimFailureOr::Error(e)) => Err(e),
        }
    }

    /// After a write whose outcome is unknown (the store failed to answer), reads back
    /// whether it took effect: if so it stands; if not, nothing was written and the caller
    /// may try again. A blind retry could instead report the citizen's own seat as taken.
    async fn settle_ambiguous(
        &self,
        intended: &Booking,
        cause: crate::Cause,
    ) -> Result<Booking, AppointmentError> {
        match self.store.booking(intended.id).await {
            Ok(Some((stored, _))) if stored == *intended => Ok(stored),
            Ok(_) => Err(AppointmentError::Busy),
            Err(_) => Err(AppointmentError::Table(TableError::Unavailable(cause))),
        }
    }

    /// Open bookings starting within `lead` from now whose reminder has not gone out.
    pub async fn due_reminders(
        &self,
        lead: SignedDuration,
    ) -> Result<Vec<Booking>, AppointmentError> {
        let now = self.now();
        let until = now.checked_add(lead).unwrap_or(now);
        Ok(self
            .store
            .starting_between(now, until)
            .await?
            .into_iter()
            .filter(|b| b.status.is_open() && b.reminder == ReminderState::Pending)
            .collect())
    }
}

/// Random-looking bits for a booking code from two fresh ids: hashed, so that codes do not
/// follow the clock bits of time-ordered (v7) ids and consecutive bookings look unrelated.
fn code_bits(a: Uuid, b: Uuid) -> Uuid {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest([a.as_bytes().as_slice(), b.as_bytes().as_slice()].concat());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::from_bytes(bytes)
}

fn idempotency_error(e: IdempotencyError) -> AppointmentError {
    match e {
        IdempotencyError::InvalidKey => AppointmentError::InvalidIdempotencyKey,
        IdempotencyError::KeyReused => AppointmentError::IdempotencyKeyReused,
        IdempotencyError::Table(t) => t.into(),
    }
}
