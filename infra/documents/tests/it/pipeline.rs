//! The whole pipeline in process: sample issued, verified, tampering caught, local TSA
//! reached over HTTP, documents stored write-once and recorded.

use std::path::Path;

use varoskapu_documents::verify::{load_roots, timestamp_token, verify_file};
use varoskapu_documents::{Verdict, issue_sample, verify_pdf};

fn flip(pdf: &[u8], at: usize) -> Vec<u8> {
    let mut out = pdf.to_vec();
    out[at] = if out[at] == b'0' { b'1' } else { b'0' };
    out
}

#[tokio::test]
async fn a_sample_verifies_and_any_changed_byte_is_reported_as_tampered() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("sample.pdf");
    issue_sample(dir.path(), &out).await?;
    let roots_path = dir.path().join("keys/root-ca.pem");
    let verdict = verify_file(&out, &roots_path)?;
    assert!(verdict.is_valid(), "{verdict}");
    println!("{verdict}");

    let pdf = std::fs::read(&out)?;
    let roots = load_roots(&roots_path)?;
    // A byte of the rendered page content, of the signature value, and of the trailer.
    let (_, signature) = timestamp_token(&pdf).ok_or_else(|| anyhow::anyhow!("no token"))?;
    let hex = hex::encode_upper(&signature);
    let in_signature = pdf
        .windows(hex.len())
        .position(|w| w == hex.as_bytes())
        .ok_or_else(|| anyhow::anyhow!("signature not found"))?
        + 10;
    for at in [pdf.len() / 3, in_signature, pdf.len() - 8] {
        let verdict = verify_pdf(&flip(&pdf, at), &roots);
        assert!(
            matches!(verdict, Verdict::Tampered(_)),
            "byte {at}: {verdict}"
        );
    }
    let mut appended = pdf.clone();
    appended.extend_from_slice(b"\n% appended\n");
    assert!(matches!(
        verify_pdf(&appended, &roots),
        Verdict::Tampered(_)
    ));

    // Another municipality's root does not vouch for our documents.
    let stranger = tempfile::tempdir()?;
    issue_sample(stranger.path(), &stranger.path().join("x.pdf")).await?;
    let foreign = load_roots(&stranger.path().join("keys/root-ca.pem"))?;
    assert!(matches!(verify_pdf(&pdf, &foreign), Verdict::Untrusted(_)));
    Ok(())
}

#[tokio::test]
async fn keys_are_created_once_and_reused() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    issue_sample(dir.path(), &dir.path().join("a.pdf")).await?;
    let root = std::fs::read(dir.path().join("keys/root-ca.pem"))?;
    issue_sample(dir.path(), &dir.path().join("b.pdf")).await?;
    assert_eq!(root, std::fs::read(dir.path().join("keys/root-ca.pem"))?);
    let roots = load_roots(&dir.path().join("keys/root-ca.pem"))?;
    for name in ["a.pdf", "b.pdf"] {
        let pdf = std::fs::read(Path::new(dir.path()).join(name))?;
        assert!(verify_pdf(&pdf, &roots).is_valid());
    }
    Ok(())
}

#[tokio::test]
async fn issued_documents_are_stored_write_once_and_recorded() -> anyhow::Result<()> {
    use std::sync::Arc;
    use varoskapu_core::documents::{DocumentIssuer, DocumentKind};
    use varoskapu_core::table::{IndexName, Query};
    use varoskapu_core::{BlobStore, Clock, SequentialIds, SystemClock, Table};
    use varoskapu_documents::LocalKeys;
    use varoskapu_documents::issuer::{PadesIssuer, record_key};
    use varoskapu_documents::render::Municipality;
    use varoskapu_documents::sample::sample_request;
    use varoskapu_embedded::{FsBlobStore, SqliteTable};

    let dir = tempfile::tempdir()?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let keys = LocalKeys::load_or_create(dir.path(), clock.as_ref())?;
    let table: Arc<dyn Table> = Arc::new(SqliteTable::open(
        &dir.path().join("db.sqlite"),
        clock.clone(),
    )?);
    let blobs: Arc<dyn BlobStore> = Arc::new(FsBlobStore::open(
        &dir.path().join("blobs"),
        "http://127.0.0.1:1",
        clock.clone(),
    )?);
    let issuer = PadesIssuer {
        municipality: Municipality::demo(),
        signer: Arc::new(keys.signer()?),
        tsa: Arc::new(keys.tsa(clock.clone())),
        blobs: blobs.clone(),
        table: table.clone(),
        clock,
        ids: Arc::new(SequentialIds::default()),
    };
    let issued = issuer.issue(sample_request()).await?;
    assert_eq!(issued.kind, DocumentKind::Decision);
    assert_eq!(issued.blob_key, format!("documents/{}", issued.sha256));

    let blob = blobs.get(&issued.blob_key).await?;
    assert_eq!(Some(blob.meta.sha256), issued.digest());
    let roots = load_roots(&dir.path().join("keys/root-ca.pem"))?;
    assert!(verify_pdf(&blob.bytes, &roots).is_valid());
    // Write-once: the same key cannot be overwritten.
    let again = varoskapu_core::BlobPut::content_addressed(
        "documents",
        blob.bytes.clone(),
        "application/pdf",
    )
    .write_once();
    assert!(blobs.put(again).await.is_err());

    let record = table
        .get(&record_key(issued.id))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no record"))?;
    assert_eq!(
        record.parse::<varoskapu_core::documents::IssuedDocument>()?,
        issued
    );
    let owned = table
        .query(Query::index(
            IndexName::Gsi1,
            format!("OWNER#{}", issued.owner),
        ))
        .await?;
    assert_eq!(owned.items.len(), 1);
    let cased = table
        .query(Query::index(IndexName::Gsi2, "CASE#VK-2026-000123"))
        .await?;
    assert_eq!(cased.items.len(), 1);
    Ok(())
}
