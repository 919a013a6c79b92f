//! `Cases`: the case use cases over their ports. The citizen's, the office's and the
//! decision's use cases live in their own modules as `impl Cases` blocks.

use super::audit::AuditEntry;
use super::case::{Actor, Case};
use super::error::CaseError;
use super::store::{CaseStore, StoredCase};
use crate::blob::BlobStore;
use crate::clock::{Clock, IdGenerator};
use crate::documents::DocumentIssuer;
use crate::notify::{Message, Notifier};
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
        } = ports;
        Ok(Self {
            store: CaseStore::new(table),
            uploads,
            documents,
            issuer,
            notifier,
            clock,
            ids,
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

    /// An audit entry of `action` by `actor` on `case_id`, now.
    pub(crate) fn audit_entry(
        &self,
        actor: &Actor,
        case_id: Uuid,
        action: &str,
        origin: Option<&str>,
    ) -> AuditEntry {
        AuditEntry {
            id: self.ids.new_id(),
            case_id,
            actor: actor.clone(),
            action: action.to_owned(),
            at: self.clock.now(),
            origin: origin.map(str::to_owned),
        }
    }

    /// Tells the citizen about their case. A failed notice never undoes the change it
    /// reports (that is committed); the citizen still sees it in the case's history.
    pub(crate) async fn notify(&self, case: &Case, kind: &str, subject: &str, body: String) {
        let message = Message {
            recipient: case.owner.clone(),
            kind: kind.to_owned(),
            subject: subject.to_owned(),
            body,
            attachments: Vec::new(),
        };
        if let Err(e) = self.notifier.send(message).await {
            // Operators must see undelivered notices; the case itself is already saved.
            tracing::warn!(error = %e, case = %case.id, kind, "notice not sent");
        }
    }

    /// How a case is named in messages and documents.
    pub(crate) fn case_label(case: &Case) -> String {
        case.arrival_number
            .clone()
            .unwrap_or_else(|| case.id.to_string())
    }
}
