//! Decisions as documents: issuing the approved decision as a signed, timestamped PDF that
//! names the applicant, the clerk and the signatory (or the rule that decided), deciding
//! automatically where a rule allows (filing the case first), delivering it to its owner
//! (kézbesítés) and certifying the download, and opening an appeal within the appeal
//! window. Every step is audited on the case.

use super::case::{Actor, Case, Decision, DocumentRef, Outcome};
use super::case_type::{AutoDecisionRule, CaseType, RegistryCheck, RuleOutcome};
use super::citizen::CitizenActor;
use super::deadline::Deadline;
use super::error::CaseError;
use super::numbers::{Series, next_number};
use super::service::{Cases, MAX_ATTEMPTS};
use super::status::CaseStatus;
use super::store::{CaseStore, Note};
use crate::audit::{AuditEvent, AuditStream};
use crate::blob::{Blob, PresignedRequest};
use crate::crm::registry::{
    RegisteredPerson, Registry, RegistryError, VehicleCheck, normalise_plate,
};
use crate::crm::store::PersonStore;
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
            let trusted = case_type
                .auto_decision
                .as_ref()
                .is_some_and(|r| !r.registry_checks.is_empty());
            paragraphs.push(if trusted {
                "Ezt a döntést automatikus döntéshozatal útján, emberi közreműködés nélkül hozta \
                 meg a hatóság a kérelemben közölt és a hatósági nyilvántartásokból lekérdezett \
                 adatok alapján."
                    .into()
            } else {
                "Ezt a döntést automatikus döntéshozatal útján, emberi közreműködés nélkül hozta \
                 meg a hatóság a kérelemben közölt adatok alapján."
                    .into()
            });
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
        let owner = self.load(id).await?.case;
        if owner.status != CaseStatus::Submitted {
            return Ok(owner);
        }
        // The registries are asked once: a race on the case's version changes nothing they say.
        let (registry_reasons, asked) = self.registry_findings(&owner, rule).await?;
        for _ in 0..MAX_ATTEMPTS {
            let stored = self.load(id).await?;
            let mut case = stored.case;
            if case.status != CaseStatus::Submitted {
                return Ok(case);
            }
            let now = self.clock.now();
            let mut ops = Vec::new();
            let mut events = asked.clone();
            let mut filing_turn = None;
            let outcome = match (rule.evaluate(&case.form), registry_reasons.clone()) {
                (RuleOutcome::Approve, reasons) if reasons.is_empty() => RuleOutcome::Approve,
                (RuleOutcome::Approve, reasons) => RuleOutcome::RouteToClerk(reasons),
                (RuleOutcome::RouteToClerk(mut failed), reasons) => {
                    failed.extend(reasons);
                    RuleOutcome::RouteToClerk(failed)
                }
            };
            match outcome {
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
                        filing_turn = Some(number.turn);
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
                    // A repeated submission (an idempotent retry) is routed only once.
                    let stream = AuditStream::case(id);
                    if self
                        .audit
                        .trail(&stream)
                        .await?
                        .iter()
                        .any(|e| e.action == "route_to_clerk")
                    {
                        return Ok(case);
                    }
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
                    let mut events = asked.clone();
                    events.push(self.audit_entry(&Actor::System, id, "route_to_clerk", None));
                    let mut ops = vec![CaseStore::note_op(&note)?];
                    ops.extend(self.audit.seal(events).await?);
                    self.audit.commit(ops).await?;
                    return Ok(case);
                }
            }
            ops.insert(0, CaseStore::save_op(&case, Some(stored.version))?);
            ops.extend(self.audit.seal(events).await?);
            let committed = self.audit.commit(ops).await;
            // The next filing need not wait while this decision is rendered and signed.
            drop(filing_turn);
            match committed {
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

/// Why a rule with registry checks leaves a case to a clerk (shown in the system note).
pub mod registry_reason {
    pub const NO_REGISTRY: &str = "nincs nyilvántartási kapcsolat";
    pub const NOT_IDENTIFIED: &str = "a kérelmező nincs azonosítva a nyilvántartásban (a kérelem adatai önmagukban nem elegendők)";
    pub const UNAVAILABLE: &str = "a nyilvántartás nem válaszolt, ügyintéző dönt";
    pub const REFUSED: &str = "a nyilvántartás elutasította a lekérdezést, ügyintéző dönt";
    pub const NOT_IN_REGISTER: &str = "a kérelmező nem szerepel a nyilvántartásban";
    pub const DECEASED: &str = "a nyilvántartás szerint a kérelmező elhunyt";
    pub const NO_PLATE: &str = "a kérelemben nincs rendszám";
    pub const VEHICLE_NOT_REGISTERED: &str = "a nyilvántartásban nincs ilyen rendszámú gépjármű";
}

/// A registry's failure as the clerk's note names it.
fn registry_failure(e: &RegistryError) -> String {
    match e {
        RegistryError::Unavailable(_) => registry_reason::UNAVAILABLE.into(),
        RegistryError::Refused(_) => registry_reason::REFUSED.into(),
    }
}

impl Cases {
    /// What the registries say against the rule's registry checks for the applicant of
    /// `case`: the reasons a clerk must decide (empty when everything is confirmed), and
    /// the audit events of the questions asked.
    async fn registry_findings(
        &self,
        case: &Case,
        rule: &AutoDecisionRule,
    ) -> Result<(Vec<String>, Vec<AuditEvent>), CaseError> {
        let persons = PersonStore::new(self.store.table.clone());
        let (reasons, asked) = registry_reasons(
            self.registry.as_deref(),
            &persons,
            &case.owner,
            &case.form,
            &rule.registry_checks,
            self.today(),
        )
        .await?;
        let events = match (&self.registry, asked) {
            (Some(registry), true) => vec![
                self.audit_entry(&Actor::System, case.id, "registry_check", None)
                    .on(format!("registry/{}", registry.name())),
            ],
            _ => Vec::new(),
        };
        Ok((reasons, events))
    }
}

/// Checks `checks` for the applicant `owner` (an account) with the form `form`: the
/// reasons a clerk must decide (empty: the registries confirm everything), and whether a
/// registry was asked. Only a person record identified against the registry counts; the
/// form's own claims never do.
pub(crate) async fn registry_reasons(
    registry: Option<&dyn Registry>,
    persons: &PersonStore,
    owner: &str,
    form: &serde_json::Value,
    checks: &[RegistryCheck],
    today: jiff::civil::Date,
) -> Result<(Vec<String>, bool), TableError> {
    if checks.is_empty() {
        return Ok((Vec::new(), false));
    }
    let Some(registry) = registry else {
        return Ok((vec![registry_reason::NO_REGISTRY.into()], false));
    };
    let identified = persons
        .by_account(owner)
        .await?
        .filter(|p| p.record.merged_into.is_none())
        .and_then(|p| p.record.identified);
    let Some(identified) = identified else {
        return Ok((vec![registry_reason::NOT_IDENTIFIED.into()], false));
    };
    let registry_id = identified.registry_id.as_str();
    let mut reasons = Vec::new();
    let mut person: Option<RegisteredPerson> = None;
    for check in checks {
        match check {
            RegistryCheck::ResidesIn {
                districts,
                explanation,
            } => {
                if person.is_none() {
                    match registry.person_by_id(registry_id).await {
                        Ok(Some(found)) => person = Some(found),
                        Ok(None) => {
                            reasons.push(registry_reason::NOT_IN_REGISTER.into());
                            continue;
                        }
                        Err(e) => return Ok((vec![registry_failure(&e)], true)),
                    }
                }
                let Some(found) = &person else { continue };
                if found.deceased_on.is_some() {
                    reasons.push(registry_reason::DECEASED.into());
                    continue;
                }
                match resides_in(registry, found, districts, today).await {
                    Ok(true) => {}
                    Ok(false) => reasons.push(explanation.clone()),
                    Err(e) => return Ok((vec![registry_failure(&e)], true)),
                }
            }
            RegistryCheck::KeepsVehicle {
                plate_pointer,
                explanation,
            } => {
                let Some(plate) = form
                    .pointer(plate_pointer)
                    .and_then(|v| v.as_str())
                    .map(normalise_plate)
                    .filter(|p| !p.is_empty())
                else {
                    reasons.push(registry_reason::NO_PLATE.into());
                    continue;
                };
                match registry.vehicle(&plate).await {
                    Ok(VehicleCheck::KeptBy {
                        registry_id: keeper,
                    }) if keeper == registry_id => {}
                    Ok(VehicleCheck::KeptBy { .. }) => reasons.push(explanation.clone()),
                    Ok(VehicleCheck::NotRegistered) => {
                        reasons.push(registry_reason::VEHICLE_NOT_REGISTERED.into())
                    }
                    Err(e) => return Ok((vec![registry_failure(&e)], true)),
                }
            }
        }
    }
    Ok((reasons, true))
}

/// Whether the person's registered permanent or temporary address (in force today) is in
/// one of `districts`; an address the register gave without its district is looked up in
/// the address register.
async fn resides_in(
    registry: &dyn Registry,
    person: &RegisteredPerson,
    districts: &[String],
    today: jiff::civil::Date,
) -> Result<bool, RegistryError> {
    let wanted = |district: &str| {
        districts
            .iter()
            .any(|d| d.trim().eq_ignore_ascii_case(district.trim()))
    };
    for address in [&person.permanent_address, &person.temporary_address]
        .into_iter()
        .flatten()
        .filter(|a| a.valid_on(today))
    {
        let district = match &address.district {
            Some(d) => d.clone(),
            None => match registry
                .address(&address.postcode, &address.street, &address.number)
                .await?
            {
                crate::crm::registry::AddressCheck::Valid { district, .. } => district,
                crate::crm::registry::AddressCheck::Invalid { .. } => continue,
            },
        };
        if wanted(&district) {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crm::identify::channel;
    use crate::crm::identify::tests::world;
    use crate::crm::registry::in_test::anna;
    use futures::executor::block_on;
    use jiff::civil::date;
    use serde_json::Value;

    fn checks() -> Vec<RegistryCheck> {
        vec![
            RegistryCheck::ResidesIn {
                districts: vec!["V".into()],
                explanation: "nem a kerületben lakik".into(),
            },
            RegistryCheck::KeepsVehicle {
                plate_pointer: "/vehicle/plate".into(),
                explanation: "a gépjármű üzemben tartója nem a kérelmező".into(),
            },
        ]
    }

    fn form(plate: &str) -> Value {
        json!({"address": {"postcode": "1051"}, "vehicle": {"plate": plate, "keeper": "applicant"}})
    }

    const TODAY: jiff::civil::Date = date(2026, 3, 2);

    #[test]
    fn the_registry_confirming_residence_and_keeper_leaves_nothing_to_a_clerk() {
        block_on(async {
            let w = world();
            w.registry.keep("ABC-123", "R-1");
            w.identification
                .identify("acc-1", anna().identity, channel::SIGN_IN)
                .await
                .expect("identified");
            let (reasons, asked) = registry_reasons(
                Some(w.registry.as_ref()),
                &w.store,
                "acc-1",
                &form("abc 123"),
                &checks(),
                TODAY,
            )
            .await
            .expect("checked");
            assert!(reasons.is_empty(), "{reasons:?}");
            assert!(asked);
        });
    }

    #[test]
    fn the_forms_claims_are_not_enough_without_an_identified_applicant() {
        block_on(async {
            let w = world();
            w.registry.keep("ABC-123", "R-1");
            let (reasons, asked) = registry_reasons(
                Some(w.registry.as_ref()),
                &w.store,
                "acc-1",
                &form("ABC-123"),
                &checks(),
                TODAY,
            )
            .await
            .expect("checked");
            assert_eq!(reasons, [registry_reason::NOT_IDENTIFIED]);
            assert!(!asked);
            let (reasons, _) =
                registry_reasons(None, &w.store, "acc-1", &form("ABC-123"), &checks(), TODAY)
                    .await
                    .expect("checked");
            assert_eq!(reasons, [registry_reason::NO_REGISTRY]);
        });
    }

    #[test]
    fn a_vehicle_kept_by_someone_else_or_not_registered_goes_to_a_clerk() {
        block_on(async {
            let w = world();
            w.registry.keep("LZG-204", "CEG-01-10-041234");
            w.identification
                .identify("acc-1", anna().identity, channel::SIGN_IN)
                .await
                .expect("identified");
            let ask = |plate: &'static str| {
                let w = &w;
                async move {
                    registry_reasons(
                        Some(w.registry.as_ref()),
                        &w.store,
                        "acc-1",
                        &form(plate),
                        &checks(),
                        TODAY,
                    )
                    .await
                    .expect("checked")
                    .0
                }
            };
            assert_eq!(
                ask("LZG-204").await,
                ["a gépjármű üzemben tartója nem a kérelmező"]
            );
            assert_eq!(
                ask("XYZ-999").await,
                [registry_reason::VEHICLE_NOT_REGISTERED]
            );
            let (reasons, _) = registry_reasons(
                Some(w.registry.as_ref()),
                &w.store,
                "acc-1",
                &json!({"vehicle": {}}),
                &checks(),
                TODAY,
            )
            .await
            .expect("checked");
            assert_eq!(reasons, [registry_reason::NO_PLATE]);
        });
    }

    #[test]
    fn a_registered_address_outside_the_district_or_a_death_goes_to_a_clerk() {
        block_on(async {
            let w = world();
            w.registry.keep("ABC-123", "R-1");
            w.identification
                .identify("acc-1", anna().identity, channel::SIGN_IN)
                .await
                .expect("identified");
            let mut moved = anna();
            let home = moved.permanent_address.as_mut().expect("home");
            home.postcode = "1111".into();
            home.district = Some("XI".into());
            w.registry.put(moved.clone());
            let (the_form, the_checks) = (form("ABC-123"), checks());
            let ask = || {
                registry_reasons(
                    Some(w.registry.as_ref()),
                    &w.store,
                    "acc-1",
                    &the_form,
                    &the_checks,
                    TODAY,
                )
            };
            assert_eq!(ask().await.expect("checked").0, ["nem a kerületben lakik"]);
            // A temporary address in the district is residence too.
            let mut staying = moved.clone();
            staying.temporary_address = anna().permanent_address.map(|a| crate::crm::Address {
                kind: crate::crm::AddressKind::Temporary,
                ..a
            });
            w.registry.put(staying);
            assert!(ask().await.expect("checked").0.is_empty());
            let mut dead = anna();
            dead.deceased_on = Some(date(2026, 2, 1));
            w.registry.put(dead);
            assert_eq!(ask().await.expect("checked").0, [registry_reason::DECEASED]);
        });
    }

    #[test]
    fn a_registry_that_does_not_answer_leaves_the_case_to_a_clerk() {
        block_on(async {
            let w = world();
            w.registry.keep("ABC-123", "R-1");
            w.identification
                .identify("acc-1", anna().identity, channel::SIGN_IN)
                .await
                .expect("identified");
            w.registry.set_down(true);
            let (reasons, asked) = registry_reasons(
                Some(w.registry.as_ref()),
                &w.store,
                "acc-1",
                &form("ABC-123"),
                &checks(),
                TODAY,
            )
            .await
            .expect("checked");
            assert_eq!(reasons, [registry_reason::UNAVAILABLE]);
            assert!(asked);
        });
    }
}
