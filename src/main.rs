//! The `loket` binary: parse the command line and dispatch, nothing else.

use clap::Parser;
use loket::cli::{Cli, Command, ConfigCommand};
use loket::clock::{Clock, SystemClock};
use loket::config::Settings;
use loket::knowledge::base::KnowledgeBase;
use std::process::ExitCode;
use std::sync::Arc;

/// mimalloc instead of glibc's malloc: under load glibc's allocator took a
/// fifth of the service's CPU (`perf`: `_int_malloc`, `malloc_consolidate`,
/// `_int_free` across threads), as every request, JSON value and SQLite
/// row allocates; mimalloc's per-thread heaps make that cheap.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if prints_for_a_reader(&cli.command) {
        stop_quietly_on_broken_pipe();
    }
    loket::telemetry::init();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Commands whose output a person reads, often through a pipe (`loket
/// eval tests/eval/dev.jsonl | head`).
fn prints_for_a_reader(command: &Command) -> bool {
    matches!(
        command,
        Command::Hours(_)
            | Command::Ask(_)
            | Command::Eval(_)
            | Command::Lint(_)
            | Command::Gaps(_)
            | Command::Report(_)
            | Command::Usage(_)
    )
}

/// When the reader of the pipe goes away, stop quietly as any Unix tool
/// does, instead of panicking on the broken pipe with a backtrace. Rust
/// ignores SIGPIPE for the whole process; `serve` keeps that, since it
/// writes to sockets whose peers may leave.
#[cfg(unix)]
fn stop_quietly_on_broken_pipe() {
    // SAFETY: called first thing on the main thread, before any other
    // thread exists; it only restores the default action of one signal.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(unix))]
fn stop_quietly_on_broken_pipe() {}

/// Loads the knowledge base for a command; errors in files are printed to
/// standard error (with file and line) and the rest is used.
fn load_knowledge(settings: &Settings) -> anyhow::Result<KnowledgeBase> {
    let knowledge = KnowledgeBase::load(&settings.knowledge_dir)?;
    for problem in knowledge.problems.iter().filter(|p| p.is_error()) {
        eprintln!("{problem}");
    }
    Ok(knowledge)
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let clock = SystemClock;
    let today = |settings: &Settings| {
        clock
            .now()
            .with_timezone(&settings.hours.timezone())
            .date_naive()
    };
    match cli.command {
        Command::Serve => {
            let settings = Settings::load_from_env()?;
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(async {
                let app = loket::startup::start(settings, Arc::new(clock)).await?;
                app.run_until_stopped().await
            })?;
        }
        Command::Simulate(args) => {
            let settings = Settings::load_from_env()?;
            let knowledge = load_knowledge(&settings)?;
            loket::cli::simulate::run(&args, &settings, &knowledge, clock.now())?;
        }
        Command::Ask(args) => {
            let settings = Settings::load_from_env()?;
            let knowledge = load_knowledge(&settings)?;
            loket::cli::ask::run(&args, &settings, &knowledge, clock.now())?;
        }
        Command::Eval(args) => {
            let settings = Settings::load_from_env()?;
            let knowledge = load_knowledge(&settings)?;
            if !loket::cli::eval::run(&args, &settings, &knowledge, today(&settings))? {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Hours(args) => {
            let settings = Settings::load_from_env()?;
            loket::cli::hours::run(&args, &settings, today(&settings))?;
        }
        Command::Lint(args) => {
            let settings = Settings::load_from_env()?;
            return Ok(ExitCode::from(loket::cli::lint::run(&args, &settings)?));
        }
        Command::Gaps(args) => {
            let settings = Settings::load_from_env()?;
            let knowledge = load_knowledge(&settings)?;
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(loket::cli::gaps::run(
                &args,
                &settings,
                &knowledge,
                clock.now(),
            ))?;
        }
        Command::Report(args) => {
            let settings = Settings::load_from_env()?;
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(loket::cli::report::run(&args, &settings, clock.now()))?;
        }
        Command::Usage(args) => {
            let settings = Settings::load_from_env()?;
            let knowledge = load_knowledge(&settings)?;
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(loket::cli::usage::run(
                &args,
                &settings,
                &knowledge,
                clock.now(),
            ))?;
        }
        Command::Purge(args) => {
            let settings = Settings::load_from_env()?;
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(loket::cli::forget::purge(&args, &settings, &clock))?;
        }
        Command::Forget(args) => {
            let settings = Settings::load_from_env()?;
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(loket::cli::forget::forget(&args, &settings, &clock))?;
        }
        Command::Export(args) => {
            let settings = Settings::load_from_env()?;
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(loket::cli::export::run(&args, &settings, &clock))?;
        }
        Command::User { command } => {
            let settings = Settings::load_from_env()?;
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(loket::cli::user::run(&command, &settings, clock.now()))?;
        }
        Command::Config {
            command: ConfigCommand::Check,
        } => loket::cli::config_check()?,
    }
    Ok(ExitCode::SUCCESS)
}
