//! The `varoskapu-aws` command line: the local CLI's operator commands, against a stack.

use crate::documents::SubjectArgs;
use crate::stack::StackArgs;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use varoskapu_operator::{
    BootstrapArgs, CaseTypesCommand, ClientsCommand, OfficesCommand, UsersCommand,
};

/// Administer a deployed Városkapu stack: clients, users, token keys, case types, offices,
/// bank statements, the citizen records' search index, the document-signing certificate
/// and the first bootstrap.
#[derive(Debug, Parser)]
#[command(name = "varoskapu-aws", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub stack: StackArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Manage the OpenID Connect clients (partner apps, services).
    #[command(subcommand)]
    Clients(ClientsCommand),
    /// Manage accounts (administrators, clerks, signatories).
    #[command(subcommand)]
    Users(UsersCommand),
    /// The provider's token-signing keys in KMS.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// The catalogue of case types.
    #[command(subcommand, name = "case-types")]
    CaseTypes(CaseTypesCommand),
    /// Offices, desks' calendars and the services booked at them.
    #[command(subcommand)]
    Offices(OfficesCommand),
    /// Fee payments: import bank statements.
    #[command(subcommand)]
    Payments(PaymentsCommand),
    /// The document-signing key's certificate: request it, install its chain.
    #[command(subcommand)]
    Documents(DocumentsCommand),
    /// The citizen records: rebuild their search index.
    #[command(subcommand)]
    Crm(CrmCommand),
    /// After the first deploy: create the first administrator, import the case types and
    /// register the citizen portal's and the office screens' clients (safe to run again).
    Bootstrap(StackBootstrapArgs),
}

/// `varoskapu-aws bootstrap`: the local CLI's bootstrap, and the page sites' OIDC clients.
#[derive(Debug, clap::Args)]
pub struct StackBootstrapArgs {
    #[command(flatten)]
    pub common: BootstrapArgs,
    /// Put a new value into the portal's client secret and register the client with it
    /// (the portal's execution environments read it once replaced: deploy again).
    #[arg(long)]
    pub rotate_portal_secret: bool,
    /// The same for the office screens' client secret.
    #[arg(long)]
    pub rotate_office_secret: bool,
}

/// `varoskapu-aws keys …`
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Take the stack one step further in a rotation of its token-signing key: make the
    /// next key (when none is under way) and print the deployment that comes next.
    Rotate,
}

/// `varoskapu-aws payments …`
#[derive(Debug, Subcommand)]
pub enum PaymentsCommand {
    /// Import a camt.053 or camt.054 bank statement; importing it again changes nothing.
    Import {
        /// The statement's XML file.
        file: PathBuf,
    },
}

/// `varoskapu-aws crm …`
#[derive(Debug, Subcommand)]
pub enum CrmCommand {
    /// Rebuild the search index from the table: a request the indexer function (the
    /// index's one writer) receives through the table's change stream and answers once it
    /// has published the rebuilt index. Waits for the answer unless told not to.
    Reindex {
        /// Write the request and return without waiting (its id is printed).
        #[arg(long, conflicts_with = "request")]
        no_wait: bool,
        /// Wait for the answer to an earlier request instead of making a new one.
        #[arg(long, value_name = "ID")]
        request: Option<uuid::Uuid>,
        /// How long to wait for the answer, in seconds.
        #[arg(long, default_value_t = 900, value_parser = clap::value_parser!(u64).range(1..=86_400))]
        timeout: u64,
    },
}

/// `varoskapu-aws documents …`
#[derive(Debug, Subcommand)]
pub enum DocumentsCommand {
    /// Make a PKCS#10 certificate request for the stack's document-signing KMS key, for
    /// the municipality's CA to certify.
    Csr {
        #[command(flatten)]
        subject: SubjectArgs,
        /// Where to write the PEM request (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Check that a PEM chain (signing certificate first) certifies the stack's key, and
    /// store it where the signing functions read it.
    InstallChain {
        /// The PEM chain the CA issued.
        file: PathBuf,
    },
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
