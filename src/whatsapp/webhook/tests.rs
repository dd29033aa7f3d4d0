use super::safe_text::{MAX_NAME_CHARS, clip, redact};
use super::*;
use crate::domain::{
    DeliveryStatus, GraphErrorDetail, InboundMessage, InteractiveKind, MediaKind, MessageContent,
    StatusUpdate, UserId, WaId, Wamid,
};
use serde_json::json;

/// When the POST arrived: 2026-01-01 00:05 UTC, just after the
/// fixtures' timestamps.
const RECEIVED: i64 = 1_767_225_900;

fn received() -> DateTime<Utc> {
    DateTime::from_timestamp(RECEIVED, 0).expect("valid time")
}

macro_rules! fixtures {
    ($($name:literal),* $(,)?) => {
        &[$((
            $name,
            include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/webhooks/",
                $name,
                ".json"
            )) as &[u8],
        )),*]
    };
}

/// Every fixture file; `every_fixture_file_is_listed_here` keeps this
/// in step with the directory.
const FIXTURES: &[(&str, &[u8])] = fixtures![
    "text",
    "text_unicode_escaped",
    "image",
    "audio",
    "video",
    "document",
    "sticker",
    "location",
    "contacts",
    "interactive_button_reply",
    "interactive_list_reply",
    "interactive_nfm_reply",
    "button",
    "reaction",
    "order",
    "system",
    "unsupported",
    "unknown_future_type",
    "status_sent",
    "status_delivered",
    "status_read",
    "status_played",
    "status_failed",
    "bsuid_only_text",
    "batch_many",
];

fn parse(body: &[u8]) -> WebhookBatch {
    parse_webhook(body, received()).expect("a webhook envelope")
}

fn parse_json(body: &Value) -> WebhookBatch {
    parse(body.to_string().as_bytes())
}

fn fixture(name: &str) -> WebhookBatch {
    let (_, body) = FIXTURES
        .iter()
        .find(|(known, _)| *known == name)
        .unwrap_or_else(|| panic!("no fixture {name}"));
    parse(body)
}

/// The one message of a single-message fixture.
fn only_message(name: &str) -> InboundMessage {
    let batch = fixture(name);
    assert!(batch.skipped.is_empty(), "{name}: {:?}", batch.skipped);
    assert!(batch.statuses.is_empty(), "{name}");
    assert_eq!(batch.messages.len(), 1, "{name}");
    batch.messages.into_iter().next().expect("one message")
}

/// The one status of a single-status fixture.
fn only_status(name: &str) -> StatusUpdate {
    let batch = fixture(name);
    assert!(batch.skipped.is_empty(), "{name}: {:?}", batch.skipped);
    assert!(batch.messages.is_empty(), "{name}");
    assert_eq!(batch.statuses.len(), 1, "{name}");
    batch.statuses.into_iter().next().expect("one status")
}

fn wamid(tag: &str) -> String {
    format!("wamid.HBgLMzE2MDAwMDAwMDEVAgASGBQ{tag}AA==")
}

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).expect("valid time")
}

fn wa_id_of(message: &InboundMessage) -> Option<&str> {
    message.from.wa_id.as_ref().map(WaId::as_str)
}

fn user_id_of(message: &InboundMessage) -> Option<&str> {
    message.from.user_id.as_ref().map(UserId::as_str)
}

/// A one-change envelope around `value`.
fn envelope(value: Value) -> Value {
    json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": "100000000000001", "changes": [{ "field": "messages", "value": value }] }]
    })
}

/// An envelope holding the given raw messages, with no contacts.
fn with_messages(messages: Value) -> Value {
    envelope(json!({
        "messaging_product": "whatsapp",
        "metadata": { "display_phone_number": "3185000000", "phone_number_id": "123456789012345" },
        "messages": messages
    }))
}

fn text_from(from: &str, id: &str) -> Value {
    json!({ "from": from, "id": id, "timestamp": "1767225600", "type": "text", "text": { "body": "Hallo" } })
}

// ---- fixtures ------------------------------------------------------

#[test]
fn every_fixture_file_is_listed_here() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/webhooks");
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .expect("fixture directory")
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter_map(|name| name.strip_suffix(".json").map(str::to_owned))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = FIXTURES
        .iter()
        .map(|(name, _)| (*name).to_owned())
        .collect();
    listed.sort();
    assert_eq!(on_disk, listed);
}

#[test]
fn the_text_fixture_gives_body_sender_time_and_business_number() {
    let message = only_message("text");
    assert_eq!(message.wamid.as_str(), wamid("TEXT"));
    assert_eq!(wa_id_of(&message), Some("31600000001"));
    assert_eq!(user_id_of(&message), None);
    assert_eq!(
        message.business_phone_number_id.as_deref(),
        Some("123456789012345")
    );
    assert_eq!(message.sent_at, at(1_767_225_600));
    assert_eq!(message.reply_to, None);
    assert_eq!(
        message.content,
        MessageContent::Text {
            body: "Wanneer is het stadhuis open?".into()
        }
    );
}

#[test]
fn text_escaped_as_utf16_by_meta_is_decoded_to_the_real_characters() {
    let (_, raw) = FIXTURES
        .iter()
        .find(|(name, _)| *name == "text_unicode_escaped")
        .expect("fixture");
    assert!(String::from_utf8_lossy(raw).contains(r"\ud83d\ude0a caf\u00e9"));
    let message = only_message("text_unicode_escaped");
    assert_eq!(
        message.content.text(),
        Some("Hoe laat zijn jullie open? 😊 café")
    );
}

