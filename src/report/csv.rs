//! The report as CSV for spreadsheets: one line per day, per ISO week and
//! the total. The one renderer of `loket report --csv` and of the reports
//! page's download (`GET /api/report/csv`), so both give the same bytes
//! for the same range.
//!
//! Columns: the contacts per channel follow `contacts` (one column per
//! [`Channel`], zero when none came in on it). Top answers are listed by
//! id in `top_faq` (ids stay stable when a title is reworded, so sheets of
//! different months line up) and, in the same order, by title in
//! `top_faq_titles` (empty for an answer no longer in the knowledge base).

use super::Report;
use crate::domain::Channel;
use std::fmt::Write;

fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

fn opt<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// The CSV of `report`, header first, lines ending in `\n`.
pub fn render(report: &Report) -> String {
    let mut out = String::from("kind,period,from,to,contacts");
    for channel in Channel::ALL {
        out.push(',');
        out.push_str(channel.as_str());
    }
    out.push_str(
        ",outside_hours,bot_one_go,bot_exchange,handed_over,in_progress,replies,first_reply_median_secs,first_reply_p90_secs,closed,handling_median_secs,deadline_due,deadline_met,top_topics,top_faq,top_faq_titles\n",
    );
    let lines = report
        .days
        .iter()
        .map(|r| ("day", r))
        .chain(report.weeks.iter().map(|r| ("week", r)))
        .chain([("total", &report.total)]);
    for (kind, r) in lines {
        let topics: Vec<String> = r
            .top_topics
            .iter()
            .map(|t| format!("{}:{}", t.topic, t.count))
            .collect();
        let faq: Vec<String> = r
            .top_faq
            .iter()
            .map(|f| {
                format!(
                    "{}:{}:{}:{}",
                    f.faq_id, f.answered, f.feedback_yes, f.feedback_no
                )
            })
            .collect();
        let titles: Vec<&str> = r
            .top_faq
            .iter()
            .map(|f| f.title.as_deref().unwrap_or_default())
            .collect();
        let _ = write!(
            out,
            "{kind},{},{},{},{}",
            r.period, r.from, r.to, r.contacts
        );
        for channel in Channel::ALL {
            let count = r
                .contacts_by_channel
                .get(channel.as_str())
                .copied()
                .unwrap_or(0);
            let _ = write!(out, ",{count}");
        }
        let _ = writeln!(
            out,
            ",{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            r.outside_hours,
            r.bot_one_go,
            r.bot_exchange,
            r.handed_over,
            r.in_progress,
            r.replies,
            opt(r.first_reply_median_secs),
            opt(r.first_reply_p90_secs),
            r.closed,
            opt(r.handling_median_secs),
            r.deadline_due,
            r.deadline_met,
            field(&topics.join("; ")),
            field(&faq.join("; ")),
            field(&titles.join("; ")),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::build;
    use crate::report::fixture::{date, one_day};

    #[test]
    fn lines_carry_the_figures_per_channel_and_answer_titles() {
        let mut report = build(date(23), date(24), &one_day());
        report.total.top_faq[0].title = Some("Paspoort \"snel\", aanvragen".to_owned());
        let csv = render(&report);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 5, "header, two days, a week, total: {csv}");
        let starts = [
            "kind,period,from,to,contacts,whatsapp,web,outside_hours,",
            "day,2026-11-23,2026-11-23,2026-11-23,8,6,2,2,6,0,2,0,",
            "day,2026-11-24,2026-11-24,2026-11-24,0,0,0,0,",
        ];
        for (line, start) in lines.iter().zip(starts) {
            assert!(line.starts_with(start), "{line} should start with {start}");
        }
        let quoted =
            ",\"afval, grof:2\",paspoort-kosten:4:1:0,\"Paspoort \"\"snel\"\", aanvragen\"";
        assert!(lines[4].ends_with(quoted), "{}", lines[4]);
        // The day's answer has no title here: an empty field, not a missing one.
        assert!(
            lines[1].ends_with(",paspoort-kosten:4:1:0,"),
            "{}",
            lines[1]
        );
        let columns = lines[0].split(',').count();
        assert_eq!(lines[2].split(',').count(), columns);
        assert!(csv.ends_with('\n'));
    }
}
