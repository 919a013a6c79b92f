//! `varoskapu`: the local server and the operators' commands.

use clap::Parser;
use varoskapu_http::logging::{LogFormat, init};
use varoskapu_local::cli::{Cli, Command};
use varoskapu_local::{ServeConfig, serve};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    init(LogFormat::detect());
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let server = serve(ServeConfig {
                data_dir: cli.serve.data_dir,
                addr: cli.serve.addr,
            })
            .await?;
            println!(
                "Városkapu is serving on {} (docs: {}/docs)",
                server.url(),
                server.url()
            );
            server.run_until(shutdown_signal()).await?;
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
