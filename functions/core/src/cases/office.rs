//! What the back office does with cases: the queue, claiming and assigning, filing numbers,
//! internal notes, requests for missing information, drafting and approving decisions, and
//! the deadline diary. Every read or change of a case by a clerk is audited, in the same
//! transaction as the change. A decision is drafted only on a filed case.

use super::case::{Actor, AttachedDocument, Case, Decision, InfoRequest, Outcome};
use super::error::CaseError;
use super::numbers::{Series, next_number};
use super::service::{Cases, MAX_ATTEMPTS};
use super::status::CaseStatus;
use super::store::{CaseStore, Note};
use crate::blob::Blob;
use crate::people::Person;
use crate::table::{TableError, TxOp};
use jiff::civil::Date;
use uuid::Uuid;

/// A clerk's or signatory's request, with where it came from (for the audit log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeActor {
    pub actor: Actor,
    pub origin: Option<String>,
}

/// A case as a clerk opens it, with the applicant it names.
#[derive(Debug, Clone, PartialEq)]
pub struct OfficeCase {
    pub case: Case,
    /// `None` when the directory knows no account of the case's owner.
    pub applicant: Option<Person>,
}

/// One line of the deadline diary.
#[derive(Debug, Clone, PartialEq)]
pub struct DiaryEntry {
    pub case: Case,
    pub due: Date,
    /// Working days left (negative when overdue); frozen while waiting for the citizen.
    pub days_left: i64,
    pub overdue: bool,
    pub paused: bool,
}

/// Whose cases the queue shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssigneeFilter {
    /// Cases no clerk holds yet.
    Unassigned,
    /// Cases held by this clerk (account id).
    Clerk(String),
}

/// A filter of the queue.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueFilter {
    /// Only cases in this status; by default every open status.
    pub status: Option<CaseStatus>,
    pub case_type: Option<String>,
    /// Only cases due on or before this day.
    pub due_by: Option<Date>,
    pub assignee: Option<AssigneeFilter>,
    /// Only cases that arrived on or after this day (Europe/Budapest).
    pub arrived_from: Option<Date>,
    /// Only cases that arrived on or before this day (Europe/Budapest).
    pub arrived_to: Option<Date>,
    /// Only these case types: the post of the staff member asking; empty for every type.
    pub post: Vec<String>,
}

/// The order of a page of the queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum QueueOrder {
    /// Earliest deadline first (cases without one last), then earliest created.
    #[default]
    Deadline,
    /// Earliest arrival first.
    Arrival,
}

/// One page of the queue.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuePage {
    pub cases: Vec<Case>,
    /// Every case the filter matches, on all pages.
    pub total: usize,
    /// How many of those are in each status, in procedural order (statuses with none left out).
    pub by_status: Vec<(CaseStatus, usize)>,
    /// The cursor of the next page, if there is one.
    pub next: Option<String>,
}

/// Where a case sorts in `order`: a text that sorts like the order, then the id, so that
/// a cursor names a place in the order even after the case it came from has moved on.
fn queue_position(case: &Case, order: QueueOrder) -> (String, Uuid) {
    let nanos = |t: jiff::Timestamp| format!("{:025}", t.as_nanosecond().max(0));
    let text = match order {
        QueueOrder::Deadline => format!(
            "{}|{}",
            case.deadline
                .as_ref()
                .map(|d| d.due().to_string())
                .unwrap_or_else(|| "9999-12-31".into()),
            nanos(case.created_at)
        ),
        QueueOrder::Arrival => nanos(case.submitted_at.unwrap_or(case.created_at)),
    };
    (text, case.id)
}

/// The cursor after `case` (opaque to clients).
fn queue_cursor(case: &Case, order: QueueOrder) -> String {
    let (text, id) = queue_position(case, order);
    format!("{text}~{id}")
}

/// The place a cursor names; `None` for a cursor this order never gave out.
fn parse_queue_cursor(cursor: &str) -> Option<(String, Uuid)> {
    let (text, id) = cursor.rsplit_once('~')?;
    Some((text.to_owned(), Uuid::parse_str(id).ok()?))
}

/// What a clerk records when an appeal goes on to the deciding authority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppealForwardingRequest {
    pub received_on: Date,
    pub authority: String,
    pub forwarded_on: Date,
}

