//! The operators' sample: issues a sample decision through the full pipeline (render, sign,
//! timestamp) with the data folder's keys, so a signing setup can be checked by hand.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use varoskapu_core::documents::{DocumentError, DocumentKind, DocumentRequest, KeyFact};
use varoskapu_core::{Clock, SystemClock};

use crate::issuer::{self, SignedDocument};
use crate::keys::{KeyError, LocalKeys};
use crate::render::{self, Municipality};

/// What can go wrong issuing the sample.
#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    #[error(transparent)]
    Keys(#[from] KeyError),
    #[error(transparent)]
    Document(#[from] DocumentError),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A sample decision with every part a real one has (Hungarian text, facts, amounts).
pub fn sample_request() -> DocumentRequest {
    DocumentRequest {
        kind: DocumentKind::Decision,
        owner: "demo-citizen".into(),
        case_id: Some("VK-2026-000123".into()),
        title: "Közterület-használati engedély ügyében".into(),
        facts: vec![
            KeyFact::new("Ügyszám", "VK-2026-000123"),
            KeyFact::new("Kérelmező", "Kovács Őrs Ügyfél"),
            KeyFact::new("Ügytípus", "Közterület-használati engedély (rendezvény)"),
            KeyFact::new("Kérelem beérkezése", "2026. január 12."),
            KeyFact::new("Eljárási díj", "12 000 Ft (megfizetve)"),
            KeyFact::new("Érvényesség", "2026. március 1. – 2026. május 31."),
        ],
        paragraphs: vec![
            "A Városkapu Önkormányzat Polgármesteri Hivatala a kérelmező kérelmére indult \
             eljárásban a Fő tér 120 négyzetméteres területének rendezvény céljára történő \
             használatát a fent megjelölt időszakra engedélyezi."
                .into(),
            "Indoklás: a kérelmező a szükséges mellékleteket benyújtotta, az eljárási díjat \
             megfizette, és a tervezett használat a helyi rendelet 12. § (3) bekezdésében \
             foglalt feltételeknek megfelel. Árvíztűrő tükörfúrógép: ÁRVÍZTŰRŐ TÜKÖRFÚRÓGÉP."
                .into(),
            "Jogorvoslat: a határozat ellen a közléstől számított 15 napon belül fellebbezésnek \
             van helye, amelyet a Városkapu ügyfélkapuján elektronikusan lehet benyújtani."
                .into(),
        ],
    }
}

/// Issues the sample decision with the keys in `data_dir/keys` (created if absent) and
/// writes it to `out`.
pub async fn issue_sample(data_dir: &Path, out: &Path) -> Result<SignedDocument, SampleError> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let keys = LocalKeys::load_or_create(data_dir, clock.as_ref())?;
    let signer = keys.signer()?;
    let tsa = keys.tsa(clock.clone());
    let document = issuer::render_and_sign(
        &Municipality::demo(),
        &sample_request(),
        &signer,
        &tsa,
        clock.now(),
    )
    .await?;
    std::fs::write(out, &document.pdf).map_err(|source| SampleError::Write {
        path: out.to_owned(),
        source,
    })?;
    Ok(document)
}

/// One line for the operator after the sample was written.
pub fn describe(document: &SignedDocument, out: &Path, data_dir: &Path) -> String {
    format!(
        "wrote {} ({} bytes): signed by \"{}\" at {}, timestamped at {}; trust anchor: {}",
        out.display(),
        document.pdf.len(),
        document.signer,
        render::local_time(document.signed_at),
        render::local_time(document.timestamped_at),
        LocalKeys::root_pem_path(data_dir).display()
    )
}
