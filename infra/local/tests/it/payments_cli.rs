//! `varoskapu payments import`, run as the binary on a data folder, as an operator would.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

const STATEMENT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/camt053-otp-2026-11-24.xml"
);

fn import(dir: &Path, file: &str) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_varoskapu"))
        .args(["payments", "import", file, "--data-dir"])
        .arg(dir)
        .output()
        .expect("runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_statement_is_imported_once_and_its_unmatched_credits_wait_for_a_clerk() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ok, out, err) = import(dir.path(), STATEMENT);
    assert!(ok, "{out}{err}");
    let first: Value = serde_json::from_str(out.trim()).expect("summary json");
    assert_eq!(first["statements"], 1, "{first}");
    assert_eq!(first["already_imported"], 0);
    assert_eq!(
        first["settled"], 0,
        "no payment is pending in a fresh folder"
    );
    let credits = first["queued"].as_u64().unwrap_or(0) + first["skipped"].as_u64().unwrap_or(0);
    assert!(credits >= 2, "credits nobody matched are kept: {first}");

    let (ok, out, err) = import(dir.path(), STATEMENT);
    assert!(ok, "{out}{err}");
    let again: Value = serde_json::from_str(out.trim()).expect("summary json");
    assert_eq!(again["already_imported"], 1, "{again}");
    assert_eq!(
        again["queued"], 0,
        "a second import changes nothing: {again}"
    );
    assert_eq!(again["settled"], 0);
}

#[test]
fn a_file_that_is_not_a_statement_is_refused_with_a_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bogus = dir.path().join("invoice.xml");
    std::fs::write(&bogus, "<Invoice><Total>100</Total></Invoice>").expect("write");
    let (ok, out, err) = import(dir.path(), bogus.to_str().expect("utf-8 path"));
    assert!(!ok, "refused: {out}");
    assert!(!err.trim().is_empty(), "says why");
}
