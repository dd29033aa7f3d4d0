//! The human queue's moving parts: live updates for the staff page
//! (`events`, across instances `relay`), the follow-up template for
//! threads whose window closed (`followup`), closing web chats whose
//! citizen left (`abandoned`), and what a thread signals to
//! staff: whom it waits on, its deadline, unread messages (`signals`).
//!
//! The rest of the queue lives below storage, so that `db` never reaches
//! up here: a conversation's states and moves (`domain::conversation`),
//! what a thread looks like to staff and WhatsApp's 24-hour window
//! (`domain::thread`), masking a citizen's text for staff (`privacy`), and
//! the errors of claiming, answering, passing on and closing (`db`, whose
//! queue methods return them). HTTP is in `web::api`. The names re-exported
//! below are the ones the staff API knows the queue by.

pub mod abandoned;
pub mod events;
pub mod followup;
pub mod relay;
pub mod signals;

pub use crate::db::QueueError;
pub use crate::domain::ConversationState as State;
pub use crate::domain::thread::Summary;
