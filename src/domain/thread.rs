//! A thread as staff see it: the queue's summary, the messages and the
//! history of one conversation, WhatsApp's 24-hour window, and how a
//! message reads on the staff screen. Pure; `db::queue` fills these from
//! the tables and `web::api` sends them.

use super::{
    Channel, CitizenRef, ConversationState, Language, MediaKind, MessageContent, OutgoingContent,
    PublicId,
};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

/// WhatsApp's customer-service window: free text is allowed this long after
/// the citizen's last message; after that only approved templates.
pub const WINDOW: Duration = Duration::hours(24);

/// Whether free text may go out now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Window {
    pub open: bool,
    pub expires_at: DateTime<Utc>,
}

/// The window after the citizen's last message at `last_inbound_at`.
pub fn window(last_inbound_at: DateTime<Utc>, now: DateTime<Utc>) -> Window {
    let expires_at = last_inbound_at + WINDOW;
    Window {
        open: now < expires_at,
        expires_at,
    }
}

/// A thread as the queue lists it. No full phone number: `citizen` tells
/// threads apart without revealing it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Summary {
    /// The conversation's public id: what the API and the staff page know
    /// it by.
    pub id: PublicId,
    /// The database's integer key, for the service's own joins; never
    /// sent (it counts up, so it would give away the neighbours' ids).
    #[serde(skip)]
    pub key: i64,
    pub state: ConversationState,
    pub reason: Option<String>,
    pub urgent: bool,
    pub deadline: Option<DateTime<Utc>>,
    pub claimed_by: Option<String>,
    /// The topic (team) the thread was passed to and waits for; `null`
    /// when it was never passed to one.
    pub topic: Option<String>,
    pub language: Language,
    pub queued_at: Option<DateTime<Utc>>,
    pub last_message_at: DateTime<Utc>,
    pub citizen: String,
    /// Where the citizen writes: `whatsapp`, or `web` (the website chat;
    /// no 24-hour window).
    pub channel: Channel,
    pub preview: String,
    #[serde(skip)]
    pub to: CitizenRef,
    /// The last staff message or follow-up template, for
    /// `queue::signals` (which the API sends instead).
    #[serde(skip)]
    pub last_answer_at: Option<DateTime<Utc>>,
    /// The first staff message since the hand-over, for `queue::signals`.
    #[serde(skip)]
    pub first_reply_at: Option<DateTime<Utc>>,
}

/// One line of a thread.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ThreadMessage {
    pub at: DateTime<Utc>,
    /// `citizen`, `bot` or `staff:<username>`.
    pub author: String,
    pub kind: String,
    pub text: String,
    /// Personal data (BSN, IBAN, e-mail, phone number) in `text` is hidden
    /// behind labels; `POST .../reveal` shows it, and is audited.
    pub masked: bool,
    /// Domains of links in a citizen's message, shown beside the text
    /// (links are never clickable for staff).
    pub link_domains: Vec<String>,
    /// Delivery of our messages: pending, sent, delivered, read, failed.
    pub status: Option<String>,
    /// The file a citizen sent with this message, if any.
    pub media: Option<ThreadMedia>,
    /// The place a citizen shared, if this is a location.
    pub location: Option<ThreadLocation>,
}

/// A citizen's file as the thread shows it: what it is and how far its
/// fetch got. Its bytes are at `url` once it is stored.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ThreadMedia {
    /// The file's id under the conversation (`.../media/{media}`).
    pub id: i64,
    /// `image`, `audio`, `video`, `document` or `sticker`.
    pub kind: MediaKind,
    /// A voice note recorded in the app rather than an audio file.
    pub voice: bool,
    /// `pending` (being fetched), `stored` or `failed`.
    pub state: String,
    /// Why a failed file was not stored: `too_large`, `wrong_sha256`,
    /// `unknown_type`, `expired`, `not_found` or `unreachable`.
    pub failure: Option<String>,
    /// The failure for staff, e.g. "foto kon niet worden opgehaald: te groot".
    pub failure_nl: Option<String>,
    /// The same in English, e.g. "photo could not be fetched: too large".
    pub failure_en: Option<String>,
    /// Bytes as stored (an image without its metadata).
    pub size: Option<i64>,
    /// The type sniffed from the bytes, as the file is served.
    pub mime: Option<String>,
    /// Where the bytes are (only once stored): the staff API's media route.
    pub url: Option<String>,
}

/// A shared location: the coordinates, and the name and address when the
/// citizen picked a place.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ThreadLocation {
    pub latitude: f64,
    pub longitude: f64,
    pub name: Option<String>,
    pub address: Option<String>,
}

/// One stored state change.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = ThreadEvent)]
pub struct Event {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub kind: String,
    pub detail: Option<String>,
}

/// A whole thread for the conversation view.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Thread {
    #[serde(flatten)]
    pub summary: Summary,
    pub window: Window,
    pub messages: Vec<ThreadMessage>,
    pub events: Vec<Event>,
}

