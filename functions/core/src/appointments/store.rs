//! How appointments sit in the single table, and the conditional writes that keep seats,
//! limits and reminders exact under concurrency.
//!
//! ```text
//! APPT#OFFICE / <office>              APPT#SERVICE / <service>     APPT#CLERK / <clerk>
//! APPT#UNIT#<clerk>#<local date> / <UTC instant>   one 5-minute unit of a clerk's time,
//!                                     claimed (NotExists) by a booking or a block
//! APPT#BOOKING#<id> / BOOKING         gsi1 APPT#CITIZEN#<citizen> / <start>#<id>
//!                                     gsi2 APPT#DAY#<office>#<local date> / <start>#<clerk>#<id>
//!                                     gsi3 APPT#STARTS#<UTC date> / <start>#<id>   (reminders)
//! APPT#CODE#<code> / CODE             the booking a short code stands for
//! APPT#OPEN#<citizen> / <service>     open-booking counter, changed under its version
//! APPT#BLOCK#<clerk> / <start>#<id>   blocked time
//! ```
//!
//! Why one file of this length: every write here is one DynamoDB transaction whose
//! conditions guard the others' items (a unit claimed, a counter under its version, a code
//! reserved); split apart, the invariants they keep together would be read in pieces.

use super::booking::{Booking, BookingCode, ReminderState};
use super::error::AppointmentError;
use super::office::{Clerk, Office, Service};
use super::slots::{BusyUnits, local_date, units};
use crate::table::{
    Condition, IndexName, Item, ItemWrite, Key, Query, SortKey, Table, TableError, TxOp, Update,
};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::Arc;
use uuid::Uuid;

/// Sort-key form of an instant: fixed width, so string order is time order.
pub fn instant_key(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn office_key(id: &str) -> Key {
    Key::new("APPT#OFFICE", id)
}
fn service_key(id: &str) -> Key {
    Key::new("APPT#SERVICE", id)
}
fn clerk_key(id: &str) -> Key {
    Key::new("APPT#CLERK", id)
}
fn booking_key(id: Uuid) -> Key {
    Key::new(format!("APPT#BOOKING#{id}"), "BOOKING")
}
fn code_key(code: &BookingCode) -> Key {
    Key::new(format!("APPT#CODE#{code}"), "CODE")
}
fn counter_key(citizen: &str, service: &str) -> Key {
    Key::new(format!("APPT#OPEN#{citizen}"), service)
}
fn unit_partition(clerk: &str, day: Date) -> String {
    format!("APPT#UNIT#{clerk}#{day}")
}
fn unit_key(tz: &TimeZone, clerk: &str, at: Timestamp) -> Key {
    Key::new(unit_partition(clerk, local_date(tz, at)), instant_key(at))
}
fn block_partition(clerk: &str) -> String {
    format!("APPT#BLOCK#{clerk}")
}

/// Blocked time in a clerk's calendar (a meeting, an errand): no slot is offered in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    pub id: Uuid,
    pub clerk_id: String,
    pub start: Timestamp,
    pub end: Timestamp,
    pub reason: String,
    /// The account that blocked it.
    pub created_by: String,
}

/// The booking's writes a transaction's failure indices refer to.
struct Claim {
    ops: Vec<TxOp>,
    units: std::ops::Range<usize>,
}

/// Appointments on the `Table` port.
#[derive(Clone)]
pub struct AppointmentStore {
    table: Arc<dyn Table>,
    tz: TimeZone,
}

/// How a booking transaction failed, by the operation whose condition did not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimFailure {
    /// A time unit is taken: the slot (at this clerk) is gone.
    SlotTaken,
    /// The open-booking counter moved: read it again.
    CounterMoved,
    /// The short code is in use: draw another.
    CodeCollision,
    /// The booking changed since it was read: read it again.
    BookingMoved,
    /// A request with the same Idempotency-Key committed first.
    IdempotencyRace,
}

impl AppointmentStore {
    /// Appointments in `table`, with local dates in `tz` (Europe/Budapest).
    pub fn new(table: Arc<dyn Table>, tz: TimeZone) -> Self {
        Self { table, tz }
    }

    /// The underlying table (for idempotency records written beside bookings).
    pub fn table(&self) -> &Arc<dyn Table> {
        &self.table
    }

