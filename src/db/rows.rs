//! Database rows turned into typed values. Only `db` builds these.

use super::{StoreError, from_millis};
use crate::domain::{
    CitizenRef, Language, MessageContent, OutgoingMessage, PublicId, UserId, WaId,
};
use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::any::AnyRow;

pub(super) fn get<'r, T>(row: &'r AnyRow, column: &'static str) -> Result<T, StoreError>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    row.try_get(column).map_err(|e| StoreError::Corrupt {
        what: column,
        detail: e.to_string(),
    })
}

/// A flag column: stored as 0/1 (INTEGER on SQLite, BIGINT on PostgreSQL),
/// so the same statements work on both.
pub(super) fn flag(row: &AnyRow, column: &'static str) -> Result<bool, StoreError> {
    get::<i64>(row, column).map(|value| value != 0)
}

/// A conversation's public id (`public_id` column); one that is not in
/// the form ids are made in means the stored data is not what it should be.
pub(super) fn public_id(row: &AnyRow) -> Result<PublicId, StoreError> {
    let text: String = get(row, "public_id")?;
    PublicId::parse(&text).map_err(|e| StoreError::Corrupt {
        what: "public_id",
        detail: e.to_string(),
    })
}

pub(super) fn citizen(row: &AnyRow) -> Result<CitizenRef, StoreError> {
    let wa_id: Option<String> = get(row, "wa_id")?;
    let user_id: Option<String> = get(row, "user_id")?;
    let wa_id = wa_id
        .map(|w| WaId::parse(&w))
        .transpose()
        .map_err(|e| StoreError::Corrupt {
            what: "wa_id",
            detail: e.to_string(),
        })?;
    let user_id = user_id
        .map(|u| UserId::parse(&u))
        .transpose()
        .map_err(|e| StoreError::Corrupt {
            what: "user_id",
            detail: e.to_string(),
        })?;
    CitizenRef::new(wa_id, user_id).ok_or(StoreError::Corrupt {
        what: "citizen",
        detail: "neither wa_id nor user_id".to_owned(),
    })
}

/// The `payload` column of an outbox row: the message as it will be sent.
fn outgoing_message(row: &AnyRow) -> Result<OutgoingMessage, StoreError> {
    let payload: String = get(row, "payload")?;
    serde_json::from_str(&payload).map_err(|e| StoreError::Corrupt {
        what: "outbox payload",
        detail: e.to_string(),
    })
}

/// An inbound message as stored, waiting to be processed.
#[derive(Debug, Clone)]
pub struct StoredInbound {
    pub id: i64,
    pub wamid: String,
    pub from: CitizenRef,
    pub content: MessageContent,
    /// When the citizen sent it: WhatsApp's own timestamp (the arrival
    /// time when Meta gave none). The flood rule counts by this.
    pub sent_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
}

impl StoredInbound {
    pub(super) fn from_row(row: &AnyRow) -> Result<Self, StoreError> {
        let content: String = get(row, "content")?;
        // Content written by an older version that this one cannot read is
        // still answered, as an unsupported message, rather than stuck.
        let content = serde_json::from_str(&content).unwrap_or(MessageContent::Unsupported {
            type_name: "unreadable".to_owned(),
        });
        Ok(Self {
            id: get(row, "id")?,
            wamid: get(row, "wamid")?,
            from: citizen(row)?,
            content,
            sent_at: from_millis(get(row, "sent_at")?),
            received_at: from_millis(get(row, "received_at")?),
        })
    }
}

/// A pending outbox row.
#[derive(Debug, Clone)]
pub struct OutboxRow {
    pub id: i64,
    pub conversation_id: i64,
    pub kind: String,
    pub message: OutgoingMessage,
    pub attempts: i64,
    pub created_at: DateTime<Utc>,
}

impl OutboxRow {
    pub(super) fn from_row(row: &AnyRow) -> Result<Self, StoreError> {
        let message = outgoing_message(row)?;
        Ok(Self {
            id: get(row, "id")?,
            conversation_id: get(row, "conversation_id")?,
            kind: get(row, "kind")?,
            message,
            attempts: get(row, "attempts")?,
            created_at: from_millis(get(row, "created_at")?),
        })
    }
}

/// A conversation's summary.
#[derive(Debug, Clone)]
pub struct ConversationRow {
    pub id: i64,
    pub public_id: PublicId,
    pub citizen: CitizenRef,
    pub state: String,
    /// Why it was handed to a person (`no_answer`, `media`, ...).
    pub queue_reason: Option<String>,
    pub language: Language,
    pub urgent: bool,
    pub reply_deadline: Option<DateTime<Utc>>,
    pub last_inbound_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

impl ConversationRow {
    pub(super) fn from_row(row: &AnyRow) -> Result<Self, StoreError> {
        let language: String = get(row, "language")?;
        let deadline: Option<i64> = get(row, "reply_deadline")?;
        Ok(Self {
            id: get(row, "id")?,
            public_id: public_id(row)?,
            citizen: citizen(row)?,
            state: get(row, "state")?,
            queue_reason: get(row, "queue_reason")?,
            language: Language::parse(&language).unwrap_or_default(),
            urgent: flag(row, "urgent")?,
            reply_deadline: deadline.map(from_millis),
            last_inbound_at: from_millis(get(row, "last_inbound_at")?),
            created_at: from_millis(get(row, "created_at")?),
        })
    }
}

/// An outbound message with what Meta said about it.
#[derive(Debug, Clone)]
pub struct DeliveryRow {
    pub id: i64,
    pub kind: String,
    /// pending, sent or failed (our side).
    pub state: String,
    pub attempts: i64,
    pub wamid: Option<String>,
    pub error_code: Option<i64>,
    pub error_title: Option<String>,
    pub message: OutgoingMessage,
    /// Meta's latest status callback: sent, delivered, read, played, failed.
    pub delivery_status: Option<String>,
    pub delivery_error_code: Option<i64>,
    pub delivery_error_title: Option<String>,
}

impl DeliveryRow {
    pub(super) fn from_row(row: &AnyRow) -> Result<Self, StoreError> {
        let message = outgoing_message(row)?;
        Ok(Self {
            id: get(row, "id")?,
            kind: get(row, "kind")?,
            state: get(row, "state")?,
            attempts: get(row, "attempts")?,
            wamid: get(row, "wamid")?,
            error_code: get(row, "error_code")?,
            error_title: get(row, "error_title")?,
            message,
            delivery_status: get(row, "delivery_status")?,
            delivery_error_code: get(row, "delivery_error_code")?,
            delivery_error_title: get(row, "delivery_error_title")?,
        })
    }
}
