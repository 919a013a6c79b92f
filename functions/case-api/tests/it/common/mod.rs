//! The case use cases over any table and blob stores, with documents signed by a fresh
//! embedded CA: what the engine-specific tests share.

#![allow(dead_code)]

use serde_json::json;
use std::sync::Arc;
use varoskapu_core::cases::{
    CasePorts, CaseStore, CaseType, Cases, CitizenActor, Localized, Money, RequiredDocument,
};
use varoskapu_core::notify::OutboxNotifier;
use varoskapu_core::people::NoDirectory;
use varoskapu_core::{BlobStore, Clock, Table, UuidV7Ids};
use varoskapu_documents::CmsNotary;
use varoskapu_documents::render::Municipality;
use varoskapu_documents::{LocalKeys, PadesIssuer};

/// Use cases plus the folder holding their signing keys (kept alive with them).
pub struct Fixture {
    pub cases: Cases,
    pub keys_dir: tempfile::TempDir,
}

/// A manual case type: optional PDF evidence, a fee if `fee`, a signatory if `signatory`.
pub fn case_type(id: &str, fee: bool, signatory: bool) -> CaseType {
    CaseType {
        id: id.into(),
        name: Localized::new("Hatósági bizonyítvány", "Official certificate"),
        description: Localized::new("teszt", "test"),
        form_schema: json!({"type": "object", "required": ["purpose"],
            "properties": {"purpose": {"type": "string", "minLength": 3}}}),
        documents: vec![RequiredDocument {
            kind: "evidence".into(),
            name: Localized::new("Irat", "Evidence"),
            media_types: vec!["application/pdf".into()],
            max_bytes: 1024 * 1024,
            required: false,
        }],
        fee: fee.then(|| Money {
            amount: 5_000,
            currency: "HUF".into(),
        }),
        deadline_working_days: 8,
        signatory_approval: signatory,
        auto_decision: None,
        appeal_window_days: 15,
    }
}

/// The use cases over the given engines, with the three test case types seeded.
pub async fn cases_over(
    table: Arc<dyn Table>,
    uploads: Arc<dyn BlobStore>,
    documents: Arc<dyn BlobStore>,
    clock: Arc<dyn Clock>,
) -> Fixture {
    let keys_dir = tempfile::tempdir().expect("tempdir");
    let keys = LocalKeys::load_or_create(keys_dir.path(), clock.as_ref()).expect("keys");
    let signer: Arc<dyn varoskapu_core::documents::Signer> =
        Arc::new(keys.signer().expect("signer"));
    let tsa: Arc<dyn varoskapu_core::documents::TimestampAuthority> =
        Arc::new(keys.tsa(clock.clone()));
    let issuer = Arc::new(PadesIssuer {
        municipality: Municipality::demo(),
        signer: signer.clone(),
        tsa: tsa.clone(),
        blobs: documents.clone(),
        table: table.clone(),
        clock: clock.clone(),
        ids: Arc::new(UuidV7Ids),
    });
    let store = CaseStore::new(table.clone());
    for t in [
        case_type("certificate", false, false),
        case_type("with-fee", true, false),
        case_type("signed", false, true),
    ] {
        store.add_case_type(&t).await.expect("case type");
    }
    let cases = Cases::new(CasePorts {
        people: Arc::new(NoDirectory),
        notary: Some(Arc::new(CmsNotary { signer, tsa })),
        registry: None,
        notifier: Arc::new(OutboxNotifier::new(
            table.clone(),
            clock.clone(),
            Arc::new(UuidV7Ids),
        )),
        table,
        uploads,
        documents,
        issuer,
        clock,
        ids: Arc::new(UuidV7Ids),
    })
    .expect("cases");
    Fixture { cases, keys_dir }
}

/// A citizen acting from no particular address.
pub fn citizen(account: &str) -> CitizenActor {
    CitizenActor::new(account, None)
}
