//! What staff see around a thread (issue 22, "Context, audited"): the
//! citizen's contact details once revealed, internal notes, a thread's
//! reference, and the criteria of a search for closed threads. Pure: the
//! store fills these and the staff API sends them.

use super::{Channel, CitizenRef, ConversationState, PublicId, phone};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

/// Longest internal note, in characters: room for a call summary, short
/// enough to stay a note.
pub const MAX_NOTE_CHARS: usize = 2000;

/// How many leading hex digits of the public id make a thread's reference.
pub const REFERENCE_LEN: usize = 8;

/// How to reach the citizen, shown only after "Persoonsgegevens tonen"
/// (the reveal, which is audited). Never part of a masked thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Contact {
    pub channel: Channel,
    /// The phone number in international form (`+31 6 12345678`); `null`
    /// for a web chat, and for a WhatsApp user who hides their number.
    pub number: Option<String>,
    /// The name the citizen gave themselves in WhatsApp, from their latest
    /// message that carried one; `null` for a web chat, when Meta sent
    /// none, or with `[privacy] keep_profile_name = false`.
    pub profile_name: Option<String>,
    /// What the page says about the number, in Dutch ...
    pub text_nl: String,
    /// ... and in English.
    pub text_en: String,
}

/// The contact details of `citizen` in a conversation on `channel`, with
/// the WhatsApp profile name the store holds for it.
pub fn contact_of(citizen: &CitizenRef, channel: Channel, profile_name: Option<String>) -> Contact {
    let number = match channel {
        Channel::Whatsapp => citizen.wa_id.as_ref().map(phone::for_display),
        Channel::Web => None,
    };
    let (text_nl, text_en) = match (channel, &number) {
        (Channel::Web, _) => (
            "Webchat: er is geen telefoonnummer (de inwoner schrijft via de website).".to_owned(),
            "Web chat: there is no phone number (the citizen writes on the website).".to_owned(),
        ),
        (Channel::Whatsapp, Some(number)) => (
            format!("Telefoonnummer: {number}"),
            format!("Phone number: {number}"),
        ),
        (Channel::Whatsapp, None) => (
            "De inwoner heeft het telefoonnummer in WhatsApp verborgen.".to_owned(),
            "The citizen hides their phone number in WhatsApp.".to_owned(),
        ),
    };
    Contact {
        channel,
        number,
        profile_name: match channel {
            Channel::Whatsapp => profile_name,
            Channel::Web => None,
        },
        text_nl,
        text_en,
    }
}

impl Contact {
    /// What the audit entry of a reveal says was shown: `number`, `name`,
    /// both (`number,name`) or nothing. Never the values themselves.
    pub fn audit_detail(&self) -> Option<&'static str> {
        match (self.number.is_some(), self.profile_name.is_some()) {
            (true, true) => Some("number,name"),
            (true, false) => Some("number"),
            (false, true) => Some("name"),
            (false, false) => None,
        }
    }
}

/// A staff member's internal note on a thread: never sent to the citizen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Note {
    pub at: DateTime<Utc>,
    /// `staff:<username>`.
    pub author: String,
    pub text: String,
}

/// Why a note is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("the note is empty")]
    Empty,
    #[error("the note has {chars} characters; at most {MAX_NOTE_CHARS} fit")]
    TooLong { chars: usize },
}

impl NoteError {
    /// The reason for the staff page, in Dutch.
    pub fn dutch(&self) -> String {
        match self {
            NoteError::Empty => "Schrijf eerst een notitie.".to_owned(),
            NoteError::TooLong { chars } => format!(
                "De notitie is te lang: {chars} tekens, hooguit {MAX_NOTE_CHARS}. Maak hem korter."
            ),
        }
    }
}

/// The note as stored: trimmed, not blank, at most [`MAX_NOTE_CHARS`]
/// characters as written.
pub fn note_text(text: &str) -> Result<&str, NoteError> {
    let chars = text.chars().count();
    if chars > MAX_NOTE_CHARS {
        return Err(NoteError::TooLong { chars });
    }
    match text.trim() {
        "" => Err(NoteError::Empty),
        trimmed => Ok(trimmed),
    }
}

/// A thread's reference: the first digits of its public id, short enough
/// to read out on the phone and to type into the search.
pub fn reference_of(id: &PublicId) -> String {
    id.as_str().chars().take(REFERENCE_LEN).collect()
}

