//! Demo data seeded on first start, so that a newcomer can try every flow at once.
//!
//! Each seeding step is idempotent (conditional writes), so a restart or a second server
//! on the same data folder never duplicates anything.

use crate::ports::LocalPorts;
use varoskapu_core::{Condition, ItemWrite, Key, TableError};

/// Seeds every function's demo data into a fresh data folder.
pub async fn seed_demo_data(ports: &LocalPorts) -> anyhow::Result<()> {
    seed_demo_data_with(ports, &crate::identity::provider(ports)?).await
}

/// Seeds every function's demo data, the clients and people through `provider`.
pub async fn seed_demo_data_with(
    ports: &LocalPorts,
    provider: &varoskapu_idp::Provider,
) -> anyhow::Result<()> {
    crate::identity::seed_with(provider).await?;
    // An Okmányiroda with three desks and its services, for booking appointments.
    let tz = varoskapu_core::appointments::budapest()
        .ok_or_else(|| anyhow::anyhow!("the Europe/Budapest time zone is missing"))?;
    let store = varoskapu_core::appointments::AppointmentStore::new(ports.table.clone(), tz);
    // The demo clerk manages the first desk's calendar.
    let clerk = provider
        .accounts
        .find_by_email(crate::identity::DEMO_CLERK_EMAIL)
        .await
        .map_err(|e| anyhow::anyhow!("looking up the demo clerk: {e}"))?
        .map(|account| account.id.to_string());
    varoskapu_book_appointment::demo::seed(&store, clerk).await?;
    // The case-type catalogue and a signatory who approves decisions.
    crate::cases::seed(ports).await?;
    // Last: a folder marked holds every part of the demo.
    let mut seeded = serde_json::Map::new();
    seeded.insert("seeded".into(), serde_json::Value::Bool(true));
    let marker = ItemWrite::new(demo_marker(), seeded);
    match ports.table.put(marker, Condition::NotExists).await {
        Ok(_) | Err(TableError::ConditionFailed) => Ok(()),
        Err(e) => Err(anyhow::anyhow!("marking the demo data: {e}")),
    }
}

fn demo_marker() -> Key {
    Key::new("LOCAL#DEMO", "SEEDED")
}

/// Whether the data folder holds the seeded demo data (so it keeps running as a demo).
pub async fn holds_demo_data(ports: &LocalPorts) -> anyhow::Result<bool> {
    Ok(ports
        .table
        .get(&demo_marker())
        .await
        .map_err(|e| anyhow::anyhow!("reading the demo marker: {e}"))?
        .is_some())
}