#[test]
fn the_image_fixture_gives_id_mime_type_and_caption() {
    assert_eq!(
        only_message("image").content,
        MessageContent::Media {
            media: MediaKind::Image,
            media_id: Some("1000000000000001".into()),
            mime_type: Some("image/jpeg".into()),
            caption: Some("Foto van de kapotte lantaarnpaal".into()),
            filename: None,
            voice: false,
        }
    );
}

#[test]
fn the_audio_fixture_is_a_voice_note() {
    assert_eq!(
        only_message("audio").content,
        MessageContent::Media {
            media: MediaKind::Audio,
            media_id: Some("1000000000000002".into()),
            mime_type: Some("audio/ogg; codecs=opus".into()),
            caption: None,
            filename: None,
            voice: true,
        }
    );
}

#[test]
fn the_video_fixture_gives_its_caption() {
    assert_eq!(
        only_message("video").content,
        MessageContent::Media {
            media: MediaKind::Video,
            media_id: Some("1000000000000003".into()),
            mime_type: Some("video/mp4".into()),
            caption: Some("Filmpje van de wateroverlast".into()),
            filename: None,
            voice: false,
        }
    );
}

#[test]
fn the_document_fixture_gives_its_filename() {
    assert_eq!(
        only_message("document").content,
        MessageContent::Media {
            media: MediaKind::Document,
            media_id: Some("1000000000000004".into()),
            mime_type: Some("application/pdf".into()),
            caption: Some("Mijn bezwaarschrift".into()),
            filename: Some("bezwaar.pdf".into()),
            voice: false,
        }
    );
}

#[test]
fn the_sticker_fixture_is_sticker_media() {
    assert_eq!(
        only_message("sticker").content,
        MessageContent::Media {
            media: MediaKind::Sticker,
            media_id: Some("1000000000000005".into()),
            mime_type: Some("image/webp".into()),
            caption: None,
            filename: None,
            voice: false,
        }
    );
}

#[test]
fn the_location_fixture_gives_coordinates_name_and_address() {
    assert_eq!(
        only_message("location").content,
        MessageContent::Location {
            latitude: 52.0907,
            longitude: 5.1214,
            name: Some("Stadskantoor Voorbeeldstad".into()),
            address: Some("Voorbeeldstraat 1, 1234 AB Voorbeeldstad".into()),
        }
    );
}

#[test]
fn the_contacts_fixture_counts_the_shared_cards() {
    assert_eq!(
        only_message("contacts").content,
        MessageContent::Contacts { count: 2 }
    );
}

#[test]
fn a_tapped_reply_button_gives_its_id_title_and_the_message_it_answers() {
    let message = only_message("interactive_button_reply");
    assert_eq!(
        message.content,
        MessageContent::Interactive {
            interactive: InteractiveKind::ButtonReply,
            id: "afspraak_maken".into(),
            title: "Afspraak maken".into(),
        }
    );
    assert_eq!(
        message.reply_to.as_ref().map(Wamid::as_str),
        Some(wamid("OURBUTTONS").as_str())
    );
}

#[test]
fn a_chosen_list_row_gives_its_id_and_title() {
    let message = only_message("interactive_list_reply");
    assert_eq!(
        message.content,
        MessageContent::Interactive {
            interactive: InteractiveKind::ListReply,
            id: "paspoort".into(),
            title: "Paspoort aanvragen".into(),
        }
    );
    assert_eq!(
        message.reply_to.as_ref().map(Wamid::as_str),
        Some(wamid("OURLIST").as_str())
    );
}

#[test]
fn an_unknown_interactive_type_is_unsupported_with_its_subtype() {
    assert_eq!(
        only_message("interactive_nfm_reply").content,
        MessageContent::Unsupported {
            type_name: "interactive.nfm_reply".into()
        }
    );
}

#[test]
fn a_template_quick_reply_gives_payload_and_text() {
    let message = only_message("button");
    assert_eq!(
        message.content,
        MessageContent::Button {
            payload: Some("herinnering_bevestigd".into()),
            text: "Ja, ik kom".into(),
        }
    );
    assert_eq!(
        message.reply_to.as_ref().map(Wamid::as_str),
        Some(wamid("OURTEMPLATE").as_str())
    );
}

#[test]
fn a_reaction_gives_the_emoji_and_the_message_reacted_to() {
    let to = Wamid::parse(&wamid("OURREPLY")).expect("valid");
    assert_eq!(
        only_message("reaction").content,
        MessageContent::Reaction {
            to: Some(to),
            emoji: Some("👍".into())
        }
    );
}

#[test]
fn an_order_gives_catalog_and_number_of_items() {
    assert_eq!(
        only_message("order").content,
        MessageContent::Order {
            catalog_id: Some("200000000000001".into()),
            items: 3
        }
    );
}

#[test]
fn a_system_message_gives_its_body() {
    assert_eq!(
        only_message("system").content,
        MessageContent::System {
            body: Some("Voorbeeld Inwoner changed from 31600000001 to 31600000002".into())
        }
    );
}

#[test]
fn metas_unsupported_type_is_kept_as_unsupported() {
    let message = only_message("unsupported");
    assert_eq!(
        message.content,
        MessageContent::Unsupported {
            type_name: "unsupported".into()
        }
    );
    assert_eq!(wa_id_of(&message), Some("31600000001"));
}

