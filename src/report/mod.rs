//! The team lead's report: per day and per ISO week, how many contacts came
//! in, how many the bot settled, how long people waited for a person.
//!
//! Figures come from anonymous daily tables (`db::reports`) that
//! [`rollup`] fills from the conversations and that outlive the retention
//! purge. [`build`] turns the stored rows of a date range into a
//! [`Report`]; it is pure, so the CLI, the API and the page share it.
//!
//! Percentiles are nearest-rank (the p90 of 10 waits is the 9th shortest),
//! so every figure shown is a wait somebody actually had. Medians and p90s
//! of a week are computed from the week's own durations, never from daily
//! medians: the tables keep every duration (in whole seconds, counted).

pub mod chart;
pub mod csv;
pub mod now;
pub mod rollup;

use chrono::{Datelike, Days, NaiveDate};
use serde::Serialize;
use std::collections::BTreeMap;

/// The longest range one report covers.
pub const MAX_DAYS: i64 = 400;

/// How many topics and FAQ entries a row lists.
pub const TOP: usize = 5;

/// Which duration a stored count is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Hand-over to the first staff reply, office-hours time.
    FirstReply,
    /// Claim to close.
    Handling,
}

impl Metric {
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::FirstReply => "first_reply",
            Metric::Handling => "handling",
        }
    }

    pub fn parse(text: &str) -> Option<Metric> {
        match text {
            "first_reply" => Some(Metric::FirstReply),
            "handling" => Some(Metric::Handling),
            _ => None,
        }
    }
}

/// One stored day-and-channel row of counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayCounts {
    pub day: NaiveDate,
    pub channel: String,
    pub contacts: i64,
    pub outside_hours: i64,
    pub bot_one_go: i64,
    pub bot_exchange: i64,
    pub handed_over: i64,
    pub in_progress: i64,
    pub deadline_due: i64,
    pub deadline_met: i64,
}

/// How many durations of `seconds` a day had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationCount {
    pub day: NaiveDate,
    pub metric: Metric,
    pub seconds: i64,
    pub count: i64,
}

/// How often a topic was given at close on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicCount {
    pub day: NaiveDate,
    pub topic: String,
    pub count: i64,
}

/// One FAQ entry's use on a day (from the per-entry usage table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaqCount {
    pub day: NaiveDate,
    pub faq_id: String,
    pub answered: i64,
    pub feedback_yes: i64,
    pub feedback_no: i64,
}

/// Everything stored for a date range.
#[derive(Debug, Clone, Default)]
pub struct Stored {
    pub days: Vec<DayCounts>,
    pub durations: Vec<DurationCount>,
    pub topics: Vec<TopicCount>,
    pub faq: Vec<FaqCount>,
}

/// A topic and how often it was given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = ReportTopic)]
pub struct Topic {
    pub topic: String,
    pub count: i64,
}

/// An FAQ entry with its use and feedback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = ReportFaq)]
pub struct FaqUse {
    pub faq_id: String,
    /// The answer's title in the loaded knowledge base (Dutch where there
    /// is one); `null` when the answer is no longer there.
    pub title: Option<String>,
    pub answered: i64,
    pub feedback_yes: i64,
    pub feedback_no: i64,
}

/// The figures of one day or one week.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = ReportRow)]
pub struct Row {
    /// `2026-11-23` for a day, `2026-W48` for a week.
    pub period: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub contacts: i64,
    pub contacts_by_channel: BTreeMap<String, i64>,
    pub outside_hours: i64,
    pub outside_hours_share: Option<f64>,
    pub bot_one_go: i64,
    pub bot_exchange: i64,
    pub handed_over: i64,
    pub in_progress: i64,
    /// How many first staff replies the waiting figures are of.
    pub replies: i64,
    pub first_reply_median_secs: Option<i64>,
    pub first_reply_p90_secs: Option<i64>,
    pub closed: i64,
    pub handling_median_secs: Option<i64>,
    pub deadline_due: i64,
    pub deadline_met: i64,
    pub deadline_met_share: Option<f64>,
    pub top_topics: Vec<Topic>,
    pub top_faq: Vec<FaqUse>,
}

/// The report of a date range (both ends included).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Report {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: Vec<Row>,
    /// ISO weeks; the first and last may be cut off by the range.
    pub weeks: Vec<Row>,
    pub total: Row,
}

/// Why a range cannot be reported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    #[error("{which} {text:?} is not a date; write it as YYYY-MM-DD, e.g. 2026-11-23")]
    BadDate { which: &'static str, text: String },
    #[error("the start date {from} is after the end date {to}; swap them")]
    Reversed { from: NaiveDate, to: NaiveDate },
    #[error("{days} days is too long for one report; ask for at most {MAX_DAYS} days")]
    TooLong { days: i64 },
}

