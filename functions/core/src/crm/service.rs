//! The CRM's use cases: records created, corrected, read (each read audited with its
//! purpose), searched, saved searches, duplicates reviewed and merged, bounces applied,
//! and a person's own copy of what the municipality holds (GDPR art. 15).
//!
//! The table is the record of truth; the search index follows each write in the same
//! process (locally) or from the change stream (on AWS), and is rebuilt by [`Crm::reindex`].

use super::addresses::{ADDRESS_UNCHECKED, verify_addresses};
use super::duplicates::{Candidate, MatchReason, candidate_pairs, score_pair};
use super::error::CrmError;
use super::input::{CheckedInput, PersonInput};
use super::person::{
    ContactState, GenderSource, PersonId, PersonRecord, RecordChange, RecordedGender,
};
use super::quality::dsn::{Bounce, BounceKind};
use super::quality::gender::fill_inferred_gender;
use super::registry::Registry;
use super::search::{Activity, Criteria, PageRequest, PersonDoc, PersonIndex, SearchPage};
use super::store::{PersonStore, StoredPerson};
use crate::appointments::store::AppointmentStore;
use crate::audit::{AuditEvent, AuditLog, AuditStream};
use crate::cases::{Actor, CaseStore};
use crate::idempotency::{self, IdempotencyError, Replay};
use crate::notify::suppression::{SuppressionList, SuppressionReason};
use crate::payments::store::PaymentStore;
use crate::{Clock, Condition, IdGenerator, IndexName, ItemWrite, Key, Query, Table, TableError};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use uuid::Uuid;

const MAX_ATTEMPTS: usize = 5;

/// Why someone in the office reads a record: recorded with every read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Working a case of the person.
    CaseWork,
    /// Serving the person at the desk or on the phone.
    CustomerService,
    /// Correcting the record (data cleansing).
    DataQuality,
    /// Reviewing a possible duplicate.
    DuplicateReview,
    /// Answering the person's own request (access, correction, erasure).
    DataSubjectRequest,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::CaseWork => "case_work",
            Purpose::CustomerService => "customer_service",
            Purpose::DataQuality => "data_quality",
            Purpose::DuplicateReview => "duplicate_review",
            Purpose::DataSubjectRequest => "data_subject_request",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Purpose::CaseWork,
            Purpose::CustomerService,
            Purpose::DataQuality,
            Purpose::DuplicateReview,
            Purpose::DataSubjectRequest,
        ]
        .into_iter()
        .find(|p| p.as_str() == text)
    }
}

/// Who acts and from where, for the audit log.
#[derive(Debug, Clone)]
pub struct CrmActor {
    pub actor: Actor,
    pub origin: Option<String>,
}

impl CrmActor {
    pub(super) fn by(&self) -> String {
        self.actor.account().unwrap_or("system").to_owned()
    }
}

/// A search saved with a name: its result is a live audience.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SavedSearch {
    pub id: Uuid,
    pub name: String,
    /// The account that saved it.
    pub owner: String,
    pub criteria: Criteria,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
}

/// Where a candidate pair stands in the review queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PairState {
    Open,
    Merged {
        survivor: PersonId,
        by: String,
        #[schema(value_type = String)]
        at: Timestamp,
    },
    NotSame {
        by: String,
        #[schema(value_type = String)]
        at: Timestamp,
    },
}

/// A possible duplicate in the review queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DuplicatePair {
    /// `<a>~<b>`, the two record ids in order.
    pub id: String,
    pub a: PersonId,
    pub b: PersonId,
    pub score: f64,
    /// Why the pair was proposed (`same_email`, `{"similar_name": 0.94}`…).
    #[schema(value_type = Vec<serde_json::Value>)]
    pub reasons: Vec<MatchReason>,
    pub state: PairState,
    #[schema(value_type = String)]
    pub found_at: Timestamp,
}

impl DuplicatePair {
    pub fn pair_id(a: PersonId, b: PersonId) -> String {
        let (a, b) = if a <= b { (a, b) } else { (b, a) };
        format!("{a}~{b}")
    }
}

/// What a duplicate scan found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, utoipa::ToSchema)]
pub struct ScanReport {
    pub persons: usize,
    pub candidates: usize,
    /// Candidates not in the queue before (pairs already reviewed are never reopened).
    pub new: usize,
}

/// What applying bounces changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, utoipa::ToSchema)]
pub struct BounceReport {
    pub bounces: usize,
    /// Records whose address was marked.
    pub records: usize,
    /// Addresses no longer mailed.
    pub suppressed: usize,
}

/// A person's own copy of what the municipality holds about her (GDPR art. 15).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SubjectAccess {
    pub record: Option<PersonRecord>,
    #[schema(value_type = Vec<Object>)]
    pub activity: Vec<Activity>,
    #[schema(value_type = String)]
    pub produced_at: Timestamp,
}

/// What the CRM needs from outside.
pub struct CrmPorts {
    pub table: Arc<dyn Table>,
    pub index: Arc<dyn PersonIndex>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    pub audit: AuditLog,
}

