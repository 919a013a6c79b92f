//! Identification: a person's natural identity matched against the population register
//! (at first sign-in, or at the desk), so that the record says "identified against the
//! registry on …" and later decisions may trust what the register holds of them.
//!
//! A match writes the register's identity, addresses and card number into the record
//! linked to the account (creating it if there is none), with the identification and a
//! history entry, in one transaction with the audit entry. A mismatch changes nothing:
//! the caller shows which fields differ.

use super::error::CrmError;
use super::person::{
    Address, AddressKind, Identification, NaturalIdentity, PersonId, PersonRecord, RecordChange,
};
use super::registry::{DocumentCheck, DocumentKind, PersonMatch, RegisteredPerson, Registry};
use super::store::{PersonStore, StoredPerson};
use crate::audit::{AuditLog, AuditStream};
use crate::cases::Actor;
use crate::clock::{Clock, IdGenerator};
use crate::table::{Condition, ItemWrite, Key, TableError, TxOp};
use jiff::Timestamp;
use std::sync::Arc;

/// How often a write that lost a race to a concurrent one is tried again.
const MAX_ATTEMPTS: usize = 16;

/// Where an identification happened, as records name it.
pub mod channel {
    /// The citizen, at first sign-in (or later, from the portal).
    pub const SIGN_IN: &str = "sign_in";
    /// A clerk, with the person and their documents at the desk.
    pub const DESK: &str = "desk";
}

/// What an identification found.
#[derive(Debug, Clone, PartialEq)]
// An outcome lives for one call; boxing the record would only cost an allocation.
#[allow(clippy::large_enum_variant)]
pub enum IdentifyOutcome {
    /// The register knows the person: the record now says so.
    Identified {
        record: PersonRecord,
        /// Whether the record was created by this identification.
        created: bool,
    },
    /// The register knows nobody with this name and birth date.
    NoMatch,
    /// Somebody with this name and birth date, but these fields differ
    /// (`birth_place`, `mother_birth_name`, `birth_name`).
    Differs { fields: Vec<String> },
    /// The account's record is identified as another person of the register: nothing was
    /// changed, an office clerk must look at it.
    IdentifiedAsSomeoneElse,
}

/// The identification use case over the person records and the registry.
#[derive(Clone)]
pub struct PersonIdentification {
    store: PersonStore,
    registry: Arc<dyn Registry>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    audit: AuditLog,
}

impl PersonIdentification {
    pub fn new(
        store: PersonStore,
        registry: Arc<dyn Registry>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        audit: AuditLog,
    ) -> Self {
        Self {
            store,
            registry,
            clock,
            ids,
            audit,
        }
    }

    /// The citizen behind `account` identifies themselves (channel: [`channel::SIGN_IN`]).
    pub async fn identify(
        &self,
        account: &str,
        identity: NaturalIdentity,
        channel: &str,
    ) -> Result<IdentifyOutcome, CrmError> {
        self.identify_by(
            &Actor::Citizen(account.to_owned()),
            account,
            identity,
            channel,
        )
        .await
    }

    /// `actor` (the citizen, or a clerk at the desk) identifies the person behind
    /// `account`. Registry errors come back as [`CrmError::Registry`]: try again later;
    /// a person of the register already identified on another account's record is
    /// [`CrmError::AccountTaken`] (the office must look at it).
    pub async fn identify_by(
        &self,
        actor: &Actor,
        account: &str,
        identity: NaturalIdentity,
        channel: &str,
    ) -> Result<IdentifyOutcome, CrmError> {
        self.identify_target(actor, Target::Account(account), identity, channel, None)
            .await
    }