impl Cases {
    /// Cases waiting for the office, earliest deadline first.
    pub async fn queue(&self, filter: &QueueFilter) -> Result<Vec<Case>, CaseError> {
        let statuses: Vec<CaseStatus> = match filter.status {
            Some(s) => vec![s],
            None => CaseStatus::ALL
                .into_iter()
                .filter(|s| s.is_open())
                .collect(),
        };
        let mut out = Vec::new();
        for status in statuses {
            out.extend(self.store.in_status(status).await?);
        }
        out.retain(|c| {
            let arrived = c.submitted_at.map(|t| t.to_zoned(self.tz.clone()).date());
            filter.case_type.as_ref().is_none_or(|t| &c.case_type == t)
                && (filter.post.is_empty() || filter.post.contains(&c.case_type))
                && filter
                    .due_by
                    .is_none_or(|by| c.deadline.as_ref().is_some_and(|d| d.due() <= by))
                && filter.assignee.as_ref().is_none_or(|a| match a {
                    AssigneeFilter::Unassigned => c.assignee.is_none(),
                    AssigneeFilter::Clerk(clerk) => c.assignee.as_ref() == Some(clerk),
                })
                && filter
                    .arrived_from
                    .is_none_or(|from| arrived.is_some_and(|d| d >= from))
                && filter
                    .arrived_to
                    .is_none_or(|to| arrived.is_some_and(|d| d <= to))
        });
        out.sort_by_key(|c| (c.deadline.as_ref().map(|d| d.due()), c.created_at));
        Ok(out)
    }

    /// One page of at most `limit` cases of the queue in `order`, after the place `after`
    /// names (a cursor of an earlier page; `None`: from the start). Pages are cut from the
    /// sorted queue by position, not by count, so a case arriving or leaving between two
    /// pages neither repeats a line nor skips one. An unknown cursor is a validation error.
    pub async fn queue_page(
        &self,
        filter: &QueueFilter,
        order: QueueOrder,
        after: Option<&str>,
        limit: usize,
    ) -> Result<QueuePage, CaseError> {
        let after = match after {
            None => None,
            Some(cursor) => Some(
                parse_queue_cursor(cursor)
                    .ok_or_else(|| CaseError::Invalid("unknown queue cursor".into()))?,
            ),
        };
        let mut all = self.queue(filter).await?;
        all.sort_by_cached_key(|c| queue_position(c, order));
        let total = all.len();
        let by_status = CaseStatus::ALL
            .into_iter()
            .map(|s| (s, all.iter().filter(|c| c.status == s).count()))
            .filter(|(_, n)| *n > 0)
            .collect();
        let limit = limit.max(1);
        let mut rest: Vec<Case> = all
            .into_iter()
            .filter(|c| after.as_ref().is_none_or(|a| &queue_position(c, order) > a))
            .collect();
        let next = (rest.len() > limit).then(|| queue_cursor(&rest[limit - 1], order));
        rest.truncate(limit);
        Ok(QueuePage {
            cases: rest,
            total,
            by_status,
            next,
        })
    }

    /// Open cases by days left, overdue ones flagged.
    pub async fn diary(&self) -> Result<Vec<DiaryEntry>, CaseError> {
        let today = self.today();
        let mut entries: Vec<DiaryEntry> = self
            .store
            .open_by_deadline()
            .await?
            .into_iter()
            .filter_map(|case| {
                let deadline = case.deadline.clone()?;
                let days_left = deadline.days_left(today);
                Some(DiaryEntry {
                    due: deadline.due(),
                    days_left,
                    overdue: days_left < 0,
                    paused: deadline.is_paused(),
                    case,
                })
            })
            .collect();
        entries.sort_by_key(|e| (e.days_left, e.case.created_at));
        Ok(entries)
    }

    /// A case that has arrived at the office (a draft has not).
    async fn arrived(&self, id: Uuid) -> Result<Case, CaseError> {
        let case = self.load(id).await?.case;
        if case.status == CaseStatus::Draft {
            return Err(CaseError::UnknownCase);
        }
        Ok(case)
    }

    /// A case as a clerk sees it, with the applicant's name and contact; the read is
    /// audited.
    pub async fn view(&self, by: &OfficeActor, id: Uuid) -> Result<OfficeCase, CaseError> {
        let case = self.arrived(id).await?;
        let event = self.audit_entry(&by.actor, id, "read", by.origin.as_deref());
        self.audit.record(event).await?;
        let applicant = self.person(&case.owner).await?;
        Ok(OfficeCase { case, applicant })
    }

