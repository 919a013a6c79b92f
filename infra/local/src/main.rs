//! `varoskapu`: the local server and the operators' commands.

use clap::Parser;
use varoskapu_http::logging::{LogFormat, init};
use varoskapu_local::cli::{
    AuditCommand, Cli, Command, DocumentsCommand, MailCommand, PaymentsCommand,
};
use varoskapu_local::relay::RelayConfig;
use varoskapu_local::{ServeConfig, serve_relaying};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    init(LogFormat::detect());
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            // Parsed before anything starts: a bad setting stops start-up, naming it.
            let relay = cli
                .serve
                .smtp_url
                .as_deref()
                .filter(|url| !url.trim().is_empty())
                .map(|url| RelayConfig::parse(url, cli.serve.smtp_from.as_deref()))
                .transpose()?;
            let server = serve_relaying(
                ServeConfig {
                    data_dir: cli.serve.data_dir,
                    addr: cli.serve.addr,
                },
                cli.serve.demo,
                relay,
            )
            .await?;
            println!(
                "Városkapu is serving on {} (docs: {}/docs)",
                server.url(),
                server.url()
            );
            server.run_until(shutdown_signal()).await?;
            Ok(())
        }
        Command::Clients(command) => {
            varoskapu_local::identity_cli::clients(&cli.serve.data_dir, command).await
        }
        Command::Users(command) => {
            varoskapu_local::identity_cli::users(&cli.serve.data_dir, command).await
        }
        Command::Keys(command) => {
            varoskapu_local::identity_cli::keys(&cli.serve.data_dir, command).await
        }
        Command::CaseTypes(command) => {
            let ports =
                varoskapu_local::LocalPorts::open(&cli.serve.data_dir, "http://127.0.0.1:8080")?;
            let store = varoskapu_core::cases::CaseStore::new(ports.table);
            varoskapu_operator::case_types::run(&store, command, &mut std::io::stdout()).await
        }
        Command::Offices(command) => {
            let ports =
                varoskapu_local::LocalPorts::open(&cli.serve.data_dir, "http://127.0.0.1:8080")?;
            let tz = varoskapu_core::appointments::budapest()
                .ok_or_else(|| anyhow::anyhow!("the Europe/Budapest time zone is missing"))?;
            let store = varoskapu_core::appointments::AppointmentStore::new(ports.table, tz);
            varoskapu_operator::offices::run(&store, command, &mut std::io::stdout()).await
        }
        Command::Documents(DocumentsCommand::Sample { out }) => {
            let data_dir = cli.serve.data_dir;
            let document = varoskapu_documents::issue_sample(&data_dir, &out).await?;
            println!(
                "{}",
                varoskapu_documents::sample::describe(&document, &out, &data_dir)
            );
            Ok(())
        }
        Command::Mail(MailCommand::List { to, limit }) => {
            let ports =
                varoskapu_local::LocalPorts::open(&cli.serve.data_dir, "http://127.0.0.1:8080")?;
            varoskapu_local::mailbox::list(&ports, to.as_deref(), limit, &mut std::io::stdout())
                .await
        }
        Command::Mail(MailCommand::Bounces { file }) => {
            let report = varoskapu_local::crm::bounces(&cli.serve.data_dir, &file).await?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(())
        }
        Command::Crm(command) => {
            let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
            let code =
                varoskapu_local::crm::run(&cli.serve.data_dir, command, &mut out, &mut err).await?;
            if code != 0 {
                std::process::exit(code);
            }
            Ok(())
        }
        Command::Payments(PaymentsCommand::Import { file }) => {
            let summary = varoskapu_local::import_statement(&cli.serve.data_dir, &file).await?;
            println!("{}", serde_json::to_string_pretty(&summary)?);
            Ok(())
        }
        Command::Audit(AuditCommand::Verify { roots }) => {
            let report =
                varoskapu_local::cases::audit_verify(&cli.serve.data_dir, roots.as_deref()).await?;
            println!("{report}");
            if !report.is_intact() {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Audit(AuditCommand::Anchor) => {
            match varoskapu_local::cases::audit_anchor(&cli.serve.data_dir).await? {
                Some(anchor) => println!(
                    "anchor {} made: {} streams up to {}",
                    anchor.body.sequence,
                    anchor.body.heads.len(),
                    anchor.body.cutoff
                ),
                None => println!("nothing to anchor: every entry is already anchored"),
            }
            Ok(())
        }
        Command::Verify { file, roots } => {
            let roots = roots.unwrap_or_else(|| {
                varoskapu_documents::LocalKeys::root_pem_path(&cli.serve.data_dir)
            });
            let verdict = varoskapu_documents::verify::verify_file(&file, &roots)?;
            println!("{verdict}");
            if !verdict.is_valid() {
                std::process::exit(1);
            }
            Ok(())
        }
    }
}

/// Ctrl-C or SIGTERM (what systemd and container runtimes send).
async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
    tracing::info!("shutting down");
}
