//! The walk through one envelope: entries, changes, messages and
//! statuses, each converted on its own so one odd piece is skipped alone.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::content::content;
use super::json::{describe, from_object, take_array};
use super::raw::{RawChange, RawContact, RawEntry, RawMessage, RawMetadata, RawStatus};
use super::safe_text::{MAX_LABEL_CHARS, MAX_NAME_CHARS, clip, printable};
use super::sender::{profile_name, sender};
use super::values::{error_fields, graph_error, is_phone_number_id, timestamp};
use crate::domain::{DeliveryStatus, InboundMessage, StatusUpdate, Wamid, WebhookBatch};

/// Walks one envelope, filling `batch`.
pub(super) struct Parser {
    pub(super) received_at: DateTime<Utc>,
    pub(super) batch: WebhookBatch,
}

impl Parser {
    fn skip(&mut self, at: &str, reason: impl std::fmt::Display) {
        // Reasons quote short strings from the payload and Meta's error
        // titles; should one hold personal data, it is masked before it
        // can reach a log.
        let reason = crate::privacy::mask(&reason.to_string());
        self.batch.skipped.push(format!("{at}: {reason}"));
    }

    pub(super) fn entry(&mut self, at: &str, entry: Value) {
        let raw: RawEntry = match from_object(entry) {
            Ok(raw) => raw,
            Err(reason) => return self.skip(at, reason),
        };
        let changes = match raw.changes {
            Some(Value::Array(changes)) => changes,
            Some(other) => {
                return self.skip(at, format!("`changes` is {}", describe(Some(&other))));
            }
            None => return self.skip(at, "no `changes`"),
        };
        for (index, change) in changes.into_iter().enumerate() {
            self.change(&format!("{at}, change {index}"), change);
        }
    }

    fn change(&mut self, at: &str, change: Value) {
        let raw: RawChange = match from_object(change) {
            Ok(raw) => raw,
            Err(reason) => return self.skip(at, reason),
        };
        match raw.field.as_deref() {
            Some("messages") => {}
            Some(other) => {
                return self.skip(
                    at,
                    format!(
                        "field `{}` is not handled",
                        printable(other, MAX_NAME_CHARS)
                    ),
                );
            }
            None => return self.skip(at, "no `field`"),
        }
        let mut value = match raw.value {
            Some(Value::Object(value)) => value,
            other => return self.skip(at, format!("`value` is {}", describe(other.as_ref()))),
        };

        // A broken metadata only costs us the business number, not the messages.
        let business_phone_number_id = value
            .remove("metadata")
            .and_then(|metadata| from_object::<RawMetadata>(metadata).ok())
            .and_then(|metadata| metadata.phone_number_id)
            .filter(|id| is_phone_number_id(id));
        // A contact we cannot read is only a lost fallback for the sender.
        let contacts: Vec<RawContact> = take_array(&mut value, "contacts")
            .unwrap_or_default()
            .into_iter()
            .filter_map(|contact| from_object(contact).ok())
            .collect();

        let mut anything = false;
        match take_array(&mut value, "messages") {
            Ok(messages) => {
                anything |= !messages.is_empty();
                for (index, message) in messages.into_iter().enumerate() {
                    let at = format!("{at}, message {index}");
                    self.message(&at, message, &contacts, business_phone_number_id.as_deref());
                }
            }
            Err(found) => {
                anything = true;
                self.skip(at, format!("`messages` is {found}"));
            }
        }
        match take_array(&mut value, "statuses") {
            Ok(statuses) => {
                anything |= !statuses.is_empty();
                for (index, status) in statuses.into_iter().enumerate() {
                    self.status(&format!("{at}, status {index}"), status);
                }
            }
            Err(found) => {
                anything = true;
                self.skip(at, format!("`statuses` is {found}"));
            }
        }
        // Meta reports problems with the business account itself here, not
        // tied to a message; the handler logs them.
        if let Ok(errors) = take_array(&mut value, "errors") {
            for error in &errors {
                anything = true;
                let (code, title) = error_fields(error);
                self.skip(at, format!("Meta reports error {code}: {title}"));
            }
        }
        if !anything {
            self.skip(at, "no messages or statuses");
        }
    }

    fn message(
        &mut self,
        at: &str,
        message: Value,
        contacts: &[RawContact],
        business_phone_number_id: Option<&str>,
    ) {
        // Name the message by its id in skipped lines, if that id is valid:
        // an invalid one could hold anything, even a forged log line.
        let at = match message.get("id").and_then(Value::as_str) {
            Some(id) if Wamid::parse(id).is_ok() => format!("{at} ({})", clip(id, MAX_LABEL_CHARS)),
            _ => at.to_owned(),
        };
        let at = at.as_str();
        let mut raw: RawMessage = match from_object(message) {
            Ok(raw) => raw,
            Err(reason) => return self.skip(at, reason),
        };
        let wamid = match raw.id.as_deref().map(Wamid::parse) {
            Some(Ok(wamid)) => wamid,
            Some(Err(error)) => return self.skip(at, format!("message id rejected: {error}")),
            None => return self.skip(at, "message has no id"),
        };
        let from = match sender(raw.from.as_deref(), raw.from_user_id.as_deref(), contacts) {
            Ok(from) => from,
            Err(reason) => return self.skip(at, reason),
        };
        let profile_name = profile_name(raw.from.as_deref(), raw.from_user_id.as_deref(), contacts);
        let reply_to = raw
            .context
            .as_ref()
            .and_then(|context| context.get("id"))
            .and_then(Value::as_str)
            .and_then(|id| Wamid::parse(id).ok());
        let content = content(raw.kind.as_deref(), &mut raw.payloads);
        self.batch.messages.push(InboundMessage {
            wamid,
            from,
            profile_name,
            business_phone_number_id: business_phone_number_id.map(str::to_owned),
            sent_at: timestamp(raw.timestamp.as_ref(), self.received_at),
            reply_to,
            content,
        });
    }

    fn status(&mut self, at: &str, status: Value) {
        let at = match status.get("id").and_then(Value::as_str) {
            Some(id) if Wamid::parse(id).is_ok() => format!("{at} ({})", clip(id, MAX_LABEL_CHARS)),
            _ => at.to_owned(),
        };
        let at = at.as_str();
        let raw: RawStatus = match from_object(status) {
            Ok(raw) => raw,
            Err(reason) => return self.skip(at, reason),
        };
        let wamid = match raw.id.as_deref().map(Wamid::parse) {
            Some(Ok(wamid)) => wamid,
            Some(Err(error)) => {
                return self.skip(at, format!("status message id rejected: {error}"));
            }
            None => return self.skip(at, "status has no message id"),
        };
        let status = match raw.status.as_deref() {
            Some(name) => match DeliveryStatus::parse(name) {
                Some(status) => status,
                None => {
                    let name = printable(name, MAX_NAME_CHARS);
                    return self.skip(at, format!("status `{name}` is not handled"));
                }
            },
            None => return self.skip(at, "status has no `status`"),
        };
        // Only a failure explains itself; other statuses carry no error.
        let error = match status {
            DeliveryStatus::Failed => raw
                .errors
                .as_ref()
                .and_then(Value::as_array)
                .and_then(|errors| errors.first())
                .and_then(graph_error),
            _ => None,
        };
        self.batch.statuses.push(StatusUpdate {
            wamid,
            status,
            at: timestamp(raw.timestamp.as_ref(), self.received_at),
            error,
        });
    }
}
