//! Pure domain types shared by every area: who a citizen is, what they sent,
//! what we send back and how delivery went. Nothing here does IO; raw serde
//! shapes from Meta live in `whatsapp::webhook` and end here once parsed.

mod citizen;
mod inbound;
mod language;
mod outbound;

pub use citizen::{CitizenRef, IdError, UserId, WaId, Wamid};
pub use inbound::{
    DeliveryStatus, GraphErrorDetail, InboundMessage, InteractiveKind, MediaKind, MessageContent,
    StatusUpdate, WebhookBatch,
};
pub use language::Language;
pub use outbound::{ListRow, OutgoingContent, OutgoingMessage, ReplyButton};
