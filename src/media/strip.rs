//! Removes an image's metadata before it is stored: EXIF (camera, time,
//! the GPS position), XMP, IPTC and comments, with `img-parts`, which edits
//! the container's segments and chunks and leaves the pixel data as it is
//! (no re-encoding, so no quality loss and no decoder run on citizens'
//! bytes). Colour profiles stay: they hold no personal data and the photo
//! would look wrong without them.

use img_parts::Bytes;
use img_parts::ImageEXIF;
use img_parts::jpeg::Jpeg;
use img_parts::png::Png;
use img_parts::riff::RiffContent;
use img_parts::webp::WebP;

/// JPEG markers that carry metadata: APP1 (EXIF, XMP), APP3 to APP13
/// (among them APP13, Photoshop's IPTC), APP15 and COM. APP0 (JFIF), APP2
/// (ICC profile, multi-picture index) and APP14 (Adobe's colour transform)
/// are needed to show the image as it was.
const JPEG_METADATA: [u8; 14] = [
    0xE1, 0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xEA, 0xEB, 0xEC, 0xED, 0xEF, 0xFE,
];
/// PNG chunks that carry metadata: EXIF, the three kinds of text (XMP
/// travels in iTXt) and the modification time.
const PNG_METADATA: [[u8; 4]; 5] = [*b"eXIf", *b"tEXt", *b"zTXt", *b"iTXt", *b"tIME"];
/// WebP's XMP chunk (its EXIF chunk goes through `set_exif`), and the bit
/// in the extended header that announces it.
const WEBP_XMP: [u8; 4] = *b"XMP ";
const WEBP_XMP_FLAG: u8 = 0b0000_0100;

/// The image would not parse as the type its bytes were sniffed as.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the {mime} image could not be read: {reason}")]
pub struct StripError {
    mime: &'static str,
    reason: String,
}

