//! Builders of webhook bodies shaped like Meta's, for tests and the load
//! generator.
//!
//! Invariant: the bytes are what Meta would send: compact JSON with every
//! non-ASCII character escaped as `\uXXXX` (UTF-16, lowercase hex, as in
//! "caf\u00e9 \ud83d\ude0a"), so signatures computed over them behave as in
//! production. JSON is built with serde_json, so escaping is always right.
//! Only fictional data appears: phone numbers `316000000xx`, business
//! number id [`BUSINESS_PHONE_NUMBER_ID`], names like "Voorbeeld Inwoner".
//!
//! Shapes: <https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/payload-examples>.

use serde::Serialize;
use serde_json::{Value, json};
use std::io;

/// Our (fictional) WhatsApp Business Account id, `entry[].id`.
pub const BUSINESS_ACCOUNT_ID: &str = "100000000000001";

/// Our (fictional) business phone number id, `metadata.phone_number_id`.
pub const BUSINESS_PHONE_NUMBER_ID: &str = "123456789012345";

/// Our (fictional) business phone number, `metadata.display_phone_number`.
pub const DISPLAY_PHONE_NUMBER: &str = "3185000000";

/// The profile name used in generated contacts.
pub const PROFILE_NAME: &str = "Voorbeeld Inwoner";

/// A text message from `wa_id`, as a complete webhook body.
pub fn text_message(wa_id: &str, wamid: &str, body: &str, timestamp: i64) -> String {
    batch(&[text_value(wa_id, wamid, body, timestamp)])
}

/// A text message from a citizen known only by BSUID and username: no
/// phone number anywhere, as Meta sends once a user hides their number.
pub fn bsuid_text_message(
    user_id: &str,
    username: &str,
    wamid: &str,
    body: &str,
    timestamp: i64,
) -> String {
    batch(&[bsuid_text_value(user_id, username, wamid, body, timestamp)])
}

/// A media message (`kind`: image, audio, video, document or sticker; any
/// other name is sent as is, like a future type would be).
pub fn media_message(wa_id: &str, wamid: &str, kind: &str, timestamp: i64) -> String {
    batch(&[media_value(wa_id, wamid, kind, timestamp)])
}

/// A status callback for a message we sent (`status`: sent, delivered,
/// read, played or failed; `failed` carries error 131047).
pub fn status_update(wamid: &str, status: &str, recipient_wa_id: &str, timestamp: i64) -> String {
    batch(&[status_value(wamid, status, recipient_wa_id, timestamp)])
}

/// One POST holding several changes: each element of `values` (from the
/// `*_value` builders) becomes one `messages` change of a single entry.
pub fn batch(values: &[Value]) -> String {
    let changes: Vec<Value> = values
        .iter()
        .map(|value| json!({ "value": value, "field": "messages" }))
        .collect();
    to_meta_json(&json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": BUSINESS_ACCOUNT_ID, "changes": changes }],
    }))
}

/// The `value` of a change holding one text message from `wa_id`.
pub fn text_value(wa_id: &str, wamid: &str, body: &str, timestamp: i64) -> Value {
    message_value(
        contact(wa_id),
        json!({
            "from": wa_id,
            "id": wamid,
            "timestamp": timestamp.to_string(),
            "text": { "body": body },
            "type": "text",
        }),
    )
}

/// The `value` of a change holding a tap on one of our reply buttons
/// (`button_reply` with the button's `id` and `title`).
pub fn button_reply_value(
    wa_id: &str,
    wamid: &str,
    button_id: &str,
    title: &str,
    timestamp: i64,
) -> Value {
    message_value(
        contact(wa_id),
        json!({
            "from": wa_id,
            "id": wamid,
            "timestamp": timestamp.to_string(),
            "interactive": {
                "type": "button_reply",
                "button_reply": { "id": button_id, "title": title },
            },
            "type": "interactive",
        }),
    )
}

/// The `value` of a change holding one text message from a citizen known
/// only by BSUID (`from_user_id`) and username.
pub fn bsuid_text_value(
    user_id: &str,
    username: &str,
    wamid: &str,
    body: &str,
    timestamp: i64,
) -> Value {
    message_value(
        json!({
            "profile": { "name": PROFILE_NAME, "username": username },
            "user_id": user_id,
        }),
        json!({
            "from_user_id": user_id,
            "id": wamid,
            "timestamp": timestamp.to_string(),
            "text": { "body": body },
            "type": "text",
        }),
    )
}

/// The `value` of a change holding one media message of `kind`.
pub fn media_value(wa_id: &str, wamid: &str, kind: &str, timestamp: i64) -> Value {
    media_value_with_id(wa_id, wamid, kind, None, timestamp)
}

/// A media message whose file is `media_id` (one the fake Graph API
/// serves, see `FakeGraphApi::add_media`).
pub fn media_message_with_id(
    wa_id: &str,
    wamid: &str,
    kind: &str,
    media_id: &str,
    timestamp: i64,
) -> String {
    batch(&[media_value_with_id(
        wa_id,
        wamid,
        kind,
        Some(media_id),
        timestamp,
    )])
}