#[derive(Clone)]
pub struct Crm {
    pub store: PersonStore,
    pub index: Arc<dyn PersonIndex>,
    pub suppressions: SuppressionList,
    pub(super) clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    pub(super) audit: AuditLog,
    tz: TimeZone,
    /// The address register that entered addresses are checked against, when connected.
    pub(super) registry: Option<Arc<dyn Registry>>,
}

fn searches_key(id: Uuid) -> Key {
    Key::new(format!("crm-search#{id}"), "search")
}

fn pair_key(id: &str) -> Key {
    Key::new(format!("crm-duplicate#{id}"), "pair")
}

const SEARCHES: &str = "crm-searches";
const OPEN_PAIRS: &str = "crm-duplicates#open";

impl Crm {
    pub fn new(ports: CrmPorts) -> Self {
        let tz = TimeZone::get("Europe/Budapest").unwrap_or(TimeZone::UTC);
        Self {
            store: PersonStore::new(ports.table.clone()),
            suppressions: SuppressionList::new(ports.table),
            index: ports.index,
            clock: ports.clock,
            ids: ports.ids,
            audit: ports.audit,
            tz,
            registry: None,
        }
    }

    /// The CRM checking every address entered against `registry`'s address register.
    pub fn with_registry(mut self, registry: Arc<dyn Registry>) -> Self {
        self.registry = Some(registry);
        self
    }

    /// The audit log the CRM records reads and changes in.
    pub fn audit(&self) -> &AuditLog {
        &self.audit
    }

    pub(super) fn table(&self) -> &Arc<dyn Table> {
        self.store.table()
    }

    /// Today in Budapest.
    pub fn today(&self) -> Date {
        self.clock.now().to_zoned(self.tz.clone()).date()
    }

    pub(super) fn event(&self, who: &CrmActor, id: PersonId, action: &str) -> AuditEvent {
        self.audit.event(
            AuditStream::person(id),
            &who.actor,
            action,
            who.origin.as_deref(),
        )
    }

    /// What the person did, from every account of the record.
    pub async fn activity(&self, record: &PersonRecord) -> Result<Vec<Activity>, CrmError> {
        let cases = CaseStore::new(self.table().clone());
        let payments = PaymentStore::new(self.table().clone());
        let bookings = AppointmentStore::new(self.table().clone(), self.tz.clone());
        let day = |t: Timestamp| t.to_zoned(self.tz.clone()).date();
        let mut activity = Vec::new();
        for account in record.accounts() {
            for case in cases.cases_of(account).await? {
                let Some(submitted) = case.submitted_at else {
                    continue;
                };
                activity.push(Activity::Case {
                    case_type: case.case_type.clone(),
                    on: day(submitted),
                });
                for payment in payments.of_case(case.id).await? {
                    if let Some(settled) = payment.settled_at {
                        let method = serde_json::to_value(payment.method)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_default();
                        activity.push(Activity::Payment {
                            method,
                            on: day(settled),
                        });
                    }
                }
            }
            for booking in bookings.bookings_of(account).await? {
                activity.push(Activity::Booking {
                    office: booking.office_id.clone(),
                    on: day(booking.start),
                });
            }
        }
        activity.sort_by_key(Activity::on);
        Ok(activity)
    }

    async fn doc(&self, record: &PersonRecord) -> Result<PersonDoc, CrmError> {
        Ok(PersonDoc::from_record(record, self.activity(record).await?))
    }

    /// Brings the index up to date with these records.
    pub(super) async fn index_records(&self, records: &[&PersonRecord]) -> Result<(), CrmError> {
        let mut docs = Vec::with_capacity(records.len());
        for record in records {
            docs.push(self.doc(record).await?);
        }
        self.index.put(docs).await?;
        Ok(())
    }

    /// Refreshes one record's document (after its person's cases, payments or bookings
    /// changed), by account.
    pub async fn refresh_account(&self, account: &str) -> Result<(), CrmError> {
        if let Some(stored) = self.store.by_account(account).await? {
            self.index_records(&[&stored.record]).await?;
        }
        Ok(())
    }

    fn apply(record: &mut PersonRecord, input: CheckedInput) {
        record.emails = input.email_contacts(&record.emails);
        record.phones = input.phone_contacts(&record.phones);
        record.identity = input.identity;
        record.addresses = input.addresses;
        record.card_number = input.card_number;
        record.consent = input.consent;
        record.tags = input.tags;
        record.groups = input.groups;
        record.company = input.company;
        match input.gender {
            Some(value) => {
                record.gender = Some(RecordedGender {
                    value,
                    source: GenderSource::Declared,
                })
            }
            None => {
                if record
                    .gender
                    .is_some_and(|g| g.source == GenderSource::Inferred)
                {
                    record.gender = None;
                }
            }
        }
        fill_inferred_gender(record);
    }

