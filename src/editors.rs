//! What editors of the knowledge base look at: the questions the bot could
//! not answer, grouped, and how much each answer is used. Read from the
//! store and the loaded knowledge base; `loket gaps`, `loket usage` and the
//! editors' API call these same functions.

use crate::db::{Store, StoreError};
use crate::knowledge::base::KnowledgeBase;
use crate::knowledge::gaps::{GapGroup, group};
use crate::knowledge::usage::{UsageReport, report};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

/// Without `--since`, the gaps of the last week...
pub const GAPS_DEFAULT_DAYS: i64 = 7;
/// ...and the use of the last 30 days.
pub const USAGE_DEFAULT_DAYS: i64 = 30;

/// Unanswered questions since `since`, grouped by the triage's likeness,
/// largest first; the nearest entries are those valid on `today`.
pub async fn gap_groups(
    store: &Store,
    knowledge: &KnowledgeBase,
    since: DateTime<Utc>,
    today: NaiveDate,
) -> Result<Vec<GapGroup>, StoreError> {
    let gaps = store.stored_gaps(since).await?;
    let mut groups = group(&gaps, knowledge, today);
    // Citizens' words, shown to editors (and in a terminal by `loket gaps`).
    for example in groups.iter_mut().flat_map(|g| g.examples.iter_mut()) {
        if let std::borrow::Cow::Owned(shown) = crate::privacy::for_staff(example) {
            *example = shown;
        }
    }
    Ok(groups)
}

/// At most this many questions are marked (or unmarked) at once: a group
/// of a week's questions stays far below it.
pub const MAX_MARKED: usize = 2000;

/// Why questions could not be marked.
#[derive(Debug, thiserror::Error)]
pub enum MarkError {
    #[error("no questions given")]
    Empty,
    #[error("more than {MAX_MARKED} questions at once")]
    TooMany,
    /// None of the questions is kept any more (retention, forget).
    #[error("none of the questions is kept")]
    NoneKept,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Marks the questions `ids` (a group as the editor saw it) as handled by
/// `editor` at `now`, or, with `handled` false, takes their marks off.
/// Returns how many questions it changed.
pub async fn mark_handled(
    store: &Store,
    ids: &[i64],
    handled: bool,
    editor: &str,
    now: DateTime<Utc>,
) -> Result<u64, MarkError> {
    if ids.is_empty() {
        return Err(MarkError::Empty);
    }
    if ids.len() > MAX_MARKED {
        return Err(MarkError::TooMany);
    }
    let mark = handled.then_some((editor, now));
    match store.mark_gaps(ids, mark).await? {
        0 => Err(MarkError::NoneKept),
        changed => Ok(changed),
    }
}

/// Every loaded entry with its counts from the day of `since` up to today
/// (days in the office's time zone `tz`), and the entries not given in the
/// last 90 days.
pub async fn usage_report(
    store: &Store,
    knowledge: &KnowledgeBase,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<UsageReport, StoreError> {
    let first = since.with_timezone(&tz).date_naive();
    let last = now.with_timezone(&tz).date_naive();
    let period = store.faq_usage(first, last).await?;
    let all_time = store.faq_usage_all_time().await?;
    Ok(report(
        knowledge.index.entries(),
        &period,
        &all_time,
        first,
        last,
        now,
    ))
}
