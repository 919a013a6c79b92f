//! The `varoskapu` command line: `serve` (the default) and the operators' commands.

use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Városkapu: a municipality's e-administration backend, on one machine.
#[derive(Debug, Parser)]
#[command(name = "varoskapu", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options of `serve`, which runs when no subcommand is given.
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// Where the server keeps its data and listens.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Folder holding the database, documents and keys; created on first start.
    #[arg(
        long,
        env = "VAROSKAPU_DATA_DIR",
        default_value = "./data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// Address to listen on.
    #[arg(
        long,
        env = "VAROSKAPU_ADDR",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub addr: SocketAddr,
    /// Demo mode: seed the demo data (accounts with published passwords, partner apps,
    /// the case catalogue) and pay by card through the built-in SimplePay simulator. A data
    /// folder seeded so stays a demo, and so does the first start on a new folder without
    /// `VAROSKAPU_SIMPLEPAY_MERCHANT`; otherwise card payments need SimplePay's settings.
    #[arg(long, env = "VAROSKAPU_DEMO", global = true)]
    pub demo: bool,
    /// Relay the outbox to this SMTP server (a mail catcher such as `smtp://127.0.0.1:1025`,
    /// or `smtps://user:password@host`); each message is delivered once.
    #[arg(long, env = "VAROSKAPU_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// The sender of relayed mail.
    #[arg(long, env = "VAROSKAPU_SMTP_FROM")]
    pub smtp_from: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API, the login pages and the docs (the default).
    Serve,
    /// Manage the OpenID Connect clients (partner apps, services).
    #[command(subcommand)]
    Clients(crate::identity_cli::ClientsCommand),
    /// Manage accounts.
    #[command(subcommand)]
    Users(crate::identity_cli::UsersCommand),
    /// Manage the identity provider's signing keys.
    #[command(subcommand)]
    Keys(crate::identity_cli::KeysCommand),
    /// The catalogue of case types: import the municipality's file, list it.
    #[command(subcommand, name = "case-types")]
    CaseTypes(varoskapu_operator::CaseTypesCommand),
    /// Offices, desks' calendars and the services booked at them.
    #[command(subcommand)]
    Offices(varoskapu_operator::OfficesCommand),
    /// Operators' document commands.
    #[command(subcommand)]
    Documents(DocumentsCommand),
    /// Fee payments: import bank statements.
    #[command(subcommand)]
    Payments(PaymentsCommand),
    /// The outbox: every message the system sent (the demo mailbox shows them too).
    #[command(subcommand)]
    Mail(MailCommand),
    /// The citizen records: rebuild the search index, look for duplicates, refresh from
    /// the population register, import a CSV file.
    #[command(subcommand)]
    Crm(CrmCommand),
    /// The audit log: verify its chains and anchors, or anchor it now.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Check a signed PDF: signature, timestamp and chain to the municipality's root.
    Verify {
        /// The PDF to check.
        file: PathBuf,
        /// Trusted roots (PEM); defaults to `<data-dir>/keys/root-ca.pem`.
        #[arg(long)]
        roots: Option<PathBuf>,
    },
}

/// `varoskapu documents …`
#[derive(Debug, Subcommand)]
pub enum DocumentsCommand {
    /// Issue a sample decision through the full pipeline (render, sign, timestamp).
    Sample {
        /// Where to write the signed PDF.
        #[arg(long)]
        out: PathBuf,
    },
}

/// `varoskapu audit …`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check every stream's hash chain and every anchor's signature and timestamp; names
    /// the first broken link and exits 1 if anything was removed, altered or moved.
    Verify {
        /// Trusted roots (PEM); defaults to `<data-dir>/keys/root-ca.pem`.
        #[arg(long)]
        roots: Option<PathBuf>,
    },
    /// Anchor everything written until now: sign and timestamp the heads of the streams
    /// written since the last anchor (the daily anchor is otherwise made automatically).
    Anchor,
}

/// `varoskapu mail …`
#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// List the messages of the outbox, newest first: when, to whom, what, and whether the
    /// SMTP relay delivered it.
    List {
        /// Only the messages that reach this e-mail address.
        #[arg(long)]
        to: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Apply a bounce: a delivery status notification (RFC 3464, as a mail server returns
    /// it) or an Amazon SES notification (JSON). The address is marked on every record that
    /// holds it; a hard bounce or a complaint stops all mail to it.
    Bounces {
        /// The message file.
        file: PathBuf,
    },
}

/// `varoskapu crm …`
#[derive(Debug, Subcommand)]
pub enum CrmCommand {
    /// Rebuild the search index from the table (stop the server first: the index has one
    /// writer).
    Reindex,
    /// Look for duplicate records and queue the new pairs for review in the office.
    Duplicates,
    /// Refresh every identified record from the population register now (moves, changes
    /// of name, deaths) and print `checked N, changed N, failed N`; the server does it
    /// each night (`VAROSKAPU_REGISTRY_REFRESH`). Stop the server first: the index has
    /// one writer.
    Refresh,
    /// Import person records from a CSV file with a header row naming its columns
    /// (family_name and given_name required; birth_name, birth_place, birth_date as
    /// YYYY-MM-DD, mother_birth_name, email, phone, postcode, city, street, number,
    /// card_number, tags separated by `;`). Rows already imported are not imported again;
    /// each refused row is named by line and field on stderr, and the exit status is 1
    /// when any was. Stop the server first: the index has one writer.
    Import {
        /// The CSV file (UTF-8, comma-separated).
        file: PathBuf,
    },
}

/// `varoskapu payments …`
#[derive(Debug, Subcommand)]
pub enum PaymentsCommand {
    /// Import a camt.053 or camt.054 bank statement; importing it again changes nothing.
    Import {
        /// The statement's XML file.
        file: PathBuf,
    },
}
