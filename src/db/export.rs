//! Everything stored about one citizen, for an access request (AVG art.
//! 15, inzageverzoek): `loket export` and the admins' export. Each table is
//! read by a declared list of its columns, so the export shows every
//! column of a row of theirs, and a new column is one line here.
//!
//! Staff appear by role only (`role:staff`, `role:admin`): the citizen is
//! owed what was done with their data, not who of the team did it.

use super::rows::get;
use super::{Doing, Store, StoreError, from_millis};
use serde::Serialize;
use serde_json::{Map, Value};
use sqlx::any::AnyRow;
use std::collections::HashMap;
use std::time::Duration;

/// How long things are kept, to state when each item will be deleted.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    /// `[privacy] retention`: conversations and everything in them.
    pub conversations: Duration,
    /// `[privacy] audit_retention`: the audit log.
    pub audit_log: Duration,
}

/// The export of one citizen: one list per kind of item, each item with
/// every stored field and, where it applies, `delete_after`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CitizenExport {
    /// The phone number (E.164 without `+`) or user id exported.
    pub citizen: String,
    pub exported_at: chrono::DateTime<chrono::Utc>,
    /// `[privacy] retention` and `audit_retention`, in words.
    #[schema(value_type = Object)]
    pub retention: Map<String, Value>,
    #[schema(value_type = Vec<Object>)]
    pub conversations: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub messages: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub replies: Vec<Value>,
    /// Every state change of their conversations (queued, claimed, ...).
    #[schema(value_type = Vec<Object>)]
    pub history: Vec<Value>,
    /// Staff's internal notes on their conversations (never sent to them,
    /// but kept about them), authors by role.
    #[schema(value_type = Vec<Object>)]
    pub notes: Vec<Value>,
    /// Their questions on the editors' list of unanswered ones (masked).
    #[schema(value_type = Vec<Object>)]
    pub unanswered_questions: Vec<Value>,
    /// Audit-log entries about their conversations.
    #[schema(value_type = Vec<Object>)]
    pub staff_actions: Vec<Value>,
}

impl CitizenExport {
    /// Everything counted, for the audit log and the command's summary.
    pub fn summary(&self) -> String {
        format!(
            "{} conversations, {} messages, {} replies, {} history events, {} notes, {} unanswered questions, {} staff actions",
            self.conversations.len(),
            self.messages.len(),
            self.replies.len(),
            self.history.len(),
            self.notes.len(),
            self.unanswered_questions.len(),
            self.staff_actions.len()
        )
    }

    /// Nothing is stored about this citizen.
    pub fn is_empty(&self) -> bool {
        self.conversations.is_empty() && self.messages.is_empty()
    }
}

/// How a column is shown.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Int,
    Float,
    Text,
    /// Milliseconds since the epoch, shown as an RFC 3339 time.
    Time,
    /// A 0/1 flag.
    Flag,
    /// JSON kept as text (message content, reply payload, the bot's memory).
    Json,
    /// `staff:<username>` (or `bot`, `system`, `citizen`): staff by role.
    Actor,
    /// A bare username (who claimed, closed, was transferred to): by role.
    Username,
}

/// Their conversations. `$1`: the citizen, `$2`: retention in ms.
const CONVERSATIONS: &str = "SELECT c.*,
    CASE WHEN c.state = 'closed' THEN c.closed_at
         WHEN c.updated_at > c.last_inbound_at THEN c.updated_at
         ELSE c.last_inbound_at END + $2 AS delete_after
    FROM conversations c WHERE c.wa_id = $1 OR c.user_id = $1 ORDER BY c.id";
const CONVERSATION_COLUMNS: &[(&str, Kind)] = &[
    ("id", Kind::Int),
    // What staff and the audit log know the conversation by.
    ("public_id", Kind::Text),
    ("wa_id", Kind::Text),
    ("user_id", Kind::Text),
    ("state", Kind::Text),
    ("language", Kind::Text),
    ("urgent", Kind::Flag),
    ("queue_reason", Kind::Text),
    ("queued_at", Kind::Time),
    ("reply_deadline", Kind::Time),
    ("last_inbound_at", Kind::Time),
    ("created_at", Kind::Time),
    ("updated_at", Kind::Time),
    ("claimed_by", Kind::Username),
    ("claimed_at", Kind::Time),
    ("first_staff_reply_at", Kind::Time),
    ("followup_sent_at", Kind::Time),
    ("closed_at", Kind::Time),
    ("closed_by", Kind::Username),
    ("close_topic", Kind::Text),
    // The team (configured topic) it was passed to.
    ("queue_topic", Kind::Text),
    ("memory", Kind::Json),
    ("report_entry", Kind::Json),
    ("delete_after", Kind::Time),
];

const OF_CITIZEN: &str = "SELECT id FROM conversations WHERE wa_id = $1 OR user_id = $1";

