//! Privacy helpers for what citizens send: personal data they should not
//! have shared (`pii`) and links they may have sent in good or bad faith
//! (`links`). Both are pure text functions without IO, so the reply
//! decision, the staff screen and the logs can use the same rules.

pub mod links;
pub mod pii;

pub use links::{Segment, domain_allowed, segments};
pub use pii::{Finding, PiiKind, contains_personal_data, find, mask};

/// A citizen's text as staff first see it: personal data masked unless
/// revealed, and the domains of its links.
pub fn citizen_text(text: String, reveal: bool) -> (String, bool, Vec<String>) {
    let mut domains: Vec<String> = links::find_links(&text)
        .into_iter()
        .map(|l| l.domain)
        .filter(|d| !d.is_empty())
        .collect();
    domains.dedup();
    if reveal {
        return (text, false, domains);
    }
    let masked = pii::mask(&text);
    let hidden = masked != text;
    (masked, hidden, domains)
}
