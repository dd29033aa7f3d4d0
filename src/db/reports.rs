//! Storage of the team lead's report: the rollup that keeps the anonymous
//! day tables (`report_days`, `report_durations`, `report_topics`) in step
//! with the conversations, and reading them back.
//!
//! Each conversation remembers the entry it last added (`report_entry`).
//! A rollup computes every conversation's entry afresh and, where it
//! changed, takes the old one out of the tables and puts the new one in,
//! in one transaction: running it twice changes nothing. The purge runs it
//! in its own transaction just before deleting, so the figures of a purged
//! conversation are final and nothing is lost.
//!
//! The SQL here is portable: `$n` placeholders, `ON CONFLICT` upserts
//! that SQLite and PostgreSQL both understand, and sums cast to BIGINT
//! (PostgreSQL sums BIGINT as NUMERIC).

use super::dialect::LockClass;
use super::rows::{flag, get};
use super::{Doing, Store, StoreError, Tx, from_millis};
use crate::domain::{Channel, ConversationState};
use crate::knowledge::usage::FaqUsage;
use crate::report::rollup::{Entry, Facts, Outcome, Rollup, Step};
use crate::report::{DayCounts, DurationCount, Figures, Metric, Stored, TopicCount};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::HashMap;

/// The report reads its figures through here (see [`Figures`]).
impl Figures for Store {
    type Error = StoreError;

    async fn roll_up(&self, rollup: &Rollup, now: DateTime<Utc>) -> Result<(), StoreError> {
        Store::roll_up(self, rollup, now).await.map(|_| ())
    }

    async fn figures(&self, from: NaiveDate, to: NaiveDate) -> Result<Stored, StoreError> {
        self.report_figures(from, to).await
    }

    async fn faq_use(&self, day: NaiveDate) -> Result<Vec<FaqUsage>, StoreError> {
        self.faq_usage(day, day).await
    }
}

/// What one rollup did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RolledUp {
    /// Conversations looked at.
    pub conversations: usize,
    /// Conversations whose entry changed (and was rewritten).
    pub changed: usize,
}

impl Store {
    /// Brings the report tables up to date with the conversations.
    pub async fn roll_up(
        &self,
        rollup: &Rollup,
        now: DateTime<Utc>,
    ) -> Result<RolledUp, StoreError> {
        let mut tx = self.begin_write("starting the report rollup").await?;
        // Instances sharing a database roll up one at a time (and not
        // during a purge, which rolls up too): two rollups reading the same
        // old entry would both take it out.
        self.dialect
            .lock(&mut tx, LockClass::Purge, "retention")
            .await?;
        let done = roll_up_in(&mut tx, rollup, now).await?;
        tx.commit().await.doing("committing the report rollup")?;
        Ok(done)
    }