#[test]
fn a_type_from_the_future_is_unsupported_with_its_name() {
    assert_eq!(
        only_message("unknown_future_type").content,
        MessageContent::Unsupported {
            type_name: "hologram".into()
        }
    );
}

#[test]
fn status_fixtures_give_wamid_status_and_time() {
    let cases = [
        ("status_sent", "STATUSSENT", DeliveryStatus::Sent),
        (
            "status_delivered",
            "STATUSDELIVERED",
            DeliveryStatus::Delivered,
        ),
        ("status_read", "STATUSREAD", DeliveryStatus::Read),
        ("status_played", "STATUSPLAYED", DeliveryStatus::Played),
    ];
    for (name, tag, expected) in cases {
        let status = only_status(name);
        assert_eq!(status.wamid.as_str(), wamid(tag), "{name}");
        assert_eq!(status.status, expected, "{name}");
        assert_eq!(status.at, at(1_767_225_700), "{name}");
        assert_eq!(status.error, None, "{name}");
    }
}

#[test]
fn a_failed_status_carries_metas_first_error() {
    let status = only_status("status_failed");
    assert_eq!(status.status, DeliveryStatus::Failed);
    assert_eq!(
        status.error,
        Some(GraphErrorDetail {
            code: 131047,
            title: "Re-engagement message".into()
        })
    );
}

#[test]
fn a_citizen_without_phone_number_is_known_by_bsuid_alone() {
    let message = only_message("bsuid_only_text");
    assert_eq!(wa_id_of(&message), None);
    assert_eq!(user_id_of(&message), Some("NL.1502576394655843"));
    assert_eq!(
        message.content.text(),
        Some("Ik wil mijn nummer liever niet delen")
    );
}

#[test]
fn a_batch_yields_every_message_and_status_and_names_the_broken_parts() {
    let batch = fixture("batch_many");
    let ids: Vec<&str> = batch.messages.iter().map(|m| m.wamid.as_str()).collect();
    assert_eq!(
        ids,
        [
            wamid("BATCH1"),
            wamid("BATCH2"),
            wamid("BATCH3"),
            wamid("BATCH4")
        ]
    );
    let senders: Vec<(Option<&str>, Option<&str>)> = batch
        .messages
        .iter()
        .map(|m| (wa_id_of(m), user_id_of(m)))
        .collect();
    assert_eq!(
        senders,
        [
            (Some("31600000001"), None),
            (Some("31600000002"), None),
            (Some("31600000002"), None),
            (None, Some("NL.1502576394655843")),
        ]
    );
    assert_eq!(batch.messages[1].sent_at, at(1_767_225_601));
    assert!(matches!(
        batch.messages[2].content,
        MessageContent::Media {
            media: MediaKind::Image,
            ..
        }
    ));
    assert!(matches!(
        batch.messages[3].content,
        MessageContent::Reaction { emoji: None, .. }
    ));

    let statuses: Vec<(&str, DeliveryStatus)> = batch
        .statuses
        .iter()
        .map(|s| (s.wamid.as_str(), s.status))
        .collect();
    let (s1, s2, s4) = (wamid("BATCHS1"), wamid("BATCHS2"), wamid("BATCHS4"));
    assert_eq!(
        statuses,
        [
            (s1.as_str(), DeliveryStatus::Delivered),
            (s2.as_str(), DeliveryStatus::Read),
            (s4.as_str(), DeliveryStatus::Sent),
        ]
    );

    assert_eq!(batch.skipped.len(), 3, "{:?}", batch.skipped);
    assert_eq!(
        batch.skipped[0],
        "entry 0, change 0, message 2: message has no id"
    );
    assert!(batch.skipped[1].starts_with("entry 0, change 1, status 2 (wamid."));
    assert!(batch.skipped[1].ends_with("status `deleted` is not handled"));
    assert_eq!(
        batch.skipped[2],
        "entry 1, change 0: field `message_template_status_update` is not handled"
    );
    assert!(
        !batch
            .skipped
            .iter()
            .any(|line| line.contains("Bericht zonder id"))
    );
}

#[test]
fn every_fixture_yields_something_and_only_the_batch_skips_anything() {
    for (name, body) in FIXTURES {
        let batch = parse(body);
        assert!(batch.messages.len() + batch.statuses.len() > 0, "{name}");
        if *name != "batch_many" {
            assert!(batch.skipped.is_empty(), "{name}: {:?}", batch.skipped);
        }
    }
}

// ---- senders -------------------------------------------------------

#[test]
fn personal_data_quoted_in_a_skipped_line_is_masked() {
    let body = json!({
        "object": "whatsapp_business_account",
        "entry": [{ "changes": [{
            "field": "messages",
            "value": { "messages": "bsn 111222333 of 06-12345678" }
        }] }]
    });
    let batch = parse_webhook(body.to_string().as_bytes(), received()).expect("envelope");
    assert_eq!(batch.skipped.len(), 1, "{:?}", batch.skipped);
    let line = &batch.skipped[0];
    assert!(
        !line.contains("111222333") && !line.contains("12345678"),
        "{line}"
    );
    assert!(
        line.contains("[BSN]") && line.contains("[telefoon]"),
        "{line}"
    );
}

