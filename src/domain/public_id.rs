//! A conversation's public id: what staff, the API, the event stream, the
//! audit log and the urgent alert know a conversation by. The database's
//! integer key counts up, so a neighbour's thread was one guess away
//! (issue 23); this id is 128 random bits, so knowing one id tells nothing
//! about any other. The integer stays inside the service, for joins.
//!
//! The form is 32 lower-case hexadecimal digits: URL-safe, and the same
//! form the migration gives the conversations stored before it (SQLite's
//! `hex(randomblob(16))`, PostgreSQL's `encode(.., 'hex')`), so there is
//! one shape to check. Making one needs the OS's random source, which is
//! IO: `db` does that (`db::new_public_id`); this module stays pure.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

/// Random bytes in an id.
pub const PUBLIC_ID_BYTES: usize = 16;

/// Characters in an id's text form.
pub const PUBLIC_ID_LEN: usize = PUBLIC_ID_BYTES * 2;

/// The form as a regular expression (ECMA-262, for the OpenAPI document).
pub const PUBLIC_ID_PATTERN: &str = "^[0-9a-f]{32}$";

/// A conversation's public id (see the module comment).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PublicId(String);

/// Text that is not a public id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a conversation id: {PUBLIC_ID_LEN} lower-case hexadecimal digits expected")]
pub struct NotAPublicId;

impl PublicId {
    /// The id made of these random bytes.
    pub fn from_random_bytes(bytes: [u8; PUBLIC_ID_BYTES]) -> Self {
        Self(hex::encode(bytes))
    }

    /// Accepts exactly the form ids are made in, nothing else: no upper
    /// case, no white space, no integer key.
    pub fn parse(value: &str) -> Result<Self, NotAPublicId> {
        let well_formed = value.len() == PUBLIC_ID_LEN
            && value
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if well_formed {
            Ok(Self(value.to_owned()))
        } else {
            Err(NotAPublicId)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PublicId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

// JSON holds the text; reading it checks the form like `parse`.
impl Serialize for PublicId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for PublicId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

// Written out: the schema carries the pattern, so API clients (and
// Schemathesis) know what an id looks like.
impl utoipa::PartialSchema for PublicId {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(PUBLIC_ID_LEN))
            .max_length(Some(PUBLIC_ID_LEN))
            .pattern(Some(PUBLIC_ID_PATTERN))
            .description(Some(
                "A conversation's public id: 32 lower-case hexadecimal digits (128 random bits)",
            ))
            .into()
    }
}

impl utoipa::ToSchema for PublicId {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_its_bytes_in_lower_case_hex_and_parses_back() {
        let id = PublicId::from_random_bytes([0xab; PUBLIC_ID_BYTES]);
        assert_eq!(id.as_str(), "ab".repeat(PUBLIC_ID_BYTES));
        assert_eq!(PublicId::parse(id.as_str()), Ok(id));
    }

    #[test]
    fn only_the_exact_form_parses() {
        let good = "0123456789abcdef0123456789abcdef";
        assert!(PublicId::parse(good).is_ok());
        for bad in [
            "",
            "1",
            "42",
            &good.to_uppercase(),
            &good[1..],
            &format!("{good}0"),
            &format!(" {}", &good[1..]),
            "0123456789abcdef0123456789abcdeg",
            "../123456789abcdef0123456789abcd",
            "é123456789abcdef0123456789abcde",
        ] {
            assert_eq!(PublicId::parse(bad), Err(NotAPublicId), "{bad:?}");
        }
    }

    #[test]
    fn json_holds_the_text_and_refuses_anything_else() {
        let id = PublicId::parse("00ff00ff00ff00ff00ff00ff00ff00ff").expect("an id");
        let json = serde_json::to_string(&id).expect("serialises");
        assert_eq!(json, "\"00ff00ff00ff00ff00ff00ff00ff00ff\"");
        assert_eq!(serde_json::from_str::<PublicId>(&json).ok(), Some(id));
        assert!(serde_json::from_str::<PublicId>("7").is_err());
        assert!(serde_json::from_str::<PublicId>("\"7\"").is_err());
    }

    #[test]
    fn the_pattern_says_what_parse_accepts() {
        let pattern = regex::Regex::new(PUBLIC_ID_PATTERN).expect("a regular expression");
        for text in [
            "0123456789abcdef0123456789abcdef",
            "ABCDEF0123456789abcdef0123456789",
            "12",
        ] {
            assert_eq!(
                pattern.is_match(text),
                PublicId::parse(text).is_ok(),
                "{text}"
            );
        }
    }
}