    /// Creates a record (at the desk, by an import), linked to `account` when given. With
    /// `retry` (an `Idempotency-Key` and the request's fingerprint) a repeated request
    /// returns the record the first one created.
    pub async fn create(
        &self,
        who: &CrmActor,
        input: &PersonInput,
        account: Option<&str>,
        retry: Option<(&str, &str)>,
    ) -> Result<PersonRecord, CrmError> {
        let mut checked = input.check(self.today())?;
        let scope = format!("crm-create#{}", who.by());
        if let Some((key, fingerprint)) = retry
            && let Some(record) = self.replay(&scope, key, fingerprint).await?
        {
            return Ok(record);
        }
        let now = self.clock.now();
        let unchecked =
            verify_addresses(self.registry.as_deref(), &mut checked.addresses, &[], now).await?;
        let mut record = PersonRecord {
            id: PersonId(self.ids.new_id()),
            identity: checked.identity.clone(),
            addresses: Vec::new(),
            emails: Vec::new(),
            phones: Vec::new(),
            card_number: None,
            gender: None,
            consent: Default::default(),
            tags: Vec::new(),
            groups: Vec::new(),
            account: account.map(str::to_owned),
            company: None,
            identified: None,
            merged_into: None,
            merged_from: Vec::new(),
            merged_accounts: Vec::new(),
            notes: Vec::new(),
            flags: Vec::new(),
            history: vec![RecordChange {
                at: now,
                by: who.by(),
                what: "created".into(),
                detail: None,
            }],
            created_at: now,
            updated_at: now,
        };
        Self::apply(&mut record, checked);
        mark(&mut record, ADDRESS_UNCHECKED, unchecked);
        let mut ops = PersonStore::save_ops(&record, None)?;
        let guard = ops.len();
        if let Some((key, fingerprint)) = retry {
            ops.push(
                idempotency::record_op(&scope, key, fingerprint, &record.id, now.as_second())
                    .map_err(idempotency_error)?,
            );
        }
        ops.extend(
            self.audit
                .seal(vec![self.event(who, record.id, "create")])
                .await?,
        );
        match self.audit.commit(ops).await {
            Ok(()) => {}
            Err(e) if retry.is_some() && idempotency::lost_race(&e, guard) => {
                let (key, fingerprint) = retry.unwrap_or_default();
                return self
                    .replay(&scope, key, fingerprint)
                    .await?
                    .ok_or(CrmError::Busy);
            }
            Err(e) if e.is_condition_failure() => return Err(CrmError::AccountTaken),
            Err(e) => return Err(e.into()),
        }
        self.index_records(&[&record]).await?;
        Ok(record)
    }

    pub(super) async fn replay(
        &self,
        scope: &str,
        key: &str,
        fingerprint: &str,
    ) -> Result<Option<PersonRecord>, CrmError> {
        match idempotency::lookup::<PersonId>(self.table().as_ref(), scope, key, fingerprint)
            .await
            .map_err(idempotency_error)?
        {
            Replay::Fresh => Ok(None),
            Replay::Stored(id) => Ok(self.store.get(id).await?.map(|s| s.record)),
        }
    }

    /// Corrects a record read at `version`; a stale version changes nothing.
    pub async fn update(
        &self,
        who: &CrmActor,
        id: PersonId,
        version: u64,
        input: &PersonInput,
    ) -> Result<StoredPerson, CrmError> {
        let mut checked = input.check(self.today())?;
        let stored = self.at_version(id, version).await?;
        let now = self.clock.now();
        let unchecked = verify_addresses(
            self.registry.as_deref(),
            &mut checked.addresses,
            &stored.record.addresses,
            now,
        )
        .await?;
        let mut record = stored.record.clone();
        Self::apply(&mut record, checked);
        mark(&mut record, ADDRESS_UNCHECKED, unchecked);
        let change = RecordChange {
            at: now,
            by: who.by(),
            what: "edited".into(),
            detail: None,
        };
        self.save_change(who, &stored, record, change, "update")
            .await
    }

    /// The unmerged record `id`, if it is still at `version` (else [`CrmError::Stale`]).
    pub(super) async fn at_version(
        &self,
        id: PersonId,
        version: u64,
    ) -> Result<StoredPerson, CrmError> {
        let stored = self.store.get(id).await?.ok_or(CrmError::UnknownPerson)?;
        if stored.record.merged_into.is_some() {
            return Err(CrmError::Merged);
        }
        if stored.version != version {
            return Err(CrmError::Stale);
        }
        Ok(stored)
    }