    /// The zone local dates and calendars are in.
    pub fn tz(&self) -> &TimeZone {
        &self.tz
    }

    async fn get_as<T: DeserializeOwned>(&self, key: &Key) -> Result<Option<T>, TableError> {
        self.table.get(key).await?.map(|i| i.parse()).transpose()
    }

    async fn all_of<T: DeserializeOwned>(&self, query: Query) -> Result<Vec<T>, TableError> {
        self.all_items(query)
            .await?
            .iter()
            .map(Item::parse)
            .collect()
    }

    async fn all_items(&self, query: Query) -> Result<Vec<Item>, TableError> {
        let mut out = Vec::new();
        let mut cursor = None;
        loop {
            let page = self.table.query(query.clone().after(cursor)).await?;
            out.extend(page.items);
            cursor = page.cursor;
            if cursor.is_none() {
                return Ok(out);
            }
        }
    }

    /// Writes an office; `only_if_new` keeps seeding idempotent.
    pub async fn put_office(&self, office: &Office, only_if_new: bool) -> Result<bool, TableError> {
        self.put_record(office_key(&office.id), office, only_if_new)
            .await
    }

    /// Writes a service; `only_if_new` keeps seeding idempotent.
    pub async fn put_service(
        &self,
        service: &Service,
        only_if_new: bool,
    ) -> Result<bool, TableError> {
        self.put_record(service_key(&service.id), service, only_if_new)
            .await
    }

    /// Writes a clerk's calendar; `only_if_new` keeps seeding idempotent.
    pub async fn put_clerk(&self, clerk: &Clerk, only_if_new: bool) -> Result<bool, TableError> {
        self.put_record(clerk_key(&clerk.id), clerk, only_if_new)
            .await
    }

