//! The periodic refresh: every identified person record is compared with what the
//! population register holds now; moves, changes of name and deaths are written into the
//! record with its history and flagged for the office (`moved`, `name_changed`,
//! `deceased`, `not_in_register`). A registry that does not answer is left for the next
//! run, never taken as a change.

use super::error::CrmError;
use super::identify::{add_flag, apply_register};
use super::person::{Address, AddressKind, PersonId, PersonRecord, RecordChange};
use super::quality::fold::fold;
use super::registry::{RegisteredPerson, Registry};
use super::store::{PersonStore, StoredPerson};
use crate::audit::{AuditLog, AuditStream};
use crate::cases::Actor;
use crate::clock::Clock;
use crate::table::TableError;
use jiff::Timestamp;

/// How often a record that changed under the refresh is read and compared again.
const MAX_ATTEMPTS: usize = 8;

/// What one run of the refresh did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefreshReport {
    /// Identified records the register was asked about and answered for.
    pub checked: usize,
    /// Records that changed (a move, a name, a death, gone from the register).
    pub changed: usize,
    /// Records the register did not answer for (tried again on the next run).
    pub failed: usize,
    /// The records that changed, in the order they were written: what the search index
    /// must take up again ([`super::Crm::apply_changes`]).
    pub changed_ids: Vec<PersonId>,
}

impl std::fmt::Display for RefreshReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "checked {}, changed {}, failed {}",
            self.checked, self.changed, self.failed
        )
    }
}

fn same_address(record: Option<&Address>, register: Option<&Address>) -> bool {
    let key = |a: &Address| {
        (
            a.postcode.trim().to_owned(),
            fold(&a.city),
            fold(&a.street),
            fold(&a.number),
        )
    };
    record.map(key) == register.map(key)
}

fn current(record: &PersonRecord, kind: AddressKind) -> Option<&Address> {
    record.addresses.iter().find(|a| a.kind == kind)
}

/// Compares a record with the register's data and brings it up to date; `true` when
/// anything changed.
fn compare(record: &mut PersonRecord, person: &RegisteredPerson, now: Timestamp) -> bool {
    let mut changes = Vec::new();
    let mut flags = Vec::new();
    if !same_address(
        current(record, AddressKind::Permanent),
        person.permanent_address.as_ref(),
    ) {
        let detail = match &person.permanent_address {
            Some(home) => format!(
                "új lakóhely: {}{}",
                home.one_line(),
                home.district
                    .as_deref()
                    .map(|d| format!(" ({d}. kerület)"))
                    .unwrap_or_default()
            ),
            None => "a nyilvántartásban nincs lakóhely".into(),
        };
        changes.push(("moved", detail));
        flags.push("moved");
    }
    if !same_address(
        current(record, AddressKind::Temporary),
        person.temporary_address.as_ref(),
    ) {
        changes.push((
            "temporary_address_changed",
            match &person.temporary_address {
                Some(stay) => format!("tartózkodási hely: {}", stay.one_line()),
                None => "a tartózkodási hely megszűnt".into(),
            },
        ));
    }
    if record.identity.family_name != person.identity.family_name
        || record.identity.given_name != person.identity.given_name
    {
        changes.push((
            "name_changed",
            format!(
                "{} → {}",
                record.identity.full_name(),
                person.identity.full_name()
            ),
        ));
        flags.push("name_changed");
    } else if record.identity != person.identity {
        changes.push((
            "identity_changed",
            "a természetes személyazonosító adatok változtak".into(),
        ));
    }
    if let Some(day) = person.deceased_on
        && !record.flags.iter().any(|f| f == "deceased")
    {
        changes.push(("deceased", format!("elhunyt: {day}")));
        flags.push("deceased");
    }
    if person.card_number.is_some() && person.card_number != record.card_number {
        changes.push(("card_changed", "új lakcímkártya".into()));
    }
    if changes.is_empty() {
        return false;
    }
    apply_register(record, person, now);
    for flag in flags {
        add_flag(record, flag);
    }
    for (what, detail) in changes {
        record.history.push(RecordChange {
            at: now,
            by: "registry".into(),
            what: what.into(),
            detail: Some(detail),
        });
    }
    record.updated_at = now;
    true
}

