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
