//! `offices import FILE|list`: where citizens are served in person: the offices, their
//! desks' calendars (working hours, breaks, absences) and the services booked at them.
//!
//! The file is one JSON object `{"offices": [...], "desks": [...], "services": [...]}` in
//! the shapes the appointment records have; it is checked whole (every reference resolves,
//! every calendar is valid) before anything is written, and importing it again writes the
//! same records.

use clap::Subcommand;
use serde::Deserialize;
use std::collections::HashSet;
use std::io::Write;
use std::path::PathBuf;
use varoskapu_core::appointments::{AppointmentStore, Clerk, Office, Service};

/// `… offices …`
#[derive(Debug, Subcommand)]
pub enum OfficesCommand {
    /// Write the file's offices, desks and services (replacing records with the same ids).
    Import {
        /// A JSON object with `offices`, `desks` and `services`.
        file: PathBuf,
    },
    /// List the offices with their desks and services.
    List,
}

/// What an offices file holds.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfficeCatalogue {
    pub offices: Vec<Office>,
    #[serde(default)]
    pub desks: Vec<Clerk>,
    #[serde(default)]
    pub services: Vec<Service>,
}

/// Parses and checks an offices file; the error names every problem.
pub fn parse_offices(text: &str) -> anyhow::Result<OfficeCatalogue> {
    let catalogue: OfficeCatalogue = serde_json::from_str(text)
        .map_err(|e| anyhow::anyhow!("not an offices file ({{offices, desks, services}}): {e}"))?;
    let mut problems = Vec::new();
    let mut offices = HashSet::new();
    for office in &catalogue.offices {
        if !offices.insert(office.id.as_str()) {
            problems.push(format!("office {:?} is listed twice", office.id));
        }
        if !office.opening_hours.is_valid() {
            problems.push(format!("office {:?}: invalid opening hours", office.id));
        }
    }
    let mut desks = HashSet::new();
    for desk in &catalogue.desks {
        if !desks.insert(desk.id.as_str()) {
            problems.push(format!("desk {:?} is listed twice", desk.id));
        }
        if !offices.contains(desk.office_id.as_str()) {
            problems.push(format!(
                "desk {:?}: no office {:?} in the file",
                desk.id, desk.office_id
            ));
        }
        if !desk.is_valid() {
            problems.push(format!(
                "desk {:?}: invalid hours, breaks or absences",
                desk.id
            ));
        }
    }
    let mut services = HashSet::new();
    for service in &catalogue.services {
        if !services.insert(service.id.as_str()) {
            problems.push(format!("service {:?} is listed twice", service.id));
        }
        if !offices.contains(service.office_id.as_str()) {
            problems.push(format!(
                "service {:?}: no office {:?} in the file",
                service.id, service.office_id
            ));
        }
        if !service.is_valid() {
            problems.push(format!(
                "service {:?}: needs desks, a duration of whole units up to an hour, \
                 at least one open booking and a cut-off of 0 or more minutes",
                service.id
            ));
        }
        for desk in &service.clerk_ids {
            let same_office = catalogue
                .desks
                .iter()
                .any(|d| &d.id == desk && d.office_id == service.office_id);
            if !same_office {
                problems.push(format!(
                    "service {:?}: no desk {desk:?} of office {:?} in the file",
                    service.id, service.office_id
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(catalogue)
    } else {
        anyhow::bail!(
            "the offices file was refused, nothing imported:\n  - {}",
            problems.join("\n  - ")
        )
    }
}

/// Writes a checked catalogue: offices first, then desks, then services.
pub async fn import(store: &AppointmentStore, catalogue: &OfficeCatalogue) -> anyhow::Result<()> {
    for office in &catalogue.offices {
        store.put_office(office, false).await?;
    }
    for desk in &catalogue.desks {
        store.put_clerk(desk, false).await?;
    }
    for service in &catalogue.services {
        store.put_service(service, false).await?;
    }
    Ok(())
}

/// Runs an `offices` command on `store`.
pub async fn run(
    store: &AppointmentStore,
    command: OfficesCommand,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match command {
        OfficesCommand::Import { file } => {
            let catalogue = parse_offices(&crate::read_file(&file)?)?;
            import(store, &catalogue).await?;
            writeln!(
                out,
                "imported {} offices, {} desks, {} services",
                catalogue.offices.len(),
                catalogue.desks.len(),
                catalogue.services.len()
            )?;
        }
        OfficesCommand::List => {
            let desks = store.clerks().await?;
            let services = store.services().await?;
            for office in store.offices().await? {
                writeln!(
                    out,
                    "{}\t{}\t{}",
                    office.id,
                    office.name,
                    office.address.one_line()
                )?;
                for desk in desks.iter().filter(|d| d.office_id == office.id) {
                    writeln!(out, "  desk {}\t{}\t{}", desk.id, desk.desk, desk.name)?;
                }
                for service in services.iter().filter(|s| s.office_id == office.id) {
                    writeln!(
                        out,
                        "  service {}\t{}\t{} min\t{}",
                        service.id,
                        service.name,
                        service.duration_minutes,
                        service.clerk_ids.join(" ")
                    )?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn file() -> serde_json::Value {
        json!({
            "offices": [{
                "id": "okmanyiroda",
                "name": "Okmányiroda",
                "address": {"postal_code": "1051", "city": "Budapest", "street": "Erzsébet tér 5."},
                "opening_hours": {"monday": [{"start": "08:00:00", "end": "16:00:00"}]}
            }],
            "desks": [{
                "id": "ablak-1", "office_id": "okmanyiroda", "desk": "1. ablak", "name": "Kiss Anna",
                "working_hours": {"monday": [{"start": "08:00:00", "end": "16:00:00"}]}
            }],
            "services": [{
                "id": "lakcimkartya", "office_id": "okmanyiroda", "name": "Lakcímkártya",
                "duration_minutes": 15, "clerk_ids": ["ablak-1"],
                "max_open_bookings": 2, "cut_off_minutes": 120
            }]
        })
    }

    #[test]
    fn a_consistent_file_parses() {
        let catalogue = parse_offices(&file().to_string()).expect("valid");
        assert_eq!(catalogue.desks[0].id, "ablak-1");
    }

    #[test]
    fn dangling_references_are_refused_by_name() {
        let mut bad = file();
        bad["services"][0]["clerk_ids"] = json!(["ablak-9"]);
        bad["desks"][0]["office_id"] = json!("elsewhere");
        let error = parse_offices(&bad.to_string()).unwrap_err().to_string();
        assert!(error.contains("no desk \"ablak-9\""), "{error}");
        assert!(error.contains("no office \"elsewhere\""), "{error}");
    }
}
