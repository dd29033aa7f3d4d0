//! `[media]`: the files citizens send (issue 21).

use super::HumanDuration;
use crate::media::SizeCaps;
use serde::Deserialize;
use std::time::Duration;

/// The largest file fetched and stored per kind, in bytes. The defaults
/// are WhatsApp's own limits, so only a lower cap changes anything.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MediaSettings {
    pub image_max_bytes: u64,
    pub audio_max_bytes: u64,
    pub video_max_bytes: u64,
    pub document_max_bytes: u64,
    pub sticker_max_bytes: u64,
    /// How often an idle fetcher looks for files anyway. Intake wakes this
    /// instance's fetcher at once; the poll is for files another instance
    /// took in, and for retries coming due.
    pub fetch_poll: HumanDuration,
    /// The largest file staff may attach to a reply. WhatsApp's own cap
    /// for the kind still applies when lower (5 MB for an image).
    pub upload_max_bytes: u64,
}

/// Default staff upload cap: 16 MiB, enough for a scanned letter.
pub const DEFAULT_UPLOAD_MAX_BYTES: u64 = 16 * 1024 * 1024;

impl Default for MediaSettings {
    fn default() -> Self {
        let caps = SizeCaps::default();
        Self {
            image_max_bytes: caps.image,
            audio_max_bytes: caps.audio,
            video_max_bytes: caps.video,
            document_max_bytes: caps.document,
            sticker_max_bytes: caps.sticker,
            fetch_poll: HumanDuration(Duration::from_secs(5)),
            upload_max_bytes: DEFAULT_UPLOAD_MAX_BYTES,
        }
    }
}

impl MediaSettings {
    pub fn caps(&self) -> SizeCaps {
        SizeCaps {
            image: self.image_max_bytes,
            audio: self.audio_max_bytes,
            video: self.video_max_bytes,
            document: self.document_max_bytes,
            sticker: self.sticker_max_bytes,
        }
    }

    /// Each cap above 0 and at most 1 GiB (the database holds the bytes).
    pub(super) fn check(&self) -> Result<(), (&'static str, &'static str)> {
        const MAX: u64 = 1024 * 1024 * 1024;
        for (key, cap) in [
            ("media.image_max_bytes", self.image_max_bytes),
            ("media.audio_max_bytes", self.audio_max_bytes),
            ("media.video_max_bytes", self.video_max_bytes),
            ("media.document_max_bytes", self.document_max_bytes),
            ("media.sticker_max_bytes", self.sticker_max_bytes),
            ("media.upload_max_bytes", self.upload_max_bytes),
        ] {
            if cap == 0 || cap > MAX {
                return Err((key, "must be more than 0 and at most 1073741824 (1 GiB)"));
            }
        }
        if self.fetch_poll.0.is_zero() {
            return Err(("media.fetch_poll", "must be more than 0"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whatsapps_limits_pass_and_a_zero_or_huge_cap_is_refused() {
        let settings = MediaSettings::default();
        assert!(settings.check().is_ok());
        assert_eq!(settings.caps(), SizeCaps::default());
        let zero = MediaSettings {
            sticker_max_bytes: 0,
            ..MediaSettings::default()
        };
        assert_eq!(
            zero.check().map_err(|(key, _)| key),
            Err("media.sticker_max_bytes")
        );
        let huge = MediaSettings {
            document_max_bytes: 2 * 1024 * 1024 * 1024,
            ..MediaSettings::default()
        };
        assert_eq!(
            huge.check().map_err(|(key, _)| key),
            Err("media.document_max_bytes")
        );
    }
}
