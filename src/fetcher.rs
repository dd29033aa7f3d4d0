//! The media fetcher (issue 21): a background worker, never the webhook
//! handler, that fetches the files intake noted as `pending`. For each it
//! asks Meta for the file's info, downloads it with the bearer token, and
//! checks it while it streams in (`media::Intake`: the size cap of its
//! kind, its SHA-256, its type from the bytes). Images are held whole (at
//! most the image cap) so their metadata can be stripped before anything
//! is written; every other file goes to the store in chunks as it arrives.
//!
//! Failures: an expired download URL is replaced by a fresh one at once
//! (Meta's URLs last minutes); a network or Graph API error is tried again
//! with backoff; a file that is too large, of the wrong type, with the
//! wrong digest or gone at Meta fails at once, with its reason, which the
//! thread shows. A failure never blocks the conversation.

use crate::clock::Clock;
use crate::db::{CHUNK_BYTES, DueMedia, Store, StoredMedia};
use crate::domain::MediaKind;
use crate::media::{Failure, Intake, SizeCaps, sniff, strip_metadata};
use crate::whatsapp::media::{FetchError, MediaClient};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// Fresh URLs asked for in one attempt when each has expired on use.
const FRESH_URLS: u32 = 3;
/// Files taken per turn.
const PER_TURN: i64 = 4;

/// How the fetcher retries.
#[derive(Debug, Clone)]
pub struct FetcherSettings {
    pub caps: SizeCaps,
    /// The wait after the first failed attempt; doubled after each.
    pub initial_backoff: Duration,
    /// Attempts before a file that keeps failing counts as unreachable.
    pub max_attempts: i64,
    /// How long a taken file is this fetcher's; a download that takes
    /// longer may be taken by another instance.
    pub lease: Duration,
    /// How often to look for files when idle and not woken: for files
    /// another instance took in, and retries coming due.
    pub poll: Duration,
}

impl Default for FetcherSettings {
    fn default() -> Self {
        Self {
            caps: SizeCaps::default(),
            initial_backoff: Duration::from_secs(5),
            max_attempts: 6,
            lease: Duration::from_secs(15 * 60),
            poll: Duration::from_secs(5),
        }
    }
}

/// The worker.
pub struct Fetcher {
    pub store: Store,
    pub client: MediaClient,
    pub settings: FetcherSettings,
    pub clock: Arc<dyn Clock>,
    /// Notified when this instance's intake stored a message with a file.
    pub wake: Arc<Notify>,
}

/// Why one attempt did not store the file.
struct NotStored {
    failure: Failure,
    /// Whether waiting may help.
    retry: bool,
}

impl NotStored {
    fn fatal(failure: Failure) -> Self {
        Self {
            failure,
            retry: false,
        }
    }
}

impl From<Failure> for NotStored {
    fn from(failure: Failure) -> Self {
        Self::fatal(failure)
    }
}

impl From<FetchError> for NotStored {
    fn from(error: FetchError) -> Self {
        match error {
            FetchError::NotFound => Self::fatal(Failure::NotFound),
            FetchError::Expired => Self::fatal(Failure::Expired),
            FetchError::Retryable(_) => Self {
                failure: Failure::Unreachable,
                retry: true,
            },
        }
    }
}

impl Fetcher {
    /// Fetches until `cancel` fires.
    pub async fn run_until_stopped(self, cancel: CancellationToken) {
        loop {
            let busy = match self.turn().await {
                Ok(taken) => taken > 0,
                Err(error) => {
                    tracing::error!(error = %error, "media fetcher turn failed; trying again");
                    false
                }
            };
            if !busy {
                tokio::select! {
                    () = cancel.cancelled() => break,
                    () = self.wake.notified() => {}
                    () = tokio::time::sleep(self.settings.poll) => {}
                }
            } else if cancel.is_cancelled() {
                break;
            }
        }
    }

    /// Takes the due files and fetches each; returns how many it took.
    pub async fn turn(&self) -> Result<usize, crate::db::StoreError> {
        let due = self
            .store
            .take_due_media(self.clock.now(), PER_TURN, self.settings.lease)
            .await?;
        for file in &due {
            self.fetch_one(file).await?;
        }
        Ok(due.len())
    }

