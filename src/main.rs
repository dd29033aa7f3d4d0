//! The `loket` binary: parse the command line and dispatch, nothing else.

use clap::Parser;
use loket::cli::{Cli, Command, ConfigCommand};
use loket::clock::{Clock, SystemClock};
use loket::config::Settings;
use std::process::ExitCode;
use std::sync::Arc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    loket::telemetry::init();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let clock = SystemClock;
    match cli.command {
        Command::Serve => {
            let settings = Settings::load_from_env()?;
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(async {
                let app = loket::startup::start(settings, Arc::new(clock)).await?;
                app.run_until_stopped().await
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Simulate(args) => {
            let settings = Settings::load_from_env()?;
            loket::cli::simulate::run(&args, &settings, clock.now())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Hours(args) => {
            let settings = Settings::load_from_env()?;
            let today = clock
                .now()
                .with_timezone(&settings.hours.timezone())
                .date_naive();
            loket::cli::hours::run(&args, &settings, today)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Lint(args) => {
            let settings = Settings::load_from_env()?;
            Ok(ExitCode::from(loket::cli::lint::run(&args, &settings)?))
        }
        Command::Config {
            command: ConfigCommand::Check,
        } => {
            loket::cli::config_check()?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
