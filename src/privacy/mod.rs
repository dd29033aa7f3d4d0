//! Privacy helpers for what citizens send: personal data they should not
//! have shared (`pii`), links they may have sent in good or bad faith
//! (`links`) and invisible formatting that would make staff misread a
//! text (`invisible`). All are pure text functions without IO, so the
//! reply decision, the staff screen and the logs can use the same rules.

pub mod invisible;
pub mod links;
pub mod pii;

pub use invisible::for_staff;
pub use links::{Segment, domain_allowed, segments};
pub use pii::{Finding, PiiKind, contains_personal_data, find, mask};

/// A citizen's text as staff first see it: personal data masked unless
/// revealed, invisible formatting shown as markers ([`for_staff`]), and
/// the domains of its links.
pub fn citizen_text(text: String, reveal: bool) -> (String, bool, Vec<String>) {
    let mut domains: Vec<String> = links::find_links(&text)
        .into_iter()
        .map(|l| l.domain)
        .filter(|d| !d.is_empty())
        .collect();
    domains.dedup();
    if reveal {
        return (for_staff(&text).into_owned(), false, domains);
    }
    let masked = pii::mask(&text);
    let hidden = masked != text;
    (for_staff(&masked).into_owned(), hidden, domains)
}

/// What the audit log keeps of a close topic in place of free text.
pub const FREE_TOPIC: &str = "(own words)";

/// What the audit log keeps of a close topic: one of the configured
/// topics as it is, anything else as the reference [`FREE_TOPIC`]. A
/// typed topic is free text and may hold a BSN or a name; the audit log
/// outlives the conversation (`[privacy] audit_retention`), so it keeps
/// no free text. The topic itself, masked, is in the anonymous report.
pub fn topic_for_audit(topic: &str, configured: &[String]) -> String {
    let topic = topic.trim();
    configured
        .iter()
        .find(|known| known.trim() == topic)
        .map_or_else(|| FREE_TOPIC.to_owned(), |known| known.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_audit_log_keeps_configured_topics_and_no_typed_ones() {
        let configured = vec!["Afval".to_owned(), "Paspoort en ID-kaart".to_owned()];
        assert_eq!(topic_for_audit(" Afval ", &configured), "Afval");
        assert_eq!(
            topic_for_audit("Paspoort en ID-kaart", &configured),
            "Paspoort en ID-kaart"
        );
        for typed in ["BSN 111222333 klacht", "mevrouw Jansen", "afval"] {
            assert_eq!(topic_for_audit(typed, &configured), FREE_TOPIC, "{typed}");
        }
    }
}