    async fn fetch_one(&self, file: &DueMedia) -> Result<(), crate::db::StoreError> {
        match self.fetch(file).await {
            Ok((size, sha256, mime)) => {
                let found = StoredMedia {
                    size,
                    sha256: &sha256,
                    sniffed_mime: mime,
                };
                self.store
                    .media_stored(file.id, &found, self.clock.now())
                    .await?;
                tracing::info!(media = file.id, kind = ?file.kind, size, "media stored");
            }
            Err(not) => {
                let now = self.clock.now();
                let attempt = file.attempts + 1;
                let retry_at = (not.retry && attempt < self.settings.max_attempts).then(|| {
                    let factor = 1u32 << attempt.clamp(0, 10);
                    now + chrono::Duration::from_std(self.settings.initial_backoff * factor)
                        .unwrap_or_default()
                });
                self.store
                    .media_not_stored(file.id, not.failure.as_str(), retry_at, now)
                    .await?;
                tracing::warn!(
                    media = file.id,
                    kind = ?file.kind,
                    failure = not.failure.as_str(),
                    retry = retry_at.is_some(),
                    "media not stored"
                );
            }
        }
        Ok(())
    }

    /// One attempt; returns the stored size, the digest and the type.
    async fn fetch(&self, file: &DueMedia) -> Result<(i64, String, &'static str), NotStored> {
        let mut fresh = 0;
        let (info, mut response) = loop {
            let info = self.client.info(&file.media_id).await?;
            match self.client.download(&info).await {
                Err(FetchError::Expired) if fresh + 1 < FRESH_URLS => fresh += 1,
                Err(error) => return Err(error.into()),
                Ok(response) => break (info, response),
            }
        };
        let caps = &self.settings.caps;
        let mut intake = Intake::new(file.kind, caps, info.file_size)?;
        // Whether the file is held whole to strip an image's metadata,
        // decided on its first bytes.
        // Photos and stickers always are.
        let mut whole: Option<bool> =
            matches!(file.kind, MediaKind::Image | MediaKind::Sticker).then_some(true);
        let mut pending = Vec::with_capacity(2 * CHUNK_BYTES);
        let mut seq = 0;
        let written = async {
            while let Some(piece) = response
                .chunk()
                .await
                .map_err(|error| NotStored::from(FetchError::Retryable(error.to_string())))?
            {
                intake.take(&piece)?;
                pending.extend_from_slice(&piece);
                let hold = *whole.get_or_insert_with(|| {
                    sniff(MediaKind::Document, &pending).is_ok_and(|s| s.image)
                });
                if hold {
                    if u64::try_from(pending.len()).unwrap_or(u64::MAX) > caps.image {
                        return Err(NotStored::fatal(Failure::TooLarge));
                    }
                    continue;
                }
                // One buffer for the whole download: a new one per chunk
                // (and its growth to the chunk's size) left the allocator
                // holding tens of megabytes of freed blocks.
                while pending.len() >= CHUNK_BYTES {
                    self.write(file.id, seq, &pending[..CHUNK_BYTES]).await?;
                    seq += 1;
                    pending.drain(..CHUNK_BYTES);
                }
            }
            Ok::<_, NotStored>(())
        };
        written.await?;
        let checked = intake.finish(&info.sha256)?;
        let mut size = checked.size;
        if whole == Some(true) {
            let stripped = strip_metadata(checked.sniffed.mime, pending.into())
                .map_err(|_| NotStored::fatal(Failure::UnknownType))?;
            size = u64::try_from(stripped.len()).unwrap_or(u64::MAX);
            for piece in stripped.chunks(CHUNK_BYTES) {
                self.write(file.id, seq, piece).await?;
                seq += 1;
            }
        } else if !pending.is_empty() {
            self.write(file.id, seq, &pending).await?;
        }
        Ok((
            i64::try_from(size).unwrap_or(i64::MAX),
            checked.sha256,
            checked.sniffed.mime,
        ))
    }

    async fn write(&self, id: i64, seq: i64, bytes: &[u8]) -> Result<(), NotStored> {
        self.store
            .write_media_chunk(id, seq, bytes)
            .await
            .map_err(|error| {
                tracing::error!(error = %error, "storing a media chunk failed");
                NotStored {
                    failure: Failure::Unreachable,
                    retry: true,
                }
            })
    }
}