/// What staff see of a citizen's message: the text, or a placeholder for
/// media (the media itself is not fetched: it would keep personal data).
pub fn describe_inbound(content: &MessageContent) -> String {
    let with_caption = |label: &str, caption: &Option<String>| match caption {
        Some(c) if !c.trim().is_empty() => format!("{label} {c}"),
        _ => label.to_owned(),
    };
    match content {
        MessageContent::Text { body } => body.clone(),
        MessageContent::Media {
            media,
            caption,
            voice,
            ..
        } => {
            let label = match (media, voice) {
                (MediaKind::Image, _) => "[foto]",
                (MediaKind::Audio, true) => "[spraakbericht]",
                (MediaKind::Audio, false) => "[geluidsbestand]",
                (MediaKind::Video, _) => "[video]",
                (MediaKind::Document, _) => "[document]",
                (MediaKind::Sticker, _) => "[sticker]",
            };
            with_caption(label, caption)
        }
        MessageContent::Location { name, address, .. } => {
            let place = [name.as_deref(), address.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ");
            if place.is_empty() {
                "[locatie]".to_owned()
            } else {
                format!("[locatie] {place}")
            }
        }
        MessageContent::Contacts { count } => format!("[{count} contact(en)]"),
        MessageContent::Interactive { title, .. } => format!("[keuze] {title}"),
        MessageContent::Button { text, .. } => format!("[knop] {text}"),
        MessageContent::Reaction { emoji, .. } => {
            format!("[reactie] {}", emoji.as_deref().unwrap_or("(verwijderd)"))
        }
        MessageContent::Order { items, .. } => format!("[bestelling, {items} artikel(en)]"),
        MessageContent::System { .. } => "[systeemmelding]".to_owned(),
        MessageContent::Unsupported { type_name } => format!("[niet ondersteund: {type_name}]"),
    }
}

/// What staff see of one of our messages.
pub fn describe_outgoing(content: &OutgoingContent) -> String {
    match content {
        OutgoingContent::Text { body } => body.clone(),
        OutgoingContent::Buttons { body, buttons } => {
            let titles: Vec<&str> = buttons.iter().map(|b| b.title.as_str()).collect();
            format!("{body} [{}]", titles.join(" | "))
        }
        OutgoingContent::List { body, rows, .. } => {
            let titles: Vec<&str> = rows.iter().map(|r| r.title.as_str()).collect();
            format!("{body} [{}]", titles.join(" | "))
        }
        OutgoingContent::Template { name, language, .. } => {
            format!("[sjabloon {name} ({language})]")
        }
        OutgoingContent::Media {
            media,
            filename,
            caption,
            ..
        } => {
            let noun = match media {
                MediaKind::Image => "foto",
                _ => "document",
            };
            let label = format!("[{noun}: {filename}]");
            match caption {
                Some(caption) => format!("{label} {caption}"),
                None => label,
            }
        }
        OutgoingContent::MarkRead { .. } => "[gelezen]".to_owned(),
    }
}

/// The first `max` characters of a text on one line.
pub fn preview(text: &str, max: usize) -> String {
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= max {
        line
    } else {
        line.chars().take(max - 1).collect::<String>() + "…"
    }
}

/// How staff tell citizens apart without seeing the number.
pub fn citizen_label(citizen: &CitizenRef) -> String {
    match (&citizen.wa_id, &citizen.user_id) {
        (Some(wa_id), _) => {
            let digits = wa_id.as_str();
            let tail = &digits[digits.len().saturating_sub(4)..];
            format!("•••• {tail}")
        }
        (None, Some(user_id)) if citizen.channel() == Channel::Web => {
            let tail: String = user_id.as_str().chars().rev().take(4).collect();
            format!("web …{}", tail.chars().rev().collect::<String>())
        }
        (None, Some(user_id)) => {
            let id = user_id.as_str();
            let tail: String = id
                .chars()
                .rev()
                .take(4)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            format!("BSUID …{tail}")
        }
        (None, None) => "onbekend".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::WaId;
    use chrono::TimeZone;

    #[test]
    fn the_window_closes_exactly_24_hours_after_the_last_message() {
        let last = Utc
            .with_ymd_and_hms(2026, 11, 20, 9, 0, 0)
            .single()
            .expect("valid");
        assert!(window(last, last + Duration::hours(23) + Duration::minutes(59)).open);
        let at_close = window(last, last + Duration::hours(24));
        assert!(!at_close.open);
        assert_eq!(at_close.expires_at, last + WINDOW);
    }

    #[test]
    fn media_become_placeholders_with_caption() {
        let photo = MessageContent::Media {
            media: MediaKind::Image,
            media_id: Some("1".into()),
            mime_type: None,
            caption: Some("kapotte lantaarnpaal".into()),
            filename: None,
            voice: false,
        };
        assert_eq!(describe_inbound(&photo), "[foto] kapotte lantaarnpaal");
        let voice = MessageContent::Media {
            media: MediaKind::Audio,
            media_id: None,
            mime_type: None,
            caption: None,
            filename: None,
            voice: true,
        };
        assert_eq!(describe_inbound(&voice), "[spraakbericht]");
    }

    #[test]
    fn previews_are_one_short_line() {
        assert_eq!(preview("hallo\n\nwereld", 80), "hallo wereld");
        assert_eq!(preview("abcdef", 4), "abc…");
    }

    #[test]
    fn citizens_are_labelled_by_their_last_four_digits() {
        let wa = WaId::parse("31600000001").expect("valid");
        let citizen = CitizenRef::new(Some(wa), None).expect("citizen");
        assert_eq!(citizen_label(&citizen), "•••• 0001");
        assert!(!citizen_label(&citizen).contains("316"));
    }
}
