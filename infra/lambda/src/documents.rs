//! The documents of a case function: PAdES documents signed by the KMS document key with
//! the certificate chain kept in SSM Parameter Store.
//!
//! A deployment starts without a chain (the municipality's CA can only certify the key once
//! the stack has made it), and may start without a timestamp authority: the function then
//! starts all the same, says in its log that signing is off, and every route that signs
//! answers 503 `documents-not-configured` while the rest (the catalogue first) serves. The
//! chain is read once per execution environment; while it is missing, a signing request
//! looks again at most once a minute, so an installed chain is taken up without a redeploy.

use crate::StartError;
use async_trait::async_trait;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;
use varoskapu_aws::kms_signer::KmsSigner;
use varoskapu_aws::signing_chain::{SIGNING_CHAIN_PARAMETER_VAR, SigningChainParameter};
use varoskapu_case_api::config::SigningConfig;
use varoskapu_core::audit::Notary;
use varoskapu_core::documents::{
    DocumentError, DocumentIssuer, DocumentRequest, IssuedDocument, Signer, TimestampAuthority,
};
use varoskapu_core::{BlobStore, Clock, Table, UuidV7Ids};
use varoskapu_documents::render::Municipality;
use varoskapu_documents::tsa_client::HttpTsa;
use varoskapu_documents::{CmsNotary, PadesIssuer};
use varoskapu_http::config::optional;

/// The municipality's name as printed on documents.
pub const MUNICIPALITY_VAR: &str = "VAROSKAPU_MUNICIPALITY_NAME";
/// The office line printed under it (address, contact).
pub const OFFICE_VAR: &str = "VAROSKAPU_OFFICE_LINE";

/// How long a signing request waits before looking for a missing chain again.
pub const CHAIN_RECHECK: Duration = Duration::from_secs(60);

/// What the case use cases get: the issuer, and the notary of the audit log's anchors
/// (only when signing works from the start; otherwise later environments anchor).
pub struct CaseDocuments {
    pub issuer: Arc<dyn DocumentIssuer>,
    pub notary: Option<Arc<dyn Notary>>,
}

/// Everything signing needs but the chain.
pub struct DocumentParts {
    pub kms: aws_sdk_kms::Client,
    pub blobs: Arc<dyn BlobStore>,
    pub table: Arc<dyn Table>,
    pub clock: Arc<dyn Clock>,
}

/// The municipality printed on documents: the deployment's name and office line; only a
/// function given neither (an emulator run) prints the demo municipality's.
pub fn municipality_from_env() -> Municipality {
    municipality_from_lookup(optional)
}

