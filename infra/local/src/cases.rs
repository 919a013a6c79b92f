//! The case functions on the local ports (submit-case, backoffice, fetch-decision), the
//! demo catalogue of case types and a demo signatory.
//!
//! Documents, and the audit log's anchors, are signed with the data folder's embedded CA
//! and timestamped by the local TSA in process; uploads and signed documents share the
//! blob folder. `varoskapu audit verify` and `audit anchor` work on the same folder.

use crate::ports::LocalPorts;
use axum::Router;
use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use varoskapu_accounts::{AccountError, NewAccount, Role};
use varoskapu_case_api::CasesState;
use varoskapu_case_api::forms::JsonSchemaForms;
use varoskapu_case_api::people::AccountDirectory;
use varoskapu_core::audit::{Anchor, AuditLog, VerifyReport};
use varoskapu_core::cases::case_type::RegistryCheck;
use varoskapu_core::cases::{
    AutoDecisionRule, CasePorts, CaseStore, CaseType, Cases, Localized, Money, RequiredDocument,
    RuleCondition,
};
use varoskapu_core::documents::{Signer, TimestampAuthority};
use varoskapu_core::notify::OutboxNotifier;
use varoskapu_documents::render::Municipality;
use varoskapu_documents::{CmsNotary, CmsSealCheck, LocalKeys, PadesIssuer};
use varoskapu_http::auth::TokenValidator;

/// The demo signatory, who approves decisions of case types that require it.
pub const DEMO_SIGNATORY_EMAIL: &str = "kiadmanyozo@demo.varoskapu.hu";
pub const DEMO_SIGNATORY_PASSWORD: &str = "Demo-kiadmanyozo-2026";

/// Postcodes of the demo district (Budapest V.), where residents may park.
pub const DEMO_DISTRICT_POSTCODES: [&str; 5] = ["1051", "1052", "1053", "1054", "1055"];
/// The demo district as the address register names it (Budapest V. kerület).
pub const DEMO_DISTRICT: &str = "V";

/// The case state over the local ports, with a provider of its own (the admin CLI and
/// tests; the server builds its services once, in [`crate::app::Services::build`]).
pub fn state(ports: &LocalPorts) -> anyhow::Result<CasesState> {
    let keys = document_keys(ports)?;
    let provider = crate::identity::provider(ports)?;
    let tokens = crate::identity::token_validator(&provider, ports.clock.clone())?;
    state_with(ports, &keys, tokens)
}

/// The data folder's document keys (the embedded CA and TSA), created on first use.
pub fn document_keys(ports: &LocalPorts) -> anyhow::Result<LocalKeys> {
    LocalKeys::load_or_create(&ports.data_dir, ports.clock.as_ref())
        .map_err(|e| anyhow::anyhow!("the document signing keys: {e}"))
}

/// The case state over the local ports, signing with `keys` and checking access tokens
/// with `tokens`.
pub fn state_with(
    ports: &LocalPorts,
    keys: &LocalKeys,
    tokens: Arc<TokenValidator>,
) -> anyhow::Result<CasesState> {
    let signer: Arc<dyn Signer> = Arc::new(
        keys.signer()
            .map_err(|e| anyhow::anyhow!("the document signer: {e}"))?,
    );
    let tsa: Arc<dyn TimestampAuthority> = Arc::new(keys.tsa(ports.clock.clone()));
    let issuer = Arc::new(PadesIssuer {
        municipality: Municipality::demo(),
        signer: signer.clone(),
        tsa: tsa.clone(),
        blobs: ports.blobs.clone(),
        table: ports.table.clone(),
        clock: ports.clock.clone(),
        ids: ports.ids.clone(),
    });
    let notifier = Arc::new(OutboxNotifier::new(
        ports.table.clone(),
        ports.clock.clone(),
        ports.ids.clone(),
    ));
    let cases = Cases::new(CasePorts {
        people: Arc::new(AccountDirectory::new(ports.table.clone())),
        notary: Some(Arc::new(CmsNotary { signer, tsa })),
        // Automatic decisions trust the registry the ports name, never the form alone.
        registry: Some(ports.registry.clone()),
        table: ports.table.clone(),
        uploads: ports.blobs.clone(),
        documents: ports.blobs.clone(),
        issuer,
        notifier,
        clock: ports.clock.clone(),
        ids: ports.ids.clone(),
    })
    .map_err(|e| anyhow::anyhow!("the case use cases: {e}"))?;
    Ok(CasesState {
        cases,
        forms: Arc::new(JsonSchemaForms),
        tokens,
    })
}

/// The audit log of a data folder, anchoring with its document keys.
pub fn audit_log(ports: &LocalPorts) -> anyhow::Result<AuditLog> {
    Ok(state(ports)?.cases.audit)
}

