//! `Cases`: the case use cases over their ports. The citizen's, the office's and the
//! decision's use cases live in their own modules as `impl Cases` blocks.

use super::case::{Actor, Case};
use super::error::CaseError;
use super::store::{CaseStore, StoredCase};
use crate::audit::{AuditEntry, AuditEvent, AuditLog, AuditStream, Notary};
use crate::blob::BlobStore;
use crate::clock::{Clock, IdGenerator};
use crate::crm::registry::Registry;
use crate::documents::{DocumentIssuer, KeyFact};
use crate::notify::{Message, Notifier};
use crate::people::{Person, PersonDirectory};
use crate::table::Table;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use std::sync::Arc;
use uuid::Uuid;

/// How often a write that lost a race to a concurrent one is tried again.
pub(crate) const MAX_ATTEMPTS: usize = 64;

/// The ports the case use cases run on.
pub struct CasePorts {
    pub table: Arc<dyn Table>,
    pub uploads: Arc<dyn BlobStore>,
    pub documents: Arc<dyn BlobStore>,
    pub issuer: Arc<dyn DocumentIssuer>,
    pub notifier: Arc<dyn Notifier>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    /// Names the applicant, clerks and signatories on documents and in the office's view.
    pub people: Arc<dyn PersonDirectory>,
    /// Signs and timestamps the audit log's daily anchors (the document keys).
    pub notary: Option<Arc<dyn Notary>>,
    /// The national registries automatic decisions trust; without them, a rule with
    /// registry checks always leaves the case to a clerk.
    pub registry: Option<Arc<dyn Registry>>,
}

/// The case use cases.
#[derive(Clone)]
pub struct Cases {
    pub store: CaseStore,
    /// Citizens' uploads (short-lived; presigned PUTs).
    pub uploads: Arc<dyn BlobStore>,
    /// Signed documents (write-once), read back for delivery.
    pub documents: Arc<dyn BlobStore>,
    pub issuer: Arc<dyn DocumentIssuer>,
    pub notifier: Arc<dyn Notifier>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    /// Where every access to a case is recorded; the payment use cases write to it too.
    pub audit: AuditLog,
    pub people: Arc<dyn PersonDirectory>,
    /// What automatic decisions ask about the applicant (see [`CasePorts::registry`]).
    pub registry: Option<Arc<dyn Registry>>,
    pub(crate) tz: TimeZone,
}

impl Cases {
    /// Wires the use cases over the ports; fails only without the time zone database.
    pub fn new(ports: CasePorts) -> Result<Self, CaseError> {
        let tz = crate::appointments::budapest().ok_or(CaseError::TimeZoneUnavailable)?;
        let CasePorts {
            table,
            uploads,
            documents,
            issuer,
            notifier,
            clock,
            ids,
            people,
            notary,
            registry,
        } = ports;
        let mut audit = AuditLog::new(table.clone(), clock.clone(), ids.clone());
        if let Some(notary) = notary {
            audit = audit.with_notary(notary);
        }
        Ok(Self {
            store: CaseStore::new(table),
            uploads,
            documents,
            issuer,
            notifier,
            clock,
            ids,
            audit,
            people,
            registry,
            tz,
        })
    }

    /// Today in Budapest: deadlines and numbering years are local.
    pub fn today(&self) -> Date {
        self.clock.now().to_zoned(self.tz.clone()).date()
    }

    /// A case that must exist.
    pub(crate) async fn load(&self, id: Uuid) -> Result<StoredCase, CaseError> {
        self.store.load(id).await?.ok_or(CaseError::UnknownCase)
    }

    /// A case that must exist and belong to `owner`.
    pub(crate) async fn load_own(&self, owner: &str, id: Uuid) -> Result<StoredCase, CaseError> {
        let stored = self.load(id).await?;
        if stored.case.owner != owner {
            return Err(CaseError::CaseNotYours);
        }
        Ok(stored)
    }

    /// An audit event of `action` by `actor` on the case `case_id`, now; seal it with
    /// `self.audit.seal` into the transaction of the change it records.
    pub fn audit_entry(
        &self,
        actor: &Actor,
        case_id: Uuid,
        action: &str,
        origin: Option<&str>,
    ) -> AuditEvent {
        self.audit
            .event(AuditStream::case(case_id), actor, action, origin)
    }

    /// The audit trail of a case, oldest first (read-only for everybody).
    pub async fn audit_trail(&self, id: Uuid) -> Result<Vec<AuditEntry>, CaseError> {
        Ok(self.audit.trail(&AuditStream::case(id)).await?)
    }

    /// The person behind an account, if the directory knows them.
    pub async fn person(&self, account: &str) -> Result<Option<Person>, CaseError> {
        self.people
            .person(account)
            .await
            .map_err(|e| CaseError::PeopleUnavailable(e.0))
    }

    /// The facts naming the applicant on a document: the person, or the organisation and
    /// the person acting for it (the account id if the directory knows nobody by it).
    pub async fn applicant_facts(&self, owner: &str) -> Result<Vec<KeyFact>, CaseError> {
        Ok(match self.person(owner).await? {
            Some(person) => match &person.organisation {
                Some(org) => vec![
                    KeyFact::new("Kérelmező", org.clone()),
                    KeyFact::new("Eljáró személy", person.formal_name()),
                ],
                None => vec![KeyFact::new("Kérelmező", person.formal_name())],
            },
            None => vec![KeyFact::new("Kérelmező", format!("ügyfél {owner}"))],
        })
    }

    /// A time as documents print it: Budapest local time.
    pub fn local_time(&self, at: jiff::Timestamp) -> String {
        at.to_zoned(self.tz.clone())
            .strftime("%Y.%m.%d. %H:%M:%S")
            .to_string()
    }

    /// How documents name the person behind an account (the id if nobody knows them).
    pub async fn name_of(&self, account: &str) -> Result<String, CaseError> {
        Ok(self
            .person(account)
            .await?
            .map(|p| p.applicant_line())
            .unwrap_or_else(|| format!("ügyfél {account}")))
    }

    /// The notice about `case` and, when the notifier keeps an outbox, the write that queues
    /// it: the caller commits that write with the change it reports, so the notice exists
    /// exactly when the change does. A notice with no write is sent by [`Cases::send_unqueued`]
    /// after the commit.
    pub(crate) fn notice(
        &self,
        case: &Case,
        kind: &str,
        subject: &str,
        body: String,
    ) -> (Message, Option<crate::table::TxOp>) {
        let message = Message {
            recipient: case.owner.clone(),
            kind: kind.to_owned(),
            subject: subject.to_owned(),
            body,
            attachments: Vec::new(),
        };
        match self.notifier.queue_op(&message) {
            Ok(op) => (message, op),
            Err(e) => {
                tracing::warn!(error = %e, case = %case.id, kind, "notice not queued; sent after the change");
                (message, None)
            }
        }
    }

    /// Sends a notice that was not queued with its change (the notifier sends at once).
    pub(crate) async fn send_unqueued(&self, case: Uuid, message: Message, queued: bool) {
        if queued {
            return;
        }
        let kind = message.kind.clone();
        if let Err(e) = self.notifier.send(message).await {
            tracing::warn!(error = %e, %case, kind, "notice not sent");
        }
    }

    /// How a case is named in messages and documents.
    pub(crate) fn case_label(case: &Case) -> String {
        case.arrival_number
            .clone()
            .unwrap_or_else(|| case.id.to_string())
    }
}
