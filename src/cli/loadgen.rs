//! `loket loadgen`: load the service with signed webhook traffic and count
//! the replies (see `loadgen` for the engine and README for the figures).

use crate::config::Settings;
use crate::loadgen::{self, Mode, Options};
use clap::Args;
use std::path::PathBuf;
use std::time::Duration;

/// Arguments of `loket loadgen`.
#[derive(Debug, Args)]
pub struct LoadgenArgs {
    /// How long to send, e.g. 10s or 1m.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    pub duration: Duration,
    /// Webhook requests per second; 0 sends as fast as the connections go.
    #[arg(long, default_value_t = 500)]
    pub rate: u32,
    /// Concurrent HTTP connections.
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
    /// Load a running service (base URL, e.g. http://127.0.0.1:8080) instead
    /// of starting one; sign with LOKET_WHATSAPP_APP_SECRET and configure
    /// the service with the fake Graph API URL this prints.
    #[arg(long)]
    pub target: Option<String>,
    /// Database of the service started by the load tool (default: a
    /// temporary SQLite file).
    #[arg(long)]
    pub database_url: Option<String>,
    /// Run the service as a child process (`loket serve`), which reports
    /// its peak memory.
    #[arg(long)]
    pub child: bool,
    /// Crash mode: kill -9 the child service halfway and restart it on the
    /// same database.
    #[arg(long)]
    pub crash: bool,
    /// Crash mode, killing after this long instead of halfway.
    #[arg(long, value_parser = humantime::parse_duration)]
    pub kill_after: Option<Duration>,
    /// `[outbox] send_rate` of the service the load tool starts (1 to 1000).
    #[arg(long, default_value_t = 1000)]
    pub send_rate: u32,
    /// Knowledge base folder of the service the load tool starts.
    #[arg(long)]
    pub knowledge_dir: Option<PathBuf>,
    /// Longest wait for the last replies after sending stops.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    pub drain: Duration,
    /// Address of the load tool's fake Graph API, e.g. 127.0.0.1:9999, so a
    /// `--target` service can be started with its URL beforehand (default:
    /// a free loopback port, printed).
    #[arg(long)]
    pub graph_listen: Option<String>,
    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
}

impl LoadgenArgs {
    /// The engine's options; refuses combinations that cannot work.
    pub fn options(&self) -> anyhow::Result<Options> {
        if !(1..=1000).contains(&self.send_rate) {
            anyhow::bail!(
                "--send-rate {} is out of range; allowed is 1 up to 1000 (as [outbox] send_rate)",
                self.send_rate
            );
        }
        if self.connections == 0 {
            anyhow::bail!("--connections must be at least 1");
        }
        let crash = self.crash || self.kill_after.is_some();
        let mode = match (&self.target, crash || self.child) {
            (Some(_), true) => {
                anyhow::bail!(
                    "--crash, --kill-after and --child start their own service; leave out --target"
                )
            }
            (Some(url), false) => {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    anyhow::bail!(
                        "--target {url:?} is not an http(s) URL; write e.g. http://127.0.0.1:8080"
                    );
                }
                Mode::Target(url.clone())
            }
            (None, true) => Mode::Child {
                kill_after: crash.then(|| self.kill_after.unwrap_or(self.duration / 2)),
            },
            (None, false) => Mode::InProcess,
        };
        if let Some(url) = &self.database_url {
            crate::config::check_database_url(url)
                .map_err(|message| anyhow::anyhow!("--database-url: {message}"))?;
        }
        Ok(Options {
            duration: self.duration,
            rate: self.rate,
            connections: self.connections,
            mode,
            database_url: self.database_url.clone(),
            send_rate: self.send_rate,
            knowledge_dir: self.knowledge_dir.clone(),
            drain: self.drain,
            graph_listen: self.graph_listen.clone(),
        })
    }
}

/// Runs the load test and prints the figures; the result says whether no
/// reply was lost or duplicated (beyond the sends in flight at a kill).
pub async fn run(args: &LoadgenArgs, settings: &Settings) -> anyhow::Result<bool> {
    let options = args.options()?;
    let report = loadgen::run(&options, settings).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.render());
    }
    Ok(report.lost == 0 && report.duplicated <= report.in_flight_at_kill)
}