    /// Saves `record`, changed from `stored` as `change` says, with its audit event
    /// (`action`); a concurrent change since is [`CrmError::Stale`]. Re-indexes the record
    /// and returns it as stored.
    pub(super) async fn save_change(
        &self,
        who: &CrmActor,
        stored: &StoredPerson,
        mut record: PersonRecord,
        change: RecordChange,
        action: &str,
    ) -> Result<StoredPerson, CrmError> {
        let id = record.id;
        record.updated_at = change.at;
        record.history.push(change);
        let mut ops = PersonStore::save_ops(&record, Some(stored))?;
        ops.extend(self.audit.seal(vec![self.event(who, id, action)]).await?);
        match self.audit.commit(ops).await {
            Ok(()) => {}
            Err(e) if e.is_condition_failure() || e == TableError::Conflict => {
                return Err(CrmError::Stale);
            }
            Err(e) => return Err(e.into()),
        }
        self.index_records(&[&record]).await?;
        self.store.get(id).await?.ok_or(CrmError::UnknownPerson)
    }

    /// Reads one record for `purpose`; the read is audited before the record is returned.
    pub async fn read(
        &self,
        who: &CrmActor,
        id: PersonId,
        purpose: Purpose,
    ) -> Result<StoredPerson, CrmError> {
        let stored = self.store.get(id).await?.ok_or(CrmError::UnknownPerson)?;
        self.audit
            .record(
                self.event(who, id, "read")
                    .on(format!("purpose/{}", purpose.as_str())),
            )
            .await?;
        Ok(stored)
    }

    /// The audit trail of a record.
    pub async fn trail(&self, id: PersonId) -> Result<Vec<crate::audit::AuditEntry>, CrmError> {
        Ok(self.audit.trail(&AuditStream::person(id)).await?)
    }

    async fn records(&self, page: SearchPage) -> Result<(Vec<PersonRecord>, SearchPage), CrmError> {
        let mut records = Vec::with_capacity(page.ids.len());
        for id in &page.ids {
            // An index a moment behind may name a record just merged or gone: skip it.
            if let Some(stored) = self.store.get(*id).await?
                && stored.record.merged_into.is_none()
            {
                records.push(stored.record);
            }
        }
        Ok((records, page))
    }

