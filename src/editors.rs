//! What editors of the knowledge base look at: the questions the bot could
//! not answer, grouped, and how much each answer is used. Read from the
//! store and the loaded knowledge base; `loket gaps`, `loket usage` and the
//! editors' API call these same functions.

use crate::db::{Store, StoreError};
use crate::knowledge::base::KnowledgeBase;
use crate::knowledge::gaps::{GapGroup, group};
use crate::knowledge::usage::{UsageReport, report};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// Without `--since`, the gaps of the last week...
pub const GAPS_DEFAULT_DAYS: i64 = 7;
/// ...and the use of the last 30 days.
pub const USAGE_DEFAULT_DAYS: i64 = 30;

/// Unanswered questions since `since`, grouped by wording, largest first.
pub async fn gap_groups(
    store: &Store,
    knowledge: &KnowledgeBase,
    since: DateTime<Utc>,
) -> Result<Vec<GapGroup>, StoreError> {
    let gaps = store.gaps(since).await?;
    let mut groups = group(&gaps, &knowledge.index);
    // Citizens' words, shown to editors (and in a terminal by `loket gaps`).
    for example in groups.iter_mut().flat_map(|g| g.examples.iter_mut()) {
        if let std::borrow::Cow::Owned(shown) = crate::privacy::for_staff(example) {
            *example = shown;
        }
    }
    Ok(groups)
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
