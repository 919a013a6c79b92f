//! What citizens do with their cases: read the catalogue, prepare a draft, attach checked
//! documents, submit (arrival number and receipt), follow their cases, and answer a request
//! for missing information. Nobody sees or touches another citizen's case. Every change
//! the citizen makes is audited in the same transaction.
//!
//! Why one file of this length: the citizen's steps share one ownership check and one
//! audited-transaction helper, and follow one another (draft, attach, submit, answer); the
//! office's and the decision's steps already live in `office.rs` and `decision.rs`.

use super::case::{Actor, AttachedDocument, Case, DocumentRef};
use super::case_type::{CaseType, RuleOutcome};
use super::deadline::Deadline;
use super::error::CaseError;
use super::form::FormValidator;
use super::numbers::{Series, next_number};
use super::service::{Cases, MAX_ATTEMPTS};
use super::status::CaseStatus;
use super::store::{CaseStore, UploadIntent};
use crate::audit::AuditEvent;
use crate::blob::{BlobError, BlobPut, PresignedRequest, Sha256Digest};
use crate::documents::{DocumentKind, DocumentRequest, KeyFact, grouped_hex};
use crate::idempotency::{self, Replay};
use crate::table::TableError;
use jiff::SignedDuration;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// The document kind of files sent with an answer to a request for missing information.
pub const ANSWER_DOCUMENT_KIND: &str = "missing_information";

/// Media types and size accepted for answer documents.
const ANSWER_MEDIA_TYPES: [&str; 3] = ["application/pdf", "image/jpeg", "image/png"];
const ANSWER_MAX_BYTES: u64 = 10 * 1024 * 1024;

/// Where accepted attachments are kept in the documents store.
pub const ATTACHMENT_PREFIX: &str = "attachments";

/// How long an upload URL stays valid.
const UPLOAD_VALIDITY: SignedDuration = SignedDuration::from_mins(15);

/// The citizen making a request, with where it came from (for the audit log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CitizenActor {
    /// The internal account id (the owner of their cases).
    pub account: String,
    pub origin: Option<String>,
}

impl CitizenActor {
    pub fn new(account: impl Into<String>, origin: Option<String>) -> Self {
        Self {
            account: account.into(),
            origin,
        }
    }

    pub fn actor(&self) -> Actor {
        Actor::Citizen(self.account.clone())
    }
}

/// What the citizen announces before uploading a document.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
pub struct UploadRequest {
    /// The case type's document kind (or `missing_information` for an answer).
    pub kind: String,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    /// Bytes; a JSON number with no fraction (`2048` or `2048.0`).
    #[serde(deserialize_with = "crate::json::whole_number")]
    #[schema(minimum = 0)]
    pub size: u64,
    /// The media type the client will send; the stored document's type is sniffed anyway.
    pub media_type: String,
}

/// Where and until when the citizen may upload the announced bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadGrant {
    pub upload_id: Uuid,
    pub request: PresignedRequest,
}

/// What an idempotent submission remembers for its retries.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SubmitRecord {
    case_id: Uuid,
}

/// The accepted media types and size limit of a document kind of a case.
fn document_rules(case_type: &CaseType, kind: &str) -> Result<(Vec<String>, u64), CaseError> {
    if kind == ANSWER_DOCUMENT_KIND {
        return Ok((
            ANSWER_MEDIA_TYPES.iter().map(|s| (*s).to_owned()).collect(),
            ANSWER_MAX_BYTES,
        ));
    }
    let doc = case_type
        .document(kind)
        .ok_or_else(|| CaseError::UnknownDocumentKind(kind.to_owned()))?;
    Ok((doc.media_types.clone(), doc.max_bytes))
}

impl Cases {
    /// The catalogue of case types.
    pub async fn catalogue(&self) -> Result<Vec<CaseType>, CaseError> {
        Ok(self.store.case_types().await?)
    }