/// Like [`municipality_from_env`], through `lookup` (unset or empty: `None`).
pub fn municipality_from_lookup(lookup: impl Fn(&'static str) -> Option<String>) -> Municipality {
    match lookup(MUNICIPALITY_VAR) {
        Some(name) => Municipality {
            name,
            office: lookup(OFFICE_VAR).unwrap_or_default(),
        },
        None => {
            let demo = Municipality::demo();
            Municipality {
                office: lookup(OFFICE_VAR).unwrap_or(demo.office),
                ..demo
            }
        }
    }
}

/// The documents of a case function from its environment: signing settings and the chain's
/// parameter (`VAROSKAPU_SIGNING_CHAIN_PARAMETER`), read once here.
pub async fn documents_from_env(
    sdk: &aws_config::SdkConfig,
    parts: DocumentParts,
) -> Result<CaseDocuments, StartError> {
    let signing = varoskapu_case_api::config::SigningConfig::from_env().and_then(|signing| {
        optional(SIGNING_CHAIN_PARAMETER_VAR)
            .map(|name| (signing, SigningChainParameter::new(sdk, name)))
            .ok_or(SIGNING_CHAIN_PARAMETER_VAR)
    });
    let (signing, parameter) = match signing {
        Ok(found) => found,
        Err(missing) => {
            tracing::warn!(
                "document signing is off: {missing} is not set; routes that sign answer 503 \
                 documents-not-configured"
            );
            return Ok(CaseDocuments {
                issuer: Arc::new(NoDocuments),
                notary: None,
            });
        }
    };
    let build = Builder {
        signing,
        parts,
        municipality: municipality_from_env(),
    };
    match parameter.read().await? {
        Some(chain) => {
            let (issuer, notary) = build.issuer(chain);
            Ok(CaseDocuments {
                issuer,
                notary: Some(notary),
            })
        }
        None => {
            tracing::warn!(
                parameter = parameter.name(),
                "document signing is off: no certificate chain is installed (varoskapu-aws \
                 documents install-chain); routes that sign answer 503 documents-not-configured"
            );
            Ok(CaseDocuments {
                issuer: Arc::new(AwaitingChain::new(
                    Arc::new(parameter),
                    Box::new(move |chain| build.issuer(chain).0),
                    CHAIN_RECHECK,
                )),
                notary: None,
            })
        }
    }
}

struct Builder {
    signing: SigningConfig,
    parts: DocumentParts,
    municipality: Municipality,
}

impl Builder {
    fn issuer(&self, chain: Vec<Vec<u8>>) -> (Arc<dyn DocumentIssuer>, Arc<dyn Notary>) {
        let signer: Arc<dyn Signer> = Arc::new(KmsSigner::new(
            self.parts.kms.clone(),
            self.signing.key_id.clone(),
            chain,
        ));
        let tsa: Arc<dyn TimestampAuthority> = Arc::new(HttpTsa::new(self.signing.tsa_url.clone()));
        let issuer = Arc::new(PadesIssuer {
            municipality: self.municipality.clone(),
            signer: signer.clone(),
            tsa: tsa.clone(),
            blobs: self.parts.blobs.clone(),
            table: self.parts.table.clone(),
            clock: self.parts.clock.clone(),
            ids: Arc::new(UuidV7Ids),
        });
        // The audit log's daily anchors are signed and timestamped like documents.
        (issuer, Arc::new(CmsNotary { signer, tsa }))
    }
}

/// Signing is off for this deployment's settings: every document is refused.
pub struct NoDocuments;

#[async_trait]
impl DocumentIssuer for NoDocuments {
    async fn issue(&self, _: DocumentRequest) -> Result<IssuedDocument, DocumentError> {
        Err(DocumentError::NotConfigured)
    }
}

/// Where a missing chain may appear later (the SSM parameter; a fake in tests).
#[async_trait]
pub trait ChainSource: Send + Sync + 'static {
    /// The chain as DER certificates, `None` while none is installed.
    async fn chain(&self) -> Result<Option<Vec<Vec<u8>>>, String>;
}

#[async_trait]
impl ChainSource for SigningChainParameter {
    async fn chain(&self) -> Result<Option<Vec<Vec<u8>>>, String> {
        self.read().await.map_err(|e| e.to_string())
    }
}

/// Makes the issuer once the chain is there.
type BuildIssuer = Box<dyn Fn(Vec<Vec<u8>>) -> Arc<dyn DocumentIssuer> + Send + Sync>;

/// The issuer of a deployment whose chain is not installed yet: refuses with
/// `NotConfigured`, looking for the chain again at most once per `recheck`, and signs
/// from the moment it is found.
pub struct AwaitingChain {
    source: Arc<dyn ChainSource>,
    build: BuildIssuer,
    recheck: Duration,
    ready: OnceCell<Arc<dyn DocumentIssuer>>,
    next_look: Mutex<Option<Instant>>,
}

impl AwaitingChain {
    /// Starts having just found no chain: the first look is `recheck` from now.
    pub fn new(source: Arc<dyn ChainSource>, build: BuildIssuer, recheck: Duration) -> Self {
        Self {
            source,
            build,
            recheck,
            ready: OnceCell::new(),
            next_look: Mutex::new(Some(Instant::now() + recheck)),
        }
    }

    /// Whether this request may look for the chain (and the next one only after `recheck`).
    fn may_look(&self) -> bool {
        let now = Instant::now();
        let Ok(mut next) = self.next_look.lock() else {
            return false;
        };
        if next.is_some_and(|at| now < at) {
            return false;
        }
        *next = Some(now + self.recheck);
        true
    }
}