    /// A clerk identifies the person of record `id` at the desk: the identity document
    /// shown is checked against the document register (an expired, withdrawn, lost or
    /// stolen one is refused as `/document/number`), then the record's natural identity
    /// against the population register. A record without an account can be identified
    /// this way too.
    pub async fn identify_at_desk(
        &self,
        actor: &Actor,
        id: PersonId,
        document: DocumentKind,
        number: &str,
    ) -> Result<IdentifyOutcome, CrmError> {
        let number = number.trim();
        if number.is_empty() || number.chars().count() > 40 || number.chars().any(char::is_control)
        {
            return Err(CrmError::field(
                "/document/number",
                "the document's number is needed",
            ));
        }
        let stored = self.store.get(id).await?.ok_or(CrmError::UnknownPerson)?;
        if stored.record.merged_into.is_some() {
            return Err(CrmError::Merged);
        }
        let holder = match self.registry.document(document, number).await? {
            DocumentCheck::Valid { holder, .. } => holder,
            DocumentCheck::Invalid { reason } => {
                return Err(CrmError::field(
                    "/document/number",
                    format!("the document register refuses this document: {reason}"),
                ));
            }
            DocumentCheck::Unknown => {
                return Err(CrmError::field(
                    "/document/number",
                    "the document register does not know this document",
                ));
            }
        };
        self.identify_target(
            actor,
            Target::Record(id),
            stored.record.identity,
            channel::DESK,
            holder.as_deref(),
        )
        .await
    }