    /// The one-box search. A list of names is no read of a record: opening one is.
    pub async fn quick_search(
        &self,
        text: &str,
        page: PageRequest,
    ) -> Result<(Vec<PersonRecord>, SearchPage), CrmError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(CrmError::field("/q", "is required"));
        }
        if text.chars().count() > 200 {
            return Err(CrmError::field("/q", "is longer than 200 characters"));
        }
        let found = self.index.quick(text, page).await?;
        self.records(found).await
    }

    /// Persons meeting `criteria`.
    pub async fn advanced_search(
        &self,
        criteria: &Criteria,
        page: PageRequest,
    ) -> Result<(Vec<PersonRecord>, SearchPage), CrmError> {
        check_criteria(criteria)?;
        let found = self.index.advanced(criteria, self.today(), page).await?;
        self.records(found).await
    }

    /// Every record meeting `criteria` as CSV, the export audited on the register and on
    /// each record exported.
    pub async fn export_csv(
        &self,
        who: &CrmActor,
        criteria: &Criteria,
    ) -> Result<String, CrmError> {
        check_criteria(criteria)?;
        let mut out = String::from(
            "id,family_name,given_name,birth_date,postcode,city,street,number,email,phone,newsletter,sms\r\n",
        );
        let mut after = None;
        let mut events = Vec::new();
        loop {
            let page = PageRequest { limit: 200, after };
            let (records, found) = self.advanced_search(criteria, page).await?;
            let today = self.today();
            for r in &records {
                let address = r
                    .address(super::person::AddressKind::Permanent, today)
                    .or_else(|| r.addresses.first());
                let cells = [
                    r.id.to_string(),
                    r.identity.family_name.clone(),
                    r.identity.given_name.clone(),
                    r.identity
                        .birth_date
                        .map(|d| d.to_string())
                        .unwrap_or_default(),
                    address.map(|a| a.postcode.clone()).unwrap_or_default(),
                    address.map(|a| a.city.clone()).unwrap_or_default(),
                    address.map(|a| a.street.clone()).unwrap_or_default(),
                    address.map(|a| a.number.clone()).unwrap_or_default(),
                    r.deliverable_emails()
                        .next()
                        .map(|e| e.address.clone())
                        .unwrap_or_default(),
                    r.phones
                        .first()
                        .map(|p| p.number.clone())
                        .unwrap_or_default(),
                    r.consent.newsletter.to_string(),
                    r.consent.sms.to_string(),
                ];
                let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
                out.push_str(&line.join(","));
                out.push_str("\r\n");
                events.push(self.event(who, r.id, "export"));
            }
            match found.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        let count = events.len();
        for chunk in events.chunks(10) {
            let ops = self.audit.seal(chunk.to_vec()).await?;
            self.audit.commit(ops).await?;
        }
        self.audit
            .record(
                self.audit
                    .event(
                        AuditStream::register("crm"),
                        &who.actor,
                        "export",
                        who.origin.as_deref(),
                    )
                    .on(format!("persons/{count}")),
            )
            .await?;
        Ok(out)
    }

    /// Saves a search under a name.
    pub async fn save_search(
        &self,
        who: &CrmActor,
        name: &str,
        criteria: Criteria,
    ) -> Result<SavedSearch, CrmError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 120 {
            return Err(CrmError::field("/name", "must be 1 to 120 characters"));
        }
        check_criteria(&criteria)?;
        let saved = SavedSearch {
            id: self.ids.new_id(),
            name: name.to_owned(),
            owner: who.by(),
            criteria,
            created_at: self.clock.now(),
        };
        let item = ItemWrite::from_serde(searches_key(saved.id), &saved)?.with_index(
            IndexName::Gsi1,
            Key::new(SEARCHES, format!("{}#{}", name.to_lowercase(), saved.id)),
        );
        self.table().put(item, Condition::NotExists).await?;
        Ok(saved)
    }

    pub async fn saved_searches(&self) -> Result<Vec<SavedSearch>, CrmError> {
        let mut all = Vec::new();
        let mut cursor = None;
        loop {
            let page = self
                .table()
                .query(Query::index(IndexName::Gsi1, SEARCHES).after(cursor))
                .await?;
            for item in &page.items {
                all.push(item.parse()?);
            }
            match page.cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(all),
            }
        }
    }

    pub async fn saved_search(&self, id: Uuid) -> Result<SavedSearch, CrmError> {
        match self.table().get(&searches_key(id)).await? {
            Some(item) => Ok(item.parse()?),
            None => Err(CrmError::UnknownSearch),
        }
    }

    /// Removes a saved search: its owner, or an administrator.
    pub async fn delete_search(
        &self,
        who: &CrmActor,
        id: Uuid,
        admin: bool,
    ) -> Result<(), CrmError> {
        let saved = self.saved_search(id).await?;
        if saved.owner != who.by() && !admin {
            return Err(CrmError::UnknownSearch);
        }
        self.table()
            .delete(&searches_key(id), Condition::Exists)
            .await?;
        Ok(())
    }

    /// Finds candidate duplicates among all records and queues the new ones for review.
    pub async fn scan_duplicates(&self, threshold: f64) -> Result<ScanReport, CrmError> {
        let records: Vec<PersonRecord> = self
            .store
            .all()
            .await?
            .into_iter()
            .map(|s| s.record)
            .collect();
        let candidates = candidate_pairs(&records, threshold);
        let now = self.clock.now();
        let mut new = 0;
        for candidate in &candidates {
            let pair = pair_of(candidate, now);
            let item = ItemWrite::from_serde(pair_key(&pair.id), &pair)?
                .with_index(IndexName::Gsi1, open_sort_key(&pair));
            match self.table().put(item, Condition::NotExists).await {
                Ok(_) => new += 1,
                Err(e) if e.is_condition_failure() => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(ScanReport {
            persons: records.len(),
            candidates: candidates.len(),
            new,
        })
    }

    /// The open candidates, most likely first.
    pub async fn open_pairs(&self, limit: usize) -> Result<Vec<DuplicatePair>, CrmError> {
        let page = self
            .table()
            .query(Query::index(IndexName::Gsi1, OPEN_PAIRS).limit(limit))
            .await?;
        page.items
            .iter()
            .map(|i| i.parse().map_err(CrmError::from))
            .collect()
    }

    pub async fn pair(&self, id: &str) -> Result<(DuplicatePair, u64), CrmError> {
        match self.table().get(&pair_key(id)).await? {
            Some(item) => Ok((item.parse()?, item.version)),
            None => Err(CrmError::UnknownCandidate),
        }
    }

    /// Marks a candidate as two different people: it is never proposed again.
    pub async fn not_same(&self, who: &CrmActor, id: &str) -> Result<DuplicatePair, CrmError> {
        let (mut pair, version) = self.pair(id).await?;
        if pair.state != PairState::Open {
            return Err(CrmError::UnknownCandidate);
        }
        pair.state = PairState::NotSame {
            by: who.by(),
            at: self.clock.now(),
        };
        let ops = vec![crate::TxOp::Put {
            item: ItemWrite::from_serde(pair_key(id), &pair)?,
            condition: Condition::Version(version),
        }];
        let mut ops = ops;
        ops.extend(
            self.audit
                .seal(vec![
                    self.event(who, pair.a, "not_duplicate")
                        .on(format!("person/{}", pair.b)),
                    self.event(who, pair.b, "not_duplicate")
                        .on(format!("person/{}", pair.a)),
                ])
                .await?,
        );
        match self.audit.commit(ops).await {
            Ok(()) => Ok(pair),
            Err(e) if e.is_condition_failure() => Err(CrmError::Stale),
            Err(e) => Err(e.into()),
        }
    }

    /// Merges `other` into `survivor`: contacts, addresses, labels and accounts (with the
    /// cases, payments and bookings behind them) move to the survivor; the other record
    /// stays, marked merged, for its history. Audited on both.
    pub async fn merge(
        &self,
        who: &CrmActor,
        pair_id: &str,
        survivor: PersonId,
    ) -> Result<PersonRecord, CrmError> {
        for _ in 0..MAX_ATTEMPTS {
            let (mut pair, pair_version) = self.pair(pair_id).await?;
            if pair.state != PairState::Open {
                return Err(CrmError::UnknownCandidate);
            }
            let other = match survivor {
                s if s == pair.a => pair.b,
                s if s == pair.b => pair.a,
                _ => return Err(CrmError::field("/survivor", "is not one of the pair")),
            };
            let kept = self
                .store
                .get(survivor)
                .await?
                .ok_or(CrmError::UnknownPerson)?;
            let gone = self
                .store
                .get(other)
                .await?
                .ok_or(CrmError::UnknownPerson)?;
            if kept.record.merged_into.is_some() || gone.record.merged_into.is_some() {
                return Err(CrmError::Merged);
            }
            let now = self.clock.now();
            let mut merged = kept.record.clone();
            absorb(&mut merged, &gone.record);
            merged.updated_at = now;
            merged.history.push(RecordChange {
                at: now,
                by: who.by(),
                what: "merged".into(),
                detail: Some(format!(
                    "{} ({}) beolvasztva",
                    gone.record.identity.full_name(),
                    other
                )),
            });
            let mut retired = gone.record.clone();
            retired.merged_into = Some(survivor);
            retired.account = None;
            retired.merged_accounts.clear();
            retired.emails.clear();
            retired.updated_at = now;
            retired.history.push(RecordChange {
                at: now,
                by: who.by(),
                what: "merged_into".into(),
                detail: Some(survivor.to_string()),
            });
            pair.state = PairState::Merged {
                survivor,
                by: who.by(),
                at: now,
            };
            let mut ops = PersonStore::save_both_ops(
                PersonStore::save_ops(&retired, Some(&gone))?,
                PersonStore::save_ops(&merged, Some(&kept))?,
            );
            ops.push(crate::TxOp::Put {
                item: ItemWrite::from_serde(pair_key(pair_id), &pair)?,
                condition: Condition::Version(pair_version),
            });
            ops.extend(
                self.audit
                    .seal(vec![
                        self.event(who, survivor, "merge")
                            .on(format!("person/{other}")),
                        self.event(who, other, "merged_into")
                            .on(format!("person/{survivor}")),
                    ])
                    .await?,
            );
            match self.audit.commit(ops).await {
                Ok(()) => {
                    self.index_records(&[&merged, &retired]).await?;
                    return Ok(merged);
                }
                Err(e) if e.is_condition_failure() || e == TableError::Conflict => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(CrmError::Busy)
    }

    /// Re-scores one pair (the review page shows the reasons as of now).
    pub async fn rescore(&self, pair: &DuplicatePair) -> Result<Option<Candidate>, CrmError> {
        let a = self
            .store
            .get(pair.a)
            .await?
            .ok_or(CrmError::UnknownPerson)?;
        let b = self
            .store
            .get(pair.b)
            .await?
            .ok_or(CrmError::UnknownPerson)?;
        Ok(score_pair(&a.record, &b.record))
    }

    /// Marks the addresses of bounce notifications on every record holding them, and stops
    /// mail to hard-bounced and complaining addresses.
    pub async fn apply_bounces(&self, bounces: &[Bounce]) -> Result<BounceReport, CrmError> {
        let now = self.clock.now();
        let mut report = BounceReport {
            bounces: bounces.len(),
            ..Default::default()
        };
        for bounce in bounces {
            let state = match bounce.kind {
                BounceKind::Hard => ContactState::HardBounced,
                BounceKind::Soft => ContactState::SoftBounced,
                BounceKind::Complaint => ContactState::Complained,
            };
            let reason = match bounce.kind {
                BounceKind::Hard => Some(SuppressionReason::HardBounce),
                BounceKind::Complaint => Some(SuppressionReason::Complaint),
                BounceKind::Soft => None,
            };
            if let Some(reason) = reason {
                self.suppressions
                    .suppress(&bounce.recipient, reason, now)
                    .await?;
                report.suppressed += 1;
            }
            for id in self.store.by_email(&bounce.recipient).await? {
                if self.mark_email(id, &bounce.recipient, state, now).await? {
                    report.records += 1;
                }
            }
        }
        Ok(report)
    }

    async fn mark_email(
        &self,
        id: PersonId,
        address: &str,
        state: ContactState,
        now: Timestamp,
    ) -> Result<bool, CrmError> {
        for _ in 0..MAX_ATTEMPTS {
            let Some(stored) = self.store.get(id).await? else {
                return Ok(false);
            };
            let mut record = stored.record.clone();
            let Some(contact) = record
                .emails
                .iter_mut()
                .find(|e| e.address.eq_ignore_ascii_case(address))
            else {
                return Ok(false);
            };
            // A soft bounce never softens a hard one or a complaint.
            if !contact.state.deliverable() && state == ContactState::SoftBounced {
                return Ok(false);
            }
            contact.state = state;
            contact.state_at = Some(now);
            record.updated_at = now;
            record.history.push(RecordChange {
                at: now,
                by: "system".into(),
                what: "email_bounced".into(),
                detail: Some(format!("{address}: {state:?}")),
            });
            let mut ops = PersonStore::save_ops(&record, Some(&stored))?;
            let who = CrmActor {
                actor: Actor::System,
                origin: None,
            };
            ops.extend(
                self.audit
                    .seal(vec![self.event(&who, id, "bounce")])
                    .await?,
            );
            match self.audit.commit(ops).await {
                Ok(()) => {
                    self.index_records(&[&record]).await?;
                    return Ok(true);
                }
                Err(e) if e.is_condition_failure() || e == TableError::Conflict => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(CrmError::Busy)
    }

    /// What the municipality holds about the person signed in as `account`; the request is
    /// audited on her record.
    pub async fn subject_access(&self, account: &str) -> Result<SubjectAccess, CrmError> {
        let stored = self.store.by_account(account).await?;
        let activity = match &stored {
            Some(s) => self.activity(&s.record).await?,
            None => Vec::new(),
        };
        if let Some(s) = &stored {
            let who = CrmActor {
                actor: Actor::Citizen(account.to_owned()),
                origin: None,
            };
            self.audit
                .record(
                    self.event(&who, s.record.id, "read")
                        .on("purpose/data_subject_request"),
                )
                .await?;
        }
        Ok(SubjectAccess {
            record: stored.map(|s| s.record),
            activity,
            produced_at: self.clock.now(),
        })
    }

    /// Applies a batch of the table's change stream to the index: every record named is
    /// read back from the table (the stream's image may be older than the table) and put,
    /// or removed when it is gone. One call, one index write: the indexer publishes once
    /// per batch.
    pub async fn apply_changes(&self, changed: &[PersonId]) -> Result<usize, CrmError> {
        let mut docs = Vec::new();
        let mut gone = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for id in changed {
            if !seen.insert(*id) {
                continue;
            }
            match self.store.get(*id).await? {
                Some(stored) => docs.push(self.doc(&stored.record).await?),
                None => gone.push(*id),
            }
        }
        let count = docs.len() + gone.len();
        if !docs.is_empty() {
            self.index.put(docs).await?;
        }
        if !gone.is_empty() {
            self.index.remove(&gone).await?;
        }
        Ok(count)
    }

    /// Rebuilds the whole index from the table; returns how many records it holds.
    pub async fn reindex(&self) -> Result<usize, CrmError> {
        let all = self.store.all().await?;
        let mut docs = Vec::with_capacity(all.len());
        for stored in &all {
            docs.push(self.doc(&stored.record).await?);
        }
        let count = docs.len();
        self.index.rebuild(docs).await?;
        Ok(count)
    }

    /// Writes records as they are (demo data, imports checked elsewhere), indexing them.
    pub async fn import(&self, records: Vec<PersonRecord>) -> Result<usize, CrmError> {
        let mut written = 0;
        for record in &records {
            if self.store.get(record.id).await?.is_some() {
                continue;
            }
            let ops = PersonStore::save_ops(record, None)?;
            match self.table().transact(ops).await {
                Ok(()) => written += 1,
                Err(e) if e.is_condition_failure() => {}
                Err(e) => return Err(e.into()),
            }
        }
        let refs: Vec<&PersonRecord> = records.iter().collect();
        for chunk in refs.chunks(500) {
            self.index_records(chunk).await?;
        }
        Ok(written)
    }
}

/// Sets or clears one of a record's flags.
pub(super) fn mark(record: &mut PersonRecord, flag: &str, set: bool) {
    let has = record.flags.iter().any(|f| f == flag);
    if set && !has {
        record.flags.push(flag.to_owned());
    } else if !set && has {
        record.flags.retain(|f| f != flag);
    }
}

pub(super) fn idempotency_error(e: IdempotencyError) -> CrmError {
    match e {
        IdempotencyError::KeyReused => CrmError::IdempotencyKeyReused,
        IdempotencyError::InvalidKey => CrmError::field("/Idempotency-Key", e.to_string()),
        IdempotencyError::Table(t) => CrmError::Table(t),
    }
}

fn pair_of(candidate: &Candidate, now: Timestamp) -> DuplicatePair {
    DuplicatePair {
        id: DuplicatePair::pair_id(candidate.a, candidate.b),
        a: candidate.a.min(candidate.b),
        b: candidate.a.max(candidate.b),
        score: candidate.score,
        reasons: candidate.reasons.clone(),
        state: PairState::Open,
        found_at: now,
    }
}

/// Open pairs sort by score, highest first.
fn open_sort_key(pair: &DuplicatePair) -> Key {
    let inverse = 1_000_000 - (pair.score.clamp(0.0, 1.0) * 1_000_000.0).round() as i64;
    Key::new(OPEN_PAIRS, format!("{inverse:07}#{}", pair.id))
}

/// What a survivor takes from a merged record.
fn absorb(survivor: &mut PersonRecord, other: &PersonRecord) {
    for email in &other.emails {
        if !survivor
            .emails
            .iter()
            .any(|e| e.address.eq_ignore_ascii_case(&email.address))
        {
            survivor.emails.push(email.clone());
        }
    }
    for phone in &other.phones {
        if !survivor.phones.iter().any(|p| p.number == phone.number) {
            survivor.phones.push(phone.clone());
        }
    }
    for address in &other.addresses {
        if !survivor.addresses.iter().any(|a| {
            a.kind == address.kind
                && a.postcode == address.postcode
                && a.street == address.street
                && a.number == address.number
        }) {
            survivor.addresses.push(address.clone());
        }
    }
    for label in &other.tags {
        if !survivor.tags.contains(label) {
            survivor.tags.push(label.clone());
        }
    }
    for label in &other.groups {
        if !survivor.groups.contains(label) {
            survivor.groups.push(label.clone());
        }
    }
    let identity = &mut survivor.identity;
    let from = &other.identity;
    identity.birth_date = identity.birth_date.or(from.birth_date);
    identity.birth_place = identity.birth_place.clone().or(from.birth_place.clone());
    identity.birth_name = identity.birth_name.clone().or(from.birth_name.clone());
    identity.mother_birth_name = identity
        .mother_birth_name
        .clone()
        .or(from.mother_birth_name.clone());
    survivor.card_number = survivor.card_number.clone().or(other.card_number.clone());
    if survivor
        .gender
        .is_none_or(|g| g.source == GenderSource::Inferred)
        && other
            .gender
            .is_some_and(|g| g.source == GenderSource::Declared)
    {
        survivor.gender = other.gender;
    }
    survivor.consent.newsletter |= other.consent.newsletter;
    survivor.consent.sms |= other.consent.sms;
    survivor.identified = survivor.identified.clone().or(other.identified.clone());
    let accounts: Vec<String> = other.accounts().map(str::to_owned).collect();
    for account in accounts {
        if survivor.account.is_none() {
            survivor.account = Some(account);
        } else if survivor.account.as_deref() != Some(&account)
            && !survivor.merged_accounts.contains(&account)
        {
            survivor.merged_accounts.push(account);
        }
    }
    survivor.merged_from.push(other.id);
    survivor
        .merged_from
        .extend(other.merged_from.iter().copied());
}

/// A criteria tree the office can run: bounded in size and with sensible values.
pub fn check_criteria(criteria: &Criteria) -> Result<(), CrmError> {
    use super::search::Criterion;
    if criteria.conditions() > 30 {
        return Err(CrmError::field("/criteria", "has more than 30 conditions"));
    }
    fn depth(c: &Criteria) -> usize {
        match c {
            Criteria::All(p) | Criteria::Any(p) => 1 + p.iter().map(depth).max().unwrap_or(0),
            Criteria::Not(inner) => 1 + depth(inner),
            Criteria::Is(_) => 1,
        }
    }
    if depth(criteria) > 6 {
        return Err(CrmError::field(
            "/criteria",
            "is nested deeper than 6 levels",
        ));
    }
    fn each(
        c: &Criteria,
        f: &mut dyn FnMut(&Criterion) -> Result<(), CrmError>,
    ) -> Result<(), CrmError> {
        match c {
            Criteria::All(p) | Criteria::Any(p) => p.iter().try_for_each(|c| each(c, f)),
            Criteria::Not(inner) => each(inner, f),
            Criteria::Is(one) => f(one),
        }
    }
    each(criteria, &mut |c| match c {
        Criterion::Age { min, max } => match (min, max) {
            (Some(a), Some(b)) if a > b => Err(CrmError::field(
                "/criteria",
                "an age range ends before it starts",
            )),
            (Some(a), _) | (_, Some(a)) if *a > 130 => {
                Err(CrmError::field("/criteria", "an age is over 130"))
            }
            (None, None) => Err(CrmError::field(
                "/criteria",
                "an age condition needs min or max",
            )),
            _ => Ok(()),
        },
        Criterion::HadCase {
            from: Some(from),
            to: Some(to),
            ..
        } if to < from => Err(CrmError::field(
            "/criteria",
            "a period ends before it starts",
        )),
        Criterion::Postcode { value }
            if value.len() != 4 || !value.chars().all(|c| c.is_ascii_digit()) =>
        {
            Err(CrmError::field(
                "/criteria",
                "a postcode must be four digits",
            ))
        }
        Criterion::Street { value }
        | Criterion::Tag { value }
        | Criterion::Group { value }
        | Criterion::District { value }
            if value.trim().is_empty() || value.chars().count() > 120 =>
        {
            Err(CrmError::field(
                "/criteria",
                "a text condition must be 1 to 120 characters",
            ))
        }
        _ => Ok(()),
    })
}

/// One CSV cell (RFC 4180), with formula characters defused for spreadsheet programs.
fn csv_cell(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) && !value.starts_with("+36")
    {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}
