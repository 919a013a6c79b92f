//! A case as the office keeps it: what the citizen submitted, where it stands, its numbers,
//! deadline, documents issued for it and the history of every status change.

use super::case_type::Money;
use super::deadline::Deadline;
use super::status::{CaseStatus, IllegalTransition};
use crate::documents::IssuedDocument;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// Who did something to a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Actor {
    Citizen(String),
    Clerk(String),
    Signatory(String),
    /// The system itself (automatic decisions, issuing documents).
    System,
}

impl Actor {
    /// The account behind the actor, if a person.
    pub fn account(&self) -> Option<&str> {
        match self {
            Actor::Citizen(id) | Actor::Clerk(id) | Actor::Signatory(id) => Some(id),
            Actor::System => None,
        }
    }
}

/// One status change, kept forever with the case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub from: Option<CaseStatus>,
    pub to: CaseStatus,
    pub actor: Actor,
    /// A short public remark (never internal notes).
    pub remark: Option<String>,
}

/// A document the citizen attached, checked and stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AttachedDocument {
    pub id: Uuid,
    /// The case type's document kind, or `missing_information` for an answer.
    pub kind: String,
    /// Sniffed from the bytes, never the client's claim.
    pub media_type: String,
    pub size: u64,
    pub sha256: String,
    /// The `BlobStore` key.
    pub blob_key: String,
    #[schema(value_type = String, format = DateTime)]
    pub attached_at: Timestamp,
}

/// A reference to a signed document issued for the case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DocumentRef {
    pub id: Uuid,
    pub blob_key: String,
    pub sha256: String,
    pub size: u64,
    #[schema(value_type = String, format = DateTime)]
    pub signed_at: Timestamp,
}

impl From<&IssuedDocument> for DocumentRef {
    fn from(d: &IssuedDocument) -> Self {
        Self {
            id: d.id,
            blob_key: d.blob_key.clone(),
            sha256: d.sha256.clone(),
            size: d.size,
            signed_at: d.signed_at,
        }
    }
}

/// What the decision says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Approve,
    Reject,
    /// Approved in part.
    Partial,
}

impl Outcome {
    /// The operative words of the decision, in Hungarian.
    pub fn operative_hu(self) -> &'static str {
        match self {
            Outcome::Approve => "A hatóság a kérelemnek helyt ad.",
            Outcome::Reject => "A hatóság a kérelmet elutasítja.",
            Outcome::Partial => "A hatóság a kérelemnek részben helyt ad.",
        }
    }
}

/// The decision as drafted, approved and issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Decision {
    pub outcome: Outcome,
    pub reasoning: String,
    pub drafted_by: Actor,
    #[schema(value_type = String, format = DateTime)]
    pub drafted_at: Timestamp,
    pub approved_by: Option<Actor>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub approved_at: Option<Timestamp>,
    /// Taken by a rule, not a person; the document says so.
    pub automatic: bool,
    pub document: Option<DocumentRef>,
}

/// A request for missing information (hiánypótlás) and the citizen's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InfoRequest {
    pub message: String,
    pub requested_by: Actor,
    #[schema(value_type = String, format = DateTime)]
    pub requested_at: Timestamp,
    /// The day by which the citizen is asked to answer (`None`: no day was set).
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub answer_by: Option<jiff::civil::Date>,
    pub answer: Option<String>,
    /// Documents attached with the answer.
    pub answer_documents: Vec<Uuid>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub answered_at: Option<Timestamp>,
}

/// How an appeal was sent on to the authority that decides it (felterjesztés): the
/// first-instance office records when the appeal reached it, to whom and when it went on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AppealForwarding {
    #[schema(value_type = String, format = Date)]
    pub received_on: jiff::civil::Date,
    /// The second-instance authority, as the clerk names it.
    pub authority: String,
    #[schema(value_type = String, format = Date)]
    pub forwarded_on: jiff::civil::Date,
    pub recorded_by: Actor,
    #[schema(value_type = String, format = DateTime)]
    pub recorded_at: Timestamp,
}

