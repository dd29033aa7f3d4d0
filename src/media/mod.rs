//! Checks on a file a citizen sent, before it is stored (issue 21): the
//! size cap of its kind, its SHA-256 against Meta's, its type sniffed from
//! the bytes (never the declared one), and an image's metadata (EXIF with
//! the GPS position, XMP, comments) stripped. Pure functions over bytes;
//! fetching and storing are the fetcher's and the store's. The files staff
//! send get their own checks ([`check_attachment`]).

mod attachment;
mod check;
pub mod serve;
mod sniff;
mod strip;

pub use attachment::{
    Attachment, AttachmentError, attachment_cap, check_attachment, largest_attachment,
    safe_filename,
};
pub use check::{Checked, Intake};
pub use sniff::{Sniffed, sniff};
pub use strip::{StripError, strip_metadata};

use crate::domain::MediaKind;

/// Why a file was not stored, as kept in `media.failure` and worded for
/// staff in the thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Over the size cap of its kind.
    TooLarge,
    /// The bytes are not what Meta's digest says.
    WrongSha256,
    /// Its type is not one this kind may have (or not recognisable where
    /// it must be, as for an image), or an image would not parse.
    UnknownType,
    /// Every download URL had expired by the time it was used.
    Expired,
    /// Meta no longer has it.
    NotFound,
    /// Meta could not be reached, or kept failing, until the retries ran out.
    Unreachable,
}

impl Failure {
    pub const ALL: [Failure; 6] = [
        Failure::TooLarge,
        Failure::WrongSha256,
        Failure::UnknownType,
        Failure::Expired,
        Failure::NotFound,
        Failure::Unreachable,
    ];

    /// The word stored in `media.failure`.
    pub fn as_str(self) -> &'static str {
        match self {
            Failure::TooLarge => "too_large",
            Failure::WrongSha256 => "wrong_sha256",
            Failure::UnknownType => "unknown_type",
            Failure::Expired => "expired",
            Failure::NotFound => "not_found",
            Failure::Unreachable => "unreachable",
        }
    }

    pub fn parse(word: &str) -> Option<Self> {
        Failure::ALL
            .into_iter()
            .find(|failure| failure.as_str() == word)
    }

    /// What staff read in the thread, e.g. "foto kon niet worden
    /// opgehaald: te groot".
    pub fn wording(self, kind: MediaKind) -> String {
        let why = match self {
            Failure::TooLarge => "te groot",
            Failure::WrongSha256 => "beschadigd onderweg",
            Failure::UnknownType => "onbekend of niet toegestaan bestandstype",
            Failure::Expired => "de downloadlink was verlopen",
            Failure::NotFound => "niet meer beschikbaar bij WhatsApp",
            Failure::Unreachable => "WhatsApp was niet bereikbaar",
        };
        format!("{} kon niet worden opgehaald: {why}", noun(kind))
    }

    /// The same in English, for the page's English texts, e.g. "photo
    /// could not be fetched: too large".
    pub fn wording_en(self, kind: MediaKind) -> String {
        let why = match self {
            Failure::TooLarge => "too large",
            Failure::WrongSha256 => "damaged on the way",
            Failure::UnknownType => "unknown or disallowed file type",
            Failure::Expired => "the download link had expired",
            Failure::NotFound => "no longer available at WhatsApp",
            Failure::Unreachable => "WhatsApp could not be reached",
        };
        let noun = match kind {
            MediaKind::Image => "photo",
            MediaKind::Audio => "audio message",
            MediaKind::Video => "video",
            MediaKind::Document => "document",
            MediaKind::Sticker => "sticker",
        };
        format!("{noun} could not be fetched: {why}")
    }
}

/// The Dutch word staff know the kind by.
pub fn noun(kind: MediaKind) -> &'static str {
    match kind {
        MediaKind::Image => "foto",
        MediaKind::Audio => "geluidsbericht",
        MediaKind::Video => "video",
        MediaKind::Document => "document",
        MediaKind::Sticker => "sticker",
    }
}

/// The largest file stored per kind, in bytes. The defaults are
/// WhatsApp's own limits for what a citizen can send (Cloud API "supported
/// media types"): larger files cannot arrive legitimately.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SizeCaps {
    pub image: u64,
    pub audio: u64,
    pub video: u64,
    pub document: u64,
    pub sticker: u64,
}

const MB: u64 = 1024 * 1024;

impl Default for SizeCaps {
    fn default() -> Self {
        Self {
            image: 5 * MB,
            audio: 16 * MB,
            video: 16 * MB,
            document: 100 * MB,
            // Animated stickers may be 500 KB, static ones 100 KB.
            sticker: 500 * 1024,
        }
    }
}

impl SizeCaps {
    pub fn of(&self, kind: MediaKind) -> u64 {
        match kind {
            MediaKind::Image => self.image,
            MediaKind::Audio => self.audio,
            MediaKind::Video => self.video,
            MediaKind::Document => self.document,
            MediaKind::Sticker => self.sticker,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_failure_word_reads_back_and_the_thread_says_what_and_why() {
        for failure in Failure::ALL {
            assert_eq!(Failure::parse(failure.as_str()), Some(failure));
        }
        assert_eq!(Failure::parse("tired"), None);
        assert_eq!(
            Failure::TooLarge.wording(MediaKind::Image),
            "foto kon niet worden opgehaald: te groot"
        );
        assert_eq!(
            Failure::TooLarge.wording_en(MediaKind::Image),
            "photo could not be fetched: too large"
        );
        assert!(
            Failure::Expired
                .wording(MediaKind::Document)
                .starts_with("document ")
        );
    }

    #[test]
    fn caps_default_to_whatsapps_limits_per_kind() {
        let caps = SizeCaps::default();
        assert_eq!(caps.of(MediaKind::Image), 5 * MB);
        assert_eq!(caps.of(MediaKind::Document), 100 * MB);
        assert!(caps.of(MediaKind::Sticker) < caps.of(MediaKind::Image));
        assert_eq!(caps.of(MediaKind::Audio), caps.of(MediaKind::Video));
    }
}
