//! The anonymous usage counts of the answers (`faq_usage`): one row per
//! day, entry and language, incremented in the transaction that records
//! the answer or the feedback, so a count is never lost or doubled.
//!
//! The SQL is portable (`$n` placeholders, `ON CONFLICT ... excluded`,
//! `CASE` instead of SQLite's two-argument `MAX`, sums cast to BIGINT
//! because PostgreSQL sums BIGINT as NUMERIC), for the PostgreSQL port.

use super::rows::get;
use super::{Doing, Store, StoreError, Tx, from_millis, millis};
use crate::domain::Language;
use crate::knowledge::usage::{FaqUsage, FaqUse, UseEvent};
use chrono::NaiveDate;

/// The day as stored: `YYYY-MM-DD`, which sorts and compares as text.
fn day_key(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// One day's, entry's and language's share of a batch of uses.
#[derive(Default)]
struct Totals {
    answered: i64,
    helpful: i64,
    not_helpful: i64,
    last_used: Option<i64>,
}

/// Adds `uses` to the daily totals, inside the caller's transaction: one
/// statement per day, entry and language (summed first), in key order, so
/// two PostgreSQL transactions counting the same answers lock the shared
/// rows in the same order and cannot deadlock.
pub(super) async fn count(tx: &mut Tx<'_>, uses: &[FaqUse]) -> Result<(), StoreError> {
    let mut totals: std::collections::BTreeMap<(NaiveDate, &str, &str), Totals> =
        std::collections::BTreeMap::new();
    for one in uses {
        let total = totals
            .entry((one.day, one.faq_id.as_str(), one.lang.code()))
            .or_default();
        match one.event {
            UseEvent::Answered => total.answered += 1,
            UseEvent::Helpful => total.helpful += 1,
            UseEvent::NotHelpful => total.not_helpful += 1,
        }
        // "Last used" means last answered: feedback is not a use.
        if one.event == UseEvent::Answered {
            total.last_used = total.last_used.max(Some(millis(one.at)));
        }
    }
    for ((day, faq_id, language), total) in totals {
        sqlx::query(
            "INSERT INTO faq_usage (day, faq_id, language, answered, helpful, not_helpful, last_used_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (day, faq_id, language) DO UPDATE SET
                answered = faq_usage.answered + excluded.answered,
                helpful = faq_usage.helpful + excluded.helpful,
                not_helpful = faq_usage.not_helpful + excluded.not_helpful,
                last_used_at = CASE
                    WHEN excluded.last_used_at IS NULL THEN faq_usage.last_used_at
                    WHEN faq_usage.last_used_at IS NULL THEN excluded.last_used_at
                    WHEN excluded.last_used_at > faq_usage.last_used_at THEN excluded.last_used_at
                    ELSE faq_usage.last_used_at END",
        )
        .bind(day_key(day))
        .bind(faq_id)
        .bind(language)
        .bind(total.answered)
        .bind(total.helpful)
        .bind(total.not_helpful)
        .bind(total.last_used)
        .execute(&mut **tx)
        .await
        .doing("counting the use of an answer")?;
    }
    Ok(())
}

const TOTALS: &str = "SELECT faq_id, language,
        CAST(SUM(answered) AS BIGINT) AS answered,
        CAST(SUM(helpful) AS BIGINT) AS helpful,
        CAST(SUM(not_helpful) AS BIGINT) AS not_helpful,
        MAX(last_used_at) AS last_used_at
    FROM faq_usage WHERE day >= $1 AND day <= $2
    GROUP BY faq_id, language
    ORDER BY answered DESC, faq_id, language";

impl Store {
    /// Per entry and language: answers given, "Ja" and "Nee", and the last
    /// answer, over the days `from..=to` (office time zone), most answered
    /// first. Entries without any count in the period are absent.
    pub async fn faq_usage(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<FaqUsage>, StoreError> {
        let rows = sqlx::query(TOTALS)
            .bind(day_key(from))
            .bind(day_key(to))
            .fetch_all(&self.pool)
            .await
            .doing("reading the use of the answers")?;
        rows.iter()
            .map(|row| {
                let language: String = get(row, "language")?;
                let last: Option<i64> = get(row, "last_used_at")?;
                Ok(FaqUsage {
                    faq_id: get(row, "faq_id")?,
                    lang: Language::parse(&language).ok_or(StoreError::Corrupt {
                        what: "faq_usage.language",
                        detail: format!("unknown language {language:?}"),
                    })?,
                    answered: get(row, "answered")?,
                    helpful: get(row, "helpful")?,
                    not_helpful: get(row, "not_helpful")?,
                    last_used_at: last.map(from_millis),
                })
            })
            .collect()
    }

    /// [`Store::faq_usage`] over all stored days: all-time totals and, per
    /// entry, when it was last given.
    pub async fn faq_usage_all_time(&self) -> Result<Vec<FaqUsage>, StoreError> {
        // Four-digit years, so the text comparison of the days holds.
        let first = NaiveDate::from_ymd_opt(1, 1, 1).unwrap_or_default();
        let last = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or_default();
        self.faq_usage(first, last).await
    }

    /// Adds uses directly, in their own transaction: for importing counts
    /// and for tests that build a history without conversations. The
    /// service counts inside `process_inbound` instead.
    pub async fn count_faq_uses(&self, uses: &[FaqUse]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.doing("starting to count answers")?;
        count(&mut tx, uses).await?;
        tx.commit().await.doing("committing answer counts")
    }
}
