//! The case state machine: which status may follow which, so that every use case asks one
//! place before it moves a case.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a case stands in its procedure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Being prepared by the citizen; not yet arrived at the office.
    Draft,
    /// Arrived (has an arrival number), waiting for a clerk.
    Submitted,
    /// Arrived, but the fee must be paid before the office works on it.
    AwaitingPayment,
    /// A clerk works on it.
    InReview,
    /// The office asked the citizen for missing information (hiánypótlás); the deadline is paused.
    WaitingForCitizen,
    /// A decision is drafted and waits for approval.
    DecisionDrafted,
    /// The decision is approved and waits to be issued as a signed document.
    Approved,
    /// The signed decision is issued and waits for the citizen to fetch it.
    Decided,
    /// The citizen fetched the decision (kézbesítés).
    Delivered,
}

impl CaseStatus {
    /// Every status, in procedural order.
    pub const ALL: [CaseStatus; 9] = [
        CaseStatus::Draft,
        CaseStatus::Submitted,
        CaseStatus::AwaitingPayment,
        CaseStatus::InReview,
        CaseStatus::WaitingForCitizen,
        CaseStatus::DecisionDrafted,
        CaseStatus::Approved,
        CaseStatus::Decided,
        CaseStatus::Delivered,
    ];

    /// The stable identifier used on the wire and in storage keys.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Draft => "draft",
            CaseStatus::Submitted => "submitted",
            CaseStatus::AwaitingPayment => "awaiting_payment",
            CaseStatus::InReview => "in_review",
            CaseStatus::WaitingForCitizen => "waiting_for_citizen",
            CaseStatus::DecisionDrafted => "decision_drafted",
            CaseStatus::Approved => "approved",
            CaseStatus::Decided => "decided",
            CaseStatus::Delivered => "delivered",
        }
    }

    /// Parses the wire identifier.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether `next` may follow this status.
    pub fn may_become(self, next: CaseStatus) -> bool {
        use CaseStatus::*;
        matches!(
            (self, next),
            (Draft, Submitted)
                | (Submitted, AwaitingPayment)
                | (Submitted, InReview)
                | (AwaitingPayment, InReview)
                | (InReview, WaitingForCitizen)
                | (WaitingForCitizen, InReview)
                | (InReview, DecisionDrafted)
                // A signatory (or the drafting clerk) sends the draft back for rework.
                | (DecisionDrafted, InReview)
                | (DecisionDrafted, Approved)
                | (Approved, Decided)
                | (Decided, Delivered)
        )
    }

    /// Checks a transition, naming both ends when it is refused.
    pub fn transition(self, next: CaseStatus) -> Result<CaseStatus, IllegalTransition> {
        if self.may_become(next) {
            Ok(next)
        } else {
            Err(IllegalTransition {
                from: self,
                to: next,
            })
        }
    }

    /// Whether the office still owes a decision (the deadline runs or is paused).
    pub fn is_open(self) -> bool {
        use CaseStatus::*;
        matches!(
            self,
            Submitted | AwaitingPayment | InReview | WaitingForCitizen | DecisionDrafted | Approved
        )
    }
}

impl fmt::Display for CaseStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status change the procedure does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a case that is {from} cannot become {to}")]
pub struct IllegalTransition {
    pub from: CaseStatus,
    pub to: CaseStatus,
}

#[cfg(test)]
mod tests {
    use super::*;
    use CaseStatus::*;

    #[test]
    fn the_happy_path_is_allowed_step_by_step() {
        let path = [
            Draft,
            Submitted,
            AwaitingPayment,
            InReview,
            WaitingForCitizen,
            InReview,
            DecisionDrafted,
            Approved,
            Decided,
            Delivered,
        ];
        for pair in path.windows(2) {
            assert!(pair[0].may_become(pair[1]), "{} -> {}", pair[0], pair[1]);
        }
    }

    #[test]
    fn shortcuts_and_reversals_are_illegal_transitions() {
        assert_eq!(
            Draft.transition(Decided),
            Err(IllegalTransition {
                from: Draft,
                to: Decided
            })
        );
        assert!(!Submitted.may_become(Approved));
        assert!(!AwaitingPayment.may_become(DecisionDrafted));
        assert!(!Delivered.may_become(InReview));
        assert!(!Decided.may_become(Draft));
        assert!(!WaitingForCitizen.may_become(DecisionDrafted));
    }

    #[test]
    fn statuses_round_trip_through_their_identifiers() {
        for s in CaseStatus::ALL {
            assert_eq!(CaseStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(
            serde_json::to_string(&AwaitingPayment).unwrap_or_default(),
            "\"awaiting_payment\""
        );
    }
}
