//! The operators' identity commands: `clients add|list|remove`, `users add`, `keys rotate`
//! (the first two written once in varoskapu-operator, shared with `varoskapu-aws`).
//! They work on the same `--data-dir` as a running server (SQLite and the key file are
//! shared safely), so clients can be managed without a restart.

use crate::ports::LocalPorts;
use clap::Subcommand;
use std::path::Path;

pub use varoskapu_operator::{ClientsCommand, UsersCommand};

/// `varoskapu keys …`
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Promote the pre-published key to signing, publish a new next key, and keep the old
    /// one published until its tokens have expired.
    Rotate,
}

fn open(data_dir: &Path) -> anyhow::Result<LocalPorts> {
    // The public URL matters only for e-mailed links, which these commands never send.
    LocalPorts::open(data_dir, "http://127.0.0.1:8080")
}

/// Runs a `clients` command on the data folder's provider.
pub async fn clients(data_dir: &Path, command: ClientsCommand) -> anyhow::Result<()> {
    let provider = crate::identity::provider(&open(data_dir)?)?;
    varoskapu_operator::clients::run(&provider.clients, command, &mut std::io::stdout()).await
}

/// Runs a `users` command on the data folder's accounts.
pub async fn users(data_dir: &Path, command: UsersCommand) -> anyhow::Result<()> {
    let ports = open(data_dir)?;
    let accounts = crate::identity::accounts(&ports);
    let store = varoskapu_core::cases::CaseStore::new(ports.table.clone());
    let mut stdin = std::io::BufReader::new(std::io::stdin());
    varoskapu_operator::users::run(
        &accounts,
        &store,
        command,
        &mut stdin,
        &mut std::io::stdout(),
    )
    .await
}

/// Runs a `keys` command.
pub async fn keys(data_dir: &Path, command: KeysCommand) -> anyhow::Result<()> {
    let provider = crate::identity::provider(&open(data_dir)?)?;
    match command {
        KeysCommand::Rotate => {
            let keep = provider
                .config
                .access_token_seconds
                .max(provider.config.id_token_seconds)
                + 300;
            provider.keys.rotate(keep).await?;
            let kid = provider.keys.signing_key().await?.kid;
            println!("signing with {kid}");
        }
    }
    Ok(())
}