/// One media message's value whose file is `media_id`, for a batch.
pub fn media_value_with_id(
    wa_id: &str,
    wamid: &str,
    kind: &str,
    media_id: Option<&str>,
    timestamp: i64,
) -> Value {
    let mut media = match kind {
        "image" => json!({
            "caption": "Foto van de kapotte lantaarnpaal",
            "mime_type": "image/jpeg",
            "sha256": "c2hhMjU2LW9mLWZpY3Rpb25hbC1pbWFnZQ==",
            "id": "1000000000000001",
        }),
        "audio" => json!({
            "mime_type": "audio/ogg; codecs=opus",
            "sha256": "c2hhMjU2LW9mLWZpY3Rpb25hbC1hdWRpbw==",
            "id": "1000000000000002",
            "voice": true,
        }),
        "video" => json!({
            "caption": "Filmpje van de wateroverlast",
            "mime_type": "video/mp4",
            "sha256": "c2hhMjU2LW9mLWZpY3Rpb25hbC12aWRlbw==",
            "id": "1000000000000003",
        }),
        "document" => json!({
            "caption": "Mijn bezwaarschrift",
            "filename": "bezwaar.pdf",
            "mime_type": "application/pdf",
            "sha256": "c2hhMjU2LW9mLWZpY3Rpb25hbC1wZGY=",
            "id": "1000000000000004",
        }),
        "sticker" => json!({
            "mime_type": "image/webp",
            "sha256": "c2hhMjU2LW9mLWZpY3Rpb25hbC1zdGlja2Vy",
            "id": "1000000000000005",
            "animated": false,
        }),
        _ => json!({ "id": "1000000000000009" }),
    };
    if let (Some(id), Some(fields)) = (media_id, media.as_object_mut()) {
        fields.insert("id".to_owned(), json!(id));
    }
    let mut message = json!({
        "from": wa_id,
        "id": wamid,
        "timestamp": timestamp.to_string(),
        "type": kind,
    });
    if let Some(fields) = message.as_object_mut() {
        fields.insert(kind.to_owned(), media);
    }
    message_value(contact(wa_id), message)
}

/// A webhook POST with one shared location from `wa_id`: a place with its
/// name and address, as WhatsApp sends a picked place.
pub fn location_message(
    wa_id: &str,
    wamid: &str,
    (latitude, longitude): (f64, f64),
    name: &str,
    address: &str,
    timestamp: i64,
) -> String {
    let message = json!({
        "from": wa_id,
        "id": wamid,
        "timestamp": timestamp.to_string(),
        "type": "location",
        "location": {
            "latitude": latitude,
            "longitude": longitude,
            "name": name,
            "address": address,
        },
    });
    batch(&[message_value(contact(wa_id), message)])
}

/// The `value` of a change holding one status callback.
pub fn status_value(wamid: &str, status: &str, recipient_wa_id: &str, timestamp: i64) -> Value {
    let mut update = json!({
        "id": wamid,
        "status": status,
        "timestamp": timestamp.to_string(),
        "recipient_id": recipient_wa_id,
    });
    if let Some(fields) = update.as_object_mut() {
        if status == "failed" {
            fields.insert(
                "errors".to_owned(),
                json!([{
                    "code": 131047,
                    "title": "Re-engagement message",
                    "message": "Re-engagement message",
                    "error_data": {
                        "details": "Message failed to send because more than 24 hours have passed since the customer last replied to this number."
                    },
                    "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"
                }]),
            );
        } else {
            fields.insert(
                "pricing".to_owned(),
                json!({
                    "billable": false,
                    "pricing_model": "PMP",
                    "category": "service",
                    "type": "free_customer_service"
                }),
            );
        }
    }
    json!({
        "messaging_product": "whatsapp",
        "metadata": metadata(),
        "statuses": [update],
    })
}

/// Serialises `value` the way Meta does: compact, non-ASCII as `\uXXXX`.
pub fn to_meta_json(value: &Value) -> String {
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, MetaFormatter);
    // Writing a `Value` into a `Vec` cannot fail (map keys are strings and
    // the writer never errors); an empty string would fail any test loudly.
    if value.serialize(&mut serializer).is_err() {
        return String::new();
    }
    // Only ASCII was written, so this is valid UTF-8.
    String::from_utf8(out).unwrap_or_default()
}

fn metadata() -> Value {
    json!({
        "display_phone_number": DISPLAY_PHONE_NUMBER,
        "phone_number_id": BUSINESS_PHONE_NUMBER_ID,
    })
}

fn contact(wa_id: &str) -> Value {
    json!({ "profile": { "name": PROFILE_NAME }, "wa_id": wa_id })
}

fn message_value(contact: Value, message: Value) -> Value {
    json!({
        "messaging_product": "whatsapp",
        "metadata": metadata(),
        "contacts": [contact],
        "messages": [message],
    })
}

/// serde_json's compact formatter, except that string contents outside
/// ASCII are written as `\uXXXX` escapes of their UTF-16 code units.
struct MetaFormatter;

