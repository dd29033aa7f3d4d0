//! What we send to a citizen. The Graph API client turns these into Meta's
//! JSON; the outbox stores them as JSON of this shape.

use super::{CitizenRef, MediaKind, Wamid};
use serde::{Deserialize, Serialize};

/// A reply button (interactive button message, at most 3, title at most 20
/// characters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyButton {
    pub id: String,
    pub title: String,
}

/// One row of an interactive list (title at most 24 characters,
/// description at most 72).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListRow {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
}

/// The content of one outbound message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OutgoingContent {
    Text {
        body: String,
    },
    /// Interactive message with reply buttons.
    Buttons {
        body: String,
        buttons: Vec<ReplyButton>,
    },
    /// Interactive list ("Bedoel je ...?"): a body, the label of the button
    /// that opens the list (at most 20 characters) and up to 10 rows.
    List {
        body: String,
        button: String,
        rows: Vec<ListRow>,
    },
    /// An approved template (outside the 24-hour window).
    Template {
        name: String,
        language: String,
        body_parameters: Vec<String>,
    },
    /// A file staff attached to a reply: an image or a document (PDF).
    /// The checked bytes wait in the store (`outbox_media`); the sender
    /// uploads them to Meta and fills in `id` for the one request that
    /// sends the message, so the stored payload never holds an upload id.
    Media {
        /// `Image` or `Document`: Meta's message type.
        media: MediaKind,
        /// Safe file name; Meta shows it for documents.
        filename: String,
        caption: Option<String>,
        /// Meta's id of the uploaded file, set just before sending.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
    },
    /// Mark an inbound message as read (blue ticks).
    MarkRead {
        wamid: Wamid,
    },
}

/// One message for one citizen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutgoingMessage {
    pub to: CitizenRef,
    pub content: OutgoingContent,
}
