//! The retention purge: conversations closed, or without activity, longer
//! ago than `[privacy] retention` are deleted with everything in them. Runs
//! in the background and as `loket purge`.

use crate::clock::Clock;
use crate::config::PrivacySettings;
use crate::db::{Removed, Store, StoreError};
use crate::metrics::Metrics;
use crate::report::rollup::Rollup;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Purges what is older than `older_than` now, after rolling the
/// conversations up into the report's anonymous figures.
pub async fn purge(
    store: &Store,
    clock: &dyn Clock,
    rollup: &Rollup,
    older_than: Duration,
    dry_run: bool,
) -> Result<Removed, StoreError> {
    let age = chrono::Duration::from_std(older_than).unwrap_or(chrono::Duration::MAX);
    let cutoff = clock
        .now()
        .checked_sub_signed(age)
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
    store.purge(cutoff, dry_run, rollup, clock.now()).await
}

/// What a purge removed, for the audit log (counts only).
pub fn summary(removed: &Removed) -> String {
    format!(
        "{} conversations, {} messages, {} replies",
        removed.conversations, removed.messages, removed.replies
    )
}

/// Purges every `[privacy] purge_every` until `cancel` fires (each purge
/// first brings the report's figures up to date), and prunes the audit log.
pub async fn run_until_stopped(
    store: Store,
    clock: Arc<dyn Clock>,
    privacy: PrivacySettings,
    rollup: Rollup,
    metrics: Metrics,
    cancel: CancellationToken,
) {
    loop {
        match purge(&store, clock.as_ref(), &rollup, privacy.retention.0, false).await {
            Ok(removed) if removed.total() > 0 => {
                metrics.purged(&removed);
                tracing::info!(
                    conversations = removed.conversations,
                    messages = removed.messages,
                    replies = removed.replies,
                    "retention purge"
                );
                let detail = summary(&removed);
                if let Err(error) = store
                    .audit("system", "purge", None, Some(&detail), clock.now())
                    .await
                {
                    tracing::error!(error = %error, "could not write the audit log");
                }
            }
            Ok(_) => {}
            Err(error) => {
                tracing::error!(error = %error, "retention purge failed; trying again later")
            }
        }
        let audit_age =
            chrono::Duration::from_std(privacy.audit_retention.0).unwrap_or(chrono::Duration::MAX);
        if let Some(before) = clock.now().checked_sub_signed(audit_age)
            && let Err(error) = store.prune_audit(before).await
        {
            tracing::error!(error = %error, "pruning the audit log failed");
        }
        tokio::select! {
            () = cancel.cancelled() => break,
            () = tokio::time::sleep(privacy.purge_every.0) => {}
        }
    }
}
