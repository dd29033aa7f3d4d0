//! How much each answer is used: how often the bot gave it, the "Ja" and
//! "Nee" it got, when it was last given, and which answers nobody needed
//! lately. The counts are anonymous daily totals per entry and language
//! (no number, no text, no conversation), so they outlive the retention
//! purge; storing them is `db::usage`, this module is the pure part.

use super::Entry;
use crate::domain::Language;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// An answer nobody received for this long is listed as unused.
pub const UNUSED_AFTER_DAYS: i64 = 90;

/// What happened to an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UseEvent {
    /// The bot sent the answer.
    Answered,
    /// "Ja, bedankt" to "did this help?".
    Helpful,
    /// "Nee" to "did this help?".
    NotHelpful,
}

/// One use of one answer, as counted: the day (in the office's time zone)
/// it belongs to and the moment, for "last used".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FaqUse {
    pub day: NaiveDate,
    pub at: DateTime<Utc>,
    pub faq_id: String,
    pub lang: Language,
    pub event: UseEvent,
}

/// The counts of one entry in one language over a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FaqUsage {
    pub faq_id: String,
    pub lang: Language,
    /// How often the bot gave this answer.
    pub answered: i64,
    /// "Ja, bedankt" after it.
    pub helpful: i64,
    /// "Nee" after it.
    pub not_helpful: i64,
    /// When the answer was last given in the period (`None`: not given,
    /// only feedback counted, e.g. just after midnight).
    pub last_used_at: Option<DateTime<Utc>>,
}

/// One line of the editors' usage table: an entry of the loaded knowledge
/// base (or an id that is counted but no longer loaded: `title` is `None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct EntryUsage {
    pub faq_id: String,
    pub lang: Language,
    pub title: Option<String>,
    /// Counts in the requested period.
    pub answered: i64,
    pub helpful: i64,
    pub not_helpful: i64,
    /// When the answer was last given, ever.
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The usage report: every entry with its counts, busiest first, and the
/// loaded entries nobody received in the last [`UNUSED_AFTER_DAYS`] days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct UsageReport {
    pub since: NaiveDate,
    pub until: NaiveDate,
    pub entries: Vec<EntryUsage>,
    /// Loaded entries not given since `unused_cutoff` (oldest use first,
    /// never used before those).
    pub unused: Vec<EntryUsage>,
    pub unused_cutoff: DateTime<Utc>,
}

/// Combines the loaded entries with the counts of the period and of all
/// time. `now` decides what counts as unused.
pub fn report(
    entries: &[Entry],
    period: &[FaqUsage],
    all_time: &[FaqUsage],
    since: NaiveDate,
    until: NaiveDate,
    now: DateTime<Utc>,
) -> UsageReport {
    type Key = (String, &'static str);
    let key = |id: &str, lang: Language| -> Key { (id.to_owned(), lang.code()) };
    let mut rows: BTreeMap<Key, EntryUsage> = BTreeMap::new();
    for entry in entries {
        rows.insert(
            key(entry.id.as_str(), entry.lang),
            EntryUsage {
                faq_id: entry.id.as_str().to_owned(),
                lang: entry.lang,
                title: Some(entry.title.clone()),
                answered: 0,
                helpful: 0,
                not_helpful: 0,
                last_used_at: None,
            },
        );
    }
    let blank = |u: &FaqUsage| EntryUsage {
        faq_id: u.faq_id.clone(),
        lang: u.lang,
        title: None,
        answered: 0,
        helpful: 0,
        not_helpful: 0,
        last_used_at: None,
    };
    for used in period {
        let row = rows
            .entry(key(&used.faq_id, used.lang))
            .or_insert_with(|| blank(used));
        row.answered += used.answered;
        row.helpful += used.helpful;
        row.not_helpful += used.not_helpful;
    }
    for used in all_time {
        // An entry removed from the knowledge base and unused in the
        // period is history, not a line of the table.
        if let Some(row) = rows.get_mut(&key(&used.faq_id, used.lang)) {
            row.last_used_at = row.last_used_at.max(used.last_used_at);
        }
    }
    let cutoff = now - chrono::Duration::days(UNUSED_AFTER_DAYS);
    let mut unused: Vec<EntryUsage> = rows
        .values()
        .filter(|row| row.title.is_some() && row.last_used_at.is_none_or(|at| at < cutoff))
        .cloned()
        .collect();
    // `None` sorts first: never used at all heads the list.
    unused.sort_by(|a, b| {
        (a.last_used_at, &a.faq_id, a.lang.code()).cmp(&(b.last_used_at, &b.faq_id, b.lang.code()))
    });
    let mut entries: Vec<EntryUsage> = rows.into_values().collect();
    entries.sort_by(|a, b| {
        b.answered
            .cmp(&a.answered)
            .then_with(|| b.last_used_at.cmp(&a.last_used_at))
            .then_with(|| a.faq_id.cmp(&b.faq_id))
            .then_with(|| a.lang.code().cmp(b.lang.code()))
    });
    UsageReport {
        since,
        until,
        entries,
        unused,
        unused_cutoff: cutoff,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::FaqId;
    use chrono::TimeZone;

    fn entry(id: &str, lang: Language) -> Entry {
        Entry {
            id: FaqId::parse(id).unwrap_or_else(|e| panic!("{e}")),
            lang,
            title: format!("Titel {id}"),
            questions: vec!["vraag".to_owned()],
            keywords: Vec::new(),
            links: Vec::new(),
            valid_from: None,
            valid_until: None,
            handover: false,
            computed: None,
            kind: crate::knowledge::EntryKind::Answer,
            upl: None,
            sources: Vec::new(),
            local_facts: Vec::new(),
            body: "antwoord".to_owned(),
            body_u: None,
            path: std::path::PathBuf::from(format!("{id}.md")),
        }
    }

    fn usage(id: &str, answered: i64, last: Option<DateTime<Utc>>) -> FaqUsage {
        FaqUsage {
            faq_id: id.to_owned(),
            lang: Language::Nl,
            answered,
            helpful: 1,
            not_helpful: 0,
            last_used_at: last,
        }
    }

    #[test]
    fn busiest_first_and_unused_listed_with_never_used_first() {
        let now = Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap();
        let old = now - chrono::Duration::days(120);
        let recent = now - chrono::Duration::days(2);
        let entries = [
            entry("a", Language::Nl),
            entry("b", Language::Nl),
            entry("c", Language::Nl),
            entry("d", Language::Nl),
        ];
        let period = [usage("b", 3, Some(recent)), usage("gone", 5, Some(recent))];
        let all_time = [
            usage("b", 10, Some(recent)),
            usage("c", 4, Some(old)),
            usage("gone", 5, Some(recent)),
        ];
        let day = now.date_naive();
        let r = report(&entries, &period, &all_time, day, day, now);
        let order: Vec<&str> = r.entries.iter().map(|e| e.faq_id.as_str()).collect();
        assert_eq!(order, ["gone", "b", "c", "a", "d"]);
        assert_eq!(r.entries[0].title, None, "removed entries have no title");
        assert_eq!(r.entries[1].answered, 3, "period counts, not all-time");
        assert_eq!(r.entries[1].last_used_at, Some(recent));
        let unused: Vec<&str> = r.unused.iter().map(|e| e.faq_id.as_str()).collect();
        assert_eq!(unused, ["a", "d", "c"]);
    }
}
