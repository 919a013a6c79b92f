//! `bootstrap`: the one step after a first deploy, which seeds nothing. It creates the
//! first administrator and imports the municipality's case types; run again, it finds the
//! administrator (printing no password) and leaves unchanged case types alone.

use crate::users::PasswordSource;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use varoskapu_accounts::{AccountError, Accounts, Role};
use varoskapu_core::cases::CaseStore;

/// The options of `bootstrap`.
#[derive(Debug, Clone, clap::Args)]
pub struct BootstrapArgs {
    /// The first administrator's e-mail address (counts as verified).
    #[arg(long)]
    pub admin_email: String,
    /// The administrator's name as documents and audit entries show it.
    #[arg(long, default_value = "Rendszergazda")]
    pub admin_name: String,
    /// Read the administrator's password from stdin instead of generating one.
    #[arg(long)]
    pub password_stdin: bool,
    /// The municipality's case types (a JSON list, as `case-types import` takes).
    #[arg(long)]
    pub case_types: PathBuf,
}

/// Runs `bootstrap`: checks the catalogue first (nothing is written if it is refused),
/// creates the administrator unless the address has one, imports the case types.
pub async fn bootstrap(
    accounts: &Accounts,
    store: &CaseStore,
    args: BootstrapArgs,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let types = crate::case_types::parse_catalogue(&crate::read_file(&args.case_types)?)?;
    match accounts.find_by_email(&args.admin_email).await? {
        Some(existing) if existing.roles.contains(&Role::Admin) => {
            writeln!(out, "administrator {} exists already", existing.email)?;
        }
        Some(existing) => anyhow::bail!(
            "{} has an account without the admin role; choose another address or give it \
             the role",
            existing.email
        ),
        None => {
            let source = PasswordSource::from_options(None, args.password_stdin);
            let (password, generated) = source.resolve(input)?;
            let created = crate::users::add(
                accounts,
                args.admin_email.clone(),
                args.admin_name,
                vec![Role::Admin],
                password.clone(),
            )
            .await;
            match created {
                Ok(account) => {
                    writeln!(
                        out,
                        "administrator {} created (sub: {})",
                        account.email, account.id
                    )?;
                    if generated {
                        writeln!(out, "initial password (shown only now): {password}")?;
                    }
                }
                // A bootstrap running at the same moment created it first.
                Err(e) if matches!(e.downcast_ref(), Some(AccountError::EmailTaken)) => {
                    writeln!(out, "administrator {} exists already", args.admin_email)?;
                }
                Err(e) => return Err(e),
            }
        }
    }
    let report = crate::case_types::import(store, &types).await?;
    crate::case_types::write_report(&report, false, out)
}
