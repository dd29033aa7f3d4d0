//! The checks that run while a file streams in: its size against the cap
//! of its kind (so an oversized download stops early), its SHA-256, and
//! its first bytes kept for sniffing. Nothing here holds the whole file.

use super::{Failure, SizeCaps, Sniffed, sniff};
use crate::domain::MediaKind;
use sha2::{Digest, Sha256};

/// How many leading bytes are kept for sniffing: more than any signature
/// `infer` reads for the types a message may carry.
const HEAD_LEN: usize = 8 * 1024;

/// One file being received.
pub struct Intake {
    kind: MediaKind,
    cap: u64,
    size: u64,
    hasher: Sha256,
    head: Vec<u8>,
}

/// A file that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// Bytes received.
    pub size: u64,
    /// Lower-case hex SHA-256 of the bytes received.
    pub sha256: String,
    pub sniffed: Sniffed,
}

impl Intake {
    /// Starts a file of `kind`; refuses it at once when Meta's declared
    /// size is already over the cap.
    pub fn new(
        kind: MediaKind,
        caps: &SizeCaps,
        declared_size: Option<u64>,
    ) -> Result<Self, Failure> {
        let cap = caps.of(kind);
        if declared_size.is_some_and(|size| size > cap) {
            return Err(Failure::TooLarge);
        }
        Ok(Self {
            kind,
            cap,
            size: 0,
            hasher: Sha256::new(),
            head: Vec::new(),
        })
    }

    /// Takes the next piece; fails as soon as the file grows over the cap,
    /// whatever size was declared.
    pub fn take(&mut self, piece: &[u8]) -> Result<(), Failure> {
        self.size = self
            .size
            .saturating_add(u64::try_from(piece.len()).unwrap_or(u64::MAX));
        if self.size > self.cap {
            return Err(Failure::TooLarge);
        }
        self.hasher.update(piece);
        let room = HEAD_LEN.saturating_sub(self.head.len());
        self.head.extend_from_slice(&piece[..room.min(piece.len())]);
        Ok(())
    }

    /// Ends the file: the digest must be `expected` and the type one its
    /// kind may have. Meta's documentation does not say how it writes the
    /// digest, and its webhooks write it in base64: hex (either case) and
    /// base64 are both accepted.
    pub fn finish(self, expected: &str) -> Result<Checked, Failure> {
        use base64::Engine;
        let digest = self.hasher.finalize();
        let sha256 = hex::encode(digest);
        let expected = expected.trim();
        let matches = sha256.eq_ignore_ascii_case(expected)
            || base64::engine::general_purpose::STANDARD
                .decode(expected)
                .is_ok_and(|decoded| decoded.as_slice() == digest.as_slice());
        if !matches {
            return Err(Failure::WrongSha256);
        }
        let sniffed = sniff(self.kind, &self.head)?;
        Ok(Checked {
            size: self.size,
            sha256,
            sniffed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n";

    fn digest(bytes: &[u8]) -> String {
        hex::encode(Sha256::digest(bytes))
    }

    fn caps(document: u64) -> SizeCaps {
        SizeCaps {
            document,
            ..SizeCaps::default()
        }
    }

    #[test]
    fn a_file_in_pieces_is_checked_as_a_whole() {
        let mut intake =
            Intake::new(MediaKind::Document, &caps(1024), Some(PDF.len() as u64)).unwrap();
        for piece in PDF.chunks(5) {
            intake.take(piece).unwrap();
        }
        let checked = intake.finish(&digest(PDF).to_uppercase()).unwrap();
        let mut again = Intake::new(MediaKind::Document, &caps(1024), None).unwrap();
        again.take(PDF).unwrap();
        let base64 = {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(PDF))
        };
        assert!(
            again.finish(&base64).is_ok(),
            "Meta's base64 form is accepted too"
        );
        assert_eq!(checked.size, PDF.len() as u64);
        assert_eq!(checked.sha256, digest(PDF));
        assert_eq!(checked.sniffed.mime, "application/pdf");
    }

    #[test]
    fn a_wrong_digest_is_refused() {
        let mut intake = Intake::new(MediaKind::Document, &caps(1024), None).unwrap();
        intake.take(PDF).unwrap();
        assert_eq!(intake.finish(&digest(b"other")), Err(Failure::WrongSha256));
    }

    #[test]
    fn over_the_cap_is_refused_when_declared_and_when_it_turns_out_so() {
        let cap = PDF.len() as u64 - 1;
        assert!(matches!(
            Intake::new(MediaKind::Document, &caps(cap), Some(PDF.len() as u64)),
            Err(Failure::TooLarge)
        ));
        // Meta said it was small; the bytes say otherwise.
        let mut intake = Intake::new(MediaKind::Document, &caps(cap), Some(3)).unwrap();
        intake.take(&PDF[..10]).unwrap();
        assert_eq!(intake.take(&PDF[10..]), Err(Failure::TooLarge));
        // Exactly the cap is fine.
        let mut intake = Intake::new(MediaKind::Document, &caps(PDF.len() as u64), None).unwrap();
        intake.take(PDF).unwrap();
        assert!(intake.finish(&digest(PDF)).is_ok());
    }

    #[test]
    fn an_image_that_is_not_one_is_refused_after_the_digest_checks_out() {
        let html = b"<html><script>steal()</script></html>";
        let mut intake = Intake::new(MediaKind::Image, &SizeCaps::default(), None).unwrap();
        intake.take(html).unwrap();
        assert_eq!(intake.finish(&digest(html)), Err(Failure::UnknownType));
    }
}