    pub async fn case_type(&self, id: &str) -> Result<CaseType, CaseError> {
        self.store
            .case_type(id)
            .await?
            .ok_or(CaseError::UnknownCaseType)
    }

    /// An audit event of the citizen's `action` on their case.
    pub(crate) fn citizen_event(&self, by: &CitizenActor, id: Uuid, action: &str) -> AuditEvent {
        self.audit_entry(&by.actor(), id, action, by.origin.as_deref())
    }

    /// Starts a draft of `case_type` for the citizen.
    pub async fn create_draft(
        &self,
        by: &CitizenActor,
        case_type: &str,
        form: Value,
    ) -> Result<Case, CaseError> {
        self.case_type(case_type).await?;
        let case = Case::draft(
            self.ids.new_id(),
            case_type,
            &by.account,
            form,
            self.clock.now(),
        );
        let mut ops = vec![CaseStore::save_op(&case, None)?];
        ops.extend(
            self.audit
                .seal(vec![self.citizen_event(by, case.id, "create_draft")])
                .await?,
        );
        self.audit.commit(ops).await?;
        Ok(case)
    }

    /// Replaces a draft's form.
    pub async fn update_draft(
        &self,
        by: &CitizenActor,
        id: Uuid,
        form: Value,
    ) -> Result<Case, CaseError> {
        for _ in 0..MAX_ATTEMPTS {
            let mut stored = self.load_own(&by.account, id).await?;
            stored.case.require(CaseStatus::Draft)?;
            stored.case.form = form.clone();
            stored.case.updated_at = self.clock.now();
            let mut ops = vec![CaseStore::save_op(&stored.case, Some(stored.version))?];
            ops.extend(
                self.audit
                    .seal(vec![self.citizen_event(by, id, "update_form")])
                    .await?,
            );
            match self.audit.commit(ops).await {
                Ok(()) => return Ok(stored.case),
                Err(e) if e.is_condition_failure() || e == TableError::Conflict => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(CaseError::Busy)
    }

    /// One of the owner's cases.
    pub async fn case_of(&self, owner: &str, id: Uuid) -> Result<Case, CaseError> {
        Ok(self.load_own(owner, id).await?.case)
    }

    /// The owner's cases, newest first.
    pub async fn cases_of(&self, owner: &str) -> Result<Vec<Case>, CaseError> {
        Ok(self.store.cases_of(owner).await?)
    }

    /// Grants an upload of announced bytes to a draft (or to a case waiting for the
    /// citizen's answer); oversized or unaccepted documents are refused before any upload.
    pub async fn upload_intent(
        &self,
        by: &CitizenActor,
        id: Uuid,
        request: UploadRequest,
    ) -> Result<UploadGrant, CaseError> {
        let case = self.load_own(&by.account, id).await?.case;
        let answering = case.status == CaseStatus::WaitingForCitizen;
        if !answering {
            case.require(CaseStatus::Draft)?;
        }
        if answering != (request.kind == ANSWER_DOCUMENT_KIND) {
            return Err(CaseError::UnknownDocumentKind(request.kind));
        }
        let case_type = self.case_type(&case.case_type).await?;
        let (accepted, max_bytes) = document_rules(&case_type, &request.kind)?;
        if request.size == 0 || request.size > max_bytes {
            return Err(CaseError::DocumentTooLarge { max_bytes });
        }
        if !accepted.contains(&request.media_type) {
            return Err(CaseError::MediaTypeNotAccepted {
                found: request.media_type,
                accepted,
            });
        }
        let sha256 = Sha256Digest::from_hex(&request.sha256)
            .ok_or_else(|| CaseError::Invalid("sha256 must be 64 hex digits".into()))?;
        let upload_id = self.ids.new_id();
        let blob_key = format!("uploads/{id}/{upload_id}");
        let presigned = self
            .uploads
            .presign_upload(
                &blob_key,
                sha256,
                request.size,
                &request.media_type,
                UPLOAD_VALIDITY,
            )
            .await?;
        let intent = UploadIntent {
            id: upload_id,
            case_id: id,
            kind: request.kind,
            sha256: sha256.to_hex(),
            size: request.size,
            blob_key,
            expires_at: presigned.expires_at,
        };
        let event = self
            .citizen_event(by, id, "announce_upload")
            .on(format!("upload/{upload_id}"));
        let mut ops = vec![CaseStore::upload_op(&intent)?];
        ops.extend(self.audit.seal(vec![event]).await?);
        self.audit.commit(ops).await?;
        Ok(UploadGrant {
            upload_id,
            request: presigned,
        })
    }

    /// Attaches an uploaded document after checking its digest, size and sniffed type;
    /// a refused document leaves the case unchanged.
    pub async fn attach(
        &self,
        by: &CitizenActor,
        id: Uuid,
        upload_id: Uuid,
    ) -> Result<AttachedDocument, CaseError> {
        for _ in 0..MAX_ATTEMPTS {
            let stored = self.load_own(&by.account, id).await?;
            let mut case = stored.case;
            let answering = case.status == CaseStatus::WaitingForCitizen;
            if !answering {
                case.require(CaseStatus::Draft)?;
            }
            let intent = self
                .store
                .upload(id, upload_id)
                .await?
                .ok_or(CaseError::UnknownUpload)?;
            let case_type = self.case_type(&case.case_type).await?;
            let (accepted, max_bytes) = document_rules(&case_type, &intent.kind)?;
            // Size and digest from the object's metadata first: an object over the limit or
            // with other bytes than announced is refused before any of it is read.
            let meta = self
                .uploads
                .head(&intent.blob_key)
                .await?
                .ok_or(CaseError::UploadNotReceived)?;
            if meta.size > max_bytes {
                return Err(CaseError::DocumentTooLarge { max_bytes });
            }
            if meta.sha256.to_hex() != intent.sha256 {
                return Err(CaseError::UploadChecksumMismatch);
            }
            let blob = match self.uploads.get(&intent.blob_key).await {
                Ok(blob) => blob,
                Err(BlobError::NotFound) => return Err(CaseError::UploadNotReceived),
                Err(e) => return Err(e.into()),
            };
            // The store verified the bytes against the digest on reading.
            if blob.meta.sha256.to_hex() != intent.sha256 {
                return Err(CaseError::UploadChecksumMismatch);
            }
            let size = blob.bytes.len() as u64;
            let found = super::media::sniff(&blob.bytes).unwrap_or("application/octet-stream");
            if !accepted.iter().any(|a| a == found) {
                return Err(CaseError::MediaTypeNotAccepted {
                    found: found.to_owned(),
                    accepted,
                });
            }
            // Uploads are short-lived; the accepted bytes are kept with the signed documents,
            // content-addressed, so a repeated attach stores nothing new.
            let kept =
                BlobPut::content_addressed(ATTACHMENT_PREFIX, blob.bytes, found).write_once();
            let blob_key = kept.key.clone();
            match self.documents.put(kept).await {
                // Content-addressed: what is there holds exactly these bytes.
                Ok(_) | Err(BlobError::AlreadyExists) => {}
                Err(e) => return Err(e.into()),
            }
            let document = AttachedDocument {
                id: upload_id,
                kind: intent.kind.clone(),
                media_type: found.to_owned(),
                size,
                sha256: intent.sha256.clone(),
                blob_key,
                attached_at: self.clock.now(),
            };
            // A draft keeps one document per kind: a new upload replaces the old one.
            if !answering {
                case.documents.retain(|d| d.kind != document.kind);
            }
            case.documents.push(document.clone());
            case.updated_at = document.attached_at;
            let mut ops = vec![
                CaseStore::save_op(&case, Some(stored.version))?,
                CaseStore::consume_upload_op(id, upload_id),
            ];
            let event = self
                .citizen_event(by, id, "attach_document")
                .on(format!("document/{upload_id}"));
            ops.extend(self.audit.seal(vec![event]).await?);
            match self.audit.commit(ops).await {
                Ok(()) => return Ok(document),
                Err(TableError::TransactionFailed { failed }) if failed.contains(&1) => {
                    return Err(CaseError::UnknownUpload);
                }
                Err(e) if e.is_condition_failure() || e == TableError::Conflict => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(CaseError::Busy)
    }

    /// Submits a draft: checks the form against the schema and the required documents,
    /// gives it the next arrival number of the year in the same transaction, issues the
    /// signed receipt, and lets an automatic rule decide where the type has one. With an
    /// `Idempotency-Key` (and the request's fingerprint), a retry returns the first result.
    pub async fn submit(
        &self,
        by: &CitizenActor,
        id: Uuid,
        form: Option<Value>,
        validator: &dyn FormValidator,
        idempotency_key: Option<(&str, &str)>,
    ) -> Result<Case, CaseError> {
        let owner = by.account.as_str();
        let scope = format!("submit-case#{owner}");
        if let Some(case) = self
            .earlier_submission(owner, &scope, idempotency_key)
            .await?
        {
            return Ok(case);
        }
        let mut submitted = None;
        for _ in 0..MAX_ATTEMPTS {
            let stored = self.load_own(owner, id).await?;
            let mut case = stored.case;
            if case.status != CaseStatus::Draft {
                // A concurrent request with the same key may have submitted it meanwhile.
                if let Some(case) = self
                    .earlier_submission(owner, &scope, idempotency_key)
                    .await?
                {
                    return Ok(case);
                }
                return Err(CaseError::IllegalTransition {
                    from: case.status,
                    to: CaseStatus::Submitted,
                });
            }
            if let Some(form) = &form {
                case.form = form.clone();
            }
            let case_type = self.case_type(&case.case_type).await?;
            validator
                .validate(&case_type.form_schema, &case.form)
                .map_err(CaseError::InvalidForm)?;
            let missing: Vec<String> = case_type
                .documents
                .iter()
                .filter(|d| d.required && !case.documents.iter().any(|a| a.kind == d.kind))
                .map(|d| d.kind.clone())
                .collect();
            if !missing.is_empty() {
                return Err(CaseError::MissingDocuments(missing));
            }
            let now = self.clock.now();
            let today = self.today();
            let number =
                next_number(self.store.table.as_ref(), Series::Arrival, today.year()).await?;
            let citizen = Actor::Citizen(owner.to_owned());
            case.move_to(CaseStatus::Submitted, citizen, now, None)?;
            case.submitted_at = Some(now);
            case.arrival_number = Some(number.number.clone());
            case.deadline = Some(Deadline::start(today, case_type.deadline_working_days));
            if let Some(fee) = &case_type.fee {
                case.fee = Some(fee.clone());
                case.move_to(
                    CaseStatus::AwaitingPayment,
                    Actor::System,
                    now,
                    Some(format!("eljárási díj: {} {}", fee.amount, fee.currency)),
                )?;
            }
            let mut ops = vec![
                CaseStore::save_op(&case, Some(stored.version))?,
                number.claim,
            ];
            if let Some((key, fingerprint)) = idempotency_key {
                ops.push(idempotency::record_op(
                    &scope,
                    key,
                    fingerprint,
                    &SubmitRecord { case_id: id },
                    self.clock.unix_seconds(),
                )?);
            }
            let event = self
                .citizen_event(by, id, "submit")
                .on(format!("arrival/{}", number.number));
            // The acknowledgement reaches the citizen with the submission, through the outbox.
            let label = Self::case_label(&case);
            let (notice, queued) = self.notice(
                &case,
                "case_submitted",
                "Kérelmét átvettük",
                format!(
                    "Kérelme {label} érkeztetési számon beérkezett; az átvételi elismervényt a Városkapuban éri el."
                ),
            );
            let was_queued = queued.is_some();
            ops.extend(queued);
            ops.extend(self.audit.seal(vec![event]).await?);
            match self.audit.commit(ops).await {
                Ok(()) => {
                    submitted = Some((case, stored.version + 1, case_type, notice, was_queued));
                    break;
                }
                Err(e) if idempotency::lost_race(&e, 2) => {
                    // A concurrent retry with the same key committed first.
                    return self.replay_submission(owner, id).await;
                }
                Err(e) if e.is_condition_failure() || e == TableError::Conflict => continue,
                Err(e) => return Err(e.into()),
            }
        }
        let Some((case, version, case_type, notice, queued)) = submitted else {
            return Err(CaseError::Busy);
        };
        self.send_unqueued(case.id, notice, queued).await;
        let case = self.ensure_receipt(case, version).await?;
        if case.status == CaseStatus::Submitted && case_type.auto_decision.is_some() {
            return self.auto_decide(case.id, &case_type).await;
        }
        Ok(case)
    }

    /// The result of an earlier request with the same key, if there was one.
    async fn earlier_submission(
        &self,
        owner: &str,
        scope: &str,
        idempotency_key: Option<(&str, &str)>,
    ) -> Result<Option<Case>, CaseError> {
        let Some((key, fingerprint)) = idempotency_key else {
            return Ok(None);
        };
        match idempotency::lookup::<SubmitRecord>(
            self.store.table.as_ref(),
            scope,
            key,
            fingerprint,
        )
        .await?
        {
            Replay::Stored(record) => {
                Ok(Some(self.replay_submission(owner, record.case_id).await?))
            }
            Replay::Fresh => Ok(None),
        }
    }

    /// The result of an earlier submission of the same request: the same case and receipt
    /// (issuing the receipt now if the first attempt stopped before it).
    async fn replay_submission(&self, owner: &str, id: Uuid) -> Result<Case, CaseError> {
        let stored = self.load_own(owner, id).await?;
        let case = self.ensure_receipt(stored.case, stored.version).await?;
        // The first attempt may have stopped before its rule decided an approvable case.
        let case_type = self.case_type(&case.case_type).await?;
        let approvable = case_type
            .auto_decision
            .as_ref()
            .is_some_and(|rule| rule.evaluate(&case.form) == RuleOutcome::Approve);
        if case.status == CaseStatus::Submitted && approvable {
            return self.auto_decide(case.id, &case_type).await;
        }
        Ok(case)
    }

    /// Issues the submission receipt once; a concurrent issuer's receipt wins.
    async fn ensure_receipt(&self, case: Case, version: u64) -> Result<Case, CaseError> {
        if case.receipt.is_some() || case.arrival_number.is_none() {
            return Ok(case);
        }
        let case_type = self.case_type(&case.case_type).await?;
        let request = self.receipt_request(&case, &case_type).await?;
        let issued = self.issuer.issue(request).await?;
        let id = case.id;
        let mut stored = Some((case, version));
        for _ in 0..MAX_ATTEMPTS {
            let (mut case, version) = match stored.take() {
                Some(s) => s,
                None => {
                    let s = self.load(id).await?;
                    (s.case, s.version)
                }
            };
            if case.receipt.is_some() {
                return Ok(case);
            }
            case.receipt = Some(DocumentRef::from(&issued));
            let event = self
                .audit_entry(&Actor::System, id, "issue_receipt", None)
                .on(format!("document/{}", issued.id));
            let mut ops = vec![CaseStore::save_op(&case, Some(version))?];
            ops.extend(self.audit.seal(vec![event]).await?);
            match self.audit.commit(ops).await {
                Ok(()) => return Ok(case),
                Err(e) if e.is_condition_failure() || e == TableError::Conflict => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(CaseError::Busy)
    }

    async fn receipt_request(
        &self,
        case: &Case,
        case_type: &CaseType,
    ) -> Result<DocumentRequest, CaseError> {
        let mut facts = vec![
            KeyFact::new("Érkeztetési szám", Self::case_label(case)),
            KeyFact::new("Ügytípus", case_type.name.hu.clone()),
        ];
        facts.extend(self.applicant_facts(&case.owner).await?);
        facts.push(KeyFact::new(
            "Beérkezés ideje",
            case.submitted_at
                .map(|t| self.local_time(t))
                .unwrap_or_default(),
        ));
        if let Some(deadline) = &case.deadline {
            facts.push(KeyFact::new(
                "Ügyintézési határidő",
                format!("{} munkanap ({})", deadline.working_days, deadline.due()),
            ));
        }
        if let Some(fee) = &case.fee {
            facts.push(KeyFact::new(
                "Eljárási díj",
                format!("{} {} (fizetendő)", fee.amount, fee.currency),
            ));
        }
        let mut paragraphs = vec![format!(
            "A hatóság igazolja, hogy a(z) {} tárgyú kérelem a fenti időpontban elektronikusan beérkezett.",
            case_type.name.hu
        )];
        for d in &case.documents {
            let kind = case_type
                .document(&d.kind)
                .map_or(d.kind.clone(), |k| k.name.hu.clone());
            paragraphs.push(format!(
                "Csatolt dokumentum: {kind} ({}, {} bájt, SHA-256: {})",
                d.media_type,
                d.size,
                grouped_hex(&d.sha256)
            ));
        }
        Ok(DocumentRequest {
            kind: DocumentKind::SubmissionReceipt,
            owner: case.owner.clone(),
            case_id: Some(case.id.to_string()),
            title: case_type.name.hu.clone(),
            facts,
            paragraphs,
        })
    }

    /// The citizen answers a request for missing information with text and documents
    /// attached since; the deadline runs again and the case returns to its clerk.
    pub async fn answer_info_request(
        &self,
        by: &CitizenActor,
        id: Uuid,
        answer: String,
        documents: Vec<Uuid>,
    ) -> Result<Case, CaseError> {
        if answer.trim().is_empty() && documents.is_empty() {
            return Err(CaseError::Invalid(
                "an answer needs text or documents".into(),
            ));
        }
        let owner = by.account.as_str();
        for _ in 0..MAX_ATTEMPTS {
            let stored = self.load_own(owner, id).await?;
            let mut case = stored.case;
            case.require(CaseStatus::WaitingForCitizen).map_err(|_| {
                CaseError::IllegalTransition {
                    from: case.status,
                    to: CaseStatus::InReview,
                }
            })?;
            if let Some(unknown) = documents
                .iter()
                .find(|d| !case.documents.iter().any(|a| a.id == **d))
            {
                return Err(CaseError::Invalid(format!(
                    "no attached document {unknown}"
                )));
            }
            let now = self.clock.now();
            let today = self.today();
            if let Some(request) = case.open_info_request() {
                request.answer = Some(answer.clone());
                request.answer_documents = documents.clone();
                request.answered_at = Some(now);
            }
            if let Some(deadline) = case.deadline.as_mut() {
                deadline.resume(today);
            }
            case.move_to(
                CaseStatus::InReview,
                Actor::Citizen(owner.to_owned()),
                now,
                Some("hiánypótlás teljesítve".into()),
            )?;
            let mut ops = vec![CaseStore::save_op(&case, Some(stored.version))?];
            ops.extend(
                self.audit
                    .seal(vec![self.citizen_event(
                        by,
                        id,
                        "answer_information_request",
                    )])
                    .await?,
            );
            match self.audit.commit(ops).await {
                Ok(()) => return Ok(case),
                Err(e) if e.is_condition_failure() || e == TableError::Conflict => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(CaseError::Busy)
    }
}
