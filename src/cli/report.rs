//! `loket report`: the team lead's figures per day and per ISO week, as a
//! table (default), JSON or CSV (`report::csv`, the same as the reports
//! page's download).

use crate::config::Settings;
use crate::domain::Channel;
use crate::report::rollup::Rollup;
use crate::report::{Report, Row};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use clap::Args;
use std::fmt::Write;

/// `loket report`
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// First day, YYYY-MM-DD (default: four weeks before --to).
    #[arg(long)]
    pub from: Option<String>,
    /// Last day, YYYY-MM-DD, included (default: today).
    #[arg(long)]
    pub to: Option<String>,
    /// One JSON object instead of the table.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// CSV (one line per day and per week) instead of the table.
    #[arg(long)]
    pub csv: bool,
}

/// Prints the report.
pub async fn run(args: &ReportArgs, settings: &Settings, now: DateTime<Utc>) -> anyhow::Result<()> {
    print!("{}", output(args, settings, now).await?);
    Ok(())
}

/// What `loket report` prints: the table, the JSON or the CSV of the range
/// asked for, with the answers' titles from the configured knowledge
/// folder (read, not indexed: only the titles are needed).
pub async fn output(
    args: &ReportArgs,
    settings: &Settings,
    now: DateTime<Utc>,
) -> anyhow::Result<String> {
    let today = now.with_timezone(&settings.hours.timezone()).date_naive();
    let (from, to) = crate::report::range(
        args.from.as_deref(),
        args.to.as_deref(),
        today,
        ("--from", "--to"),
    )?;
    let store = crate::cli::open_store(settings).await?;
    let report = crate::report::load(&store, &Rollup::from_settings(settings), from, to, now).await;
    store.close().await;
    let mut report = report?;
    let knowledge = crate::knowledge::load_dir(&settings.knowledge_dir);
    crate::report::name_answers(&mut report, &knowledge.entries);
    Ok(if args.json {
        serde_json::to_string_pretty(&report)? + "\n"
    } else if args.csv {
        crate::report::csv::render(&report)
    } else {
        table(&report)
    })
}

/// A duration as people say it: "45 s", "12 min", "2 u 05 min".
pub fn duration(secs: Option<i64>) -> String {
    match secs {
        None => "–".to_owned(),
        Some(s) if s < 60 => format!("{s} s"),
        Some(s) if s < 3600 => format!("{} min", s / 60),
        Some(s) => format!("{} u {:02} min", s / 3600, (s % 3600) / 60),
    }
}

fn percent(part: i64, share: Option<f64>) -> String {
    match share {
        Some(share) => format!("{part} ({:.0}%)", share * 100.0),
        None => "–".to_owned(),
    }
}

const WEEKDAYS: [&str; 7] = ["ma", "di", "wo", "do", "vr", "za", "zo"];

fn dutch_date(day: NaiveDate) -> String {
    day.format("%d-%m-%Y").to_string()
}

fn day_name(day: NaiveDate) -> String {
    let weekday = WEEKDAYS[day.weekday().num_days_from_monday() as usize];
    format!("{weekday} {}", day.format("%d-%m"))
}

fn week_name(row: &Row) -> String {
    let week = row.from.iso_week();
    format!("week {} ({})", week.week(), week.year())
}

const HEADERS: [&str; 13] = [
    "",
    "contacten",
    "whatsapp",
    "web",
    "buiten kantoortijd",
    "bot direct",
    "bot na gesprek",
    "naar medewerker",
    "loopt nog",
    "wacht mediaan",
    "wacht p90",
    "behandeltijd",
    "op tijd",
];

fn cells(label: String, row: &Row) -> [String; 13] {
    let channel = |channel: Channel| {
        row.contacts_by_channel
            .get(channel.as_str())
            .copied()
            .unwrap_or(0)
            .to_string()
    };
    [
        label,
        row.contacts.to_string(),
        channel(Channel::Whatsapp),
        channel(Channel::Web),
        percent(row.outside_hours, row.outside_hours_share),
        row.bot_one_go.to_string(),
        row.bot_exchange.to_string(),
        row.handed_over.to_string(),
        row.in_progress.to_string(),
        duration(row.first_reply_median_secs),
        duration(row.first_reply_p90_secs),
        duration(row.handling_median_secs),
        match row.deadline_met_share {
            Some(share) => format!(
                "{}/{} ({:.0}%)",
                row.deadline_met,
                row.deadline_due,
                share * 100.0
            ),
            None => "–".to_owned(),
        },
    ]
}

