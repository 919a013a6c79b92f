//! Decisions as documents: issuing the approved decision as a signed, timestamped PDF that
//! names the applicant, the clerk and the signatory (or the rule that decided), deciding
//! automatically where a rule allows (filing the case first), delivering it to its owner
//! (kézbesítés) and certifying the download, and opening an appeal within the appeal
//! window. Every step is audited on the case.

use super::case::{Actor, Case, Decision, DocumentRef, Outcome};
use super::case_type::{CaseType, RuleOutcome};
use super::citizen::CitizenActor;
use super::deadline::Deadline;
use super::error::CaseError;
use super::numbers::{Series, next_number};
use super::service::{Cases, MAX_ATTEMPTS};
use super::status::CaseStatus;
use super::store::{CaseStore, Note};
use crate::audit::AuditStream;
use crate::blob::{Blob, PresignedRequest};
use crate::documents::{DocumentKind, DocumentRequest, KeyFact, grouped_hex};
use crate::table::TableError;
use jiff::SignedDuration;
use serde_json::json;
use uuid::Uuid;

/// How long a decision's download URL stays valid.
pub const DOWNLOAD_VALIDITY: SignedDuration = SignedDuration::from_mins(5);

impl Cases {
    /// The name of a member of staff (or what decided, for the system).
    async fn staff_name(&self, actor: &Actor) -> Result<String, CaseError> {
        match actor.account() {
            Some(account) => Ok(self
                .person(account)
                .await?
                .map(|p| p.formal_name())
                .unwrap_or_else(|| format!("ügyintéző {account}"))),
            None => Ok("a Városkapu rendszere".into()),
        }
    }

