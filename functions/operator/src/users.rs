//! `users add|totp|post`: accounts made by operators (the first administrator, clerks,
//! signatories), their e-mail address counting as verified, and the case types of a staff
//! member's post.

use clap::Subcommand;
use serde_json::json;
use std::io::{BufRead, Write};
use varoskapu_accounts::{Account, Accounts, NewAccount, Role};
use varoskapu_core::cases::CaseStore;

/// `… users …`
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create an account whose e-mail address counts as verified. Without `--password` or
    /// `--password-stdin` an initial password is generated and printed, that once.
    Add {
        #[arg(long)]
        email: String,
        /// The password (visible in the process list; prefer `--password-stdin`).
        #[arg(long, conflicts_with = "password_stdin")]
        password: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        #[arg(long)]
        name: String,
        /// citizen, clerk, signatory or admin; repeat for several.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Turn on the authenticator-app second factor; prints the otpauth URI to scan.
    Totp {
        #[arg(long)]
        email: String,
    },
    /// Set the case types of a staff member's post: the office's queue, start page and
    /// diary show her those. Without `--case-type` her post covers every case type. Takes
    /// effect at her next sign-in or token refresh.
    Post {
        #[arg(long)]
        email: String,
        /// A case type's id from the catalogue; repeat for several.
        #[arg(long = "case-type")]
        case_types: Vec<String>,
    },
}

/// Sets the case types of the post of the staff member `email`, each checked against the
/// catalogue in `store` (an unknown id would hide every case of the post).
pub async fn set_post(
    accounts: &Accounts,
    store: &CaseStore,
    email: &str,
    case_types: &[String],
) -> anyhow::Result<Account> {
    let account = accounts
        .find_by_email(email)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no account {email}"))?;
    if !account
        .roles
        .iter()
        .any(|r| matches!(r, Role::Clerk | Role::Signatory))
    {
        anyhow::bail!("{email} is no clerk or signatory: a post is office staff's");
    }
    let known: Vec<String> = store
        .case_types()
        .await?
        .into_iter()
        .map(|t| t.id)
        .collect();
    if let Some(unknown) = case_types
        .iter()
        .find(|t| !known.contains(&t.trim().to_owned()))
    {
        anyhow::bail!(
            "unknown case type {unknown:?} (the catalogue has {})",
            known.join(", ")
        );
    }
    accounts.set_case_types(account.id, case_types).await?;
    Ok(accounts.get(account.id).await?.unwrap_or(account))
}

/// Where a new account's password comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSource {
    Given(String),
    /// The first line of standard input (without its line end).
    Stdin,
    /// A random one, reported once to the operator.
    Generated,
}

impl PasswordSource {
    /// The source the `--password` / `--password-stdin` options name.
    pub fn from_options(password: Option<String>, stdin: bool) -> Self {
        match (password, stdin) {
            (Some(password), _) => Self::Given(password),
            (None, true) => Self::Stdin,
            (None, false) => Self::Generated,
        }
    }

    /// The password, and whether it was generated (so it must be shown once).
    pub fn resolve(self, input: &mut dyn BufRead) -> anyhow::Result<(String, bool)> {
        match self {
            Self::Given(password) => Ok((password, false)),
            Self::Stdin => {
                let mut line = String::new();
                input
                    .read_line(&mut line)
                    .map_err(|e| anyhow::anyhow!("cannot read the password from stdin: {e}"))?;
                let password = line.trim_end_matches(['\r', '\n']).to_owned();
                if password.is_empty() {
                    anyhow::bail!("no password on stdin");
                }
                Ok((password, false))
            }
            Self::Generated => Ok((varoskapu_idp::secrets::random_token(), true)),
        }
    }
}

/// Parses role names as given on the command line.
pub fn parse_roles(names: &[String]) -> anyhow::Result<Vec<Role>> {
    names
        .iter()
        .map(|r| {
            Role::parse(r).ok_or_else(|| {
                anyhow::anyhow!("unknown role {r:?} (citizen, clerk, signatory or admin)")
            })
        })
        .collect()
}

/// Creates an account from an operator's command; the password is checked by the service
/// as any other (`WeakPassword` when too short).
pub async fn add(
    accounts: &Accounts,
    email: String,
    name: String,
    roles: Vec<Role>,
    password: String,
) -> anyhow::Result<Account> {
    Ok(accounts
        .create(NewAccount {
            email,
            password,
            name,
            roles,
        })
        .await?)
}

/// Runs a `users` command on `accounts` (posts checked against the catalogue in `store`);
/// `input` is where `--password-stdin` reads.
pub async fn run(
    accounts: &Accounts,
    store: &CaseStore,
    command: UsersCommand,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match command {
        UsersCommand::Add {
            email,
            password,
            password_stdin,
            name,
            roles,
            json,
        } => {
            let roles = parse_roles(&roles)?;
            let (password, generated) =
                PasswordSource::from_options(password, password_stdin).resolve(input)?;
            let account = add(accounts, email, name, roles, password.clone()).await?;
            let initial = generated.then_some(password);
            if json {
                let mut report = json!({
                    "sub": account.id,
                    "email": account.email,
                    "roles": account.role_names(),
                });
                if let Some(initial) = &initial {
                    report["initial_password"] = json!(initial);
                }
                writeln!(out, "{report}")?;
            } else {
                writeln!(out, "sub: {}", account.id)?;
                if let Some(initial) = &initial {
                    writeln!(out, "initial password (shown only now): {initial}")?;
                }
            }
        }
        UsersCommand::Totp { email } => {
            let account = accounts
                .find_by_email(&email)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no account {email}"))?;
            let secret = accounts.enable_totp(account.id).await?;
            writeln!(
                out,
                "{}",
                varoskapu_accounts::totp::otpauth_uri("Városkapu", &account.email, &secret)
            )?;
        }
        UsersCommand::Post { email, case_types } => {
            let account = set_post(accounts, store, &email, &case_types).await?;
            if account.case_types.is_empty() {
                writeln!(out, "{email}: the post covers every case type")?;
            } else {
                writeln!(
                    out,
                    "{email}: the post covers {}",
                    account.case_types.join(", ")
                )?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_come_from_the_option_stdin_or_are_generated() {
        let mut stdin: &[u8] = b"from-stdin-secret-2026\nrest";
        let given = PasswordSource::from_options(Some("given-secret".into()), false);
        assert_eq!(
            given.resolve(&mut stdin).unwrap(),
            ("given-secret".into(), false)
        );
        let read = PasswordSource::from_options(None, true)
            .resolve(&mut stdin)
            .unwrap();
        assert_eq!(read, ("from-stdin-secret-2026".into(), false));
        let (generated, shown) = PasswordSource::from_options(None, false)
            .resolve(&mut stdin)
            .unwrap();
        assert!(shown && generated.len() >= 40);
        let mut empty: &[u8] = b"\n";
        assert!(PasswordSource::Stdin.resolve(&mut empty).is_err());
    }

    #[test]
    fn unknown_roles_are_refused_by_name() {
        let error = parse_roles(&["clerk".into(), "mayor".into()]).unwrap_err();
        assert!(error.to_string().contains("\"mayor\""));
        assert_eq!(parse_roles(&["admin".into()]).unwrap(), vec![Role::Admin]);
    }
}