/// Their messages, also those never given a conversation. A message in a
/// conversation goes with it; one outside goes on its own.
fn messages_sql() -> String {
    format!(
        "SELECT m.*, CASE WHEN m.conversation_id IS NULL THEN m.received_at + $2 END AS delete_after
         FROM inbound_messages m
         WHERE m.conversation_id IN ({OF_CITIZEN}) OR m.wa_id = $1 OR m.user_id = $1 ORDER BY m.id"
    )
}
const MESSAGE_COLUMNS: &[(&str, Kind)] = &[
    ("id", Kind::Int),
    ("conversation_id", Kind::Int),
    ("wamid", Kind::Text),
    ("wa_id", Kind::Text),
    ("user_id", Kind::Text),
    ("profile_name", Kind::Text),
    ("business_phone_number_id", Kind::Text),
    ("kind", Kind::Text),
    ("content", Kind::Json),
    ("reply_to", Kind::Text),
    ("sent_at", Kind::Time),
    ("received_at", Kind::Time),
    ("processed_at", Kind::Time),
    ("delete_after", Kind::Time),
];

/// Replies to them, with WhatsApp's last delivery status.
fn replies_sql() -> String {
    format!(
        "SELECT o.*, d.status AS delivery_status, d.updated_at AS delivery_updated_at,
                d.error_code AS delivery_error_code, d.error_title AS delivery_error_title
         FROM outbox o LEFT JOIN delivery_statuses d ON d.wamid = o.wamid
         WHERE o.conversation_id IN ({OF_CITIZEN}) ORDER BY o.id"
    )
}
const REPLY_COLUMNS: &[(&str, Kind)] = &[
    ("id", Kind::Int),
    ("conversation_id", Kind::Int),
    ("inbound_id", Kind::Int),
    ("kind", Kind::Text),
    ("author", Kind::Actor),
    ("payload", Kind::Json),
    ("state", Kind::Text),
    ("attempts", Kind::Int),
    ("next_attempt_at", Kind::Time),
    ("leased_until", Kind::Time),
    ("created_at", Kind::Time),
    ("sent_at", Kind::Time),
    ("wamid", Kind::Text),
    ("last_error", Kind::Text),
    ("error_code", Kind::Int),
    ("error_title", Kind::Text),
    ("delivery_status", Kind::Text),
    ("delivery_updated_at", Kind::Time),
    ("delivery_error_code", Kind::Int),
    ("delivery_error_title", Kind::Text),
];

fn history_sql() -> String {
    format!("SELECT * FROM conversation_events WHERE conversation_id IN ({OF_CITIZEN}) ORDER BY id")
}
const HISTORY_COLUMNS: &[(&str, Kind)] = &[
    ("id", Kind::Int),
    ("conversation_id", Kind::Int),
    ("at", Kind::Time),
    ("actor", Kind::Actor),
    ("kind", Kind::Text),
    // A released or transferred thread names a colleague here.
    ("detail", Kind::Username),
];

fn notes_sql() -> String {
    format!("SELECT * FROM conversation_notes WHERE conversation_id IN ({OF_CITIZEN}) ORDER BY id")
}
const NOTE_COLUMNS: &[(&str, Kind)] = &[
    ("id", Kind::Int),
    ("conversation_id", Kind::Int),
    ("at", Kind::Time),
    ("author", Kind::Actor),
    ("body", Kind::Text),
];

/// The editors' list drops a question at the retention age on its own.
fn gaps_sql() -> String {
    format!(
        "SELECT g.*, g.at + $2 AS delete_after FROM knowledge_gaps g
         WHERE g.conversation_id IN ({OF_CITIZEN}) ORDER BY g.id"
    )
}
const GAP_COLUMNS: &[(&str, Kind)] = &[
    ("id", Kind::Int),
    ("conversation_id", Kind::Int),
    ("at", Kind::Time),
    ("reason", Kind::Text),
    ("language", Kind::Text),
    ("question", Kind::Text),
    ("nearest_faq", Kind::Text),
    ("nearest_score", Kind::Float),
    ("delete_after", Kind::Time),
];

/// Audit entries about their conversations, which the log names by
/// public id (migration 0015 gave older entries theirs); `$2`: audit
/// retention. The staff member's client address is theirs, not the
/// citizen's: left out.
fn audit_sql() -> String {
    "SELECT a.id, a.at, a.actor, a.action, a.conversation, a.detail, a.at + $2 AS delete_after
     FROM audit_log a
     WHERE a.conversation IN (SELECT public_id FROM conversations WHERE wa_id = $1 OR user_id = $1)
     ORDER BY a.id"
        .to_owned()
}
const AUDIT_COLUMNS: &[(&str, Kind)] = &[
    ("id", Kind::Int),
    ("at", Kind::Time),
    ("actor", Kind::Actor),
    ("action", Kind::Text),
    ("conversation", Kind::Text),
    // A transfer names the colleague here.
    ("detail", Kind::Username),
    ("delete_after", Kind::Time),
];

/// A retention as the config writes it ("7d", "365d", "12h"); humantime
/// would say "11months 30days 3h 50m 24s" for 365 days.
fn in_words(duration: Duration) -> String {
    let secs = duration.as_secs();
    match (secs % 86_400, secs % 3_600) {
        (0, _) => format!("{}d", secs / 86_400),
        (_, 0) => format!("{}h", secs / 3_600),
        _ => humantime::format_duration(duration).to_string(),
    }
}