impl serde_json::ser::Formatter for MetaFormatter {
    fn write_string_fragment<W>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        let mut rest = fragment;
        while let Some(index) = rest.find(|c: char| !c.is_ascii()) {
            let (ascii, tail) = rest.split_at(index);
            writer.write_all(ascii.as_bytes())?;
            let mut chars = tail.chars();
            if let Some(c) = chars.next() {
                let mut units = [0_u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write!(writer, "\\u{unit:04x}")?;
                }
            }
            rest = chars.as_str();
        }
        writer.write_all(rest.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use loket::domain::{DeliveryStatus, MediaKind, MessageContent};
    use loket::whatsapp::webhook::parse_webhook;

    const T: i64 = 1_767_000_000;

    fn received() -> DateTime<Utc> {
        DateTime::from_timestamp(T + 5, 0).expect("valid time")
    }

    #[test]
    fn non_ascii_is_escaped_as_utf16_like_meta_does() {
        let body = text_message("31600000001", "wamid.T1", "Hoe laat? 😊 café", T);
        assert!(body.is_ascii());
        assert!(body.contains(r"Hoe laat? \ud83d\ude0a caf\u00e9"), "{body}");
        assert!(!body.contains('\n'), "compact, like Meta");
    }

    #[test]
    fn quotes_and_backslashes_in_text_are_escaped_correctly() {
        let tricky = "zei \"hallo\" \\ en\nging weg";
        let body = text_message("31600000001", "wamid.T2", tricky, T);
        let batch = parse_webhook(body.as_bytes(), received()).expect("parses");
        assert_eq!(batch.messages.len(), 1);
        assert_eq!(batch.messages[0].content.text(), Some(tricky));
    }

    #[test]
    fn a_built_text_message_parses_back_to_what_went_in() {
        let body = text_message(
            "31600000001",
            "wamid.T3",
            "Wanneer is het stadhuis open? 😊",
            T,
        );
        let batch = parse_webhook(body.as_bytes(), received()).expect("parses");
        assert!(batch.skipped.is_empty(), "{:?}", batch.skipped);
        let message = &batch.messages[0];
        assert_eq!(message.wamid.as_str(), "wamid.T3");
        assert_eq!(
            message.from.wa_id.as_ref().map(|w| w.as_str()),
            Some("31600000001")
        );
        assert_eq!(message.sent_at.timestamp(), T);
        assert_eq!(
            message.business_phone_number_id.as_deref(),
            Some(BUSINESS_PHONE_NUMBER_ID)
        );
        assert_eq!(
            message.content.text(),
            Some("Wanneer is het stadhuis open? 😊")
        );
    }

    #[test]
    fn a_bsuid_message_carries_no_phone_number_anywhere() {
        let body = bsuid_text_message(
            "NL.1502576394655843",
            "voorbeeld.inwoner",
            "wamid.T4",
            "Hallo",
            T,
        );
        assert!(!body.contains("wa_id"));
        assert!(!body.contains("\"from\""));
        let batch = parse_webhook(body.as_bytes(), received()).expect("parses");
        let from = &batch.messages[0].from;
        assert_eq!(from.wa_id, None);
        assert_eq!(
            from.user_id.as_ref().map(|u| u.as_str()),
            Some("NL.1502576394655843")
        );
    }

    #[test]
    fn each_media_kind_parses_back_to_its_kind() {
        let kinds = [
            ("image", MediaKind::Image),
            ("audio", MediaKind::Audio),
            ("video", MediaKind::Video),
            ("document", MediaKind::Document),
            ("sticker", MediaKind::Sticker),
        ];
        for (name, kind) in kinds {
            let body = media_message("31600000002", "wamid.M", name, T);
            let batch = parse_webhook(body.as_bytes(), received()).expect("parses");
            match &batch.messages[0].content {
                MessageContent::Media {
                    media,
                    media_id,
                    voice,
                    ..
                } => {
                    assert_eq!(*media, kind);
                    assert!(media_id.is_some());
                    assert_eq!(*voice, kind == MediaKind::Audio);
                }
                other => panic!("{name}: {other:?}"),
            }
        }
    }

    #[test]
    fn status_updates_parse_back_with_their_status_and_error() {
        for status in ["sent", "delivered", "read", "played", "failed"] {
            let body = status_update("wamid.S1", status, "31600000003", T);
            let batch = parse_webhook(body.as_bytes(), received()).expect("parses");
            let update = &batch.statuses[0];
            assert_eq!(update.status.as_str(), status);
            assert_eq!(update.at.timestamp(), T);
            let code = update.error.as_ref().map(|e| e.code);
            let expected = (update.status == DeliveryStatus::Failed).then_some(131047);
            assert_eq!(code, expected);
        }
    }

    #[test]
    fn a_batch_holds_every_value_given() {
        let body = batch(&[
            text_value("31600000001", "wamid.B1", "een", T),
            text_value("31600000002", "wamid.B2", "twee", T),
            status_value("wamid.B3", "read", "31600000003", T),
        ]);
        let parsed = parse_webhook(body.as_bytes(), received()).expect("parses");
        assert_eq!(parsed.messages.len(), 2);
        assert_eq!(parsed.statuses.len(), 1);
        assert!(parsed.skipped.is_empty());
    }
}