    /// An attached document's bytes for a clerk; the read is audited.
    pub async fn attachment(
        &self,
        by: &OfficeActor,
        id: Uuid,
        document: Uuid,
    ) -> Result<(AttachedDocument, Blob), CaseError> {
        let case = self.arrived(id).await?;
        let attached = case
            .documents
            .iter()
            .find(|d| d.id == document)
            .cloned()
            .ok_or(CaseError::UnknownDocument)?;
        let event = self
            .audit_entry(&by.actor, id, "read_document", by.origin.as_deref())
            .on(format!("document/{document}"));
        self.audit.record(event).await?;
        let blob = self.documents.get(&attached.blob_key).await?;
        Ok((attached, blob))
    }

    /// Internal notes of a case; the read is audited.
    pub async fn notes(&self, by: &OfficeActor, id: Uuid) -> Result<Vec<Note>, CaseError> {
        self.arrived(id).await?;
        let event = self.audit_entry(&by.actor, id, "read_notes", by.origin.as_deref());
        self.audit.record(event).await?;
        Ok(self.store.notes(id).await?)
    }

    /// Who read or changed a case, for the office; reading the trail is itself recorded
    /// (it names people and their addresses).
    pub async fn audit_trail_for(
        &self,
        by: &OfficeActor,
        id: Uuid,
    ) -> Result<Vec<super::AuditEntry>, CaseError> {
        self.load(id).await?;
        let event = self.audit_entry(&by.actor, id, "read_audit", by.origin.as_deref());
        self.audit.record(event).await?;
        self.audit_trail(id).await
    }