    async fn identify_target(
        &self,
        actor: &Actor,
        target: Target<'_>,
        identity: NaturalIdentity,
        channel: &str,
        document_holder: Option<&str>,
    ) -> Result<IdentifyOutcome, CrmError> {
        if identity.family_name.trim().is_empty() {
            return Err(CrmError::field("/family_name", "a family name is needed"));
        }
        if identity.given_name.trim().is_empty() {
            return Err(CrmError::field("/given_name", "a given name is needed"));
        }
        if identity.birth_date.is_none() {
            return Err(CrmError::field("/birth_date", "a birth date is needed"));
        }
        let registered = match self.registry.person(&identity).await? {
            PersonMatch::Match { person } => person,
            PersonMatch::NoMatch => return Ok(IdentifyOutcome::NoMatch),
            PersonMatch::Differs { fields } => return Ok(IdentifyOutcome::Differs { fields }),
        };
        if document_holder.is_some_and(|holder| holder != registered.registry_id) {
            return Err(CrmError::field(
                "/document/number",
                "the document was issued to someone else",
            ));
        }
        for _ in 0..MAX_ATTEMPTS {
            let previous = match target {
                Target::Account(account) => self.store.by_account(account).await?,
                Target::Record(id) => {
                    Some(self.store.get(id).await?.ok_or(CrmError::UnknownPerson)?)
                }
            };
            if let Some(stored) = &previous {
                if stored.record.merged_into.is_some() {
                    return Err(CrmError::Merged);
                }
                if stored
                    .record
                    .identified
                    .as_ref()
                    .is_some_and(|i| i.registry_id != registered.registry_id)
                {
                    return Ok(IdentifyOutcome::IdentifiedAsSomeoneElse);
                }
            }
            let now = self.clock.now();
            let mut record = match (&previous, target) {
                (Some(stored), _) => stored.record.clone(),
                (None, Target::Account(account)) => blank_record(
                    PersonId(self.ids.new_id()),
                    account,
                    registered.identity.clone(),
                    now,
                )?,
                (None, Target::Record(_)) => return Err(CrmError::UnknownPerson),
            };
            apply_register(&mut record, &registered, now);
            record.identified = Some(Identification {
                at: now,
                registry: self.registry.name().to_owned(),
                registry_id: registered.registry_id.clone(),
                channel: channel.to_owned(),
            });
            record.history.push(RecordChange {
                at: now,
                by: actor.account().unwrap_or("system").to_owned(),
                what: "identified".into(),
                detail: Some(format!(
                    "azonosítva a nyilvántartásban ({}, {channel})",
                    self.registry.name()
                )),
            });
            if registered.deceased_on.is_some() {
                add_flag(&mut record, "deceased");
            }
            record.updated_at = now;
            let mut ops = PersonStore::save_ops(&record, previous.as_ref())?;
            match self
                .registry_claim(&registered.registry_id, record.id)
                .await?
            {
                Claim::Ours => {}
                Claim::Free(op) => ops.push(op),
                Claim::Taken => return Err(CrmError::AccountTaken),
            }
            let event = self
                .audit
                .event(AuditStream::person(record.id), actor, "identify", None)
                .on(format!("registry/{}", self.registry.name()));
            ops.extend(self.audit.seal(vec![event]).await?);
            match self.audit.commit(ops).await {
                Ok(()) => {
                    return Ok(IdentifyOutcome::Identified {
                        record,
                        created: previous.is_none(),
                    });
                }
                Err(e) if e.is_condition_failure() || e == TableError::Conflict => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(CrmError::Busy)
    }

    /// Whether the register's person is free to be linked to the record `id`: one person
    /// of the register is identified on one record only, so that somebody who knows
    /// another's natural identity cannot borrow it for a second account.
    async fn registry_claim(&self, registry_id: &str, id: PersonId) -> Result<Claim, CrmError> {
        let key = registry_claim_key(registry_id);
        let table = self.store.table();
        if let Some(item) = table.get(&key).await? {
            let claim: RegistryClaim = item.parse()?;
            if claim.person == id {
                return Ok(Claim::Ours);
            }
            // A claim of a record since merged into this one (or gone) passes over to it.
            let holder = self.store.get(claim.person).await?;
            let passes = holder.is_none_or(|h| h.record.merged_into == Some(id));
            if !passes {
                return Ok(Claim::Taken);
            }
            return Ok(Claim::Free(TxOp::Put {
                item: ItemWrite::from_serde(key, &RegistryClaim { person: id })?,
                condition: Condition::Version(item.version),
            }));
        }
        Ok(Claim::Free(TxOp::Put {
            item: ItemWrite::from_serde(key, &RegistryClaim { person: id })?,
            condition: Condition::NotExists,
        }))
    }

    /// The record of `account`, if it is identified.
    pub async fn identified(&self, account: &str) -> Result<Option<StoredPerson>, CrmError> {
        Ok(self
            .store
            .by_account(account)
            .await?
            .filter(|s| s.record.identified.is_some()))
    }
}

/// Whose record an identification is for.
#[derive(Clone, Copy)]
enum Target<'a> {
    /// The record of a login account, created when it has none.
    Account(&'a str),
    /// A record the office found (it may have no account).
    Record(PersonId),
}

/// The item naming the record a person of the register is identified on.
fn registry_claim_key(registry_id: &str) -> Key {
    Key::new(format!("crm-registry#{registry_id}"), "claim")
}

#[derive(serde::Serialize, serde::Deserialize)]
struct RegistryClaim {
    person: PersonId,
}

/// Whether a person of the register may be linked to a record.
#[allow(clippy::large_enum_variant)] // built once per identification, never stored
enum Claim {
    /// Already linked to it.
    Ours,
    /// Free: the write that links it, for the identification's transaction.
    Free(TxOp),
    /// Identified on another record.
    Taken,
}

/// A new record of `identity` linked to `account`, every other part empty.
pub(crate) fn blank_record(
    id: PersonId,
    account: &str,
    identity: NaturalIdentity,
    now: Timestamp,
) -> Result<PersonRecord, CrmError> {
    // Built from its serde form, so that parts added to the record later start empty.
    serde_json::from_value(serde_json::json!({
        "id": id,
        "identity": identity,
        "account": account,
        "created_at": now,
        "updated_at": now,
    }))
    .map_err(|e| CrmError::Table(TableError::Invalid(format!("a new person record: {e}"))))
}

/// The register's address of `kind`, as the record keeps it (checked now).
fn registered_address(address: &Address, kind: AddressKind, now: Timestamp) -> Address {
    Address {
        kind,
        verified_at: Some(now),
        ..address.clone()
    }
}

/// Writes what the register holds into the record: the natural identity, the permanent
/// and temporary addresses (mailing addresses stay), the card number.
pub(crate) fn apply_register(record: &mut PersonRecord, person: &RegisteredPerson, now: Timestamp) {
    record.identity = person.identity.clone();
    record
        .addresses
        .retain(|a| !matches!(a.kind, AddressKind::Permanent | AddressKind::Temporary));
    if let Some(home) = &person.permanent_address {
        record
            .addresses
            .push(registered_address(home, AddressKind::Permanent, now));
    }
    if let Some(stay) = &person.temporary_address {
        record
            .addresses
            .push(registered_address(stay, AddressKind::Temporary, now));
    }
    if person.card_number.is_some() {
        record.card_number = person.card_number.clone();
    }
}

/// Adds an office flag once.
pub(crate) fn add_flag(record: &mut PersonRecord, flag: &str) -> bool {
    if record.flags.iter().any(|f| f == flag) {
        return false;
    }
    record.flags.push(flag.to_owned());
    true
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::crm::registry::RegistryError;
    use crate::crm::registry::in_test::{TestRegistry, anna};
    use crate::{ManualClock, MemoryTable, SequentialIds};
    use futures::executor::block_on;

    pub(crate) struct World {
        pub store: PersonStore,
        pub registry: Arc<TestRegistry>,
        pub audit: AuditLog,
        pub clock: Arc<ManualClock>,
        pub identification: PersonIdentification,
    }

    pub(crate) fn world() -> World {
        let clock = Arc::new(ManualClock::new(
            "2026-03-02T09:00:00Z".parse().expect("time"),
        ));
        let ids: Arc<dyn IdGenerator> = Arc::new(SequentialIds::default());
        let table: Arc<dyn crate::Table> = Arc::new(MemoryTable::new(clock.clone()));
        let store = PersonStore::new(table.clone());
        let audit = AuditLog::new(table, clock.clone(), ids.clone());
        let registry = Arc::new(TestRegistry::with(anna()));
        let identification = PersonIdentification::new(
            store.clone(),
            registry.clone(),
            clock.clone(),
            ids,
            audit.clone(),
        );
        World {
            store,
            registry,
            audit,
            clock,
            identification,
        }
    }

    fn asked() -> NaturalIdentity {
        anna().identity
    }

    #[test]
    fn a_clerk_identifies_a_record_without_account_only_on_a_valid_document() {
        block_on(async {
            let w = world();
            let now = w.clock.now();
            let mut desk: PersonRecord = serde_json::from_value(serde_json::json!({
                "id": PersonId(uuid::Uuid::from_u128(77)),
                "identity": asked(),
                "created_at": now,
                "updated_at": now,
            }))
            .expect("record");
            desk.addresses.clear();
            let ops = PersonStore::save_ops(&desk, None).expect("ops");
            w.store.table().transact(ops).await.expect("saved");
            let clerk = Actor::Clerk("clerk-1".into());

            for (number, detail) in [
                (
                    "666666XX",
                    "the document register refuses this document: stolen",
                ),
                ("777777AB", "the document was issued to someone else"),
                (
                    "000000AA",
                    "the document register does not know this document",
                ),
                ("  ", "the document's number is needed"),
            ] {
                let refused = w
                    .identification
                    .identify_at_desk(&clerk, desk.id, DocumentKind::IdentityCard, number)
                    .await;
                assert_eq!(
                    refused,
                    Err(CrmError::field("/document/number", detail)),
                    "{number}"
                );
            }
            let untouched = w.store.get(desk.id).await.expect("read").expect("kept");
            assert!(untouched.record.identified.is_none());

            let outcome = w
                .identification
                .identify_at_desk(&clerk, desk.id, DocumentKind::IdentityCard, "123456AB")
                .await
                .expect("identified");
            let IdentifyOutcome::Identified { record, created } = outcome else {
                panic!("{outcome:?}");
            };
            assert!(!created);
            assert_eq!(record.id, desk.id);
            assert_eq!(record.account, None);
            let identified = record.identified.as_ref().expect("identified");
            assert_eq!(identified.channel, channel::DESK);
            assert_eq!(identified.registry_id, "R-1");
            assert_eq!(
                record
                    .history
                    .last()
                    .map(|c| (c.what.as_str(), c.by.as_str())),
                Some(("identified", "clerk-1"))
            );
        });
    }

    #[test]
    fn a_matching_identity_creates_the_identified_record_of_the_account() {
        block_on(async {
            let w = world();
            let outcome = w
                .identification
                .identify("acc-1", asked(), channel::SIGN_IN)
                .await
                .expect("identified");
            let IdentifyOutcome::Identified { record, created } = outcome else {
                panic!("{outcome:?}");
            };
            assert!(created);
            let stored = w
                .store
                .by_account("acc-1")
                .await
                .expect("read")
                .expect("linked");
            assert_eq!(stored.record, record);
            let identified = record.identified.as_ref().expect("identified");
            assert_eq!(identified.registry, "test");
            assert_eq!(identified.registry_id, "R-1");
            assert_eq!(identified.channel, "sign_in");
            assert_eq!(identified.at, w.clock.now());
            let home = record
                .address(AddressKind::Permanent, jiff::civil::date(2026, 3, 2))
                .expect("home");
            assert_eq!(home.district.as_deref(), Some("V"));
            assert!(home.verified_at.is_some());
            assert_eq!(record.card_number.as_deref(), Some("123456AB"));
            assert_eq!(
                record.history.last().map(|c| c.what.as_str()),
                Some("identified")
            );
            let trail = w
                .audit
                .trail(&AuditStream::person(record.id))
                .await
                .expect("trail");
            assert_eq!(trail.len(), 1);
            assert_eq!(trail[0].action, "identify");

            // Identifying again (at the desk) updates the same record.
            let again = w
                .identification
                .identify_by(
                    &Actor::Clerk("clerk-1".into()),
                    "acc-1",
                    asked(),
                    channel::DESK,
                )
                .await
                .expect("again");
            let IdentifyOutcome::Identified {
                record: second,
                created,
            } = again
            else {
                panic!("{again:?}");
            };
            assert!(!created);
            assert_eq!(second.id, record.id);
            assert_eq!(second.identified.expect("identified").channel, "desk");
            assert_eq!(second.history.len(), 2);
            assert_eq!(second.history[1].by, "clerk-1");
        });
    }

    #[test]
    fn an_identity_the_register_does_not_hold_identifies_nobody() {
        block_on(async {
            let w = world();
            let mut wrong_mother = asked();
            wrong_mother.mother_birth_name = Some("Kiss Ilona".into());
            assert_eq!(
                w.identification
                    .identify("acc-1", wrong_mother, channel::SIGN_IN)
                    .await
                    .expect("answer"),
                IdentifyOutcome::Differs {
                    fields: vec!["mother_birth_name".into()]
                }
            );
            let mut stranger = asked();
            stranger.family_name = "Senki".into();
            assert_eq!(
                w.identification
                    .identify("acc-1", stranger, channel::SIGN_IN)
                    .await
                    .expect("answer"),
                IdentifyOutcome::NoMatch
            );
            assert!(w.store.by_account("acc-1").await.expect("read").is_none());
        });
    }

    #[test]
    fn an_identity_without_a_birth_date_is_refused_with_the_field_named() {
        block_on(async {
            let w = world();
            let mut bare = asked();
            bare.birth_date = None;
            let Err(CrmError::Invalid(fields)) = w
                .identification
                .identify("acc-1", bare, channel::SIGN_IN)
                .await
            else {
                panic!("refused");
            };
            assert_eq!(fields[0].pointer, "/birth_date");
        });
    }

    #[test]
    fn a_registry_that_does_not_answer_is_an_error_and_changes_nothing() {
        block_on(async {
            let w = world();
            w.registry.set_down(true);
            assert!(matches!(
                w.identification
                    .identify("acc-1", asked(), channel::SIGN_IN)
                    .await,
                Err(CrmError::Registry(RegistryError::Unavailable(_)))
            ));
            assert!(w.store.by_account("acc-1").await.expect("read").is_none());
        });
    }

    #[test]
    fn someone_who_knows_anothers_identity_cannot_identify_a_second_account_as_her() {
        block_on(async {
            let w = world();
            w.identification
                .identify("acc-1", asked(), channel::SIGN_IN)
                .await
                .expect("the real one");
            assert_eq!(
                w.identification
                    .identify("acc-2", asked(), channel::SIGN_IN)
                    .await,
                Err(CrmError::AccountTaken)
            );
            assert!(w.store.by_account("acc-2").await.expect("read").is_none());
            // The real one may identify again (at the desk, say).
            assert!(matches!(
                w.identification
                    .identify("acc-1", asked(), channel::DESK)
                    .await,
                Ok(IdentifyOutcome::Identified { created: false, .. })
            ));
        });
    }

    #[test]
    fn an_account_identified_as_one_person_cannot_become_another() {
        block_on(async {
            let w = world();
            w.identification
                .identify("acc-1", asked(), channel::SIGN_IN)
                .await
                .expect("first");
            let mut other = anna();
            other.registry_id = "R-2".into();
            other.identity.given_name = "Béla".into();
            w.registry.put(other.clone());
            assert_eq!(
                w.identification
                    .identify("acc-1", other.identity, channel::SIGN_IN)
                    .await
                    .expect("answer"),
                IdentifyOutcome::IdentifiedAsSomeoneElse
            );
            let stored = w
                .store
                .by_account("acc-1")
                .await
                .expect("read")
                .expect("linked");
            assert_eq!(stored.record.identified.expect("kept").registry_id, "R-1");
            assert_eq!(stored.record.identity.given_name, "Anna");
        });
    }
}
