//! What the case routes answer with: the citizen's view of a case (no internal notes, no
//! clerk identities, no decision before it is issued) and the office's view.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;
use varoskapu_core::cases::{
    Actor, AttachedDocument, Case, CaseStatus, Deadline, DiaryEntry, DocumentRef, Money,
    OfficeCase, Outcome,
};
use varoskapu_core::people::Person;

/// A deadline as people read it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeadlineView {
    #[schema(value_type = String, format = Date)]
    pub due: Date,
    pub working_days: u32,
    /// Working days left today (negative when overdue); frozen while paused.
    pub days_left: i64,
    pub overdue: bool,
    /// The office waits for the citizen's missing information.
    pub paused: bool,
}

impl DeadlineView {
    pub fn of(deadline: &Deadline, today: Date) -> Self {
        let days_left = deadline.days_left(today);
        Self {
            due: deadline.due(),
            working_days: deadline.working_days,
            days_left,
            overdue: days_left < 0,
            paused: deadline.is_paused(),
        }
    }
}

/// One status change as the citizen sees it: who acted by role, not by name.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HistoryView {
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub from: Option<CaseStatus>,
    pub to: CaseStatus,
    /// `citizen`, `clerk`, `signatory` or `system`.
    pub by: &'static str,
    pub remark: Option<String>,
}

fn role_of(actor: &Actor) -> &'static str {
    match actor {
        Actor::Citizen(_) => "citizen",
        Actor::Clerk(_) => "clerk",
        Actor::Signatory(_) => "signatory",
        Actor::System => "system",
    }
}

/// A request for missing information as the citizen sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InfoRequestView {
    pub message: String,
    #[schema(value_type = String, format = DateTime)]
    pub requested_at: Timestamp,
    pub answer: Option<String>,
    pub answer_documents: Vec<Uuid>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub answered_at: Option<Timestamp>,
}

/// The issued decision as the citizen sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DecisionView {
    pub outcome: Outcome,
    pub reasoning: String,
    /// Decided by a rule, without a person.
    pub automatic: bool,
    pub document: Option<DocumentRef>,
}

/// A case as its owner sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseView {
    pub id: Uuid,
    pub case_type: String,
    pub status: CaseStatus,
    /// The form so far (a submitted case's passed the case type's JSON Schema).
    pub form: Value,
    pub documents: Vec<AttachedDocument>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub submitted_at: Option<Timestamp>,
    pub arrival_number: Option<String>,
    pub filing_number: Option<String>,
    /// The fee due or paid; payment moves an `awaiting_payment` case on.
    pub fee: Option<Money>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub paid_at: Option<Timestamp>,
    pub deadline: Option<DeadlineView>,
    pub information_requests: Vec<InfoRequestView>,
    pub decision: Option<DecisionView>,
    /// The signed submission receipt.
    pub receipt: Option<DocumentRef>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub delivered_at: Option<Timestamp>,
    pub appeal_of: Option<Uuid>,
    pub appealed_by: Option<Uuid>,
    pub history: Vec<HistoryView>,
}

impl CaseView {
    /// The owner's view of `case` on `today`.
    pub fn of(case: &Case, today: Date) -> Self {
        let issued = matches!(case.status, CaseStatus::Decided | CaseStatus::Delivered);
        Self {
            id: case.id,
            case_type: case.case_type.clone(),
            status: case.status,
            form: case.form.clone(),
            documents: case.documents.clone(),
            created_at: case.created_at,
            submitted_at: case.submitted_at,
            arrival_number: case.arrival_number.clone(),
            filing_number: case.filing_number.clone(),
            fee: case.fee.clone(),
            paid_at: case.paid_at,
            deadline: case.deadline.as_ref().map(|d| DeadlineView::of(d, today)),
            information_requests: case
                .info_requests
                .iter()
                .map(|r| InfoRequestView {
                    message: r.message.clone(),
                    requested_at: r.requested_at,
                    answer: r.answer.clone(),
                    answer_documents: r.answer_documents.clone(),
                    answered_at: r.answered_at,
                })
                .collect(),
            decision: case
                .decision
                .as_ref()
                .filter(|_| issued)
                .map(|d| DecisionView {
                    outcome: d.outcome,
                    reasoning: d.reasoning.clone(),
                    automatic: d.automatic,
                    document: d.document.clone(),
                }),
            receipt: case.receipt.clone(),
            delivered_at: case.delivered_at,
            appeal_of: case.appeal_of,
            appealed_by: case.appealed_by,
            history: case
                .history
                .iter()
                .map(|h| HistoryView {
                    at: h.at,
                    from: h.from,
                    to: h.to,
                    by: role_of(&h.actor),
                    remark: h.remark.clone(),
                })
                .collect(),
        }
    }
}

/// A case as the office sees it: everything, with the deadline worked out and, where the
/// case was opened (an audited read), the applicant's name and contact.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OfficeCaseView {
    #[serde(flatten)]
    #[schema(inline)]
    pub case: Case,
    pub deadline_status: Option<DeadlineView>,
    /// Present on the audited read of the case (`GET /backoffice/cases/{case_id}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applicant: Option<Person>,
}

impl OfficeCaseView {
    pub fn of(case: Case, today: Date) -> Self {
        Self {
            deadline_status: case.deadline.as_ref().map(|d| DeadlineView::of(d, today)),
            case,
            applicant: None,
        }
    }

    /// The view of an opened case, naming its applicant.
    pub fn opened(opened: OfficeCase, today: Date) -> Self {
        Self {
            applicant: opened.applicant,
            ..Self::of(opened.case, today)
        }
    }
}

/// One line of the deadline diary.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DiaryLine {
    pub case_id: Uuid,
    pub case_type: String,
    pub status: CaseStatus,
    pub arrival_number: Option<String>,
    pub assignee: Option<String>,
    #[schema(value_type = String, format = Date)]
    pub due: Date,
    pub days_left: i64,
    pub overdue: bool,
    pub paused: bool,
}

impl From<&DiaryEntry> for DiaryLine {
    fn from(e: &DiaryEntry) -> Self {
        Self {
            case_id: e.case.id,
            case_type: e.case.case_type.clone(),
            status: e.case.status,
            arrival_number: e.case.arrival_number.clone(),
            assignee: e.case.assignee.clone(),
            due: e.due,
            days_left: e.days_left,
            overdue: e.overdue,
            paused: e.paused,
        }
    }
}

/// A case in the queue: enough to pick it, no personal data (reading that is audited).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QueueLine {
    pub case_id: Uuid,
    pub case_type: String,
    pub status: CaseStatus,
    pub arrival_number: Option<String>,
    pub filing_number: Option<String>,
    pub assignee: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub submitted_at: Option<Timestamp>,
    pub deadline: Option<DeadlineView>,
}

impl QueueLine {
    pub fn of(case: &Case, today: Date) -> Self {
        Self {
            case_id: case.id,
            case_type: case.case_type.clone(),
            status: case.status,
            arrival_number: case.arrival_number.clone(),
            filing_number: case.filing_number.clone(),
            assignee: case.assignee.clone(),
            submitted_at: case.submitted_at,
            deadline: case.deadline.as_ref().map(|d| DeadlineView::of(d, today)),
        }
    }
}