impl RangeError {
    /// The same in Dutch, for the reports page.
    pub fn dutch(&self) -> String {
        match self {
            RangeError::BadDate { text, .. } => {
                format!(
                    "{text:?} is geen datum; schrijf die als JJJJ-MM-DD, bijvoorbeeld 2026-11-23."
                )
            }
            RangeError::Reversed { .. } => {
                "De begindatum ligt na de einddatum; draai ze om.".to_owned()
            }
            RangeError::TooLong { days } => {
                format!(
                    "{days} dagen is te lang voor één rapportage; kies hoogstens {MAX_DAYS} dagen."
                )
            }
        }
    }
}

/// The range asked for, both ends included: `to` defaults to `today`,
/// `from` to four weeks (28 days) up to `to`. `which` names the two
/// inputs in errors (`--from`/`--to` on the command line).
pub fn range(
    from: Option<&str>,
    to: Option<&str>,
    today: NaiveDate,
    which: (&'static str, &'static str),
) -> Result<(NaiveDate, NaiveDate), RangeError> {
    let parse = |text: &str, which: &'static str| {
        NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| RangeError::BadDate {
            which,
            text: text.to_owned(),
        })
    };
    let to = match to {
        Some(text) => parse(text, which.1)?,
        None => today,
    };
    let from = match from {
        Some(text) => parse(text, which.0)?,
        None => to - Days::new(27),
    };
    check_range(from, to)?;
    Ok((from, to))
}

/// Checks a requested range.
pub fn check_range(from: NaiveDate, to: NaiveDate) -> Result<(), RangeError> {
    if from > to {
        return Err(RangeError::Reversed { from, to });
    }
    let days = (to - from).num_days() + 1;
    if days > MAX_DAYS {
        return Err(RangeError::TooLong { days });
    }
    Ok(())
}

/// The nearest-rank percentile `p` (1..=100) of counted values, `None`
/// when there are none.
pub fn percentile(counted: &[(i64, i64)], p: u32) -> Option<i64> {
    let mut sorted: Vec<(i64, i64)> = counted.iter().copied().filter(|(_, n)| *n > 0).collect();
    sorted.sort_unstable();
    let total: i64 = sorted.iter().map(|(_, n)| n).sum();
    if total == 0 {
        return None;
    }
    // ceil(p * total / 100), at least 1.
    let rank = ((i64::from(p) * total + 99) / 100).max(1);
    let mut seen = 0;
    for (value, n) in sorted {
        seen += n;
        if seen >= rank {
            return Some(value);
        }
    }
    None
}

/// Builds the report of `[from, to]` from what is stored.
pub fn build(from: NaiveDate, to: NaiveDate, stored: &Stored) -> Report {
    let days: Vec<NaiveDate> = dates(from, to).collect();
    let day_rows = days
        .iter()
        .map(|day| row(day.to_string(), *day, *day, stored))
        .collect();
    let mut weeks: Vec<(String, NaiveDate, NaiveDate)> = Vec::new();
    for day in &days {
        let week = day.iso_week();
        let label = format!("{}-W{:02}", week.year(), week.week());
        match weeks.last_mut() {
            Some((last, _, end)) if *last == label => *end = *day,
            _ => weeks.push((label, *day, *day)),
        }
    }
    let week_rows = weeks
        .into_iter()
        .map(|(label, start, end)| row(label, start, end, stored))
        .collect();
    Report {
        from,
        to,
        days: day_rows,
        weeks: week_rows,
        total: row("totaal".to_owned(), from, to, stored),
    }
}

/// Where the report's figures are kept (`db::Store`). The report is pure
/// and sits below storage in the module layers (docs/architecture.md), so
/// it names what it needs of the store here and the store provides it.
pub trait Figures {
    type Error;

