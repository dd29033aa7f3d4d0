//! The retention purge: conversations closed, or without activity, longer
//! ago than `[privacy] retention` are deleted with everything in them. Runs
//! in the background and as `loket purge`.

use crate::clock::Clock;
use crate::db::{Removed, Store, StoreError};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Purges what is older than `older_than` now.
pub async fn purge(
    store: &Store,
    clock: &dyn Clock,
    older_than: Duration,
    dry_run: bool,
) -> Result<Removed, StoreError> {
    let age = chrono::Duration::from_std(older_than).unwrap_or(chrono::Duration::MAX);
    let cutoff = clock
        .now()
        .checked_sub_signed(age)
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
    store.purge(cutoff, dry_run).await
}

/// Purges every `every` until `cancel` fires.
pub async fn run_until_stopped(
    store: Store,
    clock: Arc<dyn Clock>,
    retention: Duration,
    every: Duration,
    cancel: CancellationToken,
) {
    loop {
        match purge(&store, clock.as_ref(), retention, false).await {
            Ok(removed) if removed.conversations > 0 || removed.messages > 0 => tracing::info!(
                conversations = removed.conversations,
                messages = removed.messages,
                replies = removed.replies,
                "retention purge"
            ),
            Ok(_) => {}
            Err(error) => {
                tracing::error!(error = %error, "retention purge failed; trying again later")
            }
        }
        tokio::select! {
            () = cancel.cancelled() => break,
            () = tokio::time::sleep(every) => {}
        }
    }
}