    /// The stored figures of the days `[from, to]` (without FAQ use).
    pub async fn report_figures(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Stored, StoreError> {
        let (from, to) = (from.to_string(), to.to_string());
        let days = sqlx::query(
            "SELECT day, channel, contacts, outside_hours, bot_one_go, bot_exchange, handed_over,
                    in_progress, deadline_due, deadline_met
             FROM report_days WHERE day >= $1 AND day <= $2 ORDER BY day, channel",
        )
        .bind(&from)
        .bind(&to)
        .fetch_all(&self.pool)
        .await
        .doing("reading the report's days")?
        .iter()
        .map(|row| {
            Ok(DayCounts {
                day: day(row)?,
                channel: get(row, "channel")?,
                contacts: get(row, "contacts")?,
                outside_hours: get(row, "outside_hours")?,
                bot_one_go: get(row, "bot_one_go")?,
                bot_exchange: get(row, "bot_exchange")?,
                handed_over: get(row, "handed_over")?,
                in_progress: get(row, "in_progress")?,
                deadline_due: get(row, "deadline_due")?,
                deadline_met: get(row, "deadline_met")?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        let durations = sqlx::query(
            "SELECT day, metric, seconds, CAST(SUM(count) AS BIGINT) AS count FROM report_durations
             WHERE day >= $1 AND day <= $2 GROUP BY day, metric, seconds ORDER BY day, metric, seconds",
        )
        .bind(&from)
        .bind(&to)
        .fetch_all(&self.pool)
        .await
        .doing("reading the report's durations")?
        .iter()
        .map(|row| {
            let metric: String = get(row, "metric")?;
            Ok(DurationCount {
                day: day(row)?,
                metric: Metric::parse(&metric).ok_or(StoreError::Corrupt {
                    what: "report metric",
                    detail: metric,
                })?,
                seconds: get(row, "seconds")?,
                count: get(row, "count")?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        let topics = sqlx::query(
            "SELECT day, topic, CAST(SUM(count) AS BIGINT) AS count FROM report_topics
             WHERE day >= $1 AND day <= $2 GROUP BY day, topic ORDER BY day, topic",
        )
        .bind(&from)
        .bind(&to)
        .fetch_all(&self.pool)
        .await
        .doing("reading the report's topics")?
        .iter()
        .map(|row| {
            Ok(TopicCount {
                day: day(row)?,
                topic: get(row, "topic")?,
                count: get(row, "count")?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Stored {
            days,
            durations,
            topics,
            faq: Vec::new(),
        })
    }
}

fn day(row: &sqlx::any::AnyRow) -> Result<NaiveDate, StoreError> {
    let text: String = get(row, "day")?;
    NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| StoreError::Corrupt {
        what: "report day",
        detail: text,
    })
}

/// The rollup inside a transaction (also the purge's).
pub(super) async fn roll_up_in(
    tx: &mut Tx<'_>,
    rollup: &Rollup,
    now: DateTime<Utc>,
) -> Result<RolledUp, StoreError> {
    let mut steps: HashMap<i64, Vec<(DateTime<Utc>, Step)>> = HashMap::new();
    let step_rows = sqlx::query(
        "SELECT conversation_id, at, kind FROM conversation_events
         WHERE kind IN ($1, $2, $3) ORDER BY conversation_id, id",
    )
    .bind(Step::KINDS[0])
    .bind(Step::KINDS[1])
    .bind(Step::KINDS[2])
    .fetch_all(&mut **tx)
    .await
    .doing("reading conversation steps for the report")?;
    for row in &step_rows {
        let kind: String = get(row, "kind")?;
        if let Some(step) = Step::parse(&kind) {
            steps
                .entry(get(row, "conversation_id")?)
                .or_default()
                .push((from_millis(get(row, "at")?), step));
        }
    }
    let rows = sqlx::query(
        "SELECT c.id, c.created_at, c.state, c.channel, c.urgent, c.queued_at, c.first_staff_reply_at,
                c.reply_deadline, c.close_topic, c.last_inbound_at, c.report_entry,
                (SELECT COUNT(*) FROM inbound_messages i
                 WHERE i.conversation_id = c.id AND i.kind NOT IN ('interactive', 'button', 'reaction')) AS questions,
                (SELECT MAX(o.created_at) FROM outbox o
                 WHERE o.conversation_id = c.id AND o.kind = $1) AS thanked_at
         FROM conversations c ORDER BY c.id",
    )
    // How a "Ja, bedankt" is recorded: the bot's thanks for it.
    .bind(crate::reply::ReplyKind::FeedbackThanks.as_str())
    .fetch_all(&mut **tx)
    .await
    .doing("reading conversations for the report")?;
    let mut done = RolledUp::default();
    for row in &rows {
        done.conversations += 1;
        let id: i64 = get(row, "id")?;
        let state: String = get(row, "state")?;
        let millis_opt = |column| -> Result<Option<DateTime<Utc>>, StoreError> {
            Ok(get::<Option<i64>>(row, column)?.map(from_millis))
        };
        let facts = Facts {
            created_at: from_millis(get(row, "created_at")?),
            state: ConversationState::parse(&state).ok_or(StoreError::Corrupt {
                what: "conversation state",
                detail: state.clone(),
            })?,
            channel: Channel::from_stored(&get::<String>(row, "channel")?),
            urgent: flag(row, "urgent")?,
            queued_at: millis_opt("queued_at")?,
            first_staff_reply_at: millis_opt("first_staff_reply_at")?,
            reply_deadline: millis_opt("reply_deadline")?,
            close_topic: get(row, "close_topic")?,
            last_inbound_at: from_millis(get(row, "last_inbound_at")?),
            thanked_at: millis_opt("thanked_at")?,
            questions: get(row, "questions")?,
            steps: steps.remove(&id).unwrap_or_default(),
        };
        let entry = rollup.entry(&facts, now);
        let stored: Option<String> = get(row, "report_entry")?;
        // An unreadable old entry cannot be taken back out; counting the
        // conversation again would be worse than leaving it.
        let old = match stored.as_deref().map(serde_json::from_str::<Entry>) {
            Some(Ok(old)) => Some(old),
            Some(Err(error)) => {
                tracing::warn!(conversation = id, error = %error, "unreadable report entry; left as it is");
                continue;
            }
            None => None,
        };
        if old.as_ref() == Some(&entry) {
            continue;
        }
        if let Some(old) = &old {
            apply(tx, old, -1).await?;
        }
        apply(tx, &entry, 1).await?;
        let json = serde_json::to_string(&entry).map_err(|e| StoreError::Corrupt {
            what: "report entry",
            detail: e.to_string(),
        })?;
        sqlx::query("UPDATE conversations SET report_entry = $1 WHERE id = $2")
            .bind(json)
            .bind(id)
            .execute(&mut **tx)
            .await
            .doing("remembering a conversation's report entry")?;
        done.changed += 1;
    }
    if done.changed > 0 {
        for table in ["report_durations", "report_topics"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE count <= 0"))
                .execute(&mut **tx)
                .await
                .doing("tidying the report tables")?;
        }
    }
    Ok(done)
}

/// Adds (`sign` 1) or takes out (`sign` -1) one entry.
async fn apply(tx: &mut Tx<'_>, entry: &Entry, sign: i64) -> Result<(), StoreError> {
    let day = entry.day.to_string();
    let flag = |on: bool| if on { sign } else { 0 };
    sqlx::query(
        "INSERT INTO report_days (day, channel, contacts, outside_hours, bot_one_go, bot_exchange,
                                  handed_over, in_progress, deadline_due, deadline_met)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (day, channel) DO UPDATE SET
            contacts = report_days.contacts + excluded.contacts,
            outside_hours = report_days.outside_hours + excluded.outside_hours,
            bot_one_go = report_days.bot_one_go + excluded.bot_one_go,
            bot_exchange = report_days.bot_exchange + excluded.bot_exchange,
            handed_over = report_days.handed_over + excluded.handed_over,
            in_progress = report_days.in_progress + excluded.in_progress,
            deadline_due = report_days.deadline_due + excluded.deadline_due,
            deadline_met = report_days.deadline_met + excluded.deadline_met",
    )
    .bind(&day)
    .bind(&entry.channel)
    .bind(sign)
    .bind(flag(entry.outside_hours))
    .bind(flag(entry.outcome == Outcome::BotOneGo))
    .bind(flag(entry.outcome == Outcome::BotExchange))
    .bind(flag(entry.outcome == Outcome::HandedOver))
    .bind(flag(entry.outcome == Outcome::InProgress))
    .bind(flag(entry.deadline_met.is_some()))
    .bind(flag(entry.deadline_met == Some(true)))
    .execute(&mut **tx)
    .await
    .doing("counting a conversation in the report")?;
    for (metric, seconds) in [
        (Metric::FirstReply, entry.first_reply_secs),
        (Metric::Handling, entry.handling_secs),
    ] {
        let Some(seconds) = seconds else { continue };
        sqlx::query(
            "INSERT INTO report_durations (day, channel, metric, seconds, count) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (day, channel, metric, seconds) DO UPDATE SET count = report_durations.count + excluded.count",
        )
        .bind(&day)
        .bind(&entry.channel)
        .bind(metric.as_str())
        .bind(seconds)
        .bind(sign)
        .execute(&mut **tx)
        .await
        .doing("counting a duration in the report")?;
    }
    if let Some(topic) = &entry.topic {
        sqlx::query(
            "INSERT INTO report_topics (day, channel, topic, count) VALUES ($1, $2, $3, $4)
             ON CONFLICT (day, channel, topic) DO UPDATE SET count = report_topics.count + excluded.count",
        )
        .bind(&day)
        .bind(&entry.channel)
        .bind(topic)
        .bind(sign)
        .execute(&mut **tx)
        .await
        .doing("counting a topic in the report")?;
    }
    Ok(())
}
