//! What the website chat's stream carries (issue 24): the session's
//! messages, each with a cursor. Pure types; `db::webchat` reads them and
//! `web::api::webchat` writes them as server-sent events.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// Where a session's stream stands: the last citizen message and the last
/// reply it has shown. Both ids only grow within one session (its
/// messages are stored, and its replies sent, in order), so "everything
/// after the cursor" is exactly what the widget has not seen. Written as
/// `<inbound>.<outbox>` in an event's `id`, which the browser sends back
/// as `Last-Event-ID` when it reconnects.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor {
    pub inbound: i64,
    pub outbox: i64,
}

impl Cursor {
    /// Reads `Last-Event-ID`; `None` for anything that is not two
    /// non-negative ids joined by a dot.
    pub fn parse(text: &str) -> Option<Self> {
        let (inbound, outbox) = text.trim().split_once('.')?;
        let inbound: i64 = inbound.parse().ok()?;
        let outbox: i64 = outbox.parse().ok()?;
        (inbound >= 0 && outbox >= 0).then_some(Self { inbound, outbox })
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.inbound, self.outbox)
    }
}

/// Who wrote a message in the web chat. Staff are not named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum WebAuthor {
    Citizen,
    Bot,
    Staff,
}

/// A choice the widget shows as a button (the FAQ's "Ja, bedankt" / "Nee,
/// een medewerker", a list's rows); sending it sends its `id` and `title`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct WebChoice {
    pub id: String,
    pub title: String,
}

/// One message of a web chat as its stream sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct WebMessage {
    /// The stream position after this message (the event's `id`).
    pub id: String,
    pub author: WebAuthor,
    pub at: DateTime<Utc>,
    pub text: String,
    pub choices: Vec<WebChoice>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_what_it_writes_and_nothing_else() {
        let cursor = Cursor {
            inbound: 12,
            outbox: 345,
        };
        assert_eq!(Cursor::parse(&cursor.to_string()), Some(cursor));
        assert_eq!(Cursor::parse(" 0.0 "), Some(Cursor::default()));
        for bad in ["", "12", "12.", ".5", "-1.2", "a.b", "1.2.3"] {
            assert_eq!(Cursor::parse(bad), None, "{bad:?}");
        }
    }
}
