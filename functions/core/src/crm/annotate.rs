//! The office's hand on a record beyond its data (the manual cleansing): notes written at
//! the desk, and the flags raised by the registry refresh and the checks on entry, resolved
//! by a clerk once the record is put right.

use super::error::{CrmError, FieldError};
use super::person::{PersonId, PersonNote, PersonRecord, RecordChange};
use super::service::{Crm, CrmActor, idempotency_error};
use super::store::{PersonStore, StoredPerson};
use crate::TableError;
use crate::idempotency;

/// Longest note, in characters: a desk conversation, not a document (those go to a case).
pub const MAX_NOTE: usize = 2000;
/// Most notes one record keeps, which keeps the record inside one item.
pub const MAX_NOTES: usize = 200;
/// How often a write that lost a race to a concurrent change of the record is tried again.
const MAX_ATTEMPTS: usize = 8;

fn check_note(text: &str) -> Result<String, CrmError> {
    let text = text.trim();
    let problem = if text.is_empty() {
        Some("is required".to_owned())
    } else if text.chars().count() > MAX_NOTE {
        Some(format!("is longer than {MAX_NOTE} characters"))
    } else if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        Some("contains control characters".to_owned())
    } else {
        None
    };
    match problem {
        Some(detail) => Err(CrmError::Invalid(vec![FieldError::new("/text", detail)])),
        None => Ok(text.to_owned()),
    }
}

impl Crm {
    /// Adds a clerk's note to a record. With `retry` (an `Idempotency-Key` and the
    /// request's fingerprint) a repeated request adds nothing and returns the record.
    pub async fn add_note(
        &self,
        who: &CrmActor,
        id: PersonId,
        text: &str,
        retry: Option<(&str, &str)>,
    ) -> Result<PersonRecord, CrmError> {
        let text = check_note(text)?;
        let scope = format!("crm-note#{}", who.by());
        if let Some((key, fingerprint)) = retry
            && let Some(record) = self.replay(&scope, key, fingerprint).await?
        {
            return Ok(record);
        }
        for _ in 0..MAX_ATTEMPTS {
            let stored = self.store.get(id).await?.ok_or(CrmError::UnknownPerson)?;
            if stored.record.merged_into.is_some() {
                return Err(CrmError::Merged);
            }
            if stored.record.notes.len() >= MAX_NOTES {
                return Err(CrmError::field(
                    "/text",
                    format!("the record holds {MAX_NOTES} notes already"),
                ));
            }
            let now = self.clock.now();
            let mut record = stored.record.clone();
            record.notes.push(PersonNote {
                at: now,
                by: who.by(),
                text: text.clone(),
            });
            record.updated_at = now;
            let mut ops = PersonStore::save_ops(&record, Some(&stored))?;
            let guard = ops.len();
            if let Some((key, fingerprint)) = retry {
                ops.push(
                    idempotency::record_op(&scope, key, fingerprint, &id, now.as_second())
                        .map_err(idempotency_error)?,
                );
            }
            ops.extend(self.audit.seal(vec![self.event(who, id, "note")]).await?);
            match self.audit.commit(ops).await {
                Ok(()) => return Ok(record),
                Err(e) if retry.is_some() && idempotency::lost_race(&e, guard) => {
                    let (key, fingerprint) = retry.unwrap_or_default();
                    return self
                        .replay(&scope, key, fingerprint)
                        .await?
                        .ok_or(CrmError::Busy);
                }
                Err(e) if e.is_condition_failure() || e == TableError::Conflict => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(CrmError::Busy)
    }

    /// Resolves one of the record's flags (read at `version`): the clerk has checked the
    /// record and put right what the flag pointed at. The history says who and when.
    pub async fn resolve_flag(
        &self,
        who: &CrmActor,
        id: PersonId,
        version: u64,
        flag: &str,
    ) -> Result<StoredPerson, CrmError> {
        let stored = self.at_version(id, version).await?;
        if !stored.record.flags.iter().any(|f| f == flag) {
            return Err(CrmError::field("/flag", "is not set on this record"));
        }
        let mut record = stored.record.clone();
        record.flags.retain(|f| f != flag);
        let change = RecordChange {
            at: self.clock.now(),
            by: who.by(),
            what: "flag_resolved".into(),
            detail: Some(flag.to_owned()),
        };
        self.save_change(who, &stored, record, change, "resolve_flag")
            .await
    }
}
