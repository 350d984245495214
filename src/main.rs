//! The `pieces` command line: parse it, hand over to the library.

use clap::Parser;

fn main() -> std::process::ExitCode {
    pieces::cli::main(pieces::cli::Cli::parse())
}