/// `varoskapu audit verify`: checks every chain and anchor of the data folder's audit log
/// against the trusted roots (default: the folder's `keys/root-ca.pem`).
pub async fn audit_verify(data_dir: &Path, roots: Option<&Path>) -> anyhow::Result<VerifyReport> {
    let ports = LocalPorts::open(data_dir, "http://127.0.0.1:8080")?;
    // Opening the log creates the folder's keys on first use, the root among them.
    let log = audit_log(&ports)?;
    let roots = roots
        .map(Path::to_owned)
        .unwrap_or_else(|| LocalKeys::root_pem_path(data_dir));
    let check = CmsSealCheck {
        roots: varoskapu_documents::verify::load_roots(&roots)?,
    };
    Ok(log.verify(&check).await?)
}

/// `varoskapu audit anchor`: anchors everything written until now (the daily anchor
/// otherwise comes with the first write after midnight UTC).
pub async fn audit_anchor(data_dir: &Path) -> anyhow::Result<Option<Anchor>> {
    let ports = LocalPorts::open(data_dir, "http://127.0.0.1:8080")?;
    let log = audit_log(&ports)?;
    Ok(log.anchor(ports.clock.now()).await?)
}

/// The submit-case, backoffice and fetch-decision routes over `state`.
pub fn router(state: &CasesState) -> Router {
    varoskapu_submit_case::router(state.clone())
        .merge(varoskapu_backoffice::router(state.clone()))
        .merge(varoskapu_fetch_decision::router(state.clone()))
}

/// The OpenAPI description of the case routes.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = varoskapu_submit_case::openapi();
    doc.merge(varoskapu_backoffice::openapi());
    doc.merge(varoskapu_fetch_decision::openapi());
    doc
}

/// Seeds the demo case types and the demo signatory (idempotent).
pub async fn seed(ports: &LocalPorts) -> anyhow::Result<()> {
    let store = CaseStore::new(ports.table.clone());
    for case_type in demo_case_types() {
        store.add_case_type(&case_type).await?;
    }
    let signatory = NewAccount {
        email: DEMO_SIGNATORY_EMAIL.into(),
        password: DEMO_SIGNATORY_PASSWORD.into(),
        name: "Szabó Péter jegyző".into(),
        roles: vec![Role::Signatory],
    };
    match crate::identity::accounts(ports).create(signatory).await {
        Ok(_) | Err(AccountError::EmailTaken) => Ok(()),
        Err(e) => Err(anyhow::anyhow!("seeding the demo signatory: {e}")),
    }
}

const MIB: u64 = 1024 * 1024;

fn scans() -> Vec<String> {
    ["application/pdf", "image/jpeg", "image/png"]
        .map(str::to_owned)
        .to_vec()
}

