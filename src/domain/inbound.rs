//! What a citizen sent us and what Meta tells us about what we sent.

use super::{CitizenRef, ProfileName, Wamid};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Everything useful in one webhook POST (Meta batches many changes).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WebhookBatch {
    pub messages: Vec<InboundMessage>,
    pub statuses: Vec<StatusUpdate>,
    /// Changes we do not act on (other fields, messages without a sender),
    /// one human-readable line each, so the handler can log them.
    pub skipped: Vec<String>,
}

impl WebhookBatch {
    /// Drops every sender's profile name (`[privacy] keep_profile_name =
    /// false`): nothing of it is stored.
    pub fn forget_profile_names(&mut self) {
        for message in &mut self.messages {
            message.profile_name = None;
        }
    }
}

/// One message from a citizen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboundMessage {
    pub wamid: Wamid,
    pub from: CitizenRef,
    /// The sender's WhatsApp profile name, if Meta sent one and
    /// `[privacy] keep_profile_name` is on (see [`ProfileName`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_name: Option<ProfileName>,
    /// Meta's `metadata.phone_number_id`: which business number received it.
    pub business_phone_number_id: Option<String>,
    /// When the citizen sent it (Meta's `timestamp`).
    pub sent_at: DateTime<Utc>,
    /// The message this one replies to, if any (`context.id`).
    pub reply_to: Option<Wamid>,
    pub content: MessageContent,
}

/// Kinds of media a citizen can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Image,
    Audio,
    Video,
    Document,
    Sticker,
}

/// Which interactive element the citizen tapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InteractiveKind {
    ButtonReply,
    ListReply,
}

/// The content of an inbound message, one variant per kind Meta documents.
/// A type we do not know yet becomes `Unsupported`, never an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MessageContent {
    Text {
        body: String,
    },
    Media {
        media: MediaKind,
        media_id: Option<String>,
        mime_type: Option<String>,
        caption: Option<String>,
        filename: Option<String>,
        /// Voice note (audio recorded in the app) rather than an audio file.
        voice: bool,
    },
    Location {
        latitude: f64,
        longitude: f64,
        name: Option<String>,
        address: Option<String>,
    },
    Contacts {
        count: usize,
    },
    Interactive {
        interactive: InteractiveKind,
        id: String,
        title: String,
    },
    /// A quick-reply button on a template message.
    Button {
        payload: Option<String>,
        text: String,
    },
    Reaction {
        to: Option<Wamid>,
        /// `None` when a reaction was removed.
        emoji: Option<String>,
    },
    Order {
        catalog_id: Option<String>,
        items: usize,
    },
    /// A system notice, e.g. the citizen changed number.
    System {
        body: Option<String>,
    },
    /// Meta's `unsupported` or any type not known yet (kept, never rejected).
    Unsupported {
        type_name: String,
    },
}

impl MessageContent {
    /// Stable name of the kind, used in storage and metrics.
    pub fn kind_name(&self) -> &'static str {
        match self {
            MessageContent::Text { .. } => "text",
            MessageContent::Media { media, .. } => match media {
                MediaKind::Image => "image",
                MediaKind::Audio => "audio",
                MediaKind::Video => "video",
                MediaKind::Document => "document",
                MediaKind::Sticker => "sticker",
            },
            MessageContent::Location { .. } => "location",
            MessageContent::Contacts { .. } => "contacts",
            MessageContent::Interactive { .. } => "interactive",
            MessageContent::Button { .. } => "button",
            MessageContent::Reaction { .. } => "reaction",
            MessageContent::Order { .. } => "order",
            MessageContent::System { .. } => "system",
            MessageContent::Unsupported { .. } => "unsupported",
        }
    }

    /// The words the citizen typed or tapped, if any: what the reply logic
    /// reads (text body, media caption, button title).
    pub fn text(&self) -> Option<&str> {
        match self {
            MessageContent::Text { body } => Some(body),
            MessageContent::Media { caption, .. } => caption.as_deref(),
            MessageContent::Interactive { title, .. } => Some(title),
            MessageContent::Button { text, .. } => Some(text),
            _ => None,
        }
    }
}

/// Delivery state of a message we sent, as Meta reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Sent,
    Delivered,
    Read,
    Played,
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Read => "read",
            DeliveryStatus::Played => "played",
            DeliveryStatus::Failed => "failed",
        }
    }
    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "sent" => DeliveryStatus::Sent,
            "delivered" => DeliveryStatus::Delivered,
            "read" => DeliveryStatus::Read,
            "played" => DeliveryStatus::Played,
            "failed" => DeliveryStatus::Failed,
            _ => return None,
        })
    }
    /// Order in which statuses supersede each other, so a late `delivered`
    /// never overwrites `read`. `failed` is final.
    pub fn rank(self) -> i64 {
        match self {
            DeliveryStatus::Sent => 1,
            DeliveryStatus::Delivered => 2,
            DeliveryStatus::Read => 3,
            DeliveryStatus::Played => 4,
            DeliveryStatus::Failed => 5,
        }
    }
}

/// One error object as the Graph API reports it (in a failed status or an
/// error response).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphErrorDetail {
    pub code: i64,
    pub title: String,
}

/// A status callback for a message we sent.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusUpdate {
    pub wamid: Wamid,
    pub status: DeliveryStatus,
    pub at: DateTime<Utc>,
    /// First error for `failed` statuses.
    pub error: Option<GraphErrorDetail>,
}
