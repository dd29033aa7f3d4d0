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
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Loads the knowledge base for a command; file problems are printed to
/// standard error (with file and line) and the rest is used.
fn load_knowledge(settings: &Settings) -> anyhow::Result<loket::knowledge::base::KnowledgeBase> {
    let knowledge = loket::knowledge::base::KnowledgeBase::load(&settings.knowledge_dir)?;
    for problem in knowledge.problems.iter().filter(|p| p.severity == loket::knowledge::Severity::Error) {
        eprintln!("{problem}");
    }
    Ok(knowledge)
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let clock = SystemClock;
    match cli.command {
        Command::Serve => {
            let settings = Settings::load_from_env()?;
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(async {
                let app = loket::startup::start(settings, Arc::new(clock)).await?;
                app.run_until_stopped().await
            })
        }
        Command::Simulate(args) => {
            let settings = Settings::load_from_env()?;
            let knowledge = load_knowledge(&settings)?;
            loket::cli::simulate::run(&args, &settings, &knowledge, clock.now())
        }
        Command::Ask(args) => {
            let settings = Settings::load_from_env()?;
            let knowledge = load_knowledge(&settings)?;
            loket::cli::ask::run(&args, &settings, &knowledge, clock.now())
        }
        Command::Eval(args) => {
            let settings = Settings::load_from_env()?;
            let knowledge = load_knowledge(&settings)?;
            let today = clock.now().with_timezone(&settings.hours.timezone()).date_naive();
            if loket::cli::eval::run(&args, &settings, &knowledge, today)? {
                Ok(())
            } else {
                anyhow::bail!("the eval floor does not hold")
            }
        }
        Command::Hours(args) => {
            let settings = Settings::load_from_env()?;
            let today = clock
                .now()
                .with_timezone(&settings.hours.timezone())
                .date_naive();
            loket::cli::hours::run(&args, &settings, today)
        }
        Command::Config {
            command: ConfigCommand::Check,
        } => loket::cli::config_check(),
    }
}