/// An earlier or a found conversation, as the staff page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PastConversation {
    pub id: PublicId,
    /// The first 8 digits of `id`, as the page shows it.
    pub reference: String,
    pub started_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    /// The topic given at close, if any.
    pub topic: Option<String>,
    pub state: ConversationState,
    pub channel: Channel,
}

/// Which closed threads a search asks for; every part optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Search {
    /// Lower-case hex digits the public id starts with.
    pub reference: Option<String>,
    /// First day of closing, office time, included.
    pub from: Option<NaiveDate>,
    /// Last day of closing, office time, included.
    pub to: Option<NaiveDate>,
    /// Part of the close topic, any case.
    pub topic: Option<String>,
}

/// Why a search cannot be run; `field` names the input to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SearchError {
    #[error("{field} {text:?} is not a date; write it as YYYY-MM-DD")]
    BadDate { field: &'static str, text: String },
    #[error("from {from} is after to {to}")]
    Reversed { from: NaiveDate, to: NaiveDate },
    #[error("a reference is 4 to 32 hexadecimal digits")]
    BadReference,
    #[error("the topic is longer than 80 characters")]
    LongTopic,
}

impl SearchError {
    /// The input at fault: `from`, `to`, `reference` or `topic`.
    pub fn field(&self) -> &'static str {
        match self {
            SearchError::BadDate { field, .. } => field,
            SearchError::Reversed { .. } => "to",
            SearchError::BadReference => "reference",
            SearchError::LongTopic => "topic",
        }
    }

    /// The reason for the staff page, in Dutch.
    pub fn dutch(&self) -> String {
        match self {
            SearchError::BadDate { field, text } => {
                let name = if *field == "from" {
                    "Vanaf"
                } else {
                    "Tot en met"
                };
                format!("{name}: {text:?} is geen datum; schrijf die als JJJJ-MM-DD.")
            }
            SearchError::Reversed { .. } => {
                "Tot en met: die datum ligt vóór de begindatum.".to_owned()
            }
            SearchError::BadReference => {
                "Kenmerk: dat zijn 4 tot 32 tekens 0-9 en a-f (bijvoorbeeld 3f9a0c12).".to_owned()
            }
            SearchError::LongTopic => "Onderwerp: hooguit 80 tekens.".to_owned(),
        }
    }
}

/// An RFC 3339 full date (`2026-12-07`), nothing around it.
fn full_date(text: &str) -> Option<NaiveDate> {
    let bytes = text.as_bytes();
    let shaped = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    shaped
        .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten()
}

