//! Back-office rules on the embedded engines with a clock the test moves: four eyes on
//! approval, claims, payment, returned drafts, the paused deadline and the appeal window.

use crate::common::{self, Fixture};
use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;
use varoskapu_case_api::forms::JsonSchemaForms;
use varoskapu_core::cases::{Actor, CaseError, CaseStatus, OfficeActor, Outcome};
use varoskapu_core::{Clock, ManualClock};
use varoskapu_embedded::{FsBlobStore, SqliteTable};

/// Monday 2 November 2026, 09:00 in Budapest.
const START: &str = "2026-11-02T08:00:00Z";

struct World {
    fixture: Fixture,
    clock: Arc<ManualClock>,
    _blobs: tempfile::TempDir,
}

async fn world() -> World {
    let clock = Arc::new(ManualClock::new(START.parse::<Timestamp>().expect("ts")));
    let dyn_clock: Arc<dyn Clock> = clock.clone();
    let blobs_dir = tempfile::tempdir().expect("tempdir");
    let table = Arc::new(SqliteTable::in_memory(dyn_clock.clone()).expect("table"));
    let blobs = Arc::new(
        FsBlobStore::open(blobs_dir.path(), "http://127.0.0.1:9", dyn_clock.clone())
            .expect("blobs"),
    );
    World {
        fixture: common::cases_over(table, blobs.clone(), blobs, dyn_clock).await,
        clock,
        _blobs: blobs_dir,
    }
}

fn clerk(id: &str) -> OfficeActor {
    OfficeActor {
        actor: Actor::Clerk(id.into()),
        origin: Some("10.0.0.1".into()),
    }
}

fn signatory(id: &str) -> OfficeActor {
    OfficeActor {
        actor: Actor::Signatory(id.into()),
        origin: None,
    }
}

impl World {
    async fn submitted(&self, case_type: &str) -> Uuid {
        let cases = &self.fixture.cases;
        let draft = cases
            .create_draft(
                &common::citizen("citizen"),
                case_type,
                json!({"purpose": "teszt célra"}),
            )
            .await
            .expect("draft");
        cases
            .submit(
                &common::citizen("citizen"),
                draft.id,
                None,
                &JsonSchemaForms,
                None,
            )
            .await
            .expect("submitted");
        draft.id
    }
}

#[tokio::test]
async fn the_drafter_cannot_approve_their_own_decision_but_another_signatory_can() {
    let w = world().await;
    let cases = &w.fixture.cases;
    let id = w.submitted("signed").await;
    cases.claim(&signatory("s1"), id).await.expect("claimed");
    cases.file(&signatory("s1"), id).await.expect("filed");
    cases
        .draft_decision(&signatory("s1"), id, Outcome::Approve, "megfelel")
        .await
        .expect("drafted");
    assert_eq!(
        cases.approve(&signatory("s1"), id).await,
        Err(CaseError::SelfApproval)
    );
    let case = cases.approve(&signatory("s2"), id).await.expect("approved");
    assert_eq!(case.status, CaseStatus::Decided);
    assert!(case.decision.and_then(|d| d.document).is_some());
}

#[tokio::test]
async fn a_claimed_case_goes_to_another_clerk_only_by_reassignment() {
    let w = world().await;
    let cases = &w.fixture.cases;
    let id = w.submitted("certificate").await;
    cases.claim(&clerk("c1"), id).await.expect("claimed");
    assert_eq!(
        cases.claim(&clerk("c2"), id).await,
        Err(CaseError::AssignedToSomeoneElse)
    );
    let case = cases
        .assign(&clerk("lead"), id, "c2", true)
        .await
        .expect("reassigned");
    assert_eq!(case.assignee.as_deref(), Some("c2"));
    let trail = cases.audit_trail(id).await.expect("audit");
    let steps: Vec<(&str, Option<&str>)> = trail
        .iter()
        .map(|e| (e.action.as_str(), e.actor.account()))
        .collect();
    assert_eq!(
        steps,
        [
            ("create_draft", Some("citizen")),
            ("submit", Some("citizen")),
            ("issue_receipt", None),
            ("assign", Some("c1")),
            ("assign", Some("lead")),
        ],
        "{trail:?}"
    );
    assert_eq!(trail[3].origin.as_deref(), Some("10.0.0.1"));
    assert!(
        trail
            .windows(2)
            .all(|w| w[1].prev.as_ref() == Some(&w[0].hash))
    );
}

#[tokio::test]
async fn a_fee_holds_the_case_until_it_is_paid_once() {
    let w = world().await;
    let cases = &w.fixture.cases;
    let id = w.submitted("with-fee").await;
    assert!(matches!(
        cases.claim(&clerk("c1"), id).await,
        Err(CaseError::IllegalTransition {
            from: CaseStatus::AwaitingPayment,
            ..
        })
    ));
    let paid = cases
        .mark_paid(id, "pay-1", Actor::System, Vec::new())
        .await
        .expect("paid");
    assert_eq!(paid.status, CaseStatus::InReview);
    // The same payment again is a retry; another payment is refused.
    let again = cases
        .mark_paid(id, "pay-1", Actor::System, Vec::new())
        .await
        .expect("retry");
    assert_eq!(again.history.len(), paid.history.len());
    assert!(matches!(
        cases
            .mark_paid(id, "pay-2", Actor::System, Vec::new())
            .await,
        Err(CaseError::IllegalTransition { .. })
    ));
}