    async fn put_record<T: Serialize>(
        &self,
        key: Key,
        value: &T,
        only_if_new: bool,
    ) -> Result<bool, TableError> {
        let condition = if only_if_new {
            Condition::NotExists
        } else {
            Condition::None
        };
        match self
            .table
            .put(ItemWrite::from_serde(key, value)?, condition)
            .await
        {
            Ok(_) => Ok(true),
            Err(TableError::ConditionFailed) if only_if_new => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// An office by id.
    pub async fn office(&self, id: &str) -> Result<Option<Office>, TableError> {
        self.get_as(&office_key(id)).await
    }

    /// Every office.
    pub async fn offices(&self) -> Result<Vec<Office>, TableError> {
        self.all_of(Query::partition("APPT#OFFICE")).await
    }

    /// A service by id.
    pub async fn service(&self, id: &str) -> Result<Option<Service>, TableError> {
        self.get_as(&service_key(id)).await
    }

    /// Every service.
    pub async fn services(&self) -> Result<Vec<Service>, TableError> {
        self.all_of(Query::partition("APPT#SERVICE")).await
    }

    /// A clerk by id.
    pub async fn clerk(&self, id: &str) -> Result<Option<Clerk>, TableError> {
        self.get_as(&clerk_key(id)).await
    }

    /// Every clerk.
    pub async fn clerks(&self) -> Result<Vec<Clerk>, TableError> {
        self.all_of(Query::partition("APPT#CLERK")).await
    }

    /// Claimed units of each clerk on each day.
    pub async fn busy_units(
        &self,
        clerk_ids: &[String],
        days: &[Date],
    ) -> Result<BusyUnits, TableError> {
        let mut busy = BusyUnits::new();
        for clerk in clerk_ids {
            let set = busy.entry(clerk.clone()).or_default();
            for day in days {
                for item in self
                    .all_items(Query::partition(unit_partition(clerk, *day)))
                    .await?
                {
                    if let Ok(t) = item.key.sk.parse::<Timestamp>() {
                        set.insert(t);
                    }
                }
            }
        }
        Ok(busy)
    }

    /// A booking with the version its next change must name.
    pub async fn booking(&self, id: Uuid) -> Result<Option<(Booking, u64)>, TableError> {
        match self.table.get(&booking_key(id)).await? {
            Some(item) => Ok(Some((item.parse()?, item.version))),
            None => Ok(None),
        }
    }

    /// The booking a short code stands for.
    pub async fn booking_by_code(
        &self,
        code: &BookingCode,
    ) -> Result<Option<(Booking, u64)>, TableError> {
        let Some(item) = self.table.get(&code_key(code)).await? else {
            return Ok(None);
        };
        match item
            .data
            .get("booking_id")
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok())
        {
            Some(id) => self.booking(id).await,
            None => Err(TableError::Corrupt("code without booking".into())),
        }
    }

    /// A citizen's bookings, soonest first.
    pub async fn bookings_of(&self, citizen: &str) -> Result<Vec<Booking>, TableError> {
        self.all_of(Query::index(
            IndexName::Gsi1,
            format!("APPT#CITIZEN#{citizen}"),
        ))
        .await
    }

    /// An office's bookings of one local day, by start.
    pub async fn day(&self, office: &str, day: Date) -> Result<Vec<Booking>, TableError> {
        self.all_of(Query::index(
            IndexName::Gsi2,
            format!("APPT#DAY#{office}#{day}"),
        ))
        .await
    }

    /// Bookings starting in `[from, to]` with their versions, for the reminder job.
    pub async fn starting_between(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Booking>, TableError> {
        let mut out = Vec::new();
        let mut day = from.to_zoned(TimeZone::UTC).date();
        let last = to.to_zoned(TimeZone::UTC).date();
        while day <= last {
            let query = Query::index(IndexName::Gsi3, format!("APPT#STARTS#{day}")).sort_key(
                SortKey::Between(instant_key(from), format!("{}~", instant_key(to))),
            );
            out.extend(self.all_of::<Booking>(query).await?);
            day = match day.tomorrow() {
                Ok(d) => d,
                Err(_) => break,
            };
        }
        Ok(out)
    }

    fn booking_write(&self, booking: &Booking) -> Result<ItemWrite, TableError> {
        let start = instant_key(booking.start);
        let utc_day = booking.start.to_zoned(TimeZone::UTC).date();
        Ok(ItemWrite::from_serde(booking_key(booking.id), booking)?
            .with_index(
                IndexName::Gsi1,
                Key::new(
                    format!("APPT#CITIZEN#{}", booking.citizen_id),
                    format!("{start}#{}", booking.id),
                ),
            )
            .with_index(
                IndexName::Gsi2,
                Key::new(
                    format!(
                        "APPT#DAY#{}#{}",
                        booking.office_id,
                        local_date(&self.tz, booking.start)
                    ),
                    format!("{start}#{}#{}", booking.clerk_id, booking.id),
                ),
            )
            .with_index(
                IndexName::Gsi3,
                Key::new(
                    format!("APPT#STARTS#{utc_day}"),
                    format!("{start}#{}", booking.id),
                ),
            ))
    }

    fn unit_claims(&self, clerk: &str, start: Timestamp, end: Timestamp, owner: &str) -> Vec<TxOp> {
        units(start, end)
            .into_iter()
            .map(|u| TxOp::Put {
                item: ItemWrite::new(
                    unit_key(&self.tz, clerk, u),
                    json!({ "owner": owner })
                        .as_object()
                        .cloned()
                        .unwrap_or_default(),
                ),
                condition: Condition::NotExists,
            })
            .collect()
    }

    fn unit_releases(
        &self,
        clerk: &str,
        start: Timestamp,
        end: Timestamp,
        owner: &str,
    ) -> Vec<TxOp> {
        units(start, end)
            .into_iter()
            .map(|u| TxOp::Delete {
                key: unit_key(&self.tz, clerk, u),
                condition: Condition::field_equals("owner", owner),
            })
            .collect()
    }

    /// The counter operation that moves a citizen's open bookings of a service by `delta`,
    /// refusing to go past `limit`; it holds only if nobody moved the counter meanwhile.
    pub async fn counter_op(
        &self,
        citizen: &str,
        service: &str,
        delta: i64,
        limit: u32,
    ) -> Result<Option<TxOp>, AppointmentError> {
        let key = counter_key(citizen, service);
        let current = self.table.get(&key).await?;
        let count = current
            .as_ref()
            .and_then(|i| i.data.get("count"))
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let next = (count + delta).max(0);
        if delta > 0 && count >= i64::from(limit) {
            return Err(AppointmentError::TooManyOpenBookings { limit });
        }
        Ok(Some(match current {
            Some(item) => TxOp::Update {
                key,
                update: Update::default().set("count", next),
                condition: Condition::Version(item.version),
            },
            None if delta > 0 => TxOp::Put {
                item: ItemWrite::new(
                    key,
                    json!({ "count": next })
                        .as_object()
                        .cloned()
                        .unwrap_or_default(),
                ),
                condition: Condition::NotExists,
            },
            None => return Ok(None),
        }))
    }

    /// Claims the booking's units, writes it and its code, and moves the counter, in one
    /// transaction; `extra` (an idempotency record) joins it last.
    pub async fn insert_booking(
        &self,
        booking: &Booking,
        counter: TxOp,
        extra: Option<TxOp>,
    ) -> Result<(), ClaimFailureOr> {
        let owner = format!("booking:{}", booking.id);
        let mut ops = self.unit_claims(&booking.clerk_id, booking.start, booking.end, &owner);
        let unit_range = 0..ops.len();
        ops.push(TxOp::Put {
            item: self.booking_write(booking)?,
            condition: Condition::NotExists,
        });
        let code_at = ops.len();
        ops.push(TxOp::Put {
            item: ItemWrite::new(
                code_key(&booking.code),
                json!({ "booking_id": booking.id })
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            ),
            condition: Condition::NotExists,
        });
        let counter_at = ops.len();
        ops.push(counter);
        let extra_at = ops.len();
        if let Some(op) = extra {
            ops.push(op);
        }
        let claim = Claim {
            ops,
            units: unit_range,
        };
        self.commit(claim, |i| {
            if i == extra_at {
                Some(ClaimFailure::IdempotencyRace)
            } else if i == counter_at {
                Some(ClaimFailure::CounterMoved)
            } else if i == code_at {
                Some(ClaimFailure::CodeCollision)
            } else {
                None
            }
        })
        .await
    }

    /// Replaces a booking that is at `version`, releasing `old` time and claiming the new
    /// time in the same transaction, so the citizen holds exactly one seat throughout.
    pub async fn replace_booking(
        &self,
        before: &Booking,
        version: u64,
        after: &Booking,
        counter: Option<TxOp>,
    ) -> Result<(), ClaimFailureOr> {
        let owner = format!("booking:{}", before.id);
        let moved = before.start != after.start || before.clerk_id != after.clerk_id;
        let releases_seat =
            before.status.is_open() && after.status == super::booking::BookingStatus::Cancelled;
        let mut ops = Vec::new();
        let mut unit_range = 0..0;
        if moved {
            // The new units are claimed first; a unit both old and new is neither claimed
            // nor released, it simply stays the booking's.
            let old = units(before.start, before.end);
            let new = units(after.start, after.end);
            let same_clerk = before.clerk_id == after.clerk_id;
            let claims: Vec<TxOp> = self
                .unit_claims(&after.clerk_id, after.start, after.end, &owner)
                .into_iter()
                .zip(new.iter())
                .filter(|(_, u)| !(same_clerk && old.contains(u)))
                .map(|(op, _)| op)
                .collect();
            unit_range = 0..claims.len();
            ops.extend(claims);
            ops.extend(
                self.unit_releases(&before.clerk_id, before.start, before.end, &owner)
                    .into_iter()
                    .zip(old.iter())
                    .filter(|(_, u)| !(same_clerk && new.contains(u)))
                    .map(|(op, _)| op),
            );
        } else if releases_seat {
            ops.extend(self.unit_releases(&before.clerk_id, before.start, before.end, &owner));
        }
        let booking_at = ops.len();
        ops.push(TxOp::Put {
            item: self.booking_write(after)?,
            condition: Condition::Version(version),
        });
        let counter_at = ops.len();
        if let Some(op) = counter {
            ops.push(op);
        }
        let claim = Claim {
            ops,
            units: unit_range,
        };
        self.commit(claim, |i| {
            if i == booking_at {
                Some(ClaimFailure::BookingMoved)
            } else if i == counter_at {
                Some(ClaimFailure::CounterMoved)
            } else {
                None
            }
        })
        .await
    }

    async fn commit(
        &self,
        claim: Claim,
        classify: impl Fn(usize) -> Option<ClaimFailure>,
    ) -> Result<(), ClaimFailureOr> {
        match self.table.transact(claim.ops).await {
            Ok(()) => Ok(()),
            Err(TableError::TransactionFailed { failed }) => {
                // Several conditions may fail at once; the most telling one is reported.
                let mut kinds: Vec<ClaimFailure> =
                    failed.iter().filter_map(|i| classify(*i)).collect();
                if failed.iter().any(|i| claim.units.contains(i)) {
                    kinds.push(ClaimFailure::SlotTaken);
                }
                let rank = |k: &ClaimFailure| match k {
                    ClaimFailure::IdempotencyRace => 0,
                    ClaimFailure::BookingMoved => 1,
                    ClaimFailure::SlotTaken => 2,
                    ClaimFailure::CounterMoved => 3,
                    ClaimFailure::CodeCollision => 4,
                };
                match kinds.into_iter().min_by_key(rank) {
                    Some(kind) => Err(ClaimFailureOr::Failed(kind)),
                    // A released unit no longer ours: the booking moved under us.
                    None => Err(ClaimFailureOr::Failed(ClaimFailure::BookingMoved)),
                }
            }
            Err(e) => Err(ClaimFailureOr::Error(e.into())),
        }
    }

    /// Marks the reminder of a booking's current start as sent; only one caller ever wins,
    /// however many jobs run at once.
    pub async fn claim_reminder(&self, booking: &Booking) -> Result<bool, TableError> {
        let condition = Condition::All(vec![
            Condition::field_equals("reminder", ReminderState::Pending.as_str()),
            Condition::field_equals("start", booking.start.to_string()),
        ]);
        let update = Update::default().set("reminder", ReminderState::Sent.as_str());
        match self
            .table
            .update(&booking_key(booking.id), update, condition)
            .await
        {
            Ok(_) => Ok(true),
            Err(TableError::ConditionFailed) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Undoes [`claim_reminder`](Self::claim_reminder) when sending failed, so the next run retries.
    pub async fn release_reminder(&self, booking: &Booking) -> Result<(), TableError> {
        let condition = Condition::All(vec![
            Condition::field_equals("reminder", ReminderState::Sent.as_str()),
            Condition::field_equals("start", booking.start.to_string()),
        ]);
        let update = Update::default().set("reminder", ReminderState::Pending.as_str());
        match self
            .table
            .update(&booking_key(booking.id), update, condition)
            .await
        {
            Ok(_) | Err(TableError::ConditionFailed) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// A clerk's blocks overlapping `[from, to)`.
    pub async fn blocks(
        &self,
        clerk: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Block>, TableError> {
        let blocks: Vec<Block> = self
            .all_of(
                Query::partition(block_partition(clerk))
                    .sort_key(SortKey::AtMost(format!("{}~", instant_key(to)))),
            )
            .await?;
        Ok(blocks
            .into_iter()
            .filter(|b| b.end > from && b.start < to)
            .collect())
    }

    /// Blocks time: claims its units (in transactions of at most 25) and records it; if any
    /// unit is already booked or blocked, what was claimed is given back and nothing stays.
    pub async fn add_block(&self, block: &Block) -> Result<(), AppointmentError> {
        let owner = format!("block:{}", block.id);
        let claims = self.unit_claims(&block.clerk_id, block.start, block.end, &owner);
        let record = TxOp::Put {
            item: ItemWrite::from_serde(
                Key::new(
                    block_partition(&block.clerk_id),
                    format!("{}#{}", instant_key(block.start), block.id),
                ),
                block,
            )?,
            condition: Condition::NotExists,
        };
        let all_units = units(block.start, block.end);
        let mut done = 0usize;
        let mut pending = Some(record);
        for chunk in claims.chunks(24) {
            let mut ops = chunk.to_vec();
            if let Some(r) = pending.take() {
                ops.push(r);
            }
            match self.table.transact(ops).await {
                Ok(()) => done += chunk.len(),
                Err(e) => {
                    if done > 0 {
                        self.release_block_units(block, &all_units[..done], true)
                            .await?;
                    }
                    return Err(if e.is_condition_failure() {
                        AppointmentError::TimeTaken
                    } else {
                        e.into()
                    });
                }
            }
        }
        Ok(())
    }

    /// Removes a block and frees its time.
    pub async fn remove_block(&self, block: &Block) -> Result<(), AppointmentError> {
        self.release_block_units(block, &units(block.start, block.end), true)
            .await
    }

    async fn release_block_units(
        &self,
        block: &Block,
        claimed: &[Timestamp],
        with_record: bool,
    ) -> Result<(), AppointmentError> {
        let owner = format!("block:{}", block.id);
        let mut ops = Vec::new();
        // Only units that are still this block's are deleted, under that very condition.
        for unit in claimed {
            let key = unit_key(&self.tz, &block.clerk_id, *unit);
            if let Some(item) = self.table.get(&key).await?
                && item.data.get("owner").and_then(Value::as_str) == Some(owner.as_str())
            {
                ops.push(TxOp::Delete {
                    key,
                    condition: Condition::field_equals("owner", owner.as_str()),
                });
            }
        }
        if with_record {
            ops.push(TxOp::Delete {
                key: Key::new(
                    block_partition(&block.clerk_id),
                    format!("{}#{}", instant_key(block.start), block.id),
                ),
                condition: Condition::None,
            });
        }
        for chunk in ops.chunks(25) {
            self.table.transact(chunk.to_vec()).await?;
        }
        Ok(())
    }

    /// A block by id.
    pub async fn block(&self, clerk: &str, id: Uuid) -> Result<Option<Block>, TableError> {
        let blocks: Vec<Block> = self
            .all_of(Query::partition(block_partition(clerk)))
            .await?;
        Ok(blocks.into_iter().find(|b| b.id == id))
    }
}

/// A failed booking write: a condition that did not hold, or the storage itself.
#[derive(Debug)]
pub enum ClaimFailureOr {
    Failed(ClaimFailure),
    Error(AppointmentError),
}

impl From<TableError> for ClaimFailureOr {
    fn from(e: TableError) -> Self {
        ClaimFailureOr::Error(e.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::appointments::hours::{TimeRange, WeeklyHours};
    use crate::appointments::office::Address;
    use crate::{ManualClock, MemoryTable};
    use futures::executor::block_on;

    fn store() -> AppointmentStore {
        let clock = Arc::new(ManualClock::new(Timestamp::UNIX_EPOCH));
        let tz = crate::appointments::budapest().expect("Europe/Budapest");
        AppointmentStore::new(Arc::new(MemoryTable::new(clock)), tz)
    }

    fn office(name: &str) -> Office {
        Office {
            id: "o1".into(),
            name: name.into(),
            address: Address {
                postal_code: "1052".into(),
                city: "Budapest".into(),
                street: "Városház utca 9-11.".into(),
            },
            opening_hours: WeeklyHours::weekdays(&[TimeRange::hm(8, 0, 16, 0)]),
            closed_days: vec![],
        }
    }

    #[test]
    fn seeding_an_office_twice_keeps_the_first() {
        let store = store();
        assert!(block_on(store.put_office(&office("Okmányiroda"), true)).expect("first"));
        assert!(!block_on(store.put_office(&office("Másik"), true)).expect("again"));
        let stored = block_on(store.office("o1")).expect("read").expect("office");
        assert_eq!(stored.name, "Okmányiroda");
        assert_eq!(block_on(store.offices()).expect("list").len(), 1);
    }

    #[test]
    fn an_office_is_replaced_when_asked() {
        let store = store();
        block_on(store.put_office(&office("Okmányiroda"), true)).expect("first");
        assert!(block_on(store.put_office(&office("Kormányablak"), false)).expect("replace"));
        let stored = block_on(store.office("o1")).expect("read").expect("office");
        assert_eq!(stored.name, "Kormányablak");
    }

    #[test]
    fn a_citizen_without_bookings_has_none() {
        let store = store();
        assert!(
            block_on(store.bookings_of("nobody"))
                .expect("bookings")
                .is_empty()
        );
        assert!(
            block_on(store.booking(Uuid::nil()))
                .expect("booking")
                .is_none()
        );
    }
}