#[test]
fn a_message_without_any_sender_is_skipped_without_quoting_its_text() {
    let body = with_messages(json!([
        { "id": "wamid.NOSENDER", "timestamp": "1767225600", "type": "text", "text": { "body": "geheim" } }
    ]));
    let batch = parse_json(&body);
    assert!(batch.messages.is_empty());
    assert_eq!(batch.skipped.len(), 1);
    assert!(
        batch.skipped[0].contains("no sender"),
        "{:?}",
        batch.skipped
    );
    assert!(!batch.skipped[0].contains("geheim"));
}

#[test]
fn a_missing_from_is_taken_from_the_only_contact() {
    let mut value = with_messages(json!([
        { "id": "wamid.C1", "timestamp": "1767225600", "type": "text", "text": { "body": "Hallo" } }
    ]));
    value["entry"][0]["changes"][0]["value"]["contacts"] = json!([{ "profile": { "name": "Voorbeeld Inwoner" }, "wa_id": "31600000004", "user_id": "NL.4" }]);
    let batch = parse_json(&value);
    assert_eq!(batch.messages.len(), 1, "{:?}", batch.skipped);
    assert_eq!(wa_id_of(&batch.messages[0]), Some("31600000004"));
    assert_eq!(user_id_of(&batch.messages[0]), Some("NL.4"));
}

#[test]
fn the_bsuid_is_added_from_the_contact_with_the_same_phone_number() {
    let mut value = with_messages(json!([
        text_from("31600000005", "wamid.C2"),
        text_from("31600000006", "wamid.C3")
    ]));
    value["entry"][0]["changes"][0]["value"]["contacts"] = json!([
        { "wa_id": "31600000006", "user_id": "NL.6" },
        { "wa_id": "31600000005", "user_id": "NL.5" }
    ]);
    let batch = parse_json(&value);
    let senders: Vec<_> = batch
        .messages
        .iter()
        .map(|m| (wa_id_of(m), user_id_of(m)))
        .collect();
    assert_eq!(
        senders,
        [
            (Some("31600000005"), Some("NL.5")),
            (Some("31600000006"), Some("NL.6"))
        ]
    );
}

#[test]
fn a_lone_contact_of_another_citizen_is_not_merged_into_the_sender() {
    let mut value = with_messages(json!([text_from("31600000007", "wamid.C4")]));
    value["entry"][0]["changes"][0]["value"]["contacts"] =
        json!([{ "wa_id": "31600000008", "user_id": "NL.8" }]);
    let batch = parse_json(&value);
    assert_eq!(wa_id_of(&batch.messages[0]), Some("31600000007"));
    assert_eq!(user_id_of(&batch.messages[0]), None);
}

#[test]
fn the_profile_name_comes_from_the_senders_contact_and_only_the_name() {
    let message = only_message("text");
    assert_eq!(
        message.profile_name.as_ref().map(|n| n.as_str()),
        Some("Voorbeeld Inwoner")
    );
    // The contact's other profile fields (a username) are not read.
    let mut value = with_messages(json!([text_from("31600000010", "wamid.P1")]));
    value["entry"][0]["changes"][0]["value"]["contacts"] = json!([
        { "wa_id": "31600000011", "profile": { "name": "Iemand Anders" } },
        { "wa_id": "31600000010", "profile": { "name": " Fatima\u{202e} ", "username": "@fatima" } }
    ]);
    let batch = parse_json(&value);
    let message = &batch.messages[0];
    assert_eq!(
        message.profile_name.as_ref().map(|n| n.as_str()),
        Some("Fatima")
    );
    let stored = serde_json::to_string(message).expect("serialisable");
    assert!(
        !stored.contains("@fatima") && !stored.contains("Iemand"),
        "{stored}"
    );
}

#[test]
fn an_odd_profile_costs_the_name_and_never_the_message() {
    for profile in [
        json!("Voorbeeld"),
        json!({ "name": 12 }),
        json!({ "name": " " }),
        json!(null),
    ] {
        let mut value = with_messages(json!([text_from("31600000012", "wamid.P2")]));
        value["entry"][0]["changes"][0]["value"]["contacts"] =
            json!([{ "wa_id": "31600000012", "profile": profile }]);
        let batch = parse_json(&value);
        assert_eq!(batch.messages.len(), 1, "{profile}: {:?}", batch.skipped);
        assert_eq!(batch.messages[0].profile_name, None, "{profile}");
    }
}

#[test]
fn forgetting_profile_names_leaves_the_messages() {
    let mut batch = fixture("text");
    assert!(batch.messages[0].profile_name.is_some());
    batch.forget_profile_names();
    assert_eq!(batch.messages.len(), 1);
    assert_eq!(batch.messages[0].profile_name, None);
    let stored = serde_json::to_string(&batch.messages[0]).expect("serialisable");
    assert!(!stored.contains("Voorbeeld Inwoner"), "{stored}");
}

#[test]
fn a_malformed_phone_number_is_dropped_but_a_valid_bsuid_keeps_the_message() {
    let body = with_messages(json!([
        { "from": "+31 6 0000", "from_user_id": "NL.9", "id": "wamid.C5", "type": "text", "text": { "body": "a" } },
        { "from": "+31 6 0000", "id": "wamid.C6", "type": "text", "text": { "body": "b" } }
    ]));
    let batch = parse_json(&body);
    assert_eq!(batch.messages.len(), 1);
    assert_eq!(wa_id_of(&batch.messages[0]), None);
    assert_eq!(user_id_of(&batch.messages[0]), Some("NL.9"));
    assert_eq!(batch.skipped.len(), 1);
    assert!(batch.skipped[0].contains("wamid.C6") && batch.skipped[0].contains("rejected"));
    assert!(!batch.skipped[0].contains("+31"));
}

