//! `loket-loadgen`: the load generator, a binary of the test kit so that
//! the server binary carries neither it nor the fake Graph API (ADR 0019).
//! Parse the command line, load the configuration, run, nothing else.

use clap::Parser;
use loket::config::Settings;
use loket_testkit::loadgen::cli::{self, LoadgenArgs};
use std::process::ExitCode;

/// The server's allocator, so that a service run in this process (the
/// default mode) is measured as `loket serve` runs (see the server's
/// `main.rs` for why mimalloc).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = LoadgenArgs::parse();
    // Warnings only: the service's info lines would drown the figures.
    loket::telemetry::init_with_default("warn");
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        // Replies were lost or duplicated: the figures say how many.
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &LoadgenArgs) -> anyhow::Result<bool> {
    let settings = Settings::load_from_env()?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(cli::run(args, &settings))
}