    /// Applies `change` to a case and writes it with an audit entry of `action` and any
    /// further operations it returns, retrying when a concurrent change got there first.
    async fn change<F>(
        &self,
        by: &OfficeActor,
        id: Uuid,
        action: &str,
        mut change: F,
    ) -> Result<Case, CaseError>
    where
        F: FnMut(&Self, &mut Case) -> Result<Vec<TxOp>, CaseError>,
    {
        for _ in 0..MAX_ATTEMPTS {
            let stored = self.load(id).await?;
            if stored.case.status == CaseStatus::Draft {
                return Err(CaseError::UnknownCase);
            }
            let mut case = stored.case;
            let extra = change(self, &mut case)?;
            case.updated_at = self.clock.now();
            let event = self.audit_entry(&by.actor, id, action, by.origin.as_deref());
            let mut ops = vec![CaseStore::save_op(&case, Some(stored.version))?];
            ops.extend(extra);
            ops.extend(self.audit.seal(vec![event]).await?);
            match self.audit.commit(ops).await {
                Ok(()) => return Ok(case),
                Err(e) if e.is_condition_failure() || e == TableError::Conflict => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(CaseError::Busy)
    }

    /// Takes a case for oneself; an arrived case goes into review.
    pub async fn claim(&self, by: &OfficeActor, id: Uuid) -> Result<Case, CaseError> {
        let clerk = by.actor.account().unwrap_or_default().to_owned();
        self.assign(by, id, &clerk, false).await
    }

    /// Gives a case to `clerk` (`reassign`: even if another clerk holds it).
    pub async fn assign(
        &self,
        by: &OfficeActor,
        id: Uuid,
        clerk: &str,
        reassign: bool,
    ) -> Result<Case, CaseError> {
        if clerk.is_empty() {
            return Err(CaseError::Invalid("a case is assigned to a clerk".into()));
        }
        let actor = by.actor.clone();
        self.change(by, id, "assign", |this, case| {
            if case.assignee.as_deref().is_some_and(|a| a != clerk) && !reassign {
                return Err(CaseError::AssignedToSomeoneElse);
            }
            if !case.status.is_open() || case.status == CaseStatus::AwaitingPayment {
                return Err(CaseError::IllegalTransition {
                    from: case.status,
                    to: CaseStatus::InReview,
                });
            }
            case.assignee = Some(clerk.to_owned());
            if case.status == CaseStatus::Submitted {
                case.move_to(CaseStatus::InReview, actor.clone(), this.clock.now(), None)?;
            }
            Ok(Vec::new())
        })
        .await
    }

    /// Files the case: gives it the next filing number (iktatószám) of the year, once,
    /// claimed in the same transaction as the case's change.
    pub async fn file(&self, by: &OfficeActor, id: Uuid) -> Result<Case, CaseError> {
        for _ in 0..MAX_ATTEMPTS {
            let stored = self.load(id).await?;
            let mut case = stored.case;
            if case.filing_number.is_some() {
                return Ok(case);
            }
            if matches!(
                case.status,
                CaseStatus::Draft | CaseStatus::Submitted | CaseStatus::AwaitingPayment
            ) {
                return Err(CaseError::IllegalTransition {
                    from: case.status,
                    to: CaseStatus::InReview,
                });
            }
            let number = next_number(
                self.store.table.as_ref(),
                Series::Filing,
                self.today().year(),
            )
            .await?;
            let event = self
                .audit_entry(&by.actor, id, "file", by.origin.as_deref())
                .on(format!("filing/{}", number.number));
            case.filing_number = Some(number.number);
            case.updated_at = self.clock.now();
            let mut ops = vec![
                CaseStore::save_op(&case, Some(stored.version))?,
                number.claim,
            ];
            ops.extend(self.audit.seal(vec![event]).await?);
            match self.audit.commit(ops).await {
                Ok(()) => return Ok(case),
                Err(e) if e.is_condition_failure() || e == TableError::Conflict => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(CaseError::Busy)
    }

    /// Adds an internal note.
    pub async fn add_note(
        &self,
        by: &OfficeActor,
        id: Uuid,
        text: &str,
    ) -> Result<Note, CaseError> {
        if text.trim().is_empty() {
            return Err(CaseError::Invalid("a note needs text".into()));
        }
        let note = Note {
            id: self.ids.new_id(),
            case_id: id,
            author: by.actor.clone(),
            at: self.clock.now(),
            text: text.to_owned(),
        };
        let op = CaseStore::note_op(&note)?;
        self.change(by, id, "add_note", |_, _| Ok(vec![op.clone()]))
            .await?;
        Ok(note)
    }

    /// Asks the citizen for missing information, to be answered by `answer_by` if given
    /// (a day after today): the deadline pauses until they answer.
    pub async fn request_information(
        &self,
        by: &OfficeActor,
        id: Uuid,
        message: &str,
        answer_by: Option<Date>,
    ) -> Result<Case, CaseError> {
        if message.trim().is_empty() {
            return Err(CaseError::Invalid("say what is missing".into()));
        }
        if answer_by.is_some_and(|day| day <= self.today()) {
            return Err(CaseError::Invalid(
                "the day to answer by must be after today".into(),
            ));
        }
        let actor = by.actor.clone();
        let mut notice = None;
        let case = self
            .change(by, id, "request_information", |this, case| {
                let now = this.clock.now();
                case.move_to(
                    CaseStatus::WaitingForCitizen,
                    actor.clone(),
                    now,
                    Some("hiánypótlási felhívás".into()),
                )?;
                if let Some(deadline) = case.deadline.as_mut() {
                    deadline.pause(this.today());
                }
                case.info_requests.push(InfoRequest {
                    message: message.to_owned(),
                    requested_by: actor.clone(),
                    requested_at: now,
                    answer_by,
                    answer: None,
                    answer_documents: Vec::new(),
                    answered_at: None,
                });
                // The request reaches the citizen with the change, through the outbox.
                let label = Self::case_label(case);
                let by_day = answer_by
                    .map(|d| format!(" Kérjük, {d}-ig válaszoljon."))
                    .unwrap_or_default();
                let (message, queued) = this.notice(
                    case,
                    "case_information_requested",
                    "Hiánypótlási felhívás",
                    format!("A(z) {label} ügyében a hatóság hiánypótlást kér: {message}{by_day}"),
                );
                notice = Some((message, queued.is_some()));
                Ok(queued.into_iter().collect())
            })
            .await?;
        if let Some((message, queued)) = notice {
            self.send_unqueued(case.id, message, queued).await;
        }
        Ok(case)
    }

    /// The clerk drafts the decision on a filed case (refused with `NotFiled` otherwise);
    /// where the type needs no signatory it is approved at once and issued.
    pub async fn draft_decision(
        &self,
        by: &OfficeActor,
        id: Uuid,
        outcome: Outcome,
        reasoning: &str,
    ) -> Result<Case, CaseError> {
        if reasoning.trim().is_empty() {
            return Err(CaseError::Invalid("a decision needs its reasoning".into()));
        }
        let actor = by.actor.clone();
        let case = self
            .change(by, id, "draft_decision", |this, case| {
                let now = this.clock.now();
                case.move_to(CaseStatus::DecisionDrafted, actor.clone(), now, None)?;
                // A legal step, but the case has no filing number yet (the change is dropped).
                if case.filing_number.is_none() {
                    return Err(CaseError::NotFiled);
                }
                case.decision = Some(Decision {
                    outcome,
                    reasoning: reasoning.to_owned(),
                    drafted_by: actor.clone(),
                    drafted_at: now,
                    approved_by: None,
                    approved_at: None,
                    automatic: false,
                    document: None,
                });
                Ok(Vec::new())
            })
            .await?;
        let case_type = self.case_type(&case.case_type).await?;
        if case_type.signatory_approval {
            return Ok(case);
        }
        self.approve_as(by, id, false).await
    }

    /// A signatory approves the drafted decision (never their own draft); it is then
    /// signed, timestamped and issued.
    pub async fn approve(&self, by: &OfficeActor, id: Uuid) -> Result<Case, CaseError> {
        self.approve_as(by, id, true).await
    }

    async fn approve_as(
        &self,
        by: &OfficeActor,
        id: Uuid,
        four_eyes: bool,
    ) -> Result<Case, CaseError> {
        let actor = by.actor.clone();
        self.change(by, id, "approve_decision", |this, case| {
            let decision = case.decision.as_mut().ok_or(CaseError::IllegalTransition {
                from: case.status,
                to: CaseStatus::Approved,
            })?;
            if four_eyes && decision.drafted_by.account() == actor.account() {
                return Err(CaseError::SelfApproval);
            }
            let now = this.clock.now();
            decision.approved_by = Some(actor.clone());
            decision.approved_at = Some(now);
            case.move_to(CaseStatus::Approved, actor.clone(), now, None)?;
            Ok(Vec::new())
        })
        .await?;
        self.issue_decision(id).await
    }

    /// Records that an appeal (a case opened against a decision) went on to the deciding
    /// authority, once: in the appeal's history and its audit trail.
    pub async fn forward_appeal(
        &self,
        by: &OfficeActor,
        id: Uuid,
        request: &AppealForwardingRequest,
    ) -> Result<Case, CaseError> {
        let authority = request.authority.trim();
        if authority.is_empty() {
            return Err(CaseError::Invalid(
                "name the authority the appeal goes to".into(),
            ));
        }
        if request.forwarded_on < request.received_on {
            return Err(CaseError::Invalid(
                "an appeal is forwarded after it was received".into(),
            ));
        }
        if request.forwarded_on > self.today() {
            return Err(CaseError::Invalid(
                "the day of forwarding cannot be in the future".into(),
            ));
        }
        let actor = by.actor.clone();
        self.change(by, id, "forward_appeal", |this, case| {
            if case.appeal_of.is_none() {
                return Err(CaseError::NotAnAppeal);
            }
            if case.appeal_forwarding.is_some() {
                return Err(CaseError::AppealAlreadyForwarded);
            }
            let now = this.clock.now();
            case.appeal_forwarding = Some(super::case::AppealForwarding {
                received_on: request.received_on,
                authority: authority.to_owned(),
                forwarded_on: request.forwarded_on,
                recorded_by: actor.clone(),
                recorded_at: now,
            });
            // Not a change of status, but part of the procedure the history tells.
            case.history.push(super::case::HistoryEntry {
                at: now,
                from: Some(case.status),
                to: case.status,
                actor: actor.clone(),
                remark: Some(format!(
                    "fellebbezés felterjesztve: {authority}, {} (beérkezett: {})",
                    request.forwarded_on, request.received_on
                )),
            });
            Ok(Vec::new())
        })
        .await
    }

    /// A signatory (or the drafter) sends a draft back for rework.
    pub async fn return_draft(
        &self,
        by: &OfficeActor,
        id: Uuid,
        remark: &str,
    ) -> Result<Case, CaseError> {
        let actor = by.actor.clone();
        self.change(by, id, "return_draft", |this, case| {
            case.move_to(
                CaseStatus::InReview,
                actor.clone(),
                this.clock.now(),
                Some(remark.to_owned()),
            )?;
            case.decision = None;
            Ok(Vec::new())
        })
        .await
    }
}
