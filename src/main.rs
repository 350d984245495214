//! The `pieces` command line: parse it, hand over to the library.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    pieces::telemetry::init();
    pieces::cli::run(pieces::cli::Cli::parse()).await
}
