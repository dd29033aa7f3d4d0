//! Questions the bot could not answer, kept (masked) for editors.

use super::rows::get;
use super::{Doing, Store, StoreError, from_millis, millis};
use crate::domain::Language;
use crate::knowledge::gaps::Gap;
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
        let rows = sqlx::query(
            "SELECT conversation_id, at, reason, language, question, nearest_faq, nearest_score FROM knowledge_gaps
             WHERE at >= $1 ORDER BY id",
        )
        .bind(millis(since))
        .fetch_all(&self.pool)
        .await
        .doing("reading unanswered questions")?;
        rows.iter()
            .map(|row| {
                let language: String = get(row, "language")?;
                Ok(Gap {
                    conversation_id: get(row, "conversation_id")?,
                    at: from_millis(get(row, "at")?),
                    reason: get(row, "reason")?,
                    language: Language::parse(&language).unwrap_or_default(),
                    question: get(row, "question")?,
                    nearest_faq: get(row, "nearest_faq")?,
                    nearest_score: get(row, "nearest_score")?,
                })
            })
            .collect()
    }
}
