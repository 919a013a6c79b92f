//! The operators' commands, written once over the services' ports: `clients`, `users`,
//! `case-types`, `offices` and `bootstrap`. The compositions give them their ports (the
//! local `varoskapu` a data folder, `varoskapu-aws` a deployed stack) and the same
//! options, output and refusals follow.
//!
//! Each command writes what it reports to `out`, so that the binaries print it and tests
//! read it.

pub mod bootstrap;
pub mod case_types;
pub mod clients;
pub mod offices;
pub mod users;

pub use bootstrap::{BootstrapArgs, bootstrap};
pub use case_types::CaseTypesCommand;
pub use clients::ClientsCommand;
pub use offices::OfficesCommand;
pub use users::{PasswordSource, UsersCommand};

/// Reads a file an operator named, saying which one could not be read.
pub fn read_file(path: &std::path::Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))
}
