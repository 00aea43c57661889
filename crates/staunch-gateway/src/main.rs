//! The `staunch` binary: parses the command line and calls the library.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser as _;
use staunch_gateway::{Cli, Command};

/// mimalloc: the proxy path allocates and frees small blocks (header maps,
/// buffers, futures) on every request, across worker threads.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    staunch_gateway::cli::init_logging();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => {
            let runtime = tokio::runtime::Runtime::new().context("cannot start the runtime")?;
            let report = runtime.block_on(staunch_gateway::serve(args.source()))?;
            if !report.is_clean() {
                eprintln!(
                    "stopped; {} connection(s) cut at the end of the drain",
                    report.forced
                );
            }
            Ok(())
        }
        Command::CheckConfig { file } => {
            let text = staunch_gateway::check_config(&file)
                .with_context(|| format!("{} is not a valid configuration", file.display()))?;
            print!("{text}");
            Ok(())
        }
    }
}
