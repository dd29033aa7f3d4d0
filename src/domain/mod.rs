//! Pure domain types shared by every area: who a citizen is, what they sent,
//! what we send back and how delivery went; who works with Loket; a
//! conversation's states and moves, and a thread as staff see it. Nothing
//! here does IO, and nothing here uses another module of the crate (it is
//! the bottom layer, see docs/architecture.md). Raw serde shapes from Meta
//! live in `whatsapp::webhook` and end here once parsed.

pub mod channel;
mod citizen;
pub mod context;
pub mod conversation;
mod inbound;
pub mod language;
mod outbound;
mod phone;
pub mod public_id;
mod staff;
pub mod thread;
pub mod web_chat;

pub use channel::Channel;
pub use citizen::{CitizenRef, IdError, ProfileName, UserId, WaId, Wamid};
pub use conversation::{Change, Conversation, ConversationState, Transition, TransitionError};
pub use inbound::{
    DeliveryStatus, GraphErrorDetail, InboundMessage, InteractiveKind, MediaKind, MessageContent,
    StatusUpdate, WebhookBatch,
};
pub use language::Language;
pub use outbound::{ListRow, OutgoingContent, OutgoingMessage, ReplyButton};
pub use phone::{CitizenKey, CitizenKeyError};
pub use public_id::{NotAPublicId, PublicId};
pub use staff::{Account, Role};