/// Reads the search inputs as the page sends them: a blank reference or
/// topic means "any"; a date, when given, must be one.
pub fn search_of(
    reference: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    topic: Option<&str>,
) -> Result<Search, SearchError> {
    fn given(text: Option<&str>) -> Option<&str> {
        text.map(str::trim).filter(|t| !t.is_empty())
    }
    // A date that is given must be one, exactly `YYYY-MM-DD` (the API's
    // contract says `format: date`): an empty or padded value is refused
    // like any other, naming the field. The page leaves out what is blank.
    let day = |text: Option<&str>, field: &'static str| {
        text.map(|t| {
            full_date(t).ok_or_else(|| SearchError::BadDate {
                field,
                text: t.to_owned(),
            })
        })
        .transpose()
    };
    let (from, to) = (day(from, "from")?, day(to, "to")?);
    if let (Some(from), Some(to)) = (from, to) {
        if from > to {
            return Err(SearchError::Reversed { from, to });
        }
    }
    // A reference that is given must be one (the contract's pattern: 4 to
    // 32 hex digits, one `#` before them and spaces around allowed).
    let reference = reference
        .map(|r| {
            let r = r.trim();
            let r = r.strip_prefix('#').unwrap_or(r).to_ascii_lowercase();
            let hex = r.chars().all(|c| c.is_ascii_hexdigit());
            if hex && (4..=32).contains(&r.len()) {
                Ok(r)
            } else {
                Err(SearchError::BadReference)
            }
        })
        .transpose()?;
    // The limit counts what was sent, as the contract's maxLength does.
    if topic.is_some_and(|t| t.chars().count() > 80) {
        return Err(SearchError::LongTopic);
    }
    let topic = given(topic).map(str::to_owned);
    Ok(Search {
        reference,
        from,
        to,
        topic,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{UserId, WaId};

    fn citizen(wa_id: Option<&str>, user_id: Option<&str>) -> CitizenRef {
        CitizenRef::new(
            wa_id.map(|w| WaId::parse(w).expect("wa_id")),
            user_id.map(|u| UserId::parse(u).expect("user_id")),
        )
        .expect("a citizen")
    }

    #[test]
    fn a_whatsapp_citizen_has_a_readable_number_and_a_web_citizen_none() {
        let name = || Some("Voorbeeld Inwoner".to_owned());
        let contact = contact_of(
            &citizen(Some("31612345678"), None),
            Channel::Whatsapp,
            name(),
        );
        assert_eq!(contact.number.as_deref(), Some("+31 6 12345678"));
        assert!(contact.text_nl.contains("+31 6 12345678"));
        assert_eq!(contact.profile_name.as_deref(), Some("Voorbeeld Inwoner"));
        assert_eq!(contact.audit_detail(), Some("number,name"));
        let web = contact_of(
            &citizen(None, Some("web.0123456789abcdef")),
            Channel::Web,
            name(),
        );
        assert_eq!(web.number, None);
        assert_eq!(web.profile_name, None, "a web chat has no profile");
        assert_eq!(web.audit_detail(), None);
        assert!(web.text_nl.contains("geen telefoonnummer"), "{web:?}");
        let hidden = contact_of(
            &citizen(None, Some("NL.1502576394655843")),
            Channel::Whatsapp,
            name(),
        );
        assert_eq!(hidden.number, None);
        assert_eq!(hidden.audit_detail(), Some("name"));
        assert!(hidden.text_nl.contains("verborgen"), "{hidden:?}");
        let nameless = contact_of(&citizen(Some("31612345678"), None), Channel::Whatsapp, None);
        assert_eq!(nameless.audit_detail(), Some("number"));
    }

    #[test]
    fn a_note_is_trimmed_and_refused_when_blank_or_too_long() {
        assert_eq!(note_text("  belde terug  "), Ok("belde terug"));
        assert_eq!(note_text(" \n "), Err(NoteError::Empty));
        let long = "é".repeat(MAX_NOTE_CHARS + 1);
        assert_eq!(
            note_text(&long),
            Err(NoteError::TooLong {
                chars: MAX_NOTE_CHARS + 1
            })
        );
        assert!(note_text(&"é".repeat(MAX_NOTE_CHARS)).is_ok());
    }

    #[test]
    fn a_search_names_the_field_that_is_wrong() {
        let bad_from = search_of(None, Some("31-12-2026"), None, None).expect_err("bad date");
        assert_eq!(bad_from.field(), "from");
        let bad_to = search_of(None, None, Some("2026-02-30"), None).expect_err("bad date");
        assert_eq!(bad_to.field(), "to");
        assert!(
            bad_to.dutch().starts_with("Tot en met"),
            "{}",
            bad_to.dutch()
        );
        let reversed = search_of(None, Some("2026-12-08"), Some("2026-12-07"), None);
        assert_eq!(reversed.map_err(|e| e.field()), Err("to"));
        assert_eq!(
            search_of(Some("xyz1"), None, None, None).map_err(|e| e.field()),
            Err("reference")
        );
        // A reference that is given must be one: empty or with two `#` is refused.
        for given in ["", "  ", "##3f9a"] {
            let refused = search_of(Some(given), None, None, None).map_err(|e| e.field());
            assert_eq!(refused, Err("reference"), "{given:?}");
        }
        let padded_topic = format!(" {} ", "a".repeat(79));
        assert_eq!(
            search_of(None, None, None, Some(&padded_topic)).map_err(|e| e.field()),
            Err("topic")
        );
        // A date that is given must be exactly one: empty or padded is refused.
        for given in ["", " 2026-12-07", "2026-12-7", "+2026-12-07"] {
            let refused = search_of(None, Some(given), None, None).map_err(|e| e.field());
            assert_eq!(refused, Err("from"), "{given:?}");
        }
        let search = search_of(
            Some(" #3F9A0C12 "),
            None,
            Some("2026-12-07"),
            Some(" afval "),
        )
        .expect("valid");
        assert_eq!(search.reference.as_deref(), Some("3f9a0c12"));
        assert_eq!(search.from, None);
        assert_eq!(search.to, NaiveDate::from_ymd_opt(2026, 12, 7));
        assert_eq!(search.topic.as_deref(), Some("afval"));
    }
}
