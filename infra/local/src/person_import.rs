//! `varoskapu crm import FILE`: person records from an operator's CSV file. Each row goes
//! through the CRM's own checks, the address register's included, as a record entered at
//! the desk does, and is audited as made by the import of that file.
//!
//! Importing a file again imports nothing twice: each row's content (SHA-256 over its
//! columns) keys it. The key is the create's `Idempotency-Key`, so a run cut short
//! between a record and its marker replays the record instead of making it again, and a
//! marker item in the table (`crm-import#<digest>`) remembers the row for good, long
//! after the 24 hours an idempotency key is kept.

use serde_json::json;
use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use varoskapu_core::cases::Actor;
use varoskapu_core::crm::person::{Address, AddressKind, NaturalIdentity};
use varoskapu_core::crm::{Crm, CrmActor, CrmError, FieldError, PersonInput};
use varoskapu_core::{Condition, ItemWrite, Key, Sha256Digest, Table};

/// The columns a file may have, in the order their values are digested.
pub const COLUMNS: [&str; 14] = [
    "family_name",
    "given_name",
    "birth_name",
    "birth_place",
    "birth_date",
    "mother_birth_name",
    "email",
    "phone",
    "postcode",
    "city",
    "street",
    "number",
    "card_number",
    "tags",
];

/// The columns every file must have.
pub const REQUIRED: [&str; 2] = ["family_name", "given_name"];

/// One problem of a refused row: its line in the file and the field of the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The row's line in the file (the header is line 1).
    pub line: u64,
    /// A JSON Pointer into the record as the CRM's API names its fields (`/emails/0`);
    /// empty when the row itself could not be read.
    pub pointer: String,
    pub detail: String,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pointer.is_empty() {
            write!(f, "line {}: {}", self.line, self.detail)
        } else {
            write!(f, "line {}: {}: {}", self.line, self.pointer, self.detail)
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Rows that made a record.
    pub imported: usize,
    /// Rows an earlier import (or an earlier line of this file) already made.
    pub already_there: usize,
    /// Rows refused; nothing was written for them.
    pub refused: usize,
    /// Every problem of the refused rows, in file order.
    pub refusals: Vec<Refusal>,
}

impl ImportReport {
    /// The command's exit status: 1 when any row was refused.
    pub fn exit_code(&self) -> i32 {
        i32::from(self.refused > 0)
    }
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "imported {}, already there {}, refused {}",
            self.imported, self.already_there, self.refused
        )
    }
}

/// Which column of the file holds which field.
struct Header(HashMap<&'static str, usize>);

impl Header {
    fn read(names: &csv::StringRecord) -> anyhow::Result<Self> {
        let mut columns = HashMap::new();
        let mut unknown = Vec::new();
        for (i, name) in names.iter().enumerate() {
            // Spreadsheets save UTF-8 with a byte order mark before the first name.
            let name = name.trim_start_matches('\u{feff}').trim();
            match COLUMNS.iter().find(|c| **c == name) {
                Some(known) => {
                    if columns.insert(*known, i).is_some() {
                        anyhow::bail!("the column {known} is named twice in the header");
                    }
                }
                None => unknown.push(format!("{name:?}")),
            }
        }
        if !unknown.is_empty() {
            anyhow::bail!(
                "unknown columns in the header: {} (the columns are {})",
                unknown.join(", "),
                COLUMNS.join(", ")
            );
        }
        let missing: Vec<&str> = REQUIRED
            .into_iter()
            .filter(|c| !columns.contains_key(c))
            .collect();
        if !missing.is_empty() {
            anyhow::bail!("the header has no {} column", missing.join(" or "));
        }
        Ok(Self(columns))
    }

    fn value<'r>(&self, row: &'r csv::StringRecord, column: &str) -> &'r str {
        self.0
            .get(column)
            .and_then(|i| row.get(*i))
            .unwrap_or("")
            .trim()
    }
}

