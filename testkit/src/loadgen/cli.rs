//! The command line of `loket-loadgen`: load the service with signed
//! webhook traffic and count the replies (see [`crate::loadgen`] for the
//! engine and docs/performance.md for the figures).

use super::{Mode, Options, sweep};
use clap::Parser;
use loket::config::Settings;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Load a Loket service with signed webhook traffic; count lost and
/// duplicated replies.
///
/// The service's configuration comes from the config folder and the
/// environment, as for `loket serve` (LOKET_CONFIG_DIR, default config/).
#[derive(Debug, Parser)]
#[command(name = "loket-loadgen", version)]
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
    /// The `loket` binary that --child and --crash start (default: `loket`
    /// next to this program, as `cargo build --release --workspace` puts it).
    #[arg(long, env = "LOKET_BIN")]
    pub loket_bin: Option<PathBuf>,
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
    /// Requests that carry a photo (149 KB, with EXIF, which the service
    /// fetches from the fake Graph API), in percent (0 to 63).
    #[arg(long, default_value_t = super::traffic::DEFAULT_IMAGE_PERCENT)]
    pub images: u32,
    /// Send one document of this many megabytes before the load (e.g. 100
    /// with --child: the service's peak memory shows it is streamed).
    #[arg(long)]
    pub document_mb: Option<u32>,
    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
    /// Run at 8, 32, 128 and 512 connections, each flat out and at 500/s,
    /// one short run per row, and print one table (instead of --rate,
    /// --connections and --duration).
    #[arg(long, conflicts_with_all = ["rate", "connections", "duration", "crash", "kill_after"])]
    pub sweep: bool,
    /// What to load: `whatsapp` (signed webhooks) or `web` (the website
    /// chat: --sessions widget sessions with their live streams, --rate
    /// messages a second over them, --staff colleagues answering).
    #[arg(long, value_enum, default_value_t = Channel::Whatsapp)]
    pub channel: Channel,
    /// With --channel web: widget sessions, each with its stream open.
    #[arg(long, default_value_t = 1000)]
    pub sessions: usize,
    /// With --channel web: staff accounts claiming, answering and closing.
    #[arg(long, default_value_t = 4)]
    pub staff: usize,
    /// With --sweep: how long each row sends, e.g. 3s.
    #[arg(long, default_value = "3s", value_parser = humantime::parse_duration, requires = "sweep")]
    pub row_duration: Duration,
}

/// The channel a run loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Channel {
    Whatsapp,
    Web,
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
        if self.images > super::traffic::MAX_IMAGE_PERCENT {
            anyhow::bail!(
                "--images {} is out of range; allowed is 0 up to {} (percent of requests)",
                self.images,
                super::traffic::MAX_IMAGE_PERCENT
            );
        }
        if self.document_mb == Some(0) || self.document_mb.is_some_and(|mb| mb > 2000) {
            anyhow::bail!("--document-mb must be 1 up to 2000 (megabytes)");
        }
        if self.connections == 0 {
            anyhow::bail!("--connections must be at least 1");
        }
        if self.channel == Channel::Web {
            if self.sweep || self.crash || self.kill_after.is_some() || self.target.is_some() {
                anyhow::bail!(
                    "--channel web starts its own service and runs once; leave out --sweep, --crash, --kill-after and --target"
                );
            }
            if self.sessions == 0 || self.sessions > 20_000 {
                anyhow::bail!("--sessions must be 1 up to 20000");
            }
            if self.staff == 0 || self.staff > 100 {
                anyhow::bail!("--staff must be 1 up to 100");
            }
            if self.rate == 0 {
                anyhow::bail!("--channel web needs a --rate (messages a second), e.g. 50");
            }
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
                loket_bin: self.loket_bin()?,
            },
            (None, false) => Mode::InProcess,
        };
        if let Some(url) = &self.database_url {
            loket::config::check_database_url(url)
                .map_err(|message| anyhow::anyhow!("--database-url: {message}"))?;
        }
        Ok(Options {
            duration: if self.sweep {
                self.row_duration
            } else {
                self.duration
            },
            rate: self.rate,
            connections: self.connections,
            mode,
            database_url: self.database_url.clone(),
            send_rate: self.send_rate,
            knowledge_dir: self.knowledge_dir.clone(),
            drain: self.drain,
            graph_listen: self.graph_listen.clone(),
            image_percent: self.images,
            document_mb: self.document_mb,
        })
    }
}

impl LoadgenArgs {
    /// The `loket` binary for a child service: `--loket-bin`, or `loket`
    /// beside this program. The child must be the server binary operators
    /// run (its peak memory is a published figure), and that binary lives
    /// in the server's crate, not in this one.
    fn loket_bin(&self) -> anyhow::Result<PathBuf> {
        let path = match &self.loket_bin {
            Some(path) => path.clone(),
            None => {
                let me = std::env::current_exe()
                    .map_err(|e| anyhow::anyhow!("finding this program's folder: {e}"))?;
                sibling_loket(&me)
            }
        };
        if !path.is_file() {
            anyhow::bail!(
                "no `loket` binary at {}; build it with `cargo build --release --workspace`, or name one with --loket-bin",
                path.display()
            );
        }
        Ok(path)
    }
}

/// `loket` in the folder of `program`.
fn sibling_loket(program: &Path) -> PathBuf {
    program.with_file_name(format!("loket{}", std::env::consts::EXE_SUFFIX))
}