#[test]
fn a_wrongly_typed_field_skips_only_that_message_and_hides_the_value() {
    let body = with_messages(json!([
        { "from": 31600000001_i64, "id": "wamid.C7", "type": "text", "text": { "body": "a" } },
        text_from("31600000001", "wamid.C8")
    ]));
    let batch = parse_json(&body);
    assert_eq!(batch.messages.len(), 1);
    assert_eq!(batch.messages[0].wamid.as_str(), "wamid.C8");
    assert_eq!(batch.skipped.len(), 1);
    assert!(batch.skipped[0].contains("wamid.C7"), "{:?}", batch.skipped);
    assert!(
        !batch.skipped[0].contains("31600000001"),
        "{:?}",
        batch.skipped
    );
}

// ---- timestamps ----------------------------------------------------

#[test]
fn a_numeric_timestamp_is_accepted_and_a_bad_one_falls_back_to_arrival() {
    let cases = [
        (json!("1767225000"), at(1_767_225_000)),
        (json!(1_767_225_000), at(1_767_225_000)),
        (json!(" 1767225000 "), at(1_767_225_000)),
        (json!(null), received()),
        (json!("gisteren"), received()),
        (json!(0), received()),
        (json!(-5), received()),
        (json!("99999999999"), received()),
        (json!(1.7e9), received()),
        (json!(123_456_789_012_345_678_901_234_567_890.0), received()),
        (json!({ "seconds": 1 }), received()),
        (json!(RECEIVED + 23 * 3600), at(RECEIVED + 23 * 3600)),
        (json!(RECEIVED + 25 * 3600), received()),
    ];
    for (timestamp, expected) in cases {
        let mut message = text_from("31600000001", "wamid.T");
        message["timestamp"] = timestamp.clone();
        let batch = parse_json(&with_messages(json!([message])));
        assert_eq!(batch.messages.len(), 1, "{timestamp}");
        assert_eq!(batch.messages[0].sent_at, expected, "{timestamp}");
    }
}

#[test]
fn a_message_without_timestamp_gets_the_arrival_time() {
    let body = with_messages(
        json!([{ "from": "31600000001", "id": "wamid.T2", "type": "text", "text": { "body": "a" } }]),
    );
    assert_eq!(parse_json(&body).messages[0].sent_at, received());
}

// ---- content leniency ----------------------------------------------

fn content_of(message: Value) -> MessageContent {
    let batch = parse_json(&with_messages(json!([message])));
    assert_eq!(batch.messages.len(), 1, "{:?}", batch.skipped);
    batch.messages.into_iter().next().expect("one").content
}

fn message_of_type(kind: &str, payload: Value) -> Value {
    let mut message = json!({ "from": "31600000001", "id": "wamid.K", "type": kind });
    message[kind] = payload;
    message
}

#[test]
fn known_types_with_unusable_content_are_kept_as_malformed() {
    let cases = [
        (message_of_type("text", json!({})), "text.malformed"),
        (message_of_type("text", json!("Hallo")), "text.malformed"),
        (
            message_of_type("text", json!({ "body": 5 })),
            "text.malformed",
        ),
        (
            message_of_type("location", json!({ "latitude": 52.1 })),
            "location.malformed",
        ),
        (
            message_of_type("location", json!({ "latitude": 95.0, "longitude": 5.0 })),
            "location.malformed",
        ),
        (
            message_of_type("location", json!({ "latitude": "52", "longitude": "5" })),
            "location.malformed",
        ),
        (
            message_of_type("location", json!({ "latitude": 1e300, "longitude": 5.0 })),
            "location.malformed",
        ),
        (
            message_of_type("contacts", json!({ "name": "x" })),
            "contacts.malformed",
        ),
        (
            message_of_type("interactive", json!({ "type": "button_reply" })),
            "interactive.malformed",
        ),
        (
            message_of_type(
                "interactive",
                json!({ "button_reply": { "id": "a", "title": "b" } }),
            ),
            "interactive.malformed",
        ),
        (
            message_of_type("interactive", json!([])),
            "interactive.malformed",
        ),
        (
            message_of_type("button", json!({ "payload": "p" })),
            "button.malformed",
        ),
        (
            message_of_type("reaction", json!(null)),
            "reaction.malformed",
        ),
        (
            message_of_type("order", json!({ "product_items": "veel" })),
            "order.malformed",
        ),
        (json!({ "from": "31600000001", "id": "wamid.K" }), "missing"),
    ];
    for (message, expected) in cases {
        let shown = message.to_string();
        assert_eq!(
            content_of(message),
            MessageContent::Unsupported {
                type_name: expected.into()
            },
            "{shown}"
        );
    }
}

#[test]
fn media_without_its_object_is_still_media() {
    assert_eq!(
        content_of(json!({ "from": "31600000001", "id": "wamid.K", "type": "image" })),
        MessageContent::Media {
            media: MediaKind::Image,
            media_id: None,
            mime_type: None,
            caption: None,
            filename: None,
            voice: false,
        }
    );
}