fn optional(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

/// The record a row asks for; a value the CRM's input cannot even hold (a birth date
/// that is no date) is a field error, like the CRM's own.
fn input_of(header: &Header, row: &csv::StringRecord) -> Result<PersonInput, Vec<FieldError>> {
    let value = |column| header.value(row, column);
    let birth_date = match value("birth_date") {
        "" => None,
        text => match text.parse::<jiff::civil::Date>() {
            Ok(day) if text.len() == 10 => Some(day),
            _ => {
                return Err(vec![FieldError::new(
                    "/identity/birth_date",
                    "is not a date (YYYY-MM-DD)",
                )]);
            }
        },
    };
    let address = ["postcode", "city", "street", "number"]
        .iter()
        .any(|c| !value(c).is_empty())
        .then(|| Address {
            kind: AddressKind::Permanent,
            postcode: value("postcode").to_owned(),
            city: value("city").to_owned(),
            street: value("street").to_owned(),
            number: value("number").to_owned(),
            district: None,
            valid_from: None,
            valid_until: None,
            verified_at: None,
        });
    Ok(PersonInput {
        identity: NaturalIdentity {
            family_name: value("family_name").to_owned(),
            given_name: value("given_name").to_owned(),
            birth_name: optional(value("birth_name")),
            birth_place: optional(value("birth_place")),
            birth_date,
            mother_birth_name: optional(value("mother_birth_name")),
        },
        addresses: address.into_iter().collect(),
        emails: optional(value("email")).into_iter().collect(),
        phones: optional(value("phone")).into_iter().collect(),
        card_number: optional(value("card_number")),
        gender: None,
        consent: Default::default(),
        tags: value("tags")
            .split(';')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect(),
        groups: Vec::new(),
        company: None,
    })
}

/// The row's content as the import keys it: every column's value, named, in
/// [`COLUMNS`] order, so the file's column order and padding do not matter.
fn digest_of(header: &Header, row: &csv::StringRecord) -> String {
    let mut content = String::new();
    for column in COLUMNS {
        content.push_str(column);
        content.push('=');
        content.push_str(header.value(row, column));
        content.push('\n');
    }
    Sha256Digest::of(content.as_bytes()).to_hex()
}

/// Counts a refused row and keeps its problems; the log names the line and the fields,
/// never their values.
fn refuse(report: &mut ImportReport, line: u64, errors: Vec<FieldError>) {
    report.refused += 1;
    for e in errors {
        tracing::debug!(line, pointer = %e.pointer, "import: a row is refused");
        report.refusals.push(Refusal {
            line,
            pointer: e.pointer,
            detail: e.detail,
        });
    }
}

fn marker(digest: &str) -> Key {
    Key::new(format!("crm-import#{digest}"), "row")
}

/// Imports the CSV rows of `source` (named `name` in the audit log) into `crm`, keeping
/// the rows' markers in `table` (the CRM's). A file that cannot be read as a whole (no
/// header, an unknown column) imports nothing; a row that cannot be is refused.
pub async fn import_csv(
    crm: &Crm,
    table: &dyn Table,
    name: &str,
    source: impl Read,
) -> anyhow::Result<ImportReport> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(source);
    let header = Header::read(
        reader
            .headers()
            .map_err(|e| anyhow::anyhow!("the header cannot be read: {e}"))?,
    )?;
    let who = CrmActor {
        actor: Actor::System,
        origin: Some(format!("crm import {name}")),
    };
    let mut report = ImportReport::default();
    let mut row = csv::StringRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_record(&mut row) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) if matches!(e.kind(), csv::ErrorKind::Io(_)) => {
                anyhow::bail!("line {line}: the file cannot be read further: {e}")
            }
            Err(e) => {
                let line = e.position().map_or(line, csv::Position::line);
                let detail = match e.kind() {
                    csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => format!("the row has {len} fields, the header {expected_len}"),
                    csv::ErrorKind::Utf8 { .. } => "the row is not UTF-8 text".to_owned(),
                    _ => e.to_string(),
                };
                refuse(&mut report, line, vec![FieldError::new("", detail)]);
                continue;
            }
        }
        let line = row.position().map_or(line, csv::Position::line);
        let input = match input_of(&header, &row) {
            Ok(input) => input,
            Err(errors) => {
                refuse(&mut report, line, errors);
                continue;
            }
        };
        let digest = digest_of(&header, &row);
        if table.get(&marker(&digest)).await?.is_some() {
            report.already_there += 1;
            continue;
        }
        let key = format!("crm-import-{digest}");
        match crm.create(&who, &input, None, Some((&key, &digest))).await {
            Ok(record) => {
                let item = ItemWrite::new(
                    marker(&digest),
                    json!({"person": record.id, "source": name})
                        .as_object()
                        .cloned()
                        .unwrap_or_default(),
                );
                match table.put(item, Condition::NotExists).await {
                    Ok(_) => {}
                    Err(e) if e.is_condition_failure() => {}
                    Err(e) => return Err(e.into()),
                }
                report.imported += 1;
            }
            Err(CrmError::Invalid(errors)) => refuse(&mut report, line, errors),
            Err(e) => anyhow::bail!("line {line}: the import stopped: {e}"),
        }
    }
    Ok(report)
}