/// Marks a record the register no longer knows; `true` the first time.
fn gone(record: &mut PersonRecord, now: Timestamp) -> bool {
    if !add_flag(record, "not_in_register") {
        return false;
    }
    record.history.push(RecordChange {
        at: now,
        by: "registry".into(),
        what: "not_in_register".into(),
        detail: Some("a nyilvántartás nem ismeri a személyt".into()),
    });
    record.updated_at = now;
    true
}

/// Refreshes every identified, unmerged record from the register, `batch` records per
/// page of the listing.
pub async fn refresh_identified(
    store: &PersonStore,
    registry: &dyn Registry,
    clock: &dyn Clock,
    audit: &AuditLog,
    batch: usize,
) -> Result<RefreshReport, CrmError> {
    let mut report = RefreshReport::default();
    let mut cursor = None;
    loop {
        let (page, next) = store.list(cursor, batch.max(1)).await?;
        for stored in page {
            refresh_stored(store, registry, clock, audit, stored, &mut report).await?;
        }
        match next {
            Some(next) => cursor = Some(next),
            None => return Ok(report),
        }
    }
}

async fn refresh_stored(
    store: &PersonStore,
    registry: &dyn Registry,
    clock: &dyn Clock,
    audit: &AuditLog,
    first: StoredPerson,
    report: &mut RefreshReport,
) -> Result<(), CrmError> {
    let id = first.record.id;
    let mut next = Some(first);
    for _ in 0..MAX_ATTEMPTS {
        let current = match next.take() {
            Some(s) => s,
            None => match store.get(id).await? {
                Some(s) => s,
                None => return Ok(()),
            },
        };
        if current.record.merged_into.is_some() {
            return Ok(());
        }
        let Some(identified) = &current.record.identified else {
            return Ok(());
        };
        let answer = match registry.person_by_id(&identified.registry_id).await {
            Ok(answer) => answer,
            Err(e) => {
                tracing::warn!(person = %id, error = %e, "registry refresh: no answer");
                report.failed += 1;
                return Ok(());
            }
        };
        let now = clock.now();
        let mut record = current.record.clone();
        let changed = match &answer {
            Some(person) => compare(&mut record, person, now),
            None => gone(&mut record, now),
        };
        if !changed {
            report.checked += 1;
            return Ok(());
        }
        let mut ops = PersonStore::save_ops(&record, Some(&current))?;
        let event = audit
            .event(
                AuditStream::person(id),
                &Actor::System,
                "registry_refresh",
                None,
            )
            .on(format!("registry/{}", registry.name()));
        ops.extend(audit.seal(vec![event]).await?);
        match audit.commit(ops).await {
            Ok(()) => {
                report.checked += 1;
                report.changed += 1;
                report.changed_ids.push(id);
                return Ok(());
            }
            Err(e) if e.is_condition_failure() || e == TableError::Conflict => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(CrmError::Busy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crm::identify::channel;
    use crate::crm::identify::tests::world;
    use crate::crm::registry::in_test::anna;
    use futures::executor::block_on;
    use jiff::civil::date;

    fn flags(record: &PersonRecord) -> Vec<&str> {
        record.flags.iter().map(String::as_str).collect()
    }

    #[test]
    fn moves_changes_of_name_and_deaths_are_recorded_and_flagged_once() {
        block_on(async {
            let w = world();
            w.identification
                .identify("acc-1", anna().identity, channel::SIGN_IN)
                .await
                .expect("identified");
            // An unidentified record is not asked about.
            let run =
                || refresh_identified(&w.store, w.registry.as_ref(), w.clock.as_ref(), &w.audit, 2);
            assert_eq!(
                run().await.expect("run"),
                RefreshReport {
                    checked: 1,
                    ..RefreshReport::default()
                }
            );
            let id = w
                .store
                .by_account("acc-1")
                .await
                .expect("read")
                .expect("record")
                .record
                .id;

            let mut moved = anna();
            let home = moved.permanent_address.as_mut().expect("home");
            home.postcode = "1111".into();
            home.street = "Bartók Béla út".into();
            home.number = "45.".into();
            home.district = Some("XI".into());
            moved.identity.family_name = "Nagy".into();
            moved.identity.birth_name = Some("Kovács Anna".into());
            w.registry.put(moved);
            assert_eq!(
                run().await.expect("run"),
                RefreshReport {
                    checked: 1,
                    changed: 1,
                    failed: 0,
                    changed_ids: vec![id],
                }
            );
            let record = w
                .store
                .by_account("acc-1")
                .await
                .expect("read")
                .expect("record")
                .record;
            assert_eq!(flags(&record), ["moved", "name_changed"]);
            assert_eq!(record.identity.family_name, "Nagy");
            let home = record
                .address(AddressKind::Permanent, date(2026, 3, 2))
                .expect("home");
            assert_eq!(home.district.as_deref(), Some("XI"));
            let whats: Vec<&str> = record.history.iter().map(|c| c.what.as_str()).collect();
            assert_eq!(whats, ["identified", "moved", "name_changed"]);
            assert!(record.history.iter().skip(1).all(|c| c.by == "registry"));

            // Nothing new: nothing written, no flag twice, nothing to re-index.
            let quiet = run().await.expect("run");
            assert_eq!((quiet.changed, quiet.changed_ids), (0, vec![]));

            let mut dead = w.registry.persons.lock().expect("lock")["R-1"].clone();
            dead.deceased_on = Some(date(2026, 2, 20));
            w.registry.put(dead);
            assert_eq!(run().await.expect("run").changed, 1);
            assert_eq!(run().await.expect("run").changed, 0);
            let record = w
                .store
                .by_account("acc-1")
                .await
                .expect("read")
                .expect("record")
                .record;
            assert_eq!(flags(&record), ["moved", "name_changed", "deceased"]);
            let trail = w
                .audit
                .trail(&crate::audit::AuditStream::person(record.id))
                .await
                .expect("trail");
            let actions: Vec<&str> = trail.iter().map(|e| e.action.as_str()).collect();
            assert_eq!(
                actions,
                ["identify", "registry_refresh", "registry_refresh"]
            );
        });
    }

    #[test]
    fn a_silent_registry_is_counted_and_an_unknown_key_is_flagged() {
        block_on(async {
            let w = world();
            w.identification
                .identify("acc-1", anna().identity, channel::SIGN_IN)
                .await
                .expect("identified");
            w.registry.set_down(true);
            let report = refresh_identified(
                &w.store,
                w.registry.as_ref(),
                w.clock.as_ref(),
                &w.audit,
                10,
            )
            .await
            .expect("run");
            assert_eq!(
                report,
                RefreshReport {
                    failed: 1,
                    ..RefreshReport::default()
                }
            );
            let record = w
                .store
                .by_account("acc-1")
                .await
                .expect("read")
                .expect("record")
                .record;
            assert!(record.flags.is_empty(), "no answer is not a change");

            w.registry.set_down(false);
            w.registry.persons.lock().expect("lock").clear();
            let report = refresh_identified(
                &w.store,
                w.registry.as_ref(),
                w.clock.as_ref(),
                &w.audit,
                10,
            )
            .await
            .expect("run");
            let record = w
                .store
                .by_account("acc-1")
                .await
                .expect("read")
                .expect("record")
                .record;
            assert_eq!(
                report,
                RefreshReport {
                    checked: 1,
                    changed: 1,
                    failed: 0,
                    changed_ids: vec![record.id],
                }
            );
            assert_eq!(flags(&record), ["not_in_register"]);
        });
    }
}