#[test]
fn voice_is_only_claimed_for_audio() {
    let content = content_of(message_of_type(
        "video",
        json!({ "id": "1", "voice": true }),
    ));
    assert!(
        matches!(content, MessageContent::Media { voice: false, .. }),
        "{content:?}"
    );
}

#[test]
fn a_removed_reaction_has_no_emoji() {
    for payload in [
        json!({ "message_id": "wamid.X" }),
        json!({ "message_id": "wamid.X", "emoji": "" }),
    ] {
        assert_eq!(
            content_of(message_of_type("reaction", payload)),
            MessageContent::Reaction {
                to: Some(Wamid::parse("wamid.X").expect("valid")),
                emoji: None
            }
        );
    }
}

#[test]
fn a_very_long_type_name_is_cut_short() {
    let kind = "x".repeat(10_000);
    let MessageContent::Unsupported { type_name } = content_of(message_of_type(&kind, json!({})))
    else {
        panic!("expected unsupported");
    };
    assert!(type_name.chars().count() <= MAX_NAME_CHARS + 1);
}

#[test]
fn a_bad_reply_context_is_ignored_but_the_message_kept() {
    let mut message = text_from("31600000001", "wamid.R");
    message["context"] = json!({ "id": "not a wamid" });
    let batch = parse_json(&with_messages(json!([message])));
    assert_eq!(batch.messages[0].reply_to, None);
}

