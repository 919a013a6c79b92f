//! `varoskapu-aws`: the operators' commands against a deployed stack.

use clap::Parser;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = varoskapu_aws_admin::cli::Cli::parse();
    let mut input = std::io::BufReader::new(std::io::stdin());
    let mut out = std::io::stdout();
    match varoskapu_aws_admin::run(cli, &mut input, &mut out).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // The message and its causes, as operators read them (no backtrace).
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