#[tokio::test]
async fn a_returned_draft_goes_back_to_review_without_its_decision() {
    let w = world().await;
    let cases = &w.fixture.cases;
    let id = w.submitted("signed").await;
    cases.claim(&clerk("c1"), id).await.expect("claimed");
    cases.file(&clerk("c1"), id).await.expect("filed");
    cases
        .draft_decision(&clerk("c1"), id, Outcome::Reject, "hiányos")
        .await
        .expect("drafted");
    let case = cases
        .return_draft(&signatory("s1"), id, "indoklás pontosítandó")
        .await
        .expect("returned");
    assert_eq!(case.status, CaseStatus::InReview);
    assert!(case.decision.is_none());
    assert!(matches!(
        cases.approve(&signatory("s1"), id).await,
        Err(CaseError::IllegalTransition { .. })
    ));
}

#[tokio::test]
async fn waiting_for_the_citizen_extends_the_deadline_by_the_working_days_waited() {
    let w = world().await;
    let cases = &w.fixture.cases;
    let id = w.submitted("certificate").await;
    let due = cases
        .case_of("citizen", id)
        .await
        .expect("case")
        .deadline
        .expect("deadline")
        .due();
    cases.claim(&clerk("c1"), id).await.expect("claimed");
    cases
        .request_information(&clerk("c1"), id, "Kérjük a meghatalmazást.", None)
        .await
        .expect("requested");
    // A week later (5 working days) the citizen answers.
    w.clock.advance(SignedDuration::from_hours(24 * 7));
    let case = cases
        .answer_info_request(
            &common::citizen("citizen"),
            id,
            "Mellékelve.".into(),
            Vec::new(),
        )
        .await
        .expect("answered");
    let deadline = case.deadline.expect("deadline");
    assert_eq!(deadline.paused_working_days, 5);
    assert_eq!(
        deadline.due(),
        varoskapu_core::calendar::add_working_days(due, 5)
    );
}

#[tokio::test]
async fn an_appeal_is_refused_after_the_appeal_window() {
    let w = world().await;
    let cases = &w.fixture.cases;
    let id = w.submitted("certificate").await;
    cases.claim(&clerk("c1"), id).await.expect("claimed");
    cases.file(&clerk("c1"), id).await.expect("filed");
    cases
        .draft_decision(&clerk("c1"), id, Outcome::Reject, "nincs adat")
        .await
        .expect("decided");
    cases
        .fetch_decision(&common::citizen("citizen"), id)
        .await
        .expect("delivered");
    w.clock.advance(SignedDuration::from_hours(24 * 16));
    assert!(matches!(
        cases
            .appeal(&common::citizen("citizen"), id, "nem értek egyet")
            .await,
        Err(CaseError::AppealWindowClosed { .. })
    ));
}

#[tokio::test]
async fn a_decision_is_drafted_only_on_a_filed_case() {
    let w = world().await;
    let cases = &w.fixture.cases;
    let id = w.submitted("certificate").await;
    cases.claim(&clerk("c1"), id).await.expect("claimed");
    assert_eq!(
        cases
            .draft_decision(&clerk("c1"), id, Outcome::Approve, "megfelel")
            .await,
        Err(CaseError::NotFiled)
    );
    let unchanged = cases.case_of("citizen", id).await.expect("case");
    assert_eq!(unchanged.status, CaseStatus::InReview);
    assert!(unchanged.decision.is_none());
    let filed = cases.file(&clerk("c1"), id).await.expect("filed");
    let decided = cases
        .draft_decision(&clerk("c1"), id, Outcome::Approve, "megfelel")
        .await
        .expect("drafted on the filed case");
    assert_eq!(decided.filing_number, filed.filing_number);
    assert_eq!(decided.status, CaseStatus::Decided);
}

#[tokio::test]
async fn an_uploaded_object_over_the_limit_is_refused_from_its_metadata() {
    use varoskapu_core::cases::UploadRequest;
    use varoskapu_core::{BlobPut, Sha256Digest};
    let w = world().await;
    let cases = &w.fixture.cases;
    let citizen = common::citizen("citizen");
    let draft = cases
        .create_draft(&citizen, "certificate", json!({"purpose": "teszt célra"}))
        .await
        .expect("draft");
    let announced = b"%PDF-1.4\n%%EOF\n".to_vec();
    let grant = cases
        .upload_intent(
            &citizen,
            draft.id,
            UploadRequest {
                kind: "evidence".into(),
                sha256: Sha256Digest::of(&announced).to_hex(),
                size: announced.len() as u64,
                media_type: "application/pdf".into(),
            },
        )
        .await
        .expect("intent");
    // An object larger than the kind allows lands under the upload's key (a store that
    // failed to enforce the announced size): attach refuses it by its size alone.
    let oversized = vec![b'%'; 1024 * 1024 + 1];
    cases
        .uploads
        .put(BlobPut {
            key: format!("uploads/{}/{}", draft.id, grant.upload_id),
            sha256: Sha256Digest::of(&oversized),
            bytes: oversized.into(),
            content_type: "application/pdf".into(),
            write_once: false,
        })
        .await
        .expect("stored");
    let refused = cases.attach(&citizen, draft.id, grant.upload_id).await;
    assert!(
        matches!(refused, Err(CaseError::DocumentTooLarge { .. })),
        "{refused:?}"
    );
    let unchanged = cases
        .case_of(&citizen.account, draft.id)
        .await
        .expect("case");
    assert!(unchanged.documents.is_empty());
}
