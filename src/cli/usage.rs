//! `loket usage`: how often each answer was given, the "Ja" and "Nee" it
//! got, when it was last given, and the answers nobody received lately.

use crate::clock::parse_moment;
use crate::config::Settings;
use crate::editors::{USAGE_DEFAULT_DAYS, usage_report};
use crate::knowledge::base::KnowledgeBase;
use crate::knowledge::usage::{EntryUsage, UNUSED_AFTER_DAYS, UsageReport};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use clap::Args;

/// `loket usage`
#[derive(Debug, Args)]
pub struct UsageArgs {
    /// Count from this day or moment on (default: the last 30 days).
    #[arg(long)]
    pub since: Option<String>,
    /// One JSON object (entries and unused) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Prints the usage report.
pub async fn run(
    args: &UsageArgs,
    settings: &Settings,
    knowledge: &KnowledgeBase,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let tz = settings.hours.timezone();
    let since = match &args.since {
        Some(text) => parse_moment(text, tz).map_err(anyhow::Error::msg)?,
        None => now - chrono::Duration::days(USAGE_DEFAULT_DAYS),
    };
    let store = crate::cli::open_store(settings).await?;
    let report = usage_report(&store, knowledge, since, now, tz).await;
    store.close().await;
    let report = report?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render(&report, tz));
    }
    Ok(())
}

fn moment(at: Option<DateTime<Utc>>, tz: Tz) -> String {
    at.map_or_else(
        || "never".to_owned(),
        |at| at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
    )
}

fn line(row: &EntryUsage, tz: Tz) -> String {
    let title = row
        .title
        .as_deref()
        .unwrap_or("(no longer in the knowledge base)");
    format!(
        "{:>8} {:>5} {:>5}  {:<16}  {} ({}) {title}\n",
        row.answered,
        row.helpful,
        row.not_helpful,
        moment(row.last_used_at, tz),
        row.faq_id,
        row.lang.code()
    )
}

/// The report as text, one entry per line.
pub fn render(report: &UsageReport, tz: Tz) -> String {
    let mut out = format!(
        "Answers given from {} to {}, most given first:\n\n{:>8} {:>5} {:>5}  {:<16}  entry\n",
        report.since, report.until, "answered", "ja", "nee", "last given"
    );
    for row in &report.entries {
        out.push_str(&line(row, tz));
    }
    let cutoff = report.unused_cutoff.with_timezone(&tz).format("%Y-%m-%d");
    if report.unused.is_empty() {
        out.push_str(&format!(
            "\nEvery entry was given in the last {UNUSED_AFTER_DAYS} days (since {cutoff}).\n"
        ));
    } else {
        out.push_str(&format!(
            "\n{} entr{} not given in the last {UNUSED_AFTER_DAYS} days (since {cutoff}): check whether they are still needed or findable.\n",
            report.unused.len(),
            if report.unused.len() == 1 { "y" } else { "ies" }
        ));
        for row in &report.unused {
            out.push_str(&format!(
                "  {:<16}  {} ({}) {}\n",
                moment(row.last_used_at, tz),
                row.faq_id,
                row.lang.code(),
                row.title.as_deref().unwrap_or_default()
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Language;
    use chrono::TimeZone;

    fn row(id: &str, answered: i64, last: Option<DateTime<Utc>>) -> EntryUsage {
        EntryUsage {
            faq_id: id.to_owned(),
            lang: Language::Nl,
            title: Some(format!("Titel {id}")),
            answered,
            helpful: 1,
            not_helpful: 2,
            last_used_at: last,
        }
    }

    #[test]
    fn the_text_shows_counts_office_times_and_the_unused_entries() {
        let tz = chrono_tz::Europe::Amsterdam;
        let last = Utc.with_ymd_and_hms(2026, 11, 24, 9, 5, 0).unwrap();
        let day = last.date_naive();
        let report = UsageReport {
            since: day,
            until: day,
            entries: vec![row("paspoort-kosten", 3, Some(last)), row("afval", 0, None)],
            unused: vec![row("afval", 0, None)],
            unused_cutoff: last - chrono::Duration::days(UNUSED_AFTER_DAYS),
        };
        let text = render(&report, tz);
        assert!(
            text.contains(
                "       3     1     2  2026-11-24 10:05  paspoort-kosten (nl) Titel paspoort-kosten"
            ),
            "{text}"
        );
        assert!(
            text.contains("1 entry not given in the last 90 days (since 2026-08-26)"),
            "{text}"
        );
        assert!(
            text.contains("  never             afval (nl) Titel afval"),
            "{text}"
        );
    }
}
