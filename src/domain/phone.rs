//! A citizen as a person names them at a data-rights request: a phone
//! number in any common form (06 12345678, +31 6 1234 5678,
//! 0031-6-12345678, or the stored 31612345678), or a business-scoped user
//! id. Numbers are read with `phonenumber` (libphonenumber's rules and
//! metadata, ADR 0024) and become the stored form of a WhatsApp id: E.164
//! without the `+`.

use super::citizen::{UserId, WaId};
use phonenumber::country::Id as Country;
use phonenumber::{Mode, PhoneNumber};

/// Numbers without a country code are read as Dutch.
const HOME: Country = Country::NL;

/// Who a data-rights request is about, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CitizenKey {
    Number(WaId),
    User(UserId),
}

/// Why an input names no citizen; the message says how to write it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{input:?} cannot be a phone number: {reason}; write it as 06 12345678, +31 6 12345678 or 0031 6 12345678 (or give a user id such as NL.1502576394655843)"
)]
pub struct CitizenKeyError {
    pub input: String,
    pub reason: String,
}

impl CitizenKey {
    /// Reads a number or a user id as a person would type it.
    pub fn parse(text: &str) -> Result<Self, CitizenKeyError> {
        let text = text.trim();
        let refuse = |reason: &str| CitizenKeyError {
            input: text.to_owned(),
            reason: reason.to_owned(),
        };
        // A web session's key (`web.` and hex) is kept where a user id is.
        if is_user_id(text) || super::channel::is_web_key(text) {
            return UserId::parse(text)
                .map(CitizenKey::User)
                .map_err(|e| refuse(&e.to_string()));
        }
        if text.is_empty() {
            return Err(refuse("it is empty"));
        }
        if let Some(odd) = text
            .chars()
            .find(|c| !(c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')' | '.')))
        {
            return Err(refuse(&format!("{odd:?} is not a digit, space, dash or +")));
        }
        let number = read(text).map_err(|e| refuse(&e))?;
        let e164 = number.format().mode(Mode::E164).to_string();
        WaId::parse(e164.trim_start_matches('+'))
            .map(CitizenKey::Number)
            .map_err(|e| refuse(&e.to_string()))
    }

    /// The value stored in `wa_id` or `user_id`.
    pub fn as_str(&self) -> &str {
        match self {
            CitizenKey::Number(wa_id) => wa_id.as_str(),
            CitizenKey::User(user_id) => user_id.as_str(),
        }
    }
}

/// A stored number as people read it (`+31 6 12345678`), for staff who
/// call a citizen back; the bare `+` and digits when the metadata does
/// not know the number's country.
pub fn for_display(wa_id: &WaId) -> String {
    match phonenumber::parse(None, format!("+{}", wa_id.as_str())) {
        Ok(number) => number.format().mode(Mode::International).to_string(),
        Err(_) => format!("+{}", wa_id.as_str()),
    }
}

/// A BSUID: a two-letter country, a dot and letters or digits
/// (`NL.1502576394655843`, `NL.ENT.1181...`).
fn is_user_id(text: &str) -> bool {
    let mut parts = text.splitn(2, '.');
    let country = parts.next().unwrap_or_default();
    let rest = parts.next().unwrap_or_default();
    country.len() == 2
        && country.chars().all(|c| c.is_ascii_uppercase())
        && !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Parses a number: with `+` or `00` it carries its country; with one
/// leading 0 it is Dutch; bare digits are the stored form (a country code
/// without the `+`), as staff see it in exports and Meta's tools.
fn read(text: &str) -> Result<PhoneNumber, String> {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let parsed = if text.starts_with('+') || digits.starts_with('0') {
        phonenumber::parse(Some(HOME), text)
    } else {
        phonenumber::parse(None, format!("+{digits}"))
    };
    let number = parsed.map_err(|e| e.to_string())?;
    possible_length(&number)?;
    Ok(number)
}

/// The national number has a length that a phone a WhatsApp account runs
/// on can have there (fixed line, mobile, VoIP, personal number). Validity
/// (is the range allocated?) is not asked: the metadata lags behind new
/// ranges, and a request for a real number must not be turned away for it.
fn possible_length(number: &PhoneNumber) -> Result<(), String> {
    let national = number.national().to_string();
    let code = number.code().value();
    let Some(meta) = number.metadata(&phonenumber::metadata::DATABASE) else {
        return Err(format!(
            "no country's phone numbers look like +{code} {national}"
        ));
    };
    let descriptors = meta.descriptors();
    let general = descriptors.general().possible_length();
    let mut lengths: Vec<u16> = [
        descriptors.fixed_line(),
        descriptors.mobile(),
        descriptors.voip(),
        descriptors.personal_number(),
    ]
    .into_iter()
    .flatten()
    .flat_map(|kind| match kind.possible_length() {
        // An empty list means "as the country's numbers in general".
        [] => general,
        own => own,
    })
    .copied()
    .collect();
    lengths.sort_unstable();
    lengths.dedup();
    let length = u16::try_from(national.len()).unwrap_or(u16::MAX);
    if lengths.is_empty() || lengths.contains(&length) {
        Ok(())
    } else {
        Err(format!(
            "after the country code (+{code}) it has {} digits, and phone numbers there have {}",
            national.len(),
            lengths
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" or ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(text: &str) -> String {
        match CitizenKey::parse(text) {
            Ok(CitizenKey::Number(wa_id)) => wa_id.as_str().to_owned(),
            other => panic!("{text:?}: {other:?}"),
        }
    }

    #[test]
    fn every_common_form_of_a_dutch_mobile_number_is_the_same_wa_id() {
        for form in [
            "0612345678",
            "06 12345678",
            "06-12345678",
            "06 1234 5678",
            "(06) 12 34 56 78",
            "+31612345678",
            "+31 6 12345678",
            "+31 (0)6 12345678",
            "0031612345678",
            "0031 6 1234 5678",
            "31612345678",
            " 06-1234-5678 ",
        ] {
            assert_eq!(number(form), "31612345678", "{form:?}");
        }
    }

    #[test]
    fn foreign_numbers_keep_their_country() {
        assert_eq!(number("+32 470 12 34 56"), "32470123456");
        assert_eq!(number("0049 151 23456789"), "4915123456789");
    }

    #[test]
    fn a_user_id_is_kept_as_it_is() {
        assert_eq!(
            CitizenKey::parse("NL.1502576394655843"),
            Ok(CitizenKey::User(
                UserId::parse("NL.1502576394655843").expect("valid")
            ))
        );
    }

    #[test]
    fn what_cannot_be_a_number_is_refused_with_the_reason() {
        for (input, reason) in [
            ("bel me", "not a digit"),
            ("belme", "not a digit"),
            ("", "empty"),
            ("06", ""),
            ("06-123", ""),
            ("0612345678901234", ""),
            ("+999 12345678", ""),
        ] {
            let error = CitizenKey::parse(input).expect_err(input);
            let text = error.to_string();
            assert!(text.contains("cannot be a phone number"), "{text}");
            assert!(text.contains(reason), "{input:?}: {text}");
        }
    }
}
