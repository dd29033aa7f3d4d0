//! Command-line interface: one module per subcommand, each calling the same
//! library code as the server.

pub mod ask;
pub mod eval;
pub mod export;
pub mod forget;
pub mod gaps;
pub mod hours;
pub mod lint;
pub mod report;
pub mod simulate;
pub mod usage;
pub mod user;

use crate::config::Settings;
use clap::{Parser, Subcommand};

/// Loket: WhatsApp webcare for Dutch public services.
#[derive(Debug, Parser)]
#[command(name = "loket", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the webhook service (config from LOKET_CONFIG_DIR, default config/).
    Serve,
    /// Show what the bot would send for messages from one citizen, without network.
    Simulate(simulate::SimulateArgs),
    /// Print the effective opening hours (holidays and closures included).
    Hours(hours::HoursArgs),
    /// Ask the knowledge base one question: the decision and the top hits.
    Ask(ask::AskArgs),
    /// Measure the FAQ decisions on JSONL eval files (and calibrate thresholds).
    Eval(eval::EvalArgs),
    /// Check the knowledge base (answers, synonyms, data) and the saved replies; exit 1 on any error.
    Lint(lint::LintArgs),
    /// Questions the bot could not answer (or got "Nee" on), grouped by wording.
    Gaps(gaps::GapsArgs),
    /// The team lead's figures per day and ISO week (contacts, bot, waiting times).
    Report(report::ReportArgs),
    /// Per answer: how often given, "Ja"/"Nee" feedback, last given; answers unused for 90 days.
    Usage(usage::UsageArgs),
    /// Delete conversations past the retention period (or older than --older-than).
    Purge(forget::PurgeArgs),
    /// Erase everything about one citizen now, at their request.
    Forget(forget::ForgetArgs),
    /// Write everything stored about one citizen to a JSON file (access request).
    Export(export::ExportArgs),
    /// Staff accounts: add, list, disable.
    User {
        #[command(subcommand)]
        command: user::UserCommand,
    },
    /// Configuration commands.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

/// `loket config ...`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Load and validate the config folder and environment; exit 1 with the problem.
    Check,
}

/// Opens the configured database for a command, naming it (without
/// password) when that fails.
pub async fn open_store(settings: &Settings) -> anyhow::Result<crate::db::Store> {
    crate::db::Store::connect(&settings.database_url)
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "opening the database {}: {e}",
                crate::config::redact_url(&settings.database_url)
            )
        })
}

/// `loket config check`.
pub fn config_check() -> anyhow::Result<()> {
    let settings = Settings::load_from_env()?;
    println!(
        "{}: configuration is valid\n  organisation: {}\n  time zone: {}\n  reply promise: {} working minutes\n  urgent alert: {}\n  database: {}\n  WhatsApp: {}",
        settings.config_dir.display(),
        settings.organisation,
        settings.hours.timezone(),
        settings.hours.promise().num_minutes(),
        if settings.alert_url.is_some() {
            "posted to LOKET_ALERT_URL outside office hours"
        } else {
            "off (LOKET_ALERT_URL not set)"
        },
        crate::config::redact_url(&settings.database_url),
        if settings.secrets.access_token.is_some() && settings.secrets.phone_number_id.is_some() {
            "Graph API credentials set"
        } else {
            "no credentials: replies are printed to the log"
        }
    );
    println!(
        "  client address: {}",
        if settings.trusted_proxies.is_empty() {
            "the TCP peer (no trusted proxies)".to_owned()
        } else {
            format!(
                "{} from {}",
                settings.proxy_header.as_str(),
                settings
                    .trusted_proxies
                    .networks()
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    );
    println!(
        "  staff logins: {}",
        match &settings.sso {
            None => "passwords only (no [sso])".to_owned(),
            Some(sso) => format!(
                "single sign-on at {} as client {}, {} group(s) mapped, groups from the claim {:?}, rechecked every {}; passwords {}",
                sso.issuer,
                sso.client_id,
                sso.roles.len(),
                sso.roles_claim,
                humantime::format_duration(sso.recheck),
                if settings.staff.local_passwords {
                    "too"
                } else {
                    "off"
                }
            ),
        }
    );
    for warning in settings.warnings() {
        eprintln!("warning: {warning}");
    }
    // Saved replies are the editors' files, like the knowledge base: a
    // broken one is left out rather than stopping the service, and named here.
    println!(
        "  saved replies: {} (placeholders {})",
        settings.saved_replies.all().len(),
        crate::config::saved_replies::PLACEHOLDERS
            .map(|(name, _)| format!("{{{name}}}"))
            .join(", ")
    );
    let problems = settings.saved_replies.problems();
    for problem in problems {
        eprintln!("{problem}");
    }
    if problems.iter().any(|p| p.is_error()) {
        anyhow::bail!("a saved reply has an error; fix it (see above) or run `loket lint`");
    }
    Ok(())
}
