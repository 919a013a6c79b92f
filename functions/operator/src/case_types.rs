//! `case-types import FILE|list`: the municipality's catalogue of case types, kept as a
//! JSON file by the office (a list of case types as `GET /case-types` shows them, with
//! their form schema, documents, fee, deadline, approval and automatic rule).
//!
//! A file is checked whole before anything is written: one bad entry refuses the import
//! and names every problem, so the catalogue never ends up half updated.

use clap::Subcommand;
use serde_json::json;
use std::collections::HashSet;
use std::io::Write;
use std::path::PathBuf;
use varoskapu_core::cases::{CaseStore, CaseType, Imported};

/// `… case-types …`
#[derive(Debug, Subcommand)]
pub enum CaseTypesCommand {
    /// Add the file's case types and replace those whose definition changed; importing the
    /// same file again changes nothing.
    Import {
        /// A JSON list of case types.
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// List the catalogue.
    List {
        #[arg(long)]
        json: bool,
    },
}

/// Why a catalogue file was refused: every problem found, each naming its case type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueError(pub Vec<String>);

impl std::fmt::Display for CatalogueError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the catalogue was refused, nothing imported:")?;
        for problem in &self.0 {
            write!(f, "\n  - {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for CatalogueError {}

/// Whether `id` is a stable identifier: lower-case letters, digits and dashes.
fn is_identifier(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && !id.starts_with(['-', '_'])
}

/// The problems of one case type, each prefixed with its id.
fn problems_of(case_type: &CaseType) -> Vec<String> {
    let mut problems = Vec::new();
    let id = &case_type.id;
    let mut problem = |text: String| problems.push(format!("case type {id:?}: {text}"));
    if !is_identifier(id) {
        problem("the id must be 1-64 lower-case letters, digits, - or _".into());
    }
    if case_type.name.hu.trim().is_empty() || case_type.name.en.trim().is_empty() {
        problem("the name needs both hu and en".into());
    }
    if let Err(e) = jsonschema::validator_for(&case_type.form_schema) {
        problem(format!("the form schema is not a usable JSON Schema: {e}"));
    }
    let mut kinds = HashSet::new();
    for document in &case_type.documents {
        if !is_identifier(&document.kind) {
            problem(format!(
                "document kind {:?} is not an identifier",
                document.kind
            ));
        }
        if !kinds.insert(document.kind.as_str()) {
            problem(format!("document kind {:?} is listed twice", document.kind));
        }
        if document.media_types.is_empty() || document.max_bytes == 0 {
            problem(format!(
                "document {:?} needs media types and a size limit above 0",
                document.kind
            ));
        }
    }
    if let Some(fee) = &case_type.fee {
        let code = fee.currency.len() == 3 && fee.currency.chars().all(|c| c.is_ascii_uppercase());
        if fee.amount <= 0 || !code {
            problem("a fee is a positive amount with an ISO 4217 currency code".into());
        }
    }
    if case_type.deadline_working_days == 0 {
        problem("the deadline must be at least one working day".into());
    }
    if let Some(rule) = &case_type.auto_decision {
        if rule.conditions.is_empty() {
            problem("an automatic decision rule needs at least one condition".into());
        }
        for condition in &rule.conditions {
            if !condition.pointer.starts_with('/') {
                problem(format!(
                    "rule pointer {:?} is not a JSON Pointer",
                    condition.pointer
                ));
            }
        }
        if case_type.signatory_approval {
            problem("a type decided automatically cannot also need a signatory".into());
        }
    }
    problems
}

/// Parses and checks a catalogue file: a JSON list of case types with distinct ids.
pub fn parse_catalogue(text: &str) -> Result<Vec<CaseType>, CatalogueError> {
    let types: Vec<CaseType> = serde_json::from_str(text)
        .map_err(|e| CatalogueError(vec![format!("not a JSON list of case types: {e}")]))?;
    let mut problems = Vec::new();
    if types.is_empty() {
        problems.push("the file lists no case type".to_owned());
    }
    let mut ids = HashSet::new();
    for case_type in &types {
        if !ids.insert(case_type.id.as_str()) {
            problems.push(format!("case type {:?} is listed twice", case_type.id));
        }
        problems.extend(problems_of(case_type));
    }
    if problems.is_empty() {
        Ok(types)
    } else {
        Err(CatalogueError(problems))
    }
}

/// Imports a checked catalogue; what happened to each type, in the file's order.
pub async fn import(
    store: &CaseStore,
    types: &[CaseType],
) -> anyhow::Result<Vec<(String, Imported)>> {
    let mut report = Vec::with_capacity(types.len());
    for case_type in types {
        let outcome = store
            .import_case_type(case_type)
            .await
            .map_err(|e| anyhow::anyhow!("importing case type {}: {e}", case_type.id))?;
        report.push((case_type.id.clone(), outcome));
    }
    Ok(report)
}

fn outcome_name(outcome: Imported) -> &'static str {
    match outcome {
        Imported::Added => "added",
        Imported::Updated => "updated",
        Imported::Unchanged => "unchanged",
    }
}

/// Writes an import's report, one line per case type (or one JSON object).
pub fn write_report(
    report: &[(String, Imported)],
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    if json {
        let map: serde_json::Map<_, _> = report
            .iter()
            .map(|(id, outcome)| (id.clone(), json!(outcome_name(*outcome))))
            .collect();
        writeln!(out, "{}", serde_json::Value::Object(map))?;
    } else {
        for (id, outcome) in report {
            writeln!(out, "{:<10}{id}", outcome_name(*outcome))?;
        }
    }
    Ok(())
}

/// Runs a `case-types` command on `store`.
pub async fn run(
    store: &CaseStore,
    command: CaseTypesCommand,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match command {
        CaseTypesCommand::Import { file, json } => {
            let types = parse_catalogue(&crate::read_file(&file)?)?;
            let report = import(store, &types).await?;
            write_report(&report, json, out)
        }
        CaseTypesCommand::List { json } => {
            let types = store.case_types().await?;
            if json {
                writeln!(out, "{}", serde_json::to_string(&types)?)?;
            } else {
                writeln!(out, "ID\tNAME\tFEE\tDEADLINE\tDECIDED BY")?;
                for t in types {
                    let fee = t
                        .fee
                        .as_ref()
                        .map(|f| format!("{} {}", f.amount, f.currency))
                        .unwrap_or_else(|| "-".into());
                    let decided_by = if t.auto_decision.is_some() {
                        "rule or clerk"
                    } else if t.signatory_approval {
                        "clerk and signatory"
                    } else {
                        "clerk"
                    };
                    writeln!(
                        out,
                        "{}\t{}\t{fee}\t{} working days\t{decided_by}",
                        t.id, t.name.hu, t.deadline_working_days
                    )?;
                }
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str) -> serde_json::Value {
        json!({
            "id": id,
            "name": {"hu": "Hatósági bizonyítvány", "en": "Official certificate"},
            "description": {"hu": "Leírás", "en": "Description"},
            "form_schema": {"type": "object"},
            "documents": [],
            "fee": null,
            "deadline_working_days": 8,
            "signatory_approval": false,
            "auto_decision": null,
            "appeal_window_days": 15
        })
    }

    #[tokio::test]
    async fn reimporting_reports_added_updated_and_unchanged() {
        let clock = std::sync::Arc::new(varoskapu_core::SystemClock);
        let store = CaseStore::new(std::sync::Arc::new(varoskapu_core::MemoryTable::new(clock)));
        let first = parse_catalogue(&json!([entry("a"), entry("b")]).to_string()).unwrap();
        let report = import(&store, &first).await.unwrap();
        assert_eq!(
            report,
            [("a".into(), Imported::Added), ("b".into(), Imported::Added)]
        );
        let mut changed = entry("b");
        changed["deadline_working_days"] = json!(21);
        let second = parse_catalogue(&json!([entry("a"), changed]).to_string()).unwrap();
        let report = import(&store, &second).await.unwrap();
        assert_eq!(
            report,
            [
                ("a".into(), Imported::Unchanged),
                ("b".into(), Imported::Updated)
            ]
        );
        let stored = store.case_type("b").await.unwrap().expect("stored");
        assert_eq!(stored.deadline_working_days, 21);
        let mut out = Vec::new();
        write_report(&report, false, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "unchanged a\nupdated   b\n"
        );
    }

    #[test]
    fn a_valid_catalogue_parses() {
        let text = json!([entry("official-certificate"), entry("other")]).to_string();
        let types = parse_catalogue(&text).expect("valid");
        assert_eq!(types.len(), 2);
    }

    #[test]
    fn every_problem_of_a_bad_catalogue_is_named() {
        let mut bad = entry("Bad Id");
        bad["form_schema"] = json!({"type": 12});
        bad["fee"] = json!({"amount": -5, "currency": "forint"});
        let text = json!([bad, entry("twice"), entry("twice")]).to_string();
        let error = parse_catalogue(&text).unwrap_err();
        let all = error.to_string();
        for expected in [
            "the id must be",
            "form schema",
            "a fee is",
            "\"twice\" is listed twice",
        ] {
            assert!(all.contains(expected), "{expected} missing from {all}");
        }
        assert!(parse_catalogue("{\"id\": 1}").is_err());
        assert!(parse_catalogue("[]").is_err());
    }
}
