//! `varoskapu-aws`: the operators' commands against a deployed stack. A composition like
//! the Lambda one: it resolves the stack's resources (CloudFormation), builds the AWS
//! ports and runs the same commands as the local `varoskapu` (varoskapu-operator) on them,
//! plus what only a deployment has: KMS token keys, the document-signing certificate.

pub mod cli;
pub mod crm;
pub mod documents;
pub mod keys;
pub mod payments;
pub mod sites;
pub mod stack;

use cli::{Cli, Command, CrmCommand, DocumentsCommand, KeysCommand, PaymentsCommand};
use stack::{Stack, logical, parameter};
use std::io::{BufRead, Write};
use std::sync::Arc;
use varoskapu_accounts::Accounts;
use varoskapu_core::appointments::AppointmentStore;
use varoskapu_core::cases::CaseStore;
use varoskapu_core::{Clock, SystemClock, Table};
use varoskapu_idp::ClientRegistry;

/// The stack's table, as the functions see it.
fn table(stack: &Stack) -> anyhow::Result<Arc<dyn Table>> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    Ok(Arc::new(stack.aws_config()?.table(&stack.sdk, clock)))
}

/// The account use cases on the stack's table; operators' commands mail no one.
fn accounts(stack: &Stack, table: Arc<dyn Table>) -> Accounts {
    Accounts::with_outbox(table, Arc::new(SystemClock), &stack.public_url())
}

/// Runs one command; `input` is where passwords are read from, `out` gets the report.
pub async fn run(cli: Cli, input: &mut dyn BufRead, out: &mut dyn Write) -> anyhow::Result<()> {
    let stack = Stack::resolve(&cli.stack).await?;
    match cli.command {
        Command::Clients(command) => {
            let registry = ClientRegistry::new(table(&stack)?, Arc::new(SystemClock));
            varoskapu_operator::clients::run(&registry, command, out).await
        }
        Command::Users(command) => {
            let table = table(&stack)?;
            let accounts = accounts(&stack, table.clone());
            let store = CaseStore::new(table);
            varoskapu_operator::users::run(&accounts, &store, command, input, out).await
        }
        Command::CaseTypes(command) => {
            let store = CaseStore::new(table(&stack)?);
            varoskapu_operator::case_types::run(&store, command, out).await
        }
        Command::Offices(command) => {
            let tz = varoskapu_core::appointments::budapest()
                .ok_or_else(|| anyhow::anyhow!("the Europe/Budapest time zone is missing"))?;
            let store = AppointmentStore::new(table(&stack)?, tz);
            varoskapu_operator::offices::run(&store, command, out).await
        }
        Command::Bootstrap(args) => {
            let table = table(&stack)?;
            let accounts = accounts(&stack, table.clone());
            let store = CaseStore::new(table.clone());
            varoskapu_operator::bootstrap(&accounts, &store, args.common, input, out).await?;
            let registry = ClientRegistry::new(table, Arc::new(SystemClock));
            let secrets = aws_sdk_secretsmanager::Client::new(&stack.sdk);
            let sites = [
                (
                    sites::PORTAL,
                    logical::PORTAL_CLIENT_SECRET,
                    "--portal-client-secret",
                    args.rotate_portal_secret,
                ),
                (
                    sites::OFFICE,
                    logical::OFFICE_CLIENT_SECRET,
                    "--office-client-secret",
                    args.rotate_office_secret,
                ),
            ];
            for (site, logical_id, option, rotate) in sites {
                // A stack of an older template, or none named: no site to register for.
                let Ok(secret) = stack.resource(logical_id) else {
                    writeln!(
                        out,
                        "no {} client secret (the stack's {logical_id}, or {option}): the {}'s \
                         client is not registered",
                        site.label, site.label
                    )?;
                    continue;
                };
                sites::ensure_client(
                    &registry,
                    &secrets,
                    &site,
                    secret,
                    &stack.portal_url()?,
                    rotate,
                    out,
                )
                .await?;
            }
            Ok(())
        }
        Command::Payments(PaymentsCommand::Import { file }) => {
            let xml = varoskapu_operator::read_file(&file)?;
            let summary = payments::import(&stack, &xml).await?;
            writeln!(out, "{}", serde_json::to_string_pretty(&summary)?)?;
            Ok(())
        }
        Command::Crm(CrmCommand::Reindex {
            no_wait,
            request,
            timeout,
        }) => {
            let requests = varoskapu_core::crm::rebuild::RebuildRequests::new(
                table(&stack)?,
                Arc::new(SystemClock),
                Arc::new(varoskapu_core::UuidV7Ids),
            );
            let wait = (!no_wait).then(|| std::time::Duration::from_secs(timeout));
            crm::reindex(&requests, request, wait, out).await
        }
        Command::Keys(KeysCommand::Rotate) => {
            let kms = aws_sdk_kms::Client::new(&stack.sdk);
            keys::rotate(&kms, &stack, out).await?;
            Ok(())
        }
        Command::Documents(DocumentsCommand::Csr { subject, out: file }) => {
            let kms = aws_sdk_kms::Client::new(&stack.sdk);
            let name = subject.name(stack.parameter(parameter::MUNICIPALITY_NAME))?;
            let key = stack.resource(logical::DOCUMENT_SIGNING_KEY)?;
            let pem = documents::csr(&kms, key, name).await?;
            match file {
                Some(path) => {
                    std::fs::write(&path, &pem)
                        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
                    writeln!(out, "certificate request written to {}", path.display())?;
                }
                None => write!(out, "{pem}")?,
            }
            Ok(())
        }
        Command::Documents(DocumentsCommand::InstallChain { file }) => {
            let pem = varoskapu_operator::read_file(&file)?;
            let kms = aws_sdk_kms::Client::new(&stack.sdk);
            let ssm = aws_sdk_ssm::Client::new(&stack.sdk);
            let key = stack.resource(logical::DOCUMENT_SIGNING_KEY)?;
            let name = stack.signing_chain_parameter()?;
            let (certificates, tier) =
                documents::install_chain(&kms, &ssm, key, &name, &pem).await?;
            let leaf = &certificates[0].tbs_certificate;
            writeln!(
                out,
                "installed {} certificates in {name} ({} tier): signing certificate {}, \
                 valid until {}",
                certificates.len(),
                tier.as_str(),
                leaf.subject,
                leaf.validity.not_after
            )?;
            Ok(())
        }
    }
}