fn ms(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX / 2)
}

/// Staff usernames and their roles: how staff are named in the export.
struct Roles(HashMap<String, String>);

impl Roles {
    fn of(&self, username: &str) -> String {
        format!(
            "role:{}",
            self.0.get(username).map_or("unknown", String::as_str)
        )
    }

    fn actor(&self, actor: &str) -> String {
        actor
            .strip_prefix("staff:")
            .map_or_else(|| actor.to_owned(), |name| self.of(name))
    }

    /// A text that is exactly a colleague's username becomes their role.
    fn username(&self, text: &str) -> String {
        if self.0.contains_key(text) {
            self.of(text)
        } else {
            text.to_owned()
        }
    }
}

fn column(
    row: &AnyRow,
    name: &'static str,
    kind: Kind,
    roles: &Roles,
) -> Result<Value, StoreError> {
    Ok(match kind {
        Kind::Int => get::<Option<i64>>(row, name)?.map_or(Value::Null, Value::from),
        Kind::Float => get::<Option<f64>>(row, name)?.map_or(Value::Null, Value::from),
        Kind::Flag => Value::from(get::<i64>(row, name)? != 0),
        Kind::Time => get::<Option<i64>>(row, name)?
            .map_or(Value::Null, |at| Value::from(from_millis(at).to_rfc3339())),
        Kind::Text | Kind::Json | Kind::Actor | Kind::Username => {
            match get::<Option<String>>(row, name)? {
                None => Value::Null,
                Some(text) => match kind {
                    Kind::Json => serde_json::from_str(&text).unwrap_or(Value::String(text)),
                    Kind::Actor => Value::from(roles.actor(&text)),
                    Kind::Username => Value::from(roles.username(&text)),
                    _ => Value::String(text),
                },
            }
        }
    })
}

impl Store {
    /// Everything stored about `citizen` (a WhatsApp id or user id, as
    /// stored), read in one go.
    pub async fn export_citizen(
        &self,
        citizen: &str,
        retention: Retention,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<CitizenExport, StoreError> {
        let roles = Roles(
            sqlx::query("SELECT username, role FROM staff_users")
                .fetch_all(&self.pool)
                .await
                .doing("reading staff roles for an export")?
                .iter()
                .map(|row| Ok((get(row, "username")?, get(row, "role")?)))
                .collect::<Result<_, StoreError>>()?,
        );
        let kept = Some(ms(retention.conversations));
        let mut retention_words = Map::new();
        for (key, value) in [
            ("conversations", retention.conversations),
            ("audit_log", retention.audit_log),
        ] {
            retention_words.insert(key.to_owned(), Value::from(in_words(value)));
        }
        Ok(CitizenExport {
            citizen: citizen.to_owned(),
            exported_at: now,
            retention: retention_words,
            conversations: self
                .rows(CONVERSATIONS, CONVERSATION_COLUMNS, citizen, kept, &roles)
                .await?,
            messages: self
                .rows(&messages_sql(), MESSAGE_COLUMNS, citizen, kept, &roles)
                .await?,
            replies: self
                .rows(&replies_sql(), REPLY_COLUMNS, citizen, None, &roles)
                .await?,
            history: self
                .rows(&history_sql(), HISTORY_COLUMNS, citizen, None, &roles)
                .await?,
            notes: self
                .rows(&notes_sql(), NOTE_COLUMNS, citizen, None, &roles)
                .await?,
            unanswered_questions: self
                .rows(&gaps_sql(), GAP_COLUMNS, citizen, kept, &roles)
                .await?,
            staff_actions: self
                .rows(
                    &audit_sql(),
                    AUDIT_COLUMNS,
                    citizen,
                    Some(ms(retention.audit_log)),
                    &roles,
                )
                .await?,
        })
    }

    /// The rows of one export query (`$1`: the citizen, `$2`: the age at
    /// which its items are deleted, when the query states one), each as a
    /// JSON object of the declared columns.
    async fn rows(
        &self,
        sql: &str,
        columns: &'static [(&'static str, Kind)],
        citizen: &str,
        age: Option<i64>,
        roles: &Roles,
    ) -> Result<Vec<Value>, StoreError> {
        let mut query = sqlx::query(sql).bind(citizen);
        if let Some(age) = age {
            query = query.bind(age);
        }
        query
            .fetch_all(&self.pool)
            .await
            .doing("reading a citizen's data for an export")?
            .iter()
            .map(|row| {
                columns
                    .iter()
                    .map(|(name, kind)| Ok(((*name).to_owned(), column(row, name, *kind, roles)?)))
                    .collect::<Result<Map<String, Value>, StoreError>>()
                    .map(Value::Object)
            })
            .collect()
    }
}

impl From<&crate::config::PrivacySettings> for Retention {
    fn from(privacy: &crate::config::PrivacySettings) -> Self {
        Self {
            conversations: privacy.retention.0,
            audit_log: privacy.audit_retention.0,
        }
    }
}
