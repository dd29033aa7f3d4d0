//! Reading `serde_json` values one piece at a time, with reason lines
//! that are safe to log.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::safe_text::{MAX_NAME_CHARS, clip, redact};

/// Deserialises `value` into `T` if it is a JSON object. serde would also
/// fill a struct from an array, which Meta never sends, so that is refused.
/// The error is a reason line with any quoted payload text removed.
pub(super) fn from_object<T: DeserializeOwned>(value: Value) -> Result<T, String> {
    if !value.is_object() {
        return Err(format!(
            "expected an object, found {}",
            describe(Some(&value))
        ));
    }
    serde_json::from_value(value).map_err(|error| redact(&error.to_string()))
}

/// The payload object of a message type, if it is usable.
pub(super) fn typed<T: DeserializeOwned>(payload: Option<Value>) -> Option<T> {
    from_object(payload?).ok()
}

/// Removes `key` from `object` as an array; absent or `null` is empty, any
/// other kind is `Err` with a description of what was found.
pub(super) fn take_array(object: &mut Map<String, Value>, key: &str) -> Result<Vec<Value>, String> {
    match object.remove(key) {
        Some(Value::Array(items)) => Ok(items),
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(other) => Err(describe(Some(&other))),
    }
}

/// A short description of a JSON value for error and skipped lines. Strings
/// are quoted only when short, as they are names like `object`'s value.
pub(super) fn describe(value: Option<&Value>) -> String {
    match value {
        None => "missing".to_owned(),
        Some(Value::Null) => "null".to_owned(),
        Some(Value::Bool(_)) => "a boolean".to_owned(),
        Some(Value::Number(_)) => "a number".to_owned(),
        Some(Value::String(text)) => format!("{:?}", clip(text, MAX_NAME_CHARS)),
        Some(Value::Array(_)) => "an array".to_owned(),
        Some(Value::Object(_)) => "an object".to_owned(),
    }
}
