//! Identifiers of citizens and messages. Each is a newtype with a private
//! field and a `parse` that rejects what Meta would never send, so a
//! malformed id is caught at the edge and not in a SQL query.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why an identifier was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("{kind} is empty")]
    Empty { kind: &'static str },
    #[error("{kind} is longer than {max} characters")]
    TooLong { kind: &'static str, max: usize },
    #[error("{kind} contains a character that is not allowed")]
    BadCharacter { kind: &'static str },
}

fn check(
    kind: &'static str,
    value: &str,
    max: usize,
    allowed: impl Fn(char) -> bool,
) -> Result<(), IdError> {
    if value.is_empty() {
        return Err(IdError::Empty { kind });
    }
    if value.chars().count() > max {
        return Err(IdError::TooLong { kind, max });
    }
    if !value.chars().all(allowed) {
        return Err(IdError::BadCharacter { kind });
    }
    Ok(())
}

/// A WhatsApp id: the citizen's phone number in international format
/// without `+` (e.g. `31600000001`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WaId(String);

impl WaId {
    /// Accepts 5 to 20 digits.
    pub fn parse(value: &str) -> Result<Self, IdError> {
        check("wa_id", value, 20, |c| c.is_ascii_digit())?;
        if value.len() < 5 {
            return Err(IdError::BadCharacter { kind: "wa_id" });
        }
        Ok(Self(value.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The number with all but the last three digits hidden, for logs and
    /// screens that need to tell numbers apart without revealing them.
    pub fn masked(&self) -> String {
        let keep = 3.min(self.0.len());
        format!(
            "{}{}",
            "*".repeat(self.0.len() - keep),
            &self.0[self.0.len() - keep..]
        )
    }
}

impl TryFrom<String> for WaId {
    type Error = IdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}
impl From<WaId> for String {
    fn from(value: WaId) -> Self {
        value.0
    }
}
impl fmt::Display for WaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// A business-scoped user id (BSUID, Meta 2026): `CC.alnum` such as
/// `NL.1502576394655843`, or a parent id `NL.ENT.1181...`. Identifies a
/// citizen who may have hidden their phone number behind a username.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UserId(String);

impl UserId {
    pub fn parse(value: &str) -> Result<Self, IdError> {
        check("user_id", value, 160, |c| {
            c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-'
        })?;
        Ok(Self(value.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for UserId {
    type Error = IdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}
impl From<UserId> for String {
    fn from(value: UserId) -> Self {
        value.0
    }
}

/// A WhatsApp message id (`wamid.HBgL...`), unique per message. Used to
/// deduplicate Meta's redeliveries and to match status callbacks.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Wamid(String);

impl Wamid {
    pub fn parse(value: &str) -> Result<Self, IdError> {
        check("message id", value, 512, |c| c.is_ascii_graphic())?;
        Ok(Self(value.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for Wamid {
    type Error = IdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}
impl From<Wamid> for String {
    fn from(value: Wamid) -> Self {
        value.0
    }
}
impl fmt::Display for Wamid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The name a citizen gave themselves in WhatsApp (Meta's
/// `contacts[].profile.name`). Personal data: stored with the message,
/// shown to staff only after the audited reveal, deleted with the
/// conversation. Free text chosen by the citizen, so it is cleaned for
/// display: control and format characters (a right-to-left override could
/// reorder what staff read) are dropped, runs of whitespace become one
/// space, and it is cut at [`ProfileName::MAX_CHARS`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProfileName(String);

impl ProfileName {
    /// WhatsApp allows 25 characters; room for other clients' longer names.
    pub const MAX_CHARS: usize = 100;

    /// The cleaned name; `None` when nothing readable is left.
    pub fn from_meta(raw: &str) -> Option<Self> {
        let kept: String = raw
            .chars()
            .map(|c| if c.is_whitespace() { ' ' } else { c })
            .filter(|c| !c.is_control() && !is_format_character(*c))
            .collect();
        let words: Vec<&str> = kept.split(' ').filter(|w| !w.is_empty()).collect();
        let name: String = words.join(" ").chars().take(Self::MAX_CHARS).collect();
        let name = name.trim_end().to_owned();
        (!name.is_empty()).then_some(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Unicode's invisible format characters (category Cf) that matter for
/// display: bidirectional controls, zero-width characters and the BOM.
fn is_format_character(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

impl TryFrom<String> for ProfileName {
    type Error = IdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::from_meta(&value).ok_or(IdError::Empty {
            kind: "profile name",
        })
    }
}

impl From<ProfileName> for String {
    fn from(value: ProfileName) -> Self {
        value.0
    }
}

/// How we know a citizen: by phone number, by business-scoped user id, or
/// both. Since 2026 Meta may leave out the phone number, so either may be
/// missing, but never both (the parser drops such messages with a log line).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CitizenRef {
    pub wa_id: Option<WaId>,
    pub user_id: Option<UserId>,
}

impl CitizenRef {
    /// `None` when neither identifier is present.
    pub fn new(wa_id: Option<WaId>, user_id: Option<UserId>) -> Option<Self> {
        if wa_id.is_none() && user_id.is_none() {
            None
        } else {
            Some(Self { wa_id, user_id })
        }
    }
    /// A short label for logs that reveals no phone number.
    pub fn log_label(&self) -> String {
        match (&self.wa_id, &self.user_id) {
            (Some(wa_id), _) => wa_id.masked(),
            (None, Some(user_id)) => format!(
                "bsuid:{}…",
                user_id.as_str().chars().take(4).collect::<String>()
            ),
            (None, None) => "unknown".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phone_number_is_masked_to_its_last_three_digits() {
        let id = WaId::parse("31600000001").expect("valid");
        assert_eq!(id.masked(), "********001");
        assert_eq!(id.to_string(), "********001");
    }

    #[test]
    fn a_profile_name_is_cleaned_for_display() {
        let name = |raw: &str| ProfileName::from_meta(raw).map(|n| n.as_str().to_owned());
        assert_eq!(
            name("  Voorbeeld   Inwoner \n").as_deref(),
            Some("Voorbeeld Inwoner")
        );
        // A right-to-left override and a zero-width space are dropped.
        assert_eq!(name("Ann\u{202E}a\u{200B}").as_deref(), Some("Anna"));
        assert_eq!(name("Jan\u{0007}").as_deref(), Some("Jan"));
        assert_eq!(name(" \u{200B}\t"), None);
        assert_eq!(name(""), None);
        let long = "é".repeat(300);
        assert_eq!(
            name(&long).map(|n| n.chars().count()),
            Some(ProfileName::MAX_CHARS)
        );
        assert_eq!(name("Fatima 🌷").as_deref(), Some("Fatima 🌷"));
    }

    #[test]
    fn ids_reject_what_meta_never_sends() {
        assert!(WaId::parse("").is_err());
        assert!(WaId::parse("+31600000001").is_err());
        assert!(UserId::parse("NL.1502576394655843").is_ok());
        assert!(UserId::parse("NL 15").is_err());
        assert!(Wamid::parse("wamid.HBgL=").is_ok());
        assert!(Wamid::parse("wamid with space").is_err());
        assert!(CitizenRef::new(None, None).is_none());
    }
}