#[async_trait]
impl DocumentIssuer for AwaitingChain {
    async fn issue(&self, request: DocumentRequest) -> Result<IssuedDocument, DocumentError> {
        if let Some(issuer) = self.ready.get() {
            return issuer.issue(request).await;
        }
        if !self.may_look() {
            return Err(DocumentError::NotConfigured);
        }
        match self.source.chain().await {
            Ok(Some(chain)) => {
                let issuer = self
                    .ready
                    .get_or_init(|| async {
                        tracing::info!("certificate chain installed: document signing is on");
                        (self.build)(chain)
                    })
                    .await;
                issuer.issue(request).await
            }
            Ok(None) => Err(DocumentError::NotConfigured),
            // Reading failed (throttled, denied): a 503 worth retrying, not "not installed".
            Err(e) => Err(DocumentError::Signing(e.as_str().into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use varoskapu_core::documents::DocumentKind;

    /// A parameter that appears after `missing_reads` reads.
    struct LateChain {
        reads: AtomicUsize,
        missing_reads: usize,
    }

    #[async_trait]
    impl ChainSource for LateChain {
        async fn chain(&self) -> Result<Option<Vec<Vec<u8>>>, String> {
            let n = self.reads.fetch_add(1, Ordering::SeqCst);
            Ok((n >= self.missing_reads).then(|| vec![vec![0x30]]))
        }
    }

    /// An issuer that issues nothing but says it was asked.
    struct Signed;

    #[async_trait]
    impl DocumentIssuer for Signed {
        async fn issue(&self, _: DocumentRequest) -> Result<IssuedDocument, DocumentError> {
            Err(DocumentError::Render("signed".into()))
        }
    }

    fn request() -> DocumentRequest {
        DocumentRequest {
            kind: DocumentKind::Decision,
            owner: "a".into(),
            case_id: None,
            title: "t".into(),
            facts: vec![],
            paragraphs: vec![],
        }
    }

    fn awaiting(source: Arc<LateChain>, recheck: Duration) -> AwaitingChain {
        let issuer = AwaitingChain::new(source, Box::new(|_| Arc::new(Signed)), recheck);
        // As if the start-up read was long ago.
        *issuer.next_look.lock().unwrap() = None;
        issuer
    }

    #[test]
    fn a_deployment_prints_its_own_office_line_never_the_demo_one() {
        let demo = Municipality::demo();
        let deployed = municipality_from_lookup(|name| match name {
            MUNICIPALITY_VAR => Some("Példaváros".into()),
            OFFICE_VAR => Some("Fő tér 1., 1011 Példaváros".into()),
            _ => None,
        });
        assert_eq!(deployed.name, "Példaváros");
        assert_eq!(deployed.office, "Fő tér 1., 1011 Példaváros");
        let without_office = municipality_from_lookup(|name| {
            (name == MUNICIPALITY_VAR).then(|| "Példaváros".to_owned())
        });
        assert_eq!(without_office.office, "");
        assert_ne!(without_office.office, demo.office);
        assert_eq!(municipality_from_lookup(|_| None), demo);
    }

    #[tokio::test]
    async fn without_settings_every_document_is_refused_as_not_configured() {
        assert_eq!(
            NoDocuments.issue(request()).await,
            Err(DocumentError::NotConfigured)
        );
    }

    #[tokio::test]
    async fn a_chain_installed_later_is_taken_up_and_read_only_once() {
        let source = Arc::new(LateChain {
            reads: AtomicUsize::new(0),
            missing_reads: 1,
        });
        let issuer = awaiting(source.clone(), Duration::ZERO);
        assert_eq!(
            issuer.issue(request()).await,
            Err(DocumentError::NotConfigured)
        );
        for _ in 0..3 {
            assert_eq!(
                issuer.issue(request()).await,
                Err(DocumentError::Render("signed".into()))
            );
        }
        assert_eq!(source.reads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_missing_chain_is_looked_for_at_most_once_per_interval() {
        let source = Arc::new(LateChain {
            reads: AtomicUsize::new(0),
            missing_reads: usize::MAX,
        });
        let issuer = awaiting(source.clone(), Duration::from_secs(3600));
        for _ in 0..50 {
            assert_eq!(
                issuer.issue(request()).await,
                Err(DocumentError::NotConfigured)
            );
        }
        assert_eq!(source.reads.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn the_first_look_after_start_up_waits_for_the_interval() {
        let source = Arc::new(LateChain {
            reads: AtomicUsize::new(0),
            missing_reads: 0,
        });
        let issuer = AwaitingChain::new(
            source.clone(),
            Box::new(|_| Arc::new(Signed)),
            Duration::from_secs(3600),
        );
        assert_eq!(
            issuer.issue(request()).await,
            Err(DocumentError::NotConfigured)
        );
        assert_eq!(source.reads.load(Ordering::SeqCst), 0);
    }
}