/// Runs the load test and prints the figures; the result says whether no
/// reply was lost or duplicated (beyond the sends in flight at a kill).
pub async fn run(args: &LoadgenArgs, settings: &Settings) -> anyhow::Result<bool> {
    let options = args.options()?;
    if args.channel == Channel::Web {
        let report = super::web::run(&options, args.sessions, args.staff, settings).await?;
        if args.json {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            print!("{}", report.render());
        }
        return Ok(report.lost == 0 && report.duplicated == 0);
    }
    if args.sweep {
        return run_sweep(args, &options, settings).await;
    }
    let report = super::run(&options, settings).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.render());
    }
    Ok(report.lost == 0 && report.duplicated <= report.in_flight_at_kill)
}

/// `--sweep`: every row, a line of progress on stderr after each, then
/// the table (or the reports as JSON).
async fn run_sweep(
    args: &LoadgenArgs,
    options: &Options,
    settings: &Settings,
) -> anyhow::Result<bool> {
    let rows = sweep::rows();
    let count = rows.len();
    let mut row = 0;
    let reports = sweep::run(options, &rows, settings, |report| {
        row += 1;
        eprintln!(
            "loadgen: row {row} of {count}: {} connections at {}: {:.0} messages/s, webhook p99 {:.1} ms, {} lost",
            report.connections,
            sweep::rate_text(report.target_rate),
            report.messages_per_s,
            report.webhook_p99_ms,
            report.lost
        );
    })
    .await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    } else {
        if let Some(first) = reports.first() {
            println!(
                "loket-loadgen --sweep: {}, {:.1}s per row",
                first.mode, first.duration_s
            );
        }
        print!("{}", sweep::table(&reports));
    }
    Ok(reports
        .iter()
        .all(|r| r.lost == 0 && r.duplicated <= r.in_flight_at_kill))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> LoadgenArgs {
        LoadgenArgs::try_parse_from(std::iter::once("loket-loadgen").chain(args.iter().copied()))
            .expect("arguments parse")
    }

    #[test]
    fn the_child_server_is_loket_beside_the_load_tool() {
        let program = Path::new("/opt/loket/target/release/loket-loadgen");
        assert_eq!(
            sibling_loket(program),
            Path::new("/opt/loket/target/release")
                .join(format!("loket{}", std::env::consts::EXE_SUFFIX))
        );
    }

    #[test]
    fn a_child_run_without_a_server_binary_is_refused_with_how_to_build_one() {
        let dir = tempfile::tempdir().expect("temp dir");
        let missing = dir.path().join("loket");
        let args = parse(&["--crash", "--loket-bin", &missing.display().to_string()]);
        let error = args.options().expect_err("no binary there").to_string();
        // What is missing, and how to build it.
        for said in ["no `loket` binary", "cargo build --release --workspace"] {
            assert!(error.contains(said), "{error}");
        }
    }

    #[test]
    fn a_crash_run_starts_the_named_binary_and_kills_it_halfway_by_default() {
        let dir = tempfile::tempdir().expect("temp dir");
        let server = dir.path().join("loket");
        std::fs::write(&server, "").expect("a file");
        let args = parse(&[
            "--crash",
            "--duration",
            "8s",
            "--loket-bin",
            &server.display().to_string(),
        ]);
        let options = args.options().expect("valid");
        assert_eq!(
            options.mode,
            Mode::Child {
                kill_after: Some(Duration::from_secs(4)),
                loket_bin: server,
            }
        );
    }

    #[test]
    fn a_run_in_process_needs_no_server_binary() {
        let options = parse(&["--loket-bin", "/nowhere/loket"])
            .options()
            .expect("in-process runs start no binary");
        assert_eq!(options.mode, Mode::InProcess);
    }

    #[test]
    fn a_sweep_runs_its_rows_for_the_row_duration() {
        let args = parse(&["--sweep", "--row-duration", "2s"]);
        assert!(args.sweep);
        assert_eq!(
            args.options().expect("valid").duration,
            Duration::from_secs(2)
        );
        assert_eq!(
            parse(&["--sweep"]).options().expect("valid").duration,
            Duration::from_secs(3),
            "a few seconds by default"
        );
    }

    #[test]
    fn a_sweep_chooses_its_own_rates_and_connections() {
        for clash in [
            &["--sweep", "--connections", "64"][..],
            &["--sweep", "--rate", "100"],
            &["--sweep", "--duration", "10s"],
            &["--sweep", "--crash"],
            &["--row-duration", "2s"],
        ] {
            let parsed = LoadgenArgs::try_parse_from(
                std::iter::once("loket-loadgen").chain(clash.iter().copied()),
            );
            assert!(parsed.is_err(), "{clash:?} was accepted");
        }
    }

    #[test]
    fn a_web_run_starts_its_own_service_once_and_needs_a_rate() {
        let web = parse(&["--channel", "web", "--rate", "50"]);
        assert_eq!(web.channel, Channel::Web);
        assert_eq!((web.sessions, web.staff), (1000, 4));
        assert!(web.options().is_ok());
        for refused in [
            &["--channel", "web", "--target", "http://127.0.0.1:8080"][..],
            &["--channel", "web", "--crash"],
            &["--channel", "web", "--sessions", "0"],
            &["--channel", "web", "--rate", "0"],
        ] {
            let error = parse(refused).options().expect_err("refused");
            assert!(error.to_string().contains("--"), "{refused:?}: {error}");
        }
    }

    #[test]
    fn target_and_child_together_are_refused() {
        let error = parse(&["--child", "--target", "http://127.0.0.1:8080"])
            .options()
            .expect_err("both");
        assert!(error.to_string().contains("leave out --target"), "{error}");
    }
}
