//! Privacy helpers for what citizens send: personal data they should not
//! have shared (`pii`) and links they may have sent in good or bad faith
//! (`links`). Both are pure text functions without IO, so the reply
//! decision, the staff screen and the logs can use the same rules.

pub mod links;
pub mod pii;

pub use links::{Segment, domain_allowed, segments};
pub use pii::{Finding, PiiKind, contains_personal_data, find, mask};
