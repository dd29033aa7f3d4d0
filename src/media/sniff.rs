//! The type of a file, from its first bytes (`infer`'s magic numbers), and
//! whether a message of its kind may be that type. The declared type is
//! never used to serve a file: a "photo" that is HTML or SVG is refused.

use super::Failure;
use crate::domain::MediaKind;

/// What the bytes are, as the file will be served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sniffed {
    pub mime: &'static str,
    /// Whether this is an image whose metadata is stripped before storing
    /// (JPEG, PNG or WebP, whatever the message's kind).
    pub image: bool,
}

/// The type served for a document whose bytes match no known signature
/// (plain text, CSV): always downloaded as an attachment, never rendered.
const UNKNOWN_DOCUMENT: &str = "application/octet-stream";

/// The image types whose metadata `strip_metadata` removes.
const STRIPPED: [&str; 3] = ["image/jpeg", "image/png", "image/webp"];

/// Sniffs `head` (the first bytes of the file; a few KiB are enough) and
/// checks the result against what `kind` may be: images are JPEG, PNG or
/// WebP, stickers WebP, audio and video the containers WhatsApp sends. A
/// document may be anything, as it is only ever served as an attachment.
pub fn sniff(kind: MediaKind, head: &[u8]) -> Result<Sniffed, Failure> {
    let found = infer::get(head).map(|kind| kind.mime_type());
    let allowed: &[&str] = match kind {
        MediaKind::Image => &STRIPPED,
        MediaKind::Sticker => &["image/webp"],
        MediaKind::Audio => &[
            "audio/ogg",
            "audio/opus",
            "audio/mpeg",
            "audio/m4a",
            "audio/aac",
            "audio/amr",
        ],
        MediaKind::Video => &["video/mp4", "video/quicktime", "video/x-m4v"],
        MediaKind::Document => {
            let mime = found.unwrap_or(UNKNOWN_DOCUMENT);
            return Ok(Sniffed {
                mime,
                image: STRIPPED.contains(&mime),
            });
        }
    };
    let mime = found
        .and_then(|found| allowed.iter().find(|allowed| **allowed == found))
        .ok_or(Failure::UnknownType)?;
    Ok(Sniffed {
        // Opus voice notes are Ogg files; browsers play them as audio/ogg.
        mime: if *mime == "audio/opus" {
            "audio/ogg"
        } else {
            mime
        },
        image: STRIPPED.contains(mime),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const JPEG: &[u8] = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00";
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR";
    const PDF: &[u8] = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n";

    /// The first page of an Ogg/Opus voice note.
    const VOICE_NOTE: &[u8] = include_bytes!("../../tests/fixtures/media/voice-note.ogg");

    #[test]
    fn images_are_what_their_bytes_say_not_what_was_declared() {
        assert_eq!(sniff(MediaKind::Image, JPEG).unwrap().mime, "image/jpeg");
        assert!(sniff(MediaKind::Image, PNG).unwrap().image);
        for disguised in [
            &b"<!DOCTYPE html><script>alert(1)</script>"[..],
            b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"x()\"/>",
            PDF,
            b"",
        ] {
            assert_eq!(
                sniff(MediaKind::Image, disguised),
                Err(Failure::UnknownType)
            );
        }
        assert_eq!(sniff(MediaKind::Sticker, JPEG), Err(Failure::UnknownType));
    }

    #[test]
    fn an_opus_voice_note_is_served_as_ogg() {
        let sniffed = sniff(MediaKind::Audio, VOICE_NOTE).unwrap();
        assert_eq!(sniffed.mime, "audio/ogg");
        assert!(!sniffed.image);
        assert_eq!(sniff(MediaKind::Audio, PDF), Err(Failure::UnknownType));
    }

    #[test]
    fn a_document_may_be_anything_and_an_unknown_one_is_an_octet_stream() {
        assert_eq!(
            sniff(MediaKind::Document, PDF).unwrap().mime,
            "application/pdf"
        );
        assert_eq!(
            sniff(MediaKind::Document, b"name;street\nA;B\n")
                .unwrap()
                .mime,
            UNKNOWN_DOCUMENT
        );
        // A photo sent as a document still carries its GPS position: its
        // metadata goes too.
        assert!(sniff(MediaKind::Document, JPEG).unwrap().image);
        assert!(!sniff(MediaKind::Document, PDF).unwrap().image);
    }
}
