//! `loket gaps`: what the bot could not answer, grouped, for editors.

use crate::clock::parse_moment;
use crate::config::Settings;
use crate::editors::{GAPS_DEFAULT_DAYS, gap_groups};
use crate::knowledge::base::KnowledgeBase;
use crate::knowledge::gaps::{GapGroup, GroupState};
use chrono::{DateTime, Utc};
use clap::Args;

/// `loket gaps`
#[derive(Debug, Args)]
pub struct GapsArgs {
    /// Only questions from this moment on (default: the last 7 days).
    #[arg(long)]
    pub since: Option<String>,
    /// One JSON array of groups instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Prints the grouped knowledge gaps.
pub async fn run(
    args: &GapsArgs,
    settings: &Settings,
    knowledge: &KnowledgeBase,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let tz = settings.hours.timezone();
    let since = match &args.since {
        Some(text) => parse_moment(text, tz).map_err(anyhow::Error::msg)?,
        None => now - chrono::Duration::days(GAPS_DEFAULT_DAYS),
    };
    let store = crate::cli::open_store(settings).await?;
    let today = now.with_timezone(&tz).date_naive();
    let groups = gap_groups(&store, knowledge, since, today).await;
    store.close().await;
    let groups = groups?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&groups)?);
    } else {
        print_text(&groups, since, tz);
    }
    Ok(())
}

fn print_text(groups: &[GapGroup], since: DateTime<Utc>, tz: chrono_tz::Tz) {
    let since = since.with_timezone(&tz).format("%Y-%m-%d %H:%M");
    if groups.is_empty() {
        println!("No unanswered questions since {since}.");
        return;
    }
    let total: usize = groups.iter().map(|g| g.count).sum();
    println!(
        "{total} unanswered question(s) since {since}, in {} group(s):\n",
        groups.len()
    );
    for g in groups {
        let nearest: Vec<String> = g
            .nearest
            .iter()
            .map(|n| format!("{} {:.2}", n.id, n.score))
            .collect();
        let nearest = if nearest.is_empty() {
            String::new()
        } else {
            format!(", nearest entries: {}", nearest.join(", "))
        };
        let state = match (&g.state, &g.handled) {
            (GroupState::Handled, Some(h)) => format!(", handled by {}", h.by),
            (GroupState::Reopened, Some(h)) => format!(
                ", handled by {}, asked {} more time(s) since",
                h.by, g.new_since_handled
            ),
            _ => String::new(),
        };
        println!(
            "{}x {}  (refused {}, \"Nee\" after an answer {}{nearest}{state})",
            g.count,
            g.language.code(),
            g.abstained,
            g.feedback_no
        );
        for example in &g.examples {
            println!("      \"{example}\"");
        }
    }
}
