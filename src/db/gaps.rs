//! Questions the bot could not answer, kept (masked) for editors.

use super::rows::get;
use super::{Doing, Store, StoreError, from_millis, millis};
use crate::domain::Language;
use crate::knowledge::gaps::{Gap, Handled, StoredGap};
use chrono::{DateTime, Utc};

impl Store {
    /// Records unanswered questions (the caller masks them), in one
    /// transaction that waits for its turn to write like the other hot
    /// writers (see `Store::write_turn`).
    pub async fn record_gaps(&self, gaps: &[Gap]) -> Result<(), StoreError> {
        if gaps.is_empty() {
            return Ok(());
        }
        let _write = self.write_turn(super::write_turn::Writer::Background).await;
        let mut tx = self
            .begin_write("starting to record unanswered questions")
            .await?;
        for gap in gaps {
            // sqlx 0.8's `Any` driver sends a NULL f64 to PostgreSQL typed as
            // float4, and the statement it prepares then refuses a real f64 on
            // the next insert ("incorrect binary data format"). So a missing
            // score is a literal NULL, in a statement of its own.
            let sql = format!(
                "INSERT INTO knowledge_gaps (conversation_id, at, reason, language, question, nearest_faq, nearest_score)
                 VALUES ($1, $2, $3, $4, $5, $6, {})",
                if gap.nearest_score.is_some() { "$7" } else { "NULL" }
            );
            let mut query = sqlx::query(&sql)
                .bind(gap.conversation_id)
                .bind(millis(gap.at))
                .bind(&gap.reason)
                .bind(gap.language.code())
                .bind(&gap.question)
                .bind(&gap.nearest_faq);
            if let Some(score) = gap.nearest_score {
                query = query.bind(score);
            }
            query
                .execute(&mut *tx)
                .await
                .doing("recording an unanswered question")?;
        }
        tx.commit().await.doing("committing unanswered questions")
    }

    /// Unanswered questions since `since`, oldest first.
    pub async fn gaps(&self, since: DateTime<Utc>) -> Result<Vec<Gap>, StoreError> {
        Ok(self
            .stored_gaps(since)
            .await?
            .into_iter()
            .map(|stored| stored.gap)
            .collect())
    }

    /// Unanswered questions since `since` with their ids and handled
    /// marks, oldest first.
    pub async fn stored_gaps(&self, since: DateTime<Utc>) -> Result<Vec<StoredGap>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, conversation_id, at, reason, language, question, nearest_faq, nearest_score,
                    handled_at, handled_by
             FROM knowledge_gaps WHERE at >= $1 ORDER BY id",
        )
        .bind(millis(since))
        .fetch_all(&self.pool)
        .await
        .doing("reading unanswered questions")?;
        rows.iter()
            .map(|row| {
                let language: String = get(row, "language")?;
                let handled_at: Option<i64> = get(row, "handled_at")?;
                let handled_by: Option<String> = get(row, "handled_by")?;
                Ok(StoredGap {
                    id: get(row, "id")?,
                    gap: Gap {
                        conversation_id: get(row, "conversation_id")?,
                        at: from_millis(get(row, "at")?),
                        reason: get(row, "reason")?,
                        language: Language::parse(&language).unwrap_or_default(),
                        question: get(row, "question")?,
                        nearest_faq: get(row, "nearest_faq")?,
                        nearest_score: get(row, "nearest_score")?,
                    },
                    handled: handled_at.zip(handled_by).map(|(at, by)| Handled {
                        by,
                        at: from_millis(at),
                    }),
                })
            })
            .collect()
    }

    /// Marks the questions `ids` as handled by `by` at `at` (`Some`), or
    /// takes their marks off (`None`); returns how many questions it
    /// changed. Ids no longer kept (retention) are passed over.
    pub async fn mark_gaps(
        &self,
        ids: &[i64],
        mark: Option<(&str, DateTime<Utc>)>,
    ) -> Result<u64, StoreError> {
        if ids.is_empty() {
            return Ok(0);
        }
        let mut tx = self
            .begin_write("starting to mark unanswered questions")
            .await?;
        let mut changed = 0;
        // One statement per chunk of ids, each id its own placeholder.
        for chunk in ids.chunks(MARK_CHUNK) {
            let first = if mark.is_some() { 3 } else { 1 };
            let list: Vec<String> = (0..chunk.len())
                .map(|i| format!("${}", first + i))
                .collect();
            let sql = match mark {
                Some(_) => format!(
                    "UPDATE knowledge_gaps SET handled_by = $1, handled_at = $2 WHERE id IN ({})",
                    list.join(", ")
                ),
                None => format!(
                    "UPDATE knowledge_gaps SET handled_by = NULL, handled_at = NULL WHERE id IN ({})",
                    list.join(", ")
                ),
            };
            let mut query = sqlx::query(&sql);
            if let Some((by, at)) = mark {
                query = query.bind(by.to_owned()).bind(millis(at));
            }
            for id in chunk {
                query = query.bind(*id);
            }
            changed += query
                .execute(&mut *tx)
                .await
                .doing("marking unanswered questions")?
                .rows_affected();
        }
        tx.commit()
            .await
            .doing("committing the marks of unanswered questions")?;
        Ok(changed)
    }
}

/// Ids per statement when marking: well below SQLite's and PostgreSQL's
/// limits on placeholders.
const MARK_CHUNK: usize = 500;
