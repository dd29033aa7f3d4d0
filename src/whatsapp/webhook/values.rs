//! Single values of a message or status: its time, its error, the
//! business number id.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::safe_text::{MAX_LABEL_CHARS, printable};
use crate::domain::GraphErrorDetail;

/// Earliest plausible message time (2009-01-01, before WhatsApp existed);
/// anything older is a broken clock or garbage and gets `received_at`.
const EARLIEST_PLAUSIBLE_SECS: i64 = 1_230_768_000;

/// How far in the future a timestamp may lie before we distrust it:
/// phone clocks drift, but not by more than a day.
const MAX_FUTURE_SKEW_SECS: i64 = 24 * 60 * 60;

/// A message or status time: unix seconds as a string (what Meta sends) or
/// a number. Missing, unparseable, before 2009 or more than a day ahead of
/// `received_at` all mean "we do not know", so `received_at` is used.
pub(super) fn timestamp(value: Option<&Value>, received_at: DateTime<Utc>) -> DateTime<Utc> {
    let seconds = match value {
        Some(Value::String(text)) => text.trim().parse::<i64>().ok(),
        Some(Value::Number(number)) => number.as_i64(),
        _ => None,
    };
    let latest = received_at.timestamp().saturating_add(MAX_FUTURE_SKEW_SECS);
    seconds
        .filter(|s| (EARLIEST_PLAUSIBLE_SECS..=latest).contains(s))
        .and_then(|s| DateTime::from_timestamp(s, 0))
        .unwrap_or(received_at)
}

/// The first error of a failed status, if it has a numeric code.
pub(super) fn graph_error(error: &Value) -> Option<GraphErrorDetail> {
    let code = error.get("code").and_then(Value::as_i64)?;
    let (_, title) = error_fields(error);
    Some(GraphErrorDetail { code, title })
}

/// `code` and `title` (or `message`) of an error object, for display.
pub(super) fn error_fields(error: &Value) -> (String, String) {
    let code = match error.get("code") {
        Some(Value::Number(code)) => code.to_string(),
        _ => "without code".to_owned(),
    };
    let title = ["title", "message"]
        .iter()
        .find_map(|key| error.get(key).and_then(Value::as_str))
        .map_or_else(String::new, |title| printable(title, MAX_LABEL_CHARS));
    (code, title)
}

/// Meta's phone number ids are decimal strings; anything else is not one.
pub(super) fn is_phone_number_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 32 && id.bytes().all(|b| b.is_ascii_digit())
}
