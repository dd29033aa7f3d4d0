//! How a stored file is served to staff: inline only for the image, audio
//! and video types a browser shows in a page without running anything;
//! every other type, documents above all, is a download. The file name is
//! made here, never the citizen's own: it cannot break the header or carry
//! personal data.

use super::noun;
use crate::domain::MediaKind;

/// Types shown in the page (`<img>`, `<audio>`, `<video>`): raster images,
/// Ogg (WhatsApp's voice notes) and MP4. No SVG, no HTML: they could run
/// script.
const INLINE: [&str; 5] = [
    "image/jpeg",
    "image/png",
    "image/webp",
    "audio/ogg",
    "video/mp4",
];

/// Whether a file of this kind and type is shown in the page; a document
/// never is, whatever its bytes are.
pub fn inline(kind: MediaKind, mime: &str) -> bool {
    kind != MediaKind::Document && INLINE.contains(&mime)
}

/// The file's extension for its sniffed type (`bin` for one not listed).
pub fn extension(mime: &str) -> &'static str {
    match mime {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/webp" => "webp",
        "image/gif" => "gif",
        "audio/ogg" => "ogg",
        "audio/mpeg" => "mp3",
        "audio/m4a" => "m4a",
        "audio/aac" => "aac",
        "audio/amr" => "amr",
        "video/mp4" => "mp4",
        "video/quicktime" => "mov",
        "video/x-m4v" => "m4v",
        "application/pdf" => "pdf",
        "application/zip" => "zip",
        _ => "bin",
    }
}

/// The `Content-Disposition` value: `inline` or `attachment`, with a
/// name of ASCII letters, digits and one dot, e.g. `foto-12.jpg`.
pub fn content_disposition(kind: MediaKind, mime: &str, id: i64) -> String {
    let how = if inline(kind, mime) {
        "inline"
    } else {
        "attachment"
    };
    format!(
        "{how}; filename=\"{}-{id}.{}\"",
        noun(kind),
        extension(mime)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pictures_sound_and_mp4_show_in_the_page_and_the_rest_downloads() {
        assert!(inline(MediaKind::Image, "image/jpeg"));
        assert!(inline(MediaKind::Sticker, "image/webp"));
        assert!(inline(MediaKind::Audio, "audio/ogg"));
        assert!(inline(MediaKind::Video, "video/mp4"));
        assert!(!inline(MediaKind::Video, "video/quicktime"));
        assert!(!inline(MediaKind::Audio, "audio/amr"));
        // A document is a download even when its bytes are a picture.
        assert!(!inline(MediaKind::Document, "image/jpeg"));
        assert!(!inline(MediaKind::Image, "image/svg+xml"));
        assert!(!inline(MediaKind::Document, "text/html"));
    }

    #[test]
    fn the_header_names_a_safe_file() {
        assert_eq!(
            content_disposition(MediaKind::Document, "application/pdf", 7),
            "attachment; filename=\"document-7.pdf\""
        );
        assert_eq!(
            content_disposition(MediaKind::Image, "image/jpeg", 12),
            "inline; filename=\"foto-12.jpg\""
        );
        assert_eq!(
            content_disposition(MediaKind::Document, "text/html\"; x", 3),
            "attachment; filename=\"document-3.bin\""
        );
    }
}