/// The demo catalogue: one rule-decidable type, one manual with a fee, one manual without.
pub fn demo_case_types() -> Vec<CaseType> {
    vec![
        CaseType {
            id: "resident-parking-permit".into(),
            name: Localized::new("Lakossági várakozási engedély", "Resident parking permit"),
            description: Localized::new(
                "A kerületben lakók a saját üzemben tartásukban lévő gépjárművel a lakóhelyük \
                 szerinti várakozási övezetben díjmentesen parkolhatnak.",
                "Residents of the district may park a vehicle they keep free of charge in their \
                 home parking zone.",
            ),
            form_schema: json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "required": ["address", "vehicle"],
                "additionalProperties": false,
                "properties": {
                    "address": {
                        "type": "object",
                        "title": "Lakcím",
                        "x-title-en": "Home address",
                        "required": ["postcode", "city", "street"],
                        "additionalProperties": false,
                        "properties": {
                            "postcode": {"type": "string", "pattern": "^[0-9]{4}$",
                                "title": "Irányítószám", "x-title-en": "Postcode"},
                            "city": {"type": "string", "minLength": 1, "maxLength": 80,
                                "title": "Település", "x-title-en": "City"},
                            "street": {"type": "string", "minLength": 1, "maxLength": 120,
                                "title": "Utca, házszám", "x-title-en": "Street and number"}
                        }
                    },
                    "vehicle": {
                        "type": "object",
                        "title": "Gépjármű",
                        "x-title-en": "Vehicle",
                        "required": ["plate", "keeper"],
                        "additionalProperties": false,
                        "properties": {
                            "plate": {"type": "string", "pattern": "^([A-Z]{3}-[0-9]{3}|[A-Z]{4}-[0-9]{3})$",
                                "title": "Rendszám (például ABC-123)", "x-title-en": "Number plate (for example ABC-123)"},
                            "keeper": {"enum": ["applicant", "employer", "leasing_company", "other"],
                                "title": "A gépjármű üzemben tartója", "x-title-en": "The vehicle is kept by",
                                "x-enum-labels": {
                                    "applicant": {"hu": "a kérelmező", "en": "the applicant"},
                                    "employer": {"hu": "a munkáltató", "en": "the employer"},
                                    "leasing_company": {"hu": "lízingcég", "en": "a leasing company"},
                                    "other": {"hu": "más", "en": "someone else"}
                                }}
                        }
                    }
                }
            }),
            documents: vec![RequiredDocument {
                kind: "vehicle_registration".into(),
                name: Localized::new("Forgalmi engedély", "Vehicle registration certificate"),
                media_types: scans(),
                max_bytes: MIB,
                required: true,
            }],
            fee: None,
            deadline_working_days: 8,
            signatory_approval: false,
            auto_decision: Some(AutoDecisionRule {
                name: "a helyi parkolási rendelet lakossági várakozási szabálya (4. § (2) bek.)"
                    .into(),
                conditions: vec![
                    RuleCondition {
                        pointer: "/address/postcode".into(),
                        one_of: DEMO_DISTRICT_POSTCODES.iter().map(|p| json!(p)).collect(),
                        explanation: "a kérelmező lakcíme nem a kerületben van".into(),
                    },
                    RuleCondition {
                        pointer: "/vehicle/keeper".into(),
                        one_of: vec![json!("applicant")],
                        explanation: "a gépjármű üzemben tartója nem a kérelmező".into(),
                    },
                ],
                // The form's claims above are never enough: the registries must confirm them.
                registry_checks: vec![
                    RegistryCheck::ResidesIn {
                        districts: vec![DEMO_DISTRICT.into()],
                        explanation: "a nyilvántartás szerint sem a kérelmező lakóhelye, sem a \
                                      tartózkodási helye nincs a kerületben"
                            .into(),
                    },
                    RegistryCheck::KeepsVehicle {
                        plate_pointer: "/vehicle/plate".into(),
                        explanation: "a nyilvántartás szerint a gépjármű üzemben tartója nem a \
                                      kérelmező"
                            .into(),
                    },
                ],
                approval_reasoning: "A nyilvántartások szerint a kérelmező lakóhelye vagy \
                                     tartózkodási helye a kerületben van, és a gépjármű üzemben \
                                     tartója a kérelmező, így a helyi rendelet feltételei \
                                     teljesülnek."
                    .into(),
            }),
            appeal_window_days: 15,
        },
        CaseType {
            id: "public-space-use-permit".into(),
            name: Localized::new("Közterület-használati engedély", "Public space use permit"),
            description: Localized::new(
                "Közterület nem rendeltetésszerű használatához (rendezvény, vendéglátó terasz, \
                 állványzat) szükséges engedély.",
                "Permit to use public space for other than its purpose (events, café terraces, \
                 scaffolding).",
            ),
            form_schema: json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "required": ["purpose", "location", "area_m2", "from", "to"],
                "additionalProperties": false,
                "properties": {
                    "purpose": {"type": "string", "minLength": 3, "maxLength": 500,
                        "title": "A használat célja", "x-title-en": "Purpose of the use"},
                    "location": {"type": "string", "minLength": 3, "maxLength": 200,
                        "title": "Helyszín", "x-title-en": "Location"},
                    "area_m2": {"type": "number", "exclusiveMinimum": 0, "maximum": 1000,
                        "title": "Terület (m²)", "x-title-en": "Area (m²)"},
                    "from": {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
                        "title": "Első nap", "x-title-en": "First day"},
                    "to": {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
                        "title": "Utolsó nap", "x-title-en": "Last day"}
                }
            }),
            documents: vec![RequiredDocument {
                kind: "site_plan".into(),
                name: Localized::new("Helyszínrajz", "Site plan"),
                media_types: vec!["application/pdf".into()],
                max_bytes: MIB,
                required: true,
            }],
            fee: Some(Money {
                amount: 12_000,
                currency: "HUF".into(),
            }),
            deadline_working_days: 21,
            signatory_approval: true,
            auto_decision: None,
            appeal_window_days: 15,
        },
        CaseType {
            id: "official-certificate".into(),
            name: Localized::new(
                "Hatósági bizonyítvány kérése",
                "Official certificate request",
            ),
            description: Localized::new(
                "Hatósági bizonyítvány a hatóság nyilvántartásában szereplő tényekről \
                 (például lakcím, hagyatéki ügyek).",
                "An official certificate of facts in the authority's records (for example \
                 residence, probate matters).",
            ),
            form_schema: json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "required": ["subject", "purpose"],
                "additionalProperties": false,
                "properties": {
                    "subject": {"enum": ["residence", "household", "probate", "other"],
                        "title": "Amiről a bizonyítvány szól", "x-title-en": "What the certificate is about",
                        "x-enum-labels": {
                            "residence": {"hu": "lakcím", "en": "residence"},
                            "household": {"hu": "háztartás", "en": "household"},
                            "probate": {"hu": "hagyatéki ügy", "en": "probate"},
                            "other": {"hu": "egyéb", "en": "other"}
                        }},
                    "purpose": {"type": "string", "minLength": 3, "maxLength": 500,
                        "title": "A bizonyítvány felhasználásának célja", "x-title-en": "What the certificate is for"}
                }
            }),
            documents: vec![RequiredDocument {
                kind: "supporting_document".into(),
                name: Localized::new("Alátámasztó irat", "Supporting document"),
                media_types: scans(),
                max_bytes: MIB,
                required: false,
            }],
            fee: None,
            deadline_working_days: 8,
            signatory_approval: false,
            auto_decision: None,
            appeal_window_days: 15,
        },
    ]
}
