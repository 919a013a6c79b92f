//! The citizen records on the local ports: the search index in `<data-dir>/crm-index`
//! (updated with each write, rebuilt by `varoskapu crm reindex`), the demo CRM, and the
//! operators' commands (reindex, duplicates, the registry refresh, the CSV import).

use crate::ports::LocalPorts;
use std::path::Path;
use std::sync::Arc;
use varoskapu_core::audit::AuditLog;
use varoskapu_core::crm::{Crm, CrmPorts};

/// The index's folder under the data folder.
pub const INDEX_DIR: &str = "crm-index";

/// The CRM over the local ports, recording reads and changes in `audit`. The index allows
/// one writer: build this once per process (the server's `Services` does).
pub fn crm_with(ports: &LocalPorts, audit: AuditLog) -> anyhow::Result<Crm> {
    let dir = ports.data_dir.join(INDEX_DIR);
    let index = varoskapu_search::TantivyIndex::open_in(&dir).map_err(|e| {
        anyhow::anyhow!(
            "the CRM's search index in {} cannot be opened ({e}); is another server running on this data folder?",
            dir.display()
        )
    })?;
    Ok(Crm::new(CrmPorts {
        table: ports.table.clone(),
        index: Arc::new(index),
        clock: ports.clock.clone(),
        ids: ports.ids.clone(),
        audit,
    })
    .with_registry(ports.registry.clone()))
}

/// The CRM of a data folder, for the command line.
pub fn crm(ports: &LocalPorts) -> anyhow::Result<Crm> {
    crm_with(ports, crate::cases::audit_log(ports)?)
}

/// How many generated persons the demo CRM holds.
pub const DEMO_PERSONS: usize = 300;

/// Seeds the demo CRM once: generated residents of the demo district (a few of them
/// planted duplicates with typos, so the review queue has work), then a duplicate scan.
pub async fn seed_demo(crm: &Crm) -> anyhow::Result<()> {
    let (existing, _) = crm.store.list(None, 1).await?;
    if !existing.is_empty() {
        return Ok(());
    }
    let generated = varoskapu_core::crm::generate::generate(DEMO_PERSONS, 2026, 0.03, crm.today());
    crm.import(generated.records)
        .await
        .map_err(|e| anyhow::anyhow!("seeding the demo CRM: {e}"))?;
    crm.scan_duplicates(varoskapu_core::crm::duplicates::DEFAULT_THRESHOLD)
        .await
        .map_err(|e| anyhow::anyhow!("scanning the demo CRM for duplicates: {e}"))?;
    Ok(())
}

/// `varoskapu crm reindex`: rebuilds the search index from the table.
pub async fn reindex(data_dir: &Path) -> anyhow::Result<usize> {
    let ports = LocalPorts::open(data_dir, "http://127.0.0.1:8080")?;
    Ok(crm(&ports)?.reindex().await?)
}

/// `varoskapu crm duplicates`: looks for duplicates and queues the new pairs for review.
pub async fn scan(data_dir: &Path) -> anyhow::Result<varoskapu_core::crm::ScanReport> {
    let ports = LocalPorts::open(data_dir, "http://127.0.0.1:8080")?;
    Ok(crm(&ports)?
        .scan_duplicates(varoskapu_core::crm::duplicates::DEFAULT_THRESHOLD)
        .await?)
}

/// `varoskapu crm refresh`: refreshes every identified record from the registry now
/// (the data folder's `registry.json`, the service at `VAROSKAPU_REGISTRY_URL`, or the
/// demo registry) and re-indexes the records that changed.
pub async fn refresh(
    data_dir: &Path,
) -> anyhow::Result<varoskapu_core::crm::refresh::RefreshReport> {
    let ports = LocalPorts::open(data_dir, "http://127.0.0.1:8080")?;
    Ok(crm(&ports)?
        .refresh_from_registry(varoskapu_core::crm::schedule::REFRESH_BATCH)
        .await?)
}

/// `varoskapu crm import FILE`: creates a record for each row of a CSV file that no
/// earlier import made (see [`crate::person_import`]).
pub async fn import(
    data_dir: &Path,
    file: &Path,
) -> anyhow::Result<crate::person_import::ImportReport> {
    let source = std::fs::File::open(file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ports = LocalPorts::open(data_dir, "http://127.0.0.1:8080")?;
    let crm = crm(&ports)?;
    crate::person_import::import_csv(&crm, ports.table.as_ref(), &name, source)
        .await
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))
}

/// Runs `varoskapu crm …`, writing what it reports to `out` and the refused rows of an
/// import to `err`; the process's exit status.
pub async fn run(
    data_dir: &Path,
    command: crate::cli::CrmCommand,
    out: &mut dyn std::io::Write,
    err: &mut dyn std::io::Write,
) -> anyhow::Result<i32> {
    use crate::cli::CrmCommand;
    match command {
        CrmCommand::Reindex => {
            let count = reindex(data_dir).await?;
            writeln!(out, "{count} records indexed")?;
        }
        CrmCommand::Duplicates => {
            let report = scan(data_dir).await?;
            writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
        }
        CrmCommand::Refresh => {
            let report = refresh(data_dir).await?;
            writeln!(out, "{report}")?;
        }
        CrmCommand::Import { file } => {
            let report = import(data_dir, &file).await?;
            for refusal in &report.refusals {
                writeln!(err, "{refusal}")?;
            }
            writeln!(out, "{report}")?;
            return Ok(report.exit_code());
        }
    }
    Ok(0)
}

/// `varoskapu mail bounces FILE`: applies a delivery status notification (RFC 3464) or an
/// SES notification (JSON) to the records and the suppression list.
pub async fn bounces(
    data_dir: &Path,
    file: &Path,
) -> anyhow::Result<varoskapu_core::crm::BounceReport> {
    let raw =
        std::fs::read(file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    let found = match std::str::from_utf8(&raw)
        .ok()
        .filter(|t| t.trim_start().starts_with('{'))
    {
        Some(json) => varoskapu_core::crm::quality::dsn::parse_ses_notification(json),
        None => varoskapu_core::crm::quality::dsn::parse_dsn(&raw),
    }
    .map_err(|e| anyhow::anyhow!("{} is not a bounce notification: {e}", file.display()))?;
    let ports = LocalPorts::open(data_dir, "http://127.0.0.1:8080")?;
    Ok(crm(&ports)?.apply_bounces(&found).await?)
}

/// Matching people against the registries of the local ports, writing into `crm`'s records.
pub fn identification(
    ports: &LocalPorts,
    crm: &Crm,
) -> varoskapu_core::crm::identify::PersonIdentification {
    varoskapu_core::crm::identify::PersonIdentification::new(
        crm.store.clone(),
        ports.registry.clone(),
        ports.clock.clone(),
        ports.ids.clone(),
        crm.audit().clone(),
    )
}