/// A case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Case {
    pub id: Uuid,
    pub case_type: String,
    /// The citizen's account (token subject).
    pub owner: String,
    pub status: CaseStatus,
    /// The form as the citizen filled it in (validated against the case type's JSON Schema
    /// on submission; a draft's may be anything so far, `null` included).
    pub form: Value,
    pub documents: Vec<AttachedDocument>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub submitted_at: Option<Timestamp>,
    /// `2026/000123`, assigned on arrival, gap-free per year.
    pub arrival_number: Option<String>,
    /// Iktatószám, assigned when a clerk files the case.
    pub filing_number: Option<String>,
    pub fee: Option<Money>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub paid_at: Option<Timestamp>,
    pub payment_reference: Option<String>,
    pub deadline: Option<Deadline>,
    /// The clerk working on it.
    pub assignee: Option<String>,
    pub info_requests: Vec<InfoRequest>,
    pub decision: Option<Decision>,
    pub receipt: Option<DocumentRef>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub delivered_at: Option<Timestamp>,
    pub download_certificates: Vec<DocumentRef>,
    /// The case this one appeals against.
    pub appeal_of: Option<Uuid>,
    /// The appeal opened against this case.
    pub appealed_by: Option<Uuid>,
    /// On an appeal: how it was sent on to the deciding authority.
    #[serde(default)]
    pub appeal_forwarding: Option<AppealForwarding>,
    pub history: Vec<HistoryEntry>,
}

impl Case {
    /// A new draft.
    pub fn draft(id: Uuid, case_type: &str, owner: &str, form: Value, now: Timestamp) -> Self {
        Self {
            id,
            case_type: case_type.to_owned(),
            owner: owner.to_owned(),
            status: CaseStatus::Draft,
            form,
            documents: Vec::new(),
            created_at: now,
            updated_at: now,
            submitted_at: None,
            arrival_number: None,
            filing_number: None,
            fee: None,
            paid_at: None,
            payment_reference: None,
            deadline: None,
            assignee: None,
            info_requests: Vec::new(),
            decision: None,
            receipt: None,
            delivered_at: None,
            download_certificates: Vec::new(),
            appeal_of: None,
            appealed_by: None,
            appeal_forwarding: None,
            history: vec![HistoryEntry {
                at: now,
                from: None,
                to: CaseStatus::Draft,
                actor: Actor::Citizen(owner.to_owned()),
                remark: None,
            }],
        }
    }

    /// Moves the case to `to`, recording who did it, or refuses an illegal transition.
    pub fn move_to(
        &mut self,
        to: CaseStatus,
        actor: Actor,
        at: Timestamp,
        remark: Option<String>,
    ) -> Result<(), IllegalTransition> {
        let from = self.status;
        self.status = from.transition(to)?;
        self.updated_at = at;
        self.history.push(HistoryEntry {
            at,
            from: Some(from),
            to,
            actor,
            remark,
        });
        Ok(())
    }

    /// Refuses unless the case is in `expected` (an action that only makes sense there).
    pub fn require(&self, expected: CaseStatus) -> Result<(), IllegalTransition> {
        if self.status == expected {
            Ok(())
        } else {
            Err(IllegalTransition {
                from: self.status,
                to: expected,
            })
        }
    }

    /// The open request for missing information, if the office waits for one.
    pub fn open_info_request(&mut self) -> Option<&mut InfoRequest> {
        self.info_requests
            .last_mut()
            .filter(|r| r.answered_at.is_none())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn moves_are_checked_and_recorded() {
        let now = Timestamp::from_second(1_800_000_000).unwrap_or(Timestamp::UNIX_EPOCH);
        let mut case = Case::draft(Uuid::nil(), "t", "c1", json!({}), now);
        assert!(
            case.move_to(CaseStatus::Decided, Actor::System, now, None)
                .is_err()
        );
        assert_eq!(case.status, CaseStatus::Draft);
        case.move_to(
            CaseStatus::Submitted,
            Actor::Citizen("c1".into()),
            now,
            None,
        )
        .expect("legal");
        assert_eq!(case.history.len(), 2);
        assert_eq!(case.history[1].from, Some(CaseStatus::Draft));
    }
}