    async fn decision_request(
        &self,
        case: &Case,
        case_type: &CaseType,
        decision: &Decision,
    ) -> Result<DocumentRequest, CaseError> {
        let mut facts = Vec::new();
        if let Some(filing) = &case.filing_number {
            facts.push(KeyFact::new("Iktatószám", filing.clone()));
        }
        facts.push(KeyFact::new("Érkeztetési szám", Self::case_label(case)));
        facts.push(KeyFact::new("Ügytípus", case_type.name.hu.clone()));
        facts.extend(self.applicant_facts(&case.owner).await?);
        if let Some(at) = case.submitted_at {
            facts.push(KeyFact::new("Kérelem beérkezése", self.local_time(at)));
        }
        if decision.automatic {
            let rule = case_type
                .auto_decision
                .as_ref()
                .map(|r| r.name.clone())
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| format!("{} automatikus döntési szabálya", case_type.name.hu));
            facts.push(KeyFact::new(
                "Döntéshozó",
                format!("automatikus döntés – {rule}"),
            ));
        } else {
            facts.push(KeyFact::new(
                "Ügyintéző",
                self.staff_name(&decision.drafted_by).await?,
            ));
            if let Some(approver) = &decision.approved_by {
                facts.push(KeyFact::new(
                    "Kiadmányozó",
                    self.staff_name(approver).await?,
                ));
            }
        }
        let issued_on = self.today();
        facts.push(KeyFact::new(
            "A döntés kelte",
            format!(
                "{:04}. {:02}. {:02}.",
                issued_on.year(),
                issued_on.month(),
                issued_on.day()
            ),
        ));
        let mut paragraphs = vec![
            decision.outcome.operative_hu().to_owned(),
            format!("Indoklás: {}", decision.reasoning),
        ];
        if decision.automatic {
            paragraphs.push(
                "Ezt a döntést automatikus döntéshozatal útján, emberi közreműködés nélkül hozta \
                 meg a hatóság a kérelemben közölt adatok alapján."
                    .into(),
            );
        }
        paragraphs.push(format!(
            "Jogorvoslat: a döntés ellen a közléstől számított {} napon belül fellebbezésnek van \
             helye, amelyet a Városkapuban elektronikusan lehet benyújtani.",
            case_type.appeal_window_days
        ));
        Ok(DocumentRequest {
            kind: DocumentKind::Decision,
            owner: case.owner.clone(),
            case_id: Some(case.id.to_string()),
            title: format!("{} ügyében", case_type.name.hu),
            facts,
            paragraphs,
        })
    }

    /// Issues an approved decision as a signed PDF and marks the case decided; the citizen
    /// is told it is ready. Safe to call again if an earlier attempt stopped half-way.
    pub async fn issue_decision(&self, id: Uuid) -> Result<Case, CaseError> {
        let stored = self.load(id).await?;
        stored.case.require(CaseStatus::Approved)?;
        let case_type = self.case_type(&stored.case.case_type).await?;
        let decision = stored
            .case
            .decision
            .clone()
            .ok_or(CaseError::IllegalTransition {
                from: CaseStatus::Approved,
                to: CaseStatus::Decided,
            })?;
        let request = self
            .decision_request(&stored.case, &case_type, &decision)
            .await?;
        let issued = self.issuer.issue(request).await?;
        let mut stored = Some(stored);
        for _ in 0..MAX_ATTEMPTS {
            let current = match stored.take() {
                Some(s) => s,
                None => self.load(id).await?,
            };
            let mut case = current.case;
            if case.status != CaseStatus::Approved {
                // Someone else issued it meanwhile.
                return Ok(case);
            }
            if let Some(d) = case.decision.as_mut() {
                d.document = Some(DocumentRef::from(&issued));
            }
            case.move_to(CaseStatus::Decided, Actor::System, self.clock.now(), None)?;
            let event = self
                .audit_entry(&Actor::System, id, "issue_decision", None)
                .on(format!("document/{}", issued.id));
            let mut ops = vec![CaseStore::save_op(&case, Some(current.version))?];
            let label = Self::case_label(&case);
            let (notice, queued) = self.notice(
                &case,
                "case_decided",
                "Döntés született ügyében",
                format!("A(z) {label} ügyében a hatóság döntött; a hitelesített határozatot a Városkapuban töltheti le."),
            );
            let was_queued = queued.is_some();
            ops.extend(queued);
            ops.extend(self.audit.seal(vec![event]).await?);
            match self.audit.commit(ops).await {
                Ok(()) => {
                    self.send_unqueued(case.id, notice, was_queued).await;
                    return Ok(case);
                }
                Err(e) if e.is_condition_failure() || e == TableError::Conflict => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(CaseError::Busy)
    }

    /// Lets the type's rule decide a submitted case: approval files the case (the next
    /// filing number, as a clerk's filing would get) and takes the usual path with the
    /// system as decider; otherwise the case waits for a clerk with the rule's findings as
    /// an internal note.
    pub(crate) async fn auto_decide(
        &self,
        id: Uuid,
        case_type: &CaseType,
    ) -> Result<Case, CaseError> {
        let Some(rule) = &case_type.auto_decision else {
            return Ok(self.load(id).await?.case);
        };
        for _ in 0..MAX_ATTEMPTS {
            let stored = self.load(id).await?;
            let mut case = stored.case;
            if case.status != CaseStatus::Submitted {
                return Ok(case);
            }
            let now = self.clock.now();
            let mut ops = Vec::new();
            let mut events = Vec::new();
            match rule.evaluate(&case.form) {
                RuleOutcome::Approve => {
                    case.move_to(CaseStatus::InReview, Actor::System, now, None)?;
                    if case.filing_number.is_none() {
                        let number = next_number(
                            self.store.table.as_ref(),
                            Series::Filing,
                            self.today().year(),
                        )
                        .await?;
                        events.push(
                            self.audit_entry(&Actor::System, id, "file", None)
                                .on(format!("filing/{}", number.number)),
                        );
                        case.filing_number = Some(number.number);
                        ops.push(number.claim);
                    }
                    case.move_to(CaseStatus::DecisionDrafted, Actor::System, now, None)?;
                    case.decision = Some(Decision {
                        outcome: Outcome::Approve,
                        reasoning: rule.approval_reasoning.clone(),
                        drafted_by: Actor::System,
                        drafted_at: now,
                        approved_by: Some(Actor::System),
                        approved_at: Some(now),
                        automatic: true,
                        document: None,
                    });
                    case.move_to(
                        CaseStatus::Approved,
                        Actor::System,
                        now,
                        Some("automatikus döntés".into()),
                    )?;
                    events.push(self.audit_entry(&Actor::System, id, "decide_automatically", None));
                }
                RuleOutcome::RouteToClerk(reasons) => {
                    let note = Note {
                        id: self.ids.new_id(),
                        case_id: id,
                        author: Actor::System,
                        at: now,
                        text: format!(
                            "Az automatikus döntés feltételei nem teljesülnek: {}",
                            reasons.join("; ")
                        ),
                    };
                    let event = self.audit_entry(&Actor::System, id, "route_to_clerk", None);
                    let mut ops = vec![CaseStore::note_op(&note)?];
                    ops.extend(self.audit.seal(vec![event]).await?);
                    self.audit.commit(ops).await?;
                    return Ok(case);
                }
            }
            ops.insert(0, CaseStore::save_op(&case, Some(stored.version))?);
            ops.extend(self.audit.seal(events).await?);
            match self.audit.commit(ops).await {
                Ok(()) => return self.issue_decision(id).await,
                Err(e) if e.is_condition_failure() || e == TableError::Conflict => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(CaseError::Busy)
    }

    /// Hands the decision to its owner: the first fetch is the delivery (kézbesítés),
    /// audited with the status change; every later fetch is audited as `action`.
    async fn deliver(
        &self,
        by: &CitizenActor,
        id: Uuid,
        action: &str,
    ) -> Result<(Case, DocumentRef), CaseError> {
        for _ in 0..MAX_ATTEMPTS {
            let stored = self.load_own(&by.account, id).await?;
            let mut case = stored.case;
            let document = case
                .decision
                .as_ref()
                .and_then(|d| d.document.clone())
                .ok_or(CaseError::IllegalTransition {
                    from: case.status,
                    to: CaseStatus::Delivered,
                })?;
            if case.status == CaseStatus::Delivered {
                let event = self
                    .citizen_event(by, id, action)
                    .on(format!("document/{}", document.id));
                self.audit.record(event).await?;
                return Ok((case, document));
            }
            let now = self.clock.now();
            case.move_to(
                CaseStatus::Delivered,
                by.actor(),
                now,
                Some("kézbesítve (letöltés)".into()),
            )?;
            case.delivered_at = Some(now);
            let event = self
                .citizen_event(by, id, "deliver")
                .on(format!("document/{}", document.id));
            let mut ops = vec![CaseStore::save_op(&case, Some(stored.version))?];
            ops.extend(self.audit.seal(vec![event]).await?);
            match self.audit.commit(ops).await {
                Ok(()) => return Ok((case, document)),
                Err(e) if e.is_condition_failure() || e == TableError::Conflict => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(CaseError::Busy)
    }

    /// The signed decision's bytes, for its owner only; the first fetch delivers it.
    pub async fn fetch_decision(
        &self,
        by: &CitizenActor,
        id: Uuid,
    ) -> Result<(Case, Blob), CaseError> {
        let (case, document) = self.deliver(by, id, "fetch_decision").await?;
        let blob = self.documents.get(&document.blob_key).await?;
        Ok((case, blob))
    }

    /// A short-lived URL of the signed decision, for its owner only; handing it out
    /// delivers the decision.
    pub async fn decision_url(
        &self,
        by: &CitizenActor,
        id: Uuid,
    ) -> Result<(Case, PresignedRequest), CaseError> {
        let (case, document) = self.deliver(by, id, "fetch_decision_url").await?;
        let url = self
            .documents
            .presign_download(&document.blob_key, DOWNLOAD_VALIDITY)
            .await?;
        Ok((case, url))
    }

    /// Hands over the certificate issued earlier, the request audited like the first.
    async fn hand_over_certificate(
        &self,
        by: &CitizenActor,
        id: Uuid,
        certificate: &DocumentRef,
    ) -> Result<Blob, CaseError> {
        let event = self
            .citizen_event(by, id, "request_download_certificate")
            .on(format!("document/{}", certificate.id));
        self.audit.record(event).await?;
        Ok(self.documents.get(&certificate.blob_key).await?)
    }

    /// Issues a signed download certificate (letöltési igazolás): what was delivered to
    /// whom and when, with the decision's full SHA-256.
    pub async fn download_certificate(
        &self,
        by: &CitizenActor,
        id: Uuid,
    ) -> Result<Blob, CaseError> {
        let stored = self.load_own(&by.account, id).await?;
        let case = stored.case;
        case.require(CaseStatus::Delivered)?;
        // One delivery, one certificate: asking again hands over the same signed document.
        if let Some(existing) = case.download_certificates.first() {
            return self.hand_over_certificate(by, id, existing).await;
        }
        let (Some(document), Some(delivered_at)) = (
            case.decision.as_ref().and_then(|d| d.document.clone()),
            case.delivered_at,
        ) else {
            return Err(CaseError::IllegalTransition {
                from: case.status,
                to: CaseStatus::Delivered,
            });
        };
        let case_type = self.case_type(&case.case_type).await?;
        let mut facts = vec![KeyFact::new("Érkeztetési szám", Self::case_label(&case))];
        if let Some(filing) = &case.filing_number {
            facts.push(KeyFact::new("Iktatószám", filing.clone()));
        }
        facts.extend(self.applicant_facts(&case.owner).await?);
        facts.extend([
            KeyFact::new("Kézbesítés ideje", self.local_time(delivered_at)),
            KeyFact::new("Határozat SHA-256", grouped_hex(&document.sha256)),
            KeyFact::new("Határozat mérete", format!("{} bájt", document.size)),
        ]);
        let recipient = self.name_of(&case.owner).await?;
        let request = DocumentRequest {
            kind: DocumentKind::DownloadCertificate,
            owner: case.owner.clone(),
            case_id: Some(case.id.to_string()),
            title: format!("{} – határozat kézbesítése", case_type.name.hu),
            facts,
            paragraphs: vec![format!(
                "A hatóság igazolja, hogy {recipient} a(z) {} ügyében hozott, elektronikusan \
                 aláírt határozatot a fenti időpontban letöltötte; a letöltött határozat \
                 SHA-256 lenyomata a fenti.",
                Self::case_label(&case)
            )],
        };
        let issued = self.issuer.issue(request).await?;
        let reference = DocumentRef::from(&issued);
        for _ in 0..MAX_ATTEMPTS {
            let current = self.load_own(&by.account, id).await?;
            let mut case = current.case;
            // A request at the same moment issued one first: that one is the certificate.
            if let Some(existing) = case.download_certificates.first() {
                return self.hand_over_certificate(by, id, existing).await;
            }
            case.download_certificates.push(reference.clone());
            let event = self
                .citizen_event(by, id, "request_download_certificate")
                .on(format!("document/{}", issued.id));
            let mut ops = vec![CaseStore::save_op(&case, Some(current.version))?];
            ops.extend(self.audit.seal(vec![event]).await?);
            match self.audit.commit(ops).await {
                Ok(()) => break,
                Err(e) if e.is_condition_failure() || e == TableError::Conflict => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(self.documents.get(&issued.blob_key).await?)
    }

    /// Opens an appeal against a delivered decision within the appeal window: a new case of
    /// the same type, linked both ways, arrived with its own number.
    pub async fn appeal(
        &self,
        by: &CitizenActor,
        id: Uuid,
        reasoning: &str,
    ) -> Result<Case, CaseError> {
        if reasoning.trim().is_empty() {
            return Err(CaseError::Invalid("an appeal needs its reasoning".into()));
        }
        let owner = by.account.as_str();
        for _ in 0..MAX_ATTEMPTS {
            let stored = self.load_own(owner, id).await?;
            let mut original = stored.case;
            original.require(CaseStatus::Delivered)?;
            if original.appealed_by.is_some() {
                return Err(CaseError::AlreadyAppealed);
            }
            let case_type = self.case_type(&original.case_type).await?;
            let delivered = original.delivered_at.unwrap_or(original.updated_at);
            let closes = delivered
                .to_zoned(self.tz.clone())
                .date()
                .checked_add(jiff::Span::new().days(i64::from(case_type.appeal_window_days)))
                .map_err(|e| CaseError::Invalid(e.to_string()))?;
            let today = self.today();
            if today > closes {
                return Err(CaseError::AppealWindowClosed {
                    closed_on: closes.to_string(),
                });
            }
            let now = self.clock.now();
            let number =
                next_number(self.store.table.as_ref(), Series::Arrival, today.year()).await?;
            let mut appeal = Case::draft(
                self.ids.new_id(),
                &original.case_type,
                owner,
                json!({"appeal_reasoning": reasoning}),
                now,
            );
            appeal.appeal_of = Some(id);
            appeal.move_to(
                CaseStatus::Submitted,
                by.actor(),
                now,
                Some(format!("fellebbezés: {}", Self::case_label(&original))),
            )?;
            appeal.submitted_at = Some(now);
            appeal.deadline = Some(Deadline::start(today, case_type.deadline_working_days));
            original.appealed_by = Some(appeal.id);
            original.updated_at = now;
            let events = vec![
                self.citizen_event(by, id, "appeal")
                    .on(format!("case/{}", appeal.id)),
                self.audit
                    .event(
                        AuditStream::case(appeal.id),
                        &by.actor(),
                        "submit_appeal",
                        by.origin.as_deref(),
                    )
                    .on(format!("arrival/{}", number.number)),
            ];
            appeal.arrival_number = Some(number.number);
            let mut ops = vec![
                CaseStore::save_op(&original, Some(stored.version))?,
                CaseStore::save_op(&appeal, None)?,
                number.claim,
            ];
            ops.extend(self.audit.seal(events).await?);
            match self.audit.commit(ops).await {
                Ok(()) => return Ok(appeal),
                Err(e) if e.is_condition_failure() || e == TableError::Conflict => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(CaseError::Busy)
    }
}