fn render(out: &mut String, rows: &[[String; 13]]) {
    let mut widths = [0usize; 13];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in rows {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
            let pad = w - cell.chars().count();
            if i == 0 {
                line.push_str(cell);
                line.push_str(&" ".repeat(pad));
            } else {
                line.push_str("  ");
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            }
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

/// The human table (Dutch): days, weeks, the total, topics and answers.
pub fn table(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Rapportage WhatsApp en webchat {} t/m {}\n",
        dutch_date(report.from),
        dutch_date(report.to)
    );
    let header = HEADERS.map(str::to_owned);
    let mut rows = vec![header.clone()];
    rows.extend(report.days.iter().map(|r| cells(day_name(r.from), r)));
    let _ = writeln!(out, "Per dag");
    render(&mut out, &rows);
    let mut rows = vec![header];
    rows.extend(report.weeks.iter().map(|r| cells(week_name(r), r)));
    rows.push(cells("totaal".to_owned(), &report.total));
    let _ = writeln!(out, "\nPer week");
    render(&mut out, &rows);
    let _ = writeln!(
        out,
        "\nwacht: kantoortijd van overdracht tot het eerste antwoord van een medewerker (mediaan, en waarbinnen 90%)\nbehandeltijd: mediaan van oppakken tot afsluiten; op tijd: beantwoord voor de beloofde termijn"
    );
    let topics: Vec<String> = report
        .total
        .top_topics
        .iter()
        .map(|t| format!("{} ({})", t.topic, t.count))
        .collect();
    let _ = writeln!(
        out,
        "Meest gekozen onderwerpen bij afsluiten: {}",
        if topics.is_empty() {
            "–".to_owned()
        } else {
            topics.join(", ")
        }
    );
    if !report.total.top_faq.is_empty() {
        let faq: Vec<String> = report
            .total
            .top_faq
            .iter()
            .map(|f| {
                format!(
                    "{} ({}x, ja {}, nee {})",
                    f.title.as_deref().unwrap_or(&f.faq_id),
                    f.answered,
                    f.feedback_yes,
                    f.feedback_no
                )
            })
            .collect();
        let _ = writeln!(out, "Meest gegeven antwoorden: {}", faq.join(", "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::build;
    use crate::report::fixture::{date, one_day};

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(None), "–");
        assert_eq!(duration(Some(45)), "45 s");
        assert_eq!(duration(Some(12 * 60 + 59)), "12 min");
        assert_eq!(duration(Some(2 * 3600 + 5 * 60)), "2 u 05 min");
    }

    #[test]
    fn ranges_default_to_four_weeks_and_bad_dates_say_what_to_write() {
        let today = date(22);
        let flags = ("--from", "--to");
        assert_eq!(
            crate::report::range(None, None, today, flags).expect("range"),
            (date(22) - chrono::Days::new(27), date(22))
        );
        let error =
            crate::report::range(Some("23-11-2026"), None, today, flags).expect_err("bad date");
        assert!(error.to_string().contains("--from"), "{error}");
        assert!(error.to_string().contains("YYYY-MM-DD"), "{error}");
        assert!(error.dutch().contains("JJJJ-MM-DD"));
        assert!(
            crate::report::range(Some("2026-11-23"), Some("2026-11-20"), today, flags).is_err()
        );
    }

    #[test]
    fn the_table_carries_the_figures_channels_and_answer_titles() {
        let mut report = build(date(23), date(24), &one_day());
        report.total.top_faq[0].title = Some("Wat kost een paspoort?".to_owned());
        let text = table(&report);
        assert!(text.contains("ma 23-11"), "{text}");
        assert!(text.contains("2 (25%)"), "{text}");
        assert!(text.contains("week 48 (2026)"), "{text}");
        assert!(text.contains("afval, grof (2)"), "{text}");
        assert!(
            text.contains("Meest gegeven antwoorden: Wat kost een paspoort? (4x, ja 1, nee 0)"),
            "{text}"
        );
        assert!(
            !text.contains("paspoort-kosten"),
            "the id is not shown: {text}"
        );
        let header = text
            .lines()
            .find(|l| l.contains("contacten"))
            .expect("header");
        assert!(
            header.contains("whatsapp") && header.contains("web"),
            "{header}"
        );
    }
}
