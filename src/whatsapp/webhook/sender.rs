//! Who sent a message, from the message's own ids and the change's
//! `contacts`.

use super::raw::RawContact;
use crate::domain::{CitizenRef, ProfileName, UserId, WaId};
use serde_json::Value;

/// Who sent a message: the message's own `from` / `from_user_id`, with
/// whatever is missing taken from the matching `contacts[]` entry. An id
/// that fails the domain's checks counts as absent; with no usable id left
/// the message is skipped (the `Err` is the reason line).
pub(super) fn sender(
    from: Option<&str>,
    from_user_id: Option<&str>,
    contacts: &[RawContact],
) -> Result<CitizenRef, String> {
    let contact = matching_contact(from, from_user_id, contacts);
    let wa_id_raw = from.or_else(|| contact.and_then(|c| c.wa_id.as_deref()));
    let user_id_raw = from_user_id.or_else(|| contact.and_then(|c| c.user_id.as_deref()));
    if wa_id_raw.is_none() && user_id_raw.is_none() {
        return Err("message has no sender (no `from`, `from_user_id` or matching contact)".into());
    }
    let wa_id = wa_id_raw.and_then(|raw| WaId::parse(raw).ok());
    let user_id = user_id_raw.and_then(|raw| UserId::parse(raw).ok());
    if wa_id_raw.is_some() && wa_id.is_none() {
        // Not quoted: it may be (most of) a phone number.
        tracing::warn!("dropped a sender phone number that is not 5 to 20 digits");
    }
    if user_id_raw.is_some() && user_id.is_none() {
        tracing::warn!("dropped a sender user id that is not a valid BSUID");
    }
    CitizenRef::new(wa_id, user_id).ok_or_else(|| "message sender ids rejected".to_owned())
}

/// The WhatsApp profile name of this message's sender, from the same
/// contact [`sender`] uses; `None` when there is none or it is not text.
pub(super) fn profile_name(
    from: Option<&str>,
    from_user_id: Option<&str>,
    contacts: &[RawContact],
) -> Option<ProfileName> {
    matching_contact(from, from_user_id, contacts)?
        .profile
        .as_ref()?
        .get("name")
        .and_then(Value::as_str)
        .and_then(ProfileName::from_meta)
}

/// The contact describing this message's sender: the one whose `wa_id` or
/// `user_id` equals the message's, else the only contact, provided it does
/// not contradict the message (so two citizens are never merged).
fn matching_contact<'a>(
    from: Option<&str>,
    from_user_id: Option<&str>,
    contacts: &'a [RawContact],
) -> Option<&'a RawContact> {
    let same = |a: Option<&str>, b: Option<&str>| a.is_some() && a == b;
    let by_id = contacts.iter().find(|contact| {
        same(from, contact.wa_id.as_deref()) || same(from_user_id, contact.user_id.as_deref())
    });
    if by_id.is_some() {
        return by_id;
    }
    let agrees = |a: Option<&str>, b: Option<&str>| a.is_none() || b.is_none() || a == b;
    match contacts {
        [only]
            if agrees(from, only.wa_id.as_deref())
                && agrees(from_user_id, only.user_id.as_deref()) =>
        {
            Some(only)
        }
        _ => None,
    }
}