#[test]
fn a_business_number_id_that_is_not_digits_is_dropped() {
    let mut body = with_messages(json!([text_from("31600000001", "wamid.P")]));
    body["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] =
        json!("12; DROP TABLE");
    assert_eq!(parse_json(&body).messages[0].business_phone_number_id, None);
}

// ---- statuses ------------------------------------------------------

#[test]
fn odd_statuses_are_skipped_and_the_rest_kept() {
    let body = envelope(json!({
        "statuses": [
            { "status": "read", "timestamp": "1767225700" },
            { "id": "wamid.S1", "status": "deleted", "timestamp": "1767225700" },
            { "id": "wamid.S2", "timestamp": "1767225700" },
            { "id": "wamid.S3", "status": "failed", "timestamp": 1767225700 },
            { "id": "wamid.S4", "status": "failed", "errors": { "code": 1 } },
            { "id": "wamid.S5", "status": "failed", "errors": [{ "title": "no code" }] },
            { "id": "wamid.S6", "status": "read", "errors": [{ "code": 131000, "title": "x" }] },
            "read"
        ]
    }));
    let batch = parse_json(&body);
    let kept: Vec<_> = batch
        .statuses
        .iter()
        .map(|s| (s.wamid.as_str(), s.status, s.error.clone()))
        .collect();
    assert_eq!(
        kept,
        [
            ("wamid.S3", DeliveryStatus::Failed, None),
            ("wamid.S4", DeliveryStatus::Failed, None),
            ("wamid.S5", DeliveryStatus::Failed, None),
            ("wamid.S6", DeliveryStatus::Read, None),
        ]
    );
    assert_eq!(batch.statuses[0].at, at(1_767_225_700));
    assert_eq!(batch.statuses[1].at, received());
    assert_eq!(batch.skipped.len(), 4, "{:?}", batch.skipped);
    assert!(batch.skipped[0].ends_with("status has no message id"));
    assert!(batch.skipped[1].contains("`deleted`"));
    assert!(batch.skipped[2].ends_with("status has no `status`"));
    assert!(batch.skipped[3].contains("expected an object, found \"read\""));
}

#[test]
fn statuses_without_recipient_ids_are_kept() {
    let body = envelope(
        json!({ "statuses": [{ "id": "wamid.S7", "status": "delivered", "timestamp": "1767225700" }] }),
    );
    assert_eq!(parse_json(&body).statuses.len(), 1);
}

// ---- structure leniency --------------------------------------------

#[test]
fn one_odd_message_does_not_sink_the_rest_of_the_batch() {
    let body = with_messages(json!([
        5,
        "tekst",
        null,
        [],
        { "id": 7 },
        { "id": "wamid met spatie", "from": "31600000001" },
        text_from("31600000001", "wamid.GOOD")
    ]));
    let batch = parse_json(&body);
    assert_eq!(batch.messages.len(), 1);
    assert_eq!(batch.messages[0].wamid.as_str(), "wamid.GOOD");
    assert_eq!(batch.skipped.len(), 6, "{:?}", batch.skipped);
}

#[test]
fn strings_where_objects_belong_become_skipped_lines() {
    let body = json!({
        "object": "whatsapp_business_account",
        "entry": [
            "entry",
            { "changes": "changes" },
            { "id": "1" },
            { "changes": ["change", { "field": "messages" }, { "field": "messages", "value": "value" }, { "field": 5 }] },
            { "changes": [{ "field": "messages", "value": {
                "metadata": "metadata",
                "contacts": "contacts",
                "messages": "messages",
                "statuses": [{ "id": "wamid.OK", "status": "sent", "timestamp": "1767225600" }]
            } }] },
            { "changes": [{ "field": "messages", "value": {} }] }
        ]
    });
    let batch = parse_json(&body);
    assert_eq!(batch.statuses.len(), 1);
    assert_eq!(
        batch.skipped,
        [
            "entry 0: expected an object, found \"entry\"",
            "entry 1: `changes` is \"changes\"",
            "entry 2: no `changes`",
            "entry 3, change 0: expected an object, found \"change\"",
            "entry 3, change 1: `value` is missing",
            "entry 3, change 2: `value` is \"value\"",
            "entry 3, change 3: invalid type: integer `…`, expected a string",
            "entry 4, change 0: `messages` is \"messages\"",
            "entry 5, change 0: no messages or statuses",
        ]
    );
}

#[test]
fn account_level_errors_from_meta_are_reported_as_skipped_lines() {
    let body =
        envelope(json!({ "errors": [{ "code": 131_000, "title": "Something went wrong" }] }));
    let batch = parse_json(&body);
    assert_eq!(
        batch.skipped,
        ["entry 0, change 0: Meta reports error 131000: Something went wrong"]
    );
}

#[test]
fn unknown_fields_everywhere_are_ignored() {
    let body = json!({
        "object": "whatsapp_business_account",
        "nieuw": 1,
        "entry": [{ "id": "1", "time": 5, "changes": [{ "field": "messages", "extra": [], "value": {
            "messaging_product": "whatsapp",
            "toekomst": { "a": [1, 2, 3] },
            "messages": [{
                "from": "31600000001", "id": "wamid.U", "timestamp": "1767225600", "type": "text",
                "text": { "body": "Hallo", "preview_url": false }, "image": 5, "referral": { "x": 1 },
                "group_id": "g", "context": { "forwarded": true }
            }]
        } }] }]
    });
    let batch = parse_json(&body);
    assert!(batch.skipped.is_empty(), "{:?}", batch.skipped);
    assert_eq!(batch.messages[0].content.text(), Some("Hallo"));
}

#[test]
fn deep_nesting_inside_a_message_is_fine_below_serdes_limit() {
    let mut deep = json!("bodem");
    for _ in 0..100 {
        deep = json!([deep]);
    }
    let mut message = text_from("31600000001", "wamid.D");
    message["diep"] = deep;
    assert_eq!(
        parse_json(&with_messages(json!([message]))).messages.len(),
        1
    );
}

// ---- top level -----------------------------------------------------

fn error_of(body: &[u8]) -> WebhookParseError {
    parse_webhook(body, received()).expect_err("not a webhook")
}

#[test]
fn a_body_that_is_not_json_is_an_error_with_line_and_column() {
    let WebhookParseError::NotJson(message) = error_of(b"{\n  \"object\": geheim\n}") else {
        panic!("expected NotJson");
    };
    assert!(message.contains("line 2 column"), "{message}");
    assert!(!message.contains("geheim"));
    assert!(matches!(error_of(b""), WebhookParseError::NotJson(_)));
    assert!(matches!(
        error_of(b"\xff\xfe"),
        WebhookParseError::NotJson(_)
    ));
    assert!(matches!(
        error_of(b"{} trailing"),
        WebhookParseError::NotJson(_)
    ));
}

#[test]
fn json_that_is_not_an_object_is_an_error() {
    for body in [
        &b"[]"[..],
        b"[{\"object\":\"whatsapp_business_account\",\"entry\":[]}]",
        b"null",
        b"42",
        b"\"x\"",
    ] {
        assert_eq!(error_of(body), WebhookParseError::NotAnObject);
    }
}

#[test]
fn another_object_than_whatsapp_is_an_error_naming_it() {
    assert_eq!(
        error_of(br#"{"object":"page","entry":[]}"#),
        WebhookParseError::WrongObject {
            found: "\"page\"".into()
        }
    );
    assert_eq!(
        error_of(br#"{"entry":[]}"#),
        WebhookParseError::WrongObject {
            found: "missing".into()
        }
    );
    assert_eq!(
        error_of(br#"{"object":5,"entry":[]}"#),
        WebhookParseError::WrongObject {
            found: "a number".into()
        }
    );
}

#[test]
fn an_envelope_without_an_entry_array_is_an_error() {
    for body in [
        &br#"{"object":"whatsapp_business_account"}"#[..],
        br#"{"object":"whatsapp_business_account","entry":{}}"#,
        br#"{"object":"whatsapp_business_account","entry":null}"#,
    ] {
        assert_eq!(error_of(body), WebhookParseError::NoEntries);
    }
}

#[test]
fn an_empty_entry_array_is_an_empty_batch() {
    let batch = parse(br#"{"object":"whatsapp_business_account","entry":[]}"#);
    assert_eq!(batch, WebhookBatch::default());
}

#[test]
fn very_deep_nesting_is_refused_without_overflowing_the_stack() {
    let body = "[".repeat(200_000);
    assert!(matches!(
        error_of(body.as_bytes()),
        WebhookParseError::NotJson(_)
    ));
    let body = format!(
        r#"{{"object":"whatsapp_business_account","entry":[{}]}}"#,
        "{\"a\":".repeat(500) + "1" + &"}".repeat(500)
    );
    let WebhookParseError::NotJson(message) = error_of(body.as_bytes()) else {
        panic!("expected NotJson");
    };
    assert!(message.contains("recursion limit"), "{message}");
}

#[test]
fn numbers_too_large_for_a_float_are_a_json_error_and_big_integers_are_fine() {
    let body = with_messages(json!([text_from("31600000001", "wamid.N")])).to_string();
    let overflowing = body.replace("\"1767225600\"", "1e400");
    assert!(matches!(
        error_of(overflowing.as_bytes()),
        WebhookParseError::NotJson(_)
    ));
    let big = body.replace("\"1767225600\"", "123456789012345678901234567890123456789");
    let batch = parse(big.as_bytes());
    assert_eq!(batch.messages[0].sent_at, received());
}

#[test]
fn error_messages_are_short_and_human() {
    assert_eq!(
        WebhookParseError::NotAnObject.to_string(),
        "body is JSON but not an object"
    );
    assert_eq!(
        WebhookParseError::NoEntries.to_string(),
        "body has no `entry` array"
    );
    assert_eq!(
        WebhookParseError::WrongObject {
            found: "\"page\"".into()
        }
        .to_string(),
        "`object` is \"page\", expected \"whatsapp_business_account\""
    );
}

// ---- helpers -------------------------------------------------------

#[test]
fn redact_removes_quoted_and_numeric_values_but_keeps_field_names() {
    assert_eq!(
        redact("invalid type: string \"mijn adres\", expected f64"),
        "invalid type: string \"…\", expected f64"
    );
    assert_eq!(
        redact("invalid type: integer `31600000001`, expected a string"),
        "invalid type: integer `…`, expected a string"
    );
    assert_eq!(redact("missing field `id`"), "missing field `id`");
}

#[test]
fn names_from_the_payload_cannot_forge_log_lines() {
    let body = json!({
        "object": "whatsapp_business_account",
        "entry": [{ "changes": [
            { "field": "x\nERROR forged", "value": {} },
            { "field": "messages", "value": { "messages": [{ "id": "a\nb" }] } }
        ] }]
    });
    let batch = parse_json(&body);
    assert_eq!(batch.skipped.len(), 2, "{:?}", batch.skipped);
    assert!(
        batch.skipped.iter().all(|line| !line.contains('\n')),
        "{:?}",
        batch.skipped
    );
    assert_eq!(
        batch.skipped[0],
        "entry 0, change 0: field `x\\nERROR forged` is not handled"
    );
}

#[test]
fn clip_cuts_on_characters_not_bytes() {
    assert_eq!(clip("ééé", 2), "éé…");
    assert_eq!(clip("ab", 2), "ab");
}

// ---- properties ----------------------------------------------------

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Keys Meta uses, so generated objects hit the real code paths.
    const KEYS: &[&str] = &[
        "object",
        "entry",
        "id",
        "changes",
        "field",
        "value",
        "metadata",
        "phone_number_id",
        "contacts",
        "wa_id",
        "user_id",
        "messages",
        "statuses",
        "errors",
        "from",
        "from_user_id",
        "timestamp",
        "type",
        "context",
        "text",
        "body",
        "image",
        "audio",
        "voice",
        "location",
        "latitude",
        "longitude",
        "interactive",
        "button_reply",
        "list_reply",
        "title",
        "button",
        "payload",
        "reaction",
        "message_id",
        "emoji",
        "order",
        "product_items",
        "system",
        "status",
        "code",
    ];

    fn scalar() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            prop::sample::select(KEYS).prop_map(Value::from),
            prop::sample::select(
                &[
                    "31600000001",
                    "NL.1502576394655843",
                    "wamid.X",
                    "messages",
                    "whatsapp_business_account",
                    "failed",
                    "read",
                    "button_reply",
                    "1767225600",
                    ""
                ][..]
            )
            .prop_map(Value::from),
            ".{0,12}".prop_map(Value::from),
        ]
    }

    fn json_value() -> impl Strategy<Value = Value> {
        scalar().prop_recursive(6, 96, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec(
                    (prop_oneof![4 => prop::sample::select(KEYS).prop_map(str::to_owned), 1 => ".{0,6}"], inner),
                    0..8
                )
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse_webhook(&bytes, received());
        }

        #[test]
        fn arbitrary_json_never_panics(value in json_value()) {
            let _ = parse_webhook(value.to_string().as_bytes(), received());
        }

        #[test]
        fn arbitrary_entries_never_fail_the_envelope(entries in prop::collection::vec(json_value(), 0..4)) {
            let body = json!({ "object": "whatsapp_business_account", "entry": entries });
            let batch = parse_webhook(body.to_string().as_bytes(), received());
            prop_assert!(batch.is_ok());
        }

        #[test]
        fn arbitrary_messages_and_statuses_never_fail_the_envelope(
            messages in prop::collection::vec(json_value(), 0..4),
            statuses in prop::collection::vec(json_value(), 0..4),
            contacts in json_value(),
            metadata in json_value(),
        ) {
            let body = envelope(json!({
                "metadata": metadata, "contacts": contacts, "messages": messages, "statuses": statuses
            }));
            let batch = parse_webhook(body.to_string().as_bytes(), received());
            prop_assert!(batch.is_ok());
            if let Ok(batch) = batch {
                for message in &batch.messages {
                    prop_assert!(message.from.wa_id.is_some() || message.from.user_id.is_some());
                }
            }
        }

        #[test]
        fn arbitrary_fields_on_a_message_never_fail_the_envelope(
            fields in prop::collection::vec((prop::sample::select(KEYS), json_value()), 0..6)
        ) {
            let mut message = text_from("31600000001", "wamid.PROP");
            for (key, value) in fields {
                // Keep the identity fields valid; fuzz everything else.
                if !matches!(key, "id" | "from") {
                    message[key] = value;
                }
            }
            let batch = parse_webhook(with_messages(json!([message])).to_string().as_bytes(), received());
            prop_assert!(batch.is_ok());
        }
    }
}