    /// Brings the anonymous day tables up to date with the conversations.
    fn roll_up(
        &self,
        rollup: &rollup::Rollup,
        now: chrono::DateTime<chrono::Utc>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// The stored figures of the days `[from, to]`, without FAQ use.
    fn figures(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> impl Future<Output = Result<Stored, Self::Error>> + Send;

    /// The use of each answer on one day.
    fn faq_use(
        &self,
        day: NaiveDate,
    ) -> impl Future<Output = Result<Vec<crate::knowledge::usage::FaqUsage>, Self::Error>> + Send;
}

/// Brings the figures up to date and builds the report of `[from, to]`:
/// what the CLI, the API and the page call.
pub async fn load<S: Figures>(
    store: &S,
    rollup: &rollup::Rollup,
    from: NaiveDate,
    to: NaiveDate,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Report, S::Error> {
    store.roll_up(rollup, now).await?;
    let mut stored = store.figures(from, to).await?;
    // The answers' use is kept per day by the FAQ usage table (the
    // editors' figures); one small keyed read per day.
    for day in dates(from, to) {
        for usage in store.faq_use(day).await? {
            stored.faq.push(FaqCount {
                day,
                faq_id: usage.faq_id,
                answered: usage.answered,
                feedback_yes: usage.helpful,
                feedback_no: usage.not_helpful,
            });
        }
    }
    Ok(build(from, to, &stored))
}

/// Gives the listed answers of every row their title from `entries` (the
/// loaded knowledge base): the Dutch one where the answer has one, else
/// the first other. The stored figures know answers by id only, which
/// stays stable when an editor rewords a title.
pub fn name_answers(report: &mut Report, entries: &[crate::knowledge::Entry]) {
    let mut titles: BTreeMap<&str, &str> = BTreeMap::new();
    for entry in entries {
        let id = entry.id.as_str();
        if entry.lang == crate::domain::Language::Nl || !titles.contains_key(id) {
            titles.insert(id, entry.title.as_str());
        }
    }
    let rows = report
        .days
        .iter_mut()
        .chain(report.weeks.iter_mut())
        .chain(std::iter::once(&mut report.total));
    for row in rows {
        for answer in &mut row.top_faq {
            answer.title = titles.get(answer.faq_id.as_str()).map(|t| (*t).to_owned());
        }
    }
}

fn dates(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    (0..)
        .map_while(move |offset| from.checked_add_days(Days::new(offset)))
        .take_while(move |day| *day <= to)
}

fn share(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The figures of the days `[start, end]`.
fn row(period: String, start: NaiveDate, end: NaiveDate, stored: &Stored) -> Row {
    let within = |day: &NaiveDate| start <= *day && *day <= end;
    let mut sum = DayCounts::default();
    let mut by_channel: BTreeMap<String, i64> = BTreeMap::new();
    for d in stored.days.iter().filter(|d| within(&d.day)) {
        *by_channel.entry(d.channel.clone()).or_default() += d.contacts;
        sum.contacts += d.contacts;
        sum.outside_hours += d.outside_hours;
        sum.bot_one_go += d.bot_one_go;
        sum.bot_exchange += d.bot_exchange;
        sum.handed_over += d.handed_over;
        sum.in_progress += d.in_progress;
        sum.deadline_due += d.deadline_due;
        sum.deadline_met += d.deadline_met;
    }
    let durations = |metric: Metric| -> Vec<(i64, i64)> {
        stored
            .durations
            .iter()
            .filter(|d| d.metric == metric && within(&d.day))
            .map(|d| (d.seconds, d.count))
            .collect()
    };
    let first_reply = durations(Metric::FirstReply);
    let handling = durations(Metric::Handling);
    Row {
        period,
        from: start,
        to: end,
        contacts: sum.contacts,
        contacts_by_channel: by_channel,
        outside_hours: sum.outside_hours,
        outside_hours_share: share(sum.outside_hours, sum.contacts),
        bot_one_go: sum.bot_one_go,
        bot_exchange: sum.bot_exchange,
        handed_over: sum.handed_over,
        in_progress: sum.in_progress,
        replies: first_reply.iter().map(|(_, n)| n).sum(),
        first_reply_median_secs: percentile(&first_reply, 50),
        first_reply_p90_secs: percentile(&first_reply, 90),
        closed: handling.iter().map(|(_, n)| n).sum(),
        handling_median_secs: percentile(&handling, 50),
        deadline_due: sum.deadline_due,
        deadline_met: sum.deadline_met,
        deadline_met_share: share(sum.deadline_met, sum.deadline_due),
        top_topics: top_topics(stored, within),
        top_faq: top_faq(stored, within),
    }
}

fn top_topics(stored: &Stored, within: impl Fn(&NaiveDate) -> bool) -> Vec<Topic> {
    let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
    for t in stored.topics.iter().filter(|t| within(&t.day)) {
        *counts.entry(t.topic.as_str()).or_default() += t.count;
    }
    let mut topics: Vec<Topic> = counts
        .into_iter()
        .filter(|(_, count)| *count > 0)
        .map(|(topic, count)| Topic {
            topic: topic.to_owned(),
            count,
        })
        .collect();
    // Most given first; ties alphabetically, so the order is stable.
    topics.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.topic.cmp(&b.topic)));
    topics.truncate(TOP);
    topics
}

fn top_faq(stored: &Stored, within: impl Fn(&NaiveDate) -> bool) -> Vec<FaqUse> {
    let mut uses: BTreeMap<&str, FaqUse> = BTreeMap::new();
    for f in stored.faq.iter().filter(|f| within(&f.day)) {
        let entry = uses.entry(f.faq_id.as_str()).or_insert_with(|| FaqUse {
            faq_id: f.faq_id.clone(),
            title: None,
            answered: 0,
            feedback_yes: 0,
            feedback_no: 0,
        });
        entry.answered += f.answered;
        entry.feedback_yes += f.feedback_yes;
        entry.feedback_no += f.feedback_no;
    }
    let mut list: Vec<FaqUse> = uses.into_values().filter(|u| u.answered > 0).collect();
    list.sort_by(|a, b| {
        b.answered
            .cmp(&a.answered)
            .then_with(|| a.faq_id.cmp(&b.faq_id))
    });
    list.truncate(TOP);
    list
}

/// One day of figures the CSV and the command's table are tested on.
#[cfg(test)]
pub(crate) mod fixture {
    use super::*;

    /// A day of November 2026.
    pub fn date(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).expect("date")
    }

    /// Monday 23 November: 6 contacts on WhatsApp and 2 on the web chat
    /// (2 outside office hours, 6 settled by the bot in one go, 2 handed
    /// over), "afval, grof" given twice at close, `paspoort-kosten`
    /// answered 4 times with one "Ja".
    pub fn one_day() -> Stored {
        let channel = |channel: &str, contacts: i64| DayCounts {
            day: date(23),
            channel: channel.to_owned(),
            contacts,
            outside_hours: 1,
            bot_one_go: contacts - 1,
            handed_over: 1,
            ..DayCounts::default()
        };
        Stored {
            days: vec![channel("whatsapp", 6), channel("web", 2)],
            topics: vec![TopicCount {
                day: date(23),
                topic: "afval, grof".to_owned(),
                count: 2,
            }],
            faq: vec![FaqCount {
                day: date(23),
                faq_id: "paspoort-kosten".to_owned(),
                answered: 4,
                feedback_yes: 1,
                feedback_no: 0,
            }],
            ..Stored::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).expect("date")
    }

    #[test]
    fn percentiles_are_nearest_rank_over_counted_values() {
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[(7, 1)], 90), Some(7));
        // 1..=10 once each: median is the 5th, p90 the 9th.
        let one_each: Vec<(i64, i64)> = (1..=10).rev().map(|v| (v, 1)).collect();
        assert_eq!(percentile(&one_each, 50), Some(5));
        assert_eq!(percentile(&one_each, 90), Some(9));
        assert_eq!(percentile(&one_each, 100), Some(10));
        // Counts weigh: 60 at 10 s and 40 at 100 s.
        let weighted = [(100, 40), (10, 60), (50, 0)];
        assert_eq!(percentile(&weighted, 50), Some(10));
        assert_eq!(percentile(&weighted, 61), Some(100));
        assert_eq!(percentile(&weighted, 60), Some(10));
    }

    #[test]
    fn weeks_are_iso_weeks_and_their_medians_come_from_all_their_durations() {
        // Sunday 22 November ends week 47; Monday 23 starts week 48.
        let counts = |day, contacts| DayCounts {
            day,
            channel: "whatsapp".to_owned(),
            contacts,
            handed_over: contacts,
            deadline_due: contacts,
            deadline_met: contacts - 1,
            ..DayCounts::default()
        };
        let waited = |day, seconds, count| DurationCount {
            day,
            metric: Metric::FirstReply,
            seconds,
            count,
        };
        let stored = Stored {
            days: vec![
                counts(date(22), 2),
                counts(date(23), 3),
                counts(date(24), 4),
            ],
            // Daily medians 60 and 1000; the week's median is 60 (3 of 5).
            durations: vec![
                waited(date(23), 60, 3),
                waited(date(24), 1000, 2),
                waited(date(22), 5, 1),
            ],
            topics: vec![
                TopicCount {
                    day: date(23),
                    topic: "paspoort".to_owned(),
                    count: 2,
                },
                TopicCount {
                    day: date(24),
                    topic: "afval".to_owned(),
                    count: 2,
                },
                TopicCount {
                    day: date(24),
                    topic: "paspoort".to_owned(),
                    count: 1,
                },
            ],
            faq: Vec::new(),
        };
        let report = build(date(22), date(25), &stored);
        assert_eq!(report.days.len(), 4);
        assert_eq!(report.days[3].contacts, 0, "days without data are rows too");
        let periods: Vec<&str> = report.weeks.iter().map(|w| w.period.as_str()).collect();
        assert_eq!(periods, ["2026-W47", "2026-W48"]);
        let week = &report.weeks[1];
        assert_eq!((week.from, week.to), (date(23), date(25)));
        assert_eq!(week.contacts, 7);
        assert_eq!(week.contacts_by_channel.get("whatsapp"), Some(&7));
        assert_eq!(week.replies, 5);
        assert_eq!(week.first_reply_median_secs, Some(60));
        assert_eq!(week.first_reply_p90_secs, Some(1000));
        assert_eq!(week.deadline_met_share, Some(5.0 / 7.0));
        assert_eq!(
            week.top_topics,
            [
                Topic {
                    topic: "paspoort".to_owned(),
                    count: 3
                },
                Topic {
                    topic: "afval".to_owned(),
                    count: 2
                }
            ]
        );
        assert_eq!(report.total.contacts, 9);
        assert_eq!(report.total.first_reply_median_secs, Some(60));
        assert_eq!(report.weeks[0].first_reply_median_secs, Some(5));
    }

    #[test]
    fn top_answers_add_up_over_days_and_languages_most_given_first() {
        let used = |day, id: &str, answered, yes, no| FaqCount {
            day,
            faq_id: id.to_owned(),
            answered,
            feedback_yes: yes,
            feedback_no: no,
        };
        let stored = Stored {
            faq: vec![
                used(date(23), "afval", 2, 1, 0),
                used(date(24), "afval", 3, 0, 1),
                used(date(23), "paspoort", 4, 2, 2),
                // Feedback only (the answer was given the day before): not listed.
                used(date(24), "parkeren", 0, 1, 0),
            ],
            ..Stored::default()
        };
        let report = build(date(23), date(24), &stored);
        let total: Vec<(&str, i64, i64, i64)> = report
            .total
            .top_faq
            .iter()
            .map(|f| (f.faq_id.as_str(), f.answered, f.feedback_yes, f.feedback_no))
            .collect();
        assert_eq!(total, [("afval", 5, 1, 1), ("paspoort", 4, 2, 2)]);
        assert_eq!(
            report.days[1].top_faq.len(),
            1,
            "{:?}",
            report.days[1].top_faq
        );
    }

    #[test]
    fn answers_get_their_dutch_title_and_removed_ones_none() {
        let parse = |path: &str, text: &str| {
            crate::knowledge::parse_entry(std::path::Path::new(path), text)
                .unwrap_or_else(|e| panic!("{path}: {e:?}"))
                .0
        };
        // The English file first: the Dutch title still wins.
        let entries = [
            parse(
                "en/adresonderzoek.md",
                include_str!("../../knowledge/en/adresonderzoek.md"),
            ),
            parse(
                "nl/adresonderzoek.md",
                include_str!("../../knowledge/nl/adresonderzoek.md"),
            ),
        ];
        let dutch = entries[1].title.clone();
        assert_ne!(dutch, entries[0].title);
        let used = |id: &str| FaqCount {
            day: date(23),
            faq_id: id.to_owned(),
            answered: 1,
            feedback_yes: 0,
            feedback_no: 0,
        };
        let stored = Stored {
            faq: vec![used("adresonderzoek"), used("verdwenen-antwoord")],
            ..Stored::default()
        };
        let mut report = build(date(23), date(23), &stored);
        name_answers(&mut report, &entries);
        let titles: Vec<(&str, Option<&str>)> = report
            .total
            .top_faq
            .iter()
            .map(|f| (f.faq_id.as_str(), f.title.as_deref()))
            .collect();
        assert_eq!(
            titles,
            [
                ("adresonderzoek", Some(dutch.as_str())),
                ("verdwenen-antwoord", None)
            ]
        );
        assert_eq!(
            report.days[0].top_faq[0].title.as_deref(),
            Some(dutch.as_str())
        );
        assert_eq!(
            report.weeks[0].top_faq[0].title.as_deref(),
            Some(dutch.as_str())
        );
    }

    #[test]
    fn ranges_are_checked() {
        assert!(check_range(date(2), date(1)).is_err());
        assert!(check_range(date(1), date(1)).is_ok());
        let far = date(1) + chrono::Days::new(500);
        assert_eq!(
            check_range(date(1), far),
            Err(RangeError::TooLong { days: 501 })
        );
    }
}
