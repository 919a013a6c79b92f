//! `varoskapu-aws`: the operators' commands against a deployed stack.

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = varoskapu_aws_admin::cli::Cli::parse();
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut out = std::io::stdout();
    varoskapu_aws_admin::run(cli, &mut input, &mut out).await
}
