//! Checks on a file staff attach to a reply, before it is stored and
//! uploaded to Meta (issue 21, step 5): within the upload cap and
//! WhatsApp's cap for its kind, a JPEG, PNG or PDF by its bytes (never by
//! its name or declared type), an image stripped of its metadata, and a
//! file name that is safe to show and to put in a header.

use super::{SizeCaps, strip_metadata};
use crate::domain::MediaKind;
use img_parts::Bytes;

/// The types staff may send: what WhatsApp shows inline (JPEG, PNG) and
/// the one document type municipalities send (PDF).
const ALLOWED: [(&str, MediaKind, &str); 3] = [
    ("image/jpeg", MediaKind::Image, "jpg"),
    ("image/png", MediaKind::Image, "png"),
    ("application/pdf", MediaKind::Document, "pdf"),
];

/// Longest file name kept, in characters (Meta shows names this long).
const MAX_FILENAME: usize = 100;

/// A file that passed every check, ready to store and send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub kind: MediaKind,
    /// Sniffed from the bytes.
    pub mime: &'static str,
    pub filename: String,
    /// The bytes to send: an image without its metadata.
    pub bytes: Bytes,
}

/// Why an attachment is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentError {
    #[error("the file is empty")]
    Empty,
    /// Over the smaller of the upload cap and WhatsApp's cap for its kind.
    #[error("the file is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    /// Not a JPEG, PNG or PDF by its bytes.
    #[error("the file is not a JPEG, PNG or PDF")]
    WrongType,
    /// It looked like an image but would not parse as one.
    #[error("the image could not be read")]
    Unreadable,
}

/// The largest attachment of `kind`: the staff upload cap, or WhatsApp's
/// own cap for the kind when that is lower (5 MB for an image).
pub fn attachment_cap(upload_max: u64, caps: &SizeCaps, kind: MediaKind) -> u64 {
    upload_max.min(caps.of(kind))
}

/// The largest attachment of any kind: what the upload may be before its
/// type is known.
pub fn largest_attachment(upload_max: u64, caps: &SizeCaps) -> u64 {
    ALLOWED
        .iter()
        .map(|(_, kind, _)| attachment_cap(upload_max, caps, *kind))
        .max()
        .unwrap_or(upload_max)
}

/// Checks `bytes` as an attachment named `name` (as the browser sent it).
pub fn check_attachment(
    bytes: Bytes,
    name: Option<&str>,
    upload_max: u64,
    caps: &SizeCaps,
) -> Result<Attachment, AttachmentError> {
    if bytes.is_empty() {
        return Err(AttachmentError::Empty);
    }
    let found = infer::get(&bytes).map(|kind| kind.mime_type());
    let (mime, kind, extension) = ALLOWED
        .into_iter()
        .find(|(mime, _, _)| Some(*mime) == found)
        .ok_or(AttachmentError::WrongType)?;
    let limit = attachment_cap(upload_max, caps, kind);
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > limit {
        return Err(AttachmentError::TooLarge { limit });
    }
    let bytes = strip_metadata(mime, bytes).map_err(|_| AttachmentError::Unreadable)?;
    Ok(Attachment {
        kind,
        mime,
        filename: safe_filename(name, extension),
        bytes,
    })
}

/// A file name without any path, control or quoting characters, at most
/// [`MAX_FILENAME`] characters, ending in the extension of what the bytes
/// are; `bijlage.<ext>` when nothing usable is left.
pub fn safe_filename(name: Option<&str>, extension: &str) -> String {
    // Whatever a browser or a script sends: only the last path segment.
    let base = name
        .unwrap_or_default()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default();
    let stem = match base.rsplit_once('.') {
        Some((stem, _)) => stem,
        None => base,
    };
    let cleaned: String = stem
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.' | '(' | ')') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let cleaned = cleaned.trim_matches(|c: char| c == '.' || c == ' ' || c == '_');
    let room = MAX_FILENAME.saturating_sub(extension.chars().count() + 1);
    let stem: String = cleaned.chars().take(room).collect();
    let stem = if stem.is_empty() { "bijlage" } else { &stem };
    format!("{stem}.{extension}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: u64 = 1024 * 1024;
    const PNG: &[u8] = include_bytes!("../../tests/fixtures/media/photo-with-metadata.png");

    #[test]
    fn a_name_loses_its_path_and_odd_characters_and_gets_the_sniffed_extension() {
        assert_eq!(
            safe_filename(Some("C:\\Users\\x\\brief gemeente.PDF"), "pdf"),
            "brief gemeente.pdf"
        );
        assert_eq!(
            safe_filename(Some("../../etc/pa\"ss\r\nwd.html"), "pdf"),
            "pa_ss__wd.pdf"
        );
        assert_eq!(safe_filename(Some("..."), "png"), "bijlage.png");
        assert_eq!(safe_filename(None, "jpg"), "bijlage.jpg");
        let long = "a".repeat(500);
        assert_eq!(
            safe_filename(Some(&long), "pdf").chars().count(),
            MAX_FILENAME
        );
    }

    #[test]
    fn html_named_pdf_is_refused_and_a_png_is_an_image_without_metadata() {
        let caps = SizeCaps::default();
        let html = Bytes::from_static(b"<!doctype html><script>alert(1)</script>");
        assert_eq!(
            check_attachment(html, Some("brief.pdf"), 16 * MB, &caps),
            Err(AttachmentError::WrongType)
        );
        assert_eq!(
            check_attachment(Bytes::new(), Some("x.png"), 16 * MB, &caps),
            Err(AttachmentError::Empty)
        );
        let png = check_attachment(Bytes::from_static(PNG), Some("lamp.png"), 16 * MB, &caps)
            .expect("a PNG passes");
        assert_eq!((png.kind, png.mime), (MediaKind::Image, "image/png"));
        assert!(png.bytes.len() < PNG.len(), "metadata was stripped");
        assert_eq!(png.filename, "lamp.png");
    }

    #[test]
    fn the_cap_is_the_smaller_of_the_upload_cap_and_whatsapps() {
        let caps = SizeCaps::default();
        assert_eq!(attachment_cap(16 * MB, &caps, MediaKind::Image), 5 * MB);
        assert_eq!(attachment_cap(16 * MB, &caps, MediaKind::Document), 16 * MB);
        assert_eq!(largest_attachment(16 * MB, &caps), 16 * MB);
        let small = u64::try_from(PNG.len() - 1).unwrap_or_default();
        assert_eq!(
            check_attachment(Bytes::from_static(PNG), None, small, &caps),
            Err(AttachmentError::TooLarge { limit: small })
        );
    }
}
