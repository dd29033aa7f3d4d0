//! `loket gaps`: what the bot could not answer, grouped, for editors.

use crate::clock::parse_moment;
use crate::config::Settings;
use crate::editors::{GAPS_DEFAULT_DAYS, gap_groups};
use crate::knowledge::base::KnowledgeBase;
use crate::knowledge::gaps::GapGroup;
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
    let groups = gap_groups(&store, knowledge, since).await;
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
        let nearest = g
            .nearest_faq
            .as_deref()
            .map_or_else(String::new, |id| format!(", nearest entry: {id}"));
        println!(
            "{}x  (refused {}, \"Nee\" after an answer {}{nearest})",
            g.count, g.abstained, g.feedback_no
        );
        for example in &g.examples {
            println!("      \"{example}\"");
        }
    }
}