/// Returns the image without its metadata. `mime` is the sniffed type:
/// `image/jpeg`, `image/png` or `image/webp`; any other type is returned
/// as it is.
pub fn strip_metadata(mime: &'static str, bytes: Bytes) -> Result<Bytes, StripError> {
    let failed = |error: img_parts::Error| StripError {
        mime,
        reason: error.to_string(),
    };
    Ok(match mime {
        "image/jpeg" => {
            let mut jpeg = Jpeg::from_bytes(bytes).map_err(failed)?;
            // Through set_exif first, which keeps a multi-picture index right.
            jpeg.set_exif(None);
            for marker in JPEG_METADATA {
                jpeg.remove_segments_by_marker(marker);
            }
            jpeg.encoder().bytes()
        }
        "image/png" => {
            let mut png = Png::from_bytes(bytes).map_err(failed)?;
            for kind in PNG_METADATA {
                png.remove_chunks_by_type(kind);
            }
            png.encoder().bytes()
        }
        "image/webp" => {
            let mut webp = WebP::from_bytes(bytes).map_err(failed)?;
            webp.remove_chunks_by_id(WEBP_XMP);
            // set_exif also clears the header's EXIF flag (or drops the
            // extended header when nothing needs it any more) ...
            webp.set_exif(None);
            // ... but not the XMP flag.
            for chunk in webp.chunks_mut() {
                if chunk.id() == *b"VP8X" {
                    if let RiffContent::Data(header) = chunk.content_mut() {
                        if let Some(flags) = header.first() {
                            let mut edited = header.to_vec();
                            edited[0] = flags & !WEBP_XMP_FLAG;
                            *header = Bytes::from(edited);
                        }
                    }
                }
            }
            webp.encoder().bytes()
        }
        _ => bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use img_parts::png::PngChunk;
    use img_parts::riff::RiffChunk;

    /// Stands for a position and a name: must not survive.
    const MARKER: &[u8] = b"GPS52.0907N5.1214E-Domstraat-MARKER";

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    /// A JPEG with EXIF, XMP, IPTC and comment blocks holding the marker.
    const PHOTO: &[u8] = include_bytes!("../../tests/fixtures/media/photo-with-exif.jpg");

    fn png_with_metadata() -> Vec<u8> {
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        let chunks = [
            (
                *b"IHDR",
                b"\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00".to_vec(),
            ),
            (*b"eXIf", [b"MM\x00*".as_slice(), MARKER].concat()),
            (*b"tEXt", [b"Comment\x00".as_slice(), MARKER].concat()),
            (
                *b"iTXt",
                [b"XML:com.adobe.xmp\x00\x00\x00\x00\x00".as_slice(), MARKER].concat(),
            ),
            (*b"IDAT", b"PIXELDATA".to_vec()),
            (*b"IEND", Vec::new()),
        ];
        for (kind, contents) in chunks {
            out.extend_from_slice(&PngChunk::new(kind, Bytes::from(contents)).encoder().bytes());
        }
        out
    }

    fn webp_with_metadata() -> Vec<u8> {
        let data =
            |id: [u8; 4], body: Vec<u8>| RiffChunk::new(id, RiffContent::Data(Bytes::from(body)));
        let riff = RiffChunk::new(
            *b"RIFF",
            RiffContent::List {
                kind: Some(*b"WEBP"),
                subchunks: vec![
                    // VP8X with the ICC (0x20), EXIF (0x08) and XMP (0x04)
                    // flags set, 1x1 canvas; the colour profile keeps it
                    // extended after stripping.
                    data(*b"VP8X", vec![0x2C, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
                    data(*b"ICCP", b"colours".to_vec()),
                    data(*b"VP8L", b"\x2f\x00\x00\x00PIXELDATA".to_vec()),
                    data(*b"EXIF", [b"II*\x00".as_slice(), MARKER].concat()),
                    data(*b"XMP ", MARKER.to_vec()),
                ],
            },
        );
        riff.encoder().bytes().to_vec()
    }

    #[test]
    fn the_marker_goes_and_the_pixels_and_colours_stay() {
        for (mime, image) in [
            ("image/jpeg", PHOTO.to_vec()),
            ("image/png", png_with_metadata()),
            ("image/webp", webp_with_metadata()),
        ] {
            assert!(
                contains(&image, MARKER),
                "{mime}: the test image carries the marker"
            );
            let stripped = strip_metadata(mime, Bytes::from(image)).expect(mime);
            assert!(!contains(&stripped, MARKER), "{mime}: metadata left");
            assert!(
                contains(&stripped, b"PIXELDATA"),
                "{mime}: the image itself went"
            );
        }
        let jpeg = strip_metadata("image/jpeg", Bytes::from_static(PHOTO)).unwrap();
        assert!(contains(&jpeg, b"ICC_PROFILE"), "the colour profile stays");
        assert!(contains(&jpeg, b"JFIF"));
        let webp = WebP::from_bytes(
            strip_metadata("image/webp", Bytes::from(webp_with_metadata())).unwrap(),
        )
        .unwrap();
        let flags = webp
            .chunk_by_id(*b"VP8X")
            .and_then(|c| c.content().data().cloned())
            .map(|d| d[0]);
        assert_eq!(
            flags,
            Some(0x20),
            "the header announces the profile, no EXIF or XMP"
        );
    }

    #[test]
    fn an_image_that_does_not_parse_is_refused_and_other_types_pass_through() {
        let broken = Bytes::from_static(b"\xFF\xD8\xFF\xE1\xFF\xFFshort");
        assert!(strip_metadata("image/jpeg", broken).is_err());
        assert!(strip_metadata("image/png", Bytes::from_static(b"\x89PNG\r\n\x1a\nX")).is_err());
        let pdf = Bytes::from_static(b"%PDF-1.7 with its own metadata");
        assert_eq!(strip_metadata("application/pdf", pdf.clone()).unwrap(), pdf);
    }
}
