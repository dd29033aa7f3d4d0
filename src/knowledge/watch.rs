//! Keeps the served knowledge base current: a file watcher on the
//! knowledge folder rebuilds the index when editors change files and swaps
//! it in atomically (`ArcSwap`), so no restart is needed and no query is
//! dropped: a query in flight keeps the index it started with.
//!
//! Invariant: a broken file never takes an answer down. Its error is logged
//! with file and line, and the last good version of its entry stays served.

use super::base::KnowledgeBase;
use super::{Severity, load_dir};
use arc_swap::ArcSwap;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The served knowledge base, shared by every worker and handler.
pub type SharedKnowledge = Arc<ArcSwap<KnowledgeBase>>;

/// Editors' tools save in bursts (temp file, rename, chmod): wait this long
/// after the last change before rebuilding.
const DEBOUNCE: Duration = Duration::from_millis(300);

/// Loads `dir` again, keeping the previous version of every entry whose
/// file now has an error, and of the data calendars when theirs break.
pub fn reload(dir: &Path, previous: &KnowledgeBase) -> tantivy::Result<KnowledgeBase> {
    let mut loaded = load_dir(dir);
    let broken: HashSet<PathBuf> = loaded
        .problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .map(|p| p.path.clone())
        .collect();
    for old in previous.index.entries() {
        let replaced = loaded
            .entries
            .iter()
            .any(|e| e.id == old.id && e.lang == old.lang);
        if broken.contains(&old.path) && !replaced {
            tracing::warn!(file = %old.path.display(), id = %old.id, "keeping the last good version of this entry until its file is fixed");
            loaded.entries.push(old.clone());
        }
    }
    let data_broken = |name: &str| {
        broken
            .iter()
            .any(|p| p.file_name().is_some_and(|f| f == name))
    };
    if data_broken("uitkering-betaaldata.toml") {
        loaded.benefit = previous.benefit.clone();
    }
    if data_broken("afvalkalender.toml") {
        loaded.waste = previous.waste.clone();
    }
    KnowledgeBase::from_loaded(loaded)
}

/// Logs every problem of a (re)load, errors as errors.
pub fn log_problems(knowledge: &KnowledgeBase) {
    for problem in &knowledge.problems {
        match problem.severity {
            Severity::Error => tracing::error!("knowledge: {problem}"),
            Severity::Warning => tracing::warn!("knowledge: {problem}"),
        }
    }
}

/// A registered watch on the knowledge folder and the changes it saw.
pub struct FolderWatch {
    // Dropping the watcher ends the watch.
    _watcher: notify::RecommendedWatcher,
    changes: tokio::sync::mpsc::UnboundedReceiver<()>,
}

impl std::fmt::Debug for FolderWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FolderWatch").finish_non_exhaustive()
    }
}

/// Starts watching `dir` and everything under it. Call it before the
/// first load, so a change made between loading and watching is not
/// missed. `None` (logged) when the folder cannot be watched: changes then
/// need a restart.
pub fn watch_folder(dir: &Path) -> Option<FolderWatch> {
    let (tx, changes) = tokio::sync::mpsc::unbounded_channel::<()>();
    let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if event.is_ok_and(|e| !e.kind.is_access()) {
            let _ = tx.send(());
        }
    });
    let mut watcher = match watcher {
        Ok(watcher) => watcher,
        Err(error) => {
            tracing::error!(error = %error, "cannot watch the knowledge folder; changes need a restart");
            return None;
        }
    };
    if let Err(error) = notify::Watcher::watch(&mut watcher, dir, notify::RecursiveMode::Recursive)
    {
        tracing::error!(error = %error, dir = %dir.display(), "cannot watch the knowledge folder; changes need a restart");
        return None;
    }
    Some(FolderWatch {
        _watcher: watcher,
        changes,
    })
}

/// Rebuilds and swaps the knowledge base after every change `watch` sees
/// in `dir` until `cancel` fires. Without a watch it returns at once.
pub async fn run_until_stopped(
    dir: PathBuf,
    watch: Option<FolderWatch>,
    shared: SharedKnowledge,
    cancel: CancellationToken,
) {
    let Some(FolderWatch {
        _watcher,
        mut changes,
    }) = watch
    else {
        return;
    };
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            change = changes.recv() => if change.is_none() { break },
        }
        // Let the burst settle, then take everything that came in.
        tokio::time::sleep(DEBOUNCE).await;
        while changes.try_recv().is_ok() {}
        let previous = shared.load_full();
        let folder = dir.clone();
        let rebuilt = tokio::task::spawn_blocking(move || reload(&folder, &previous)).await;
        match rebuilt {
            Ok(Ok(knowledge)) => {
                log_problems(&knowledge);
                tracing::info!(
                    entries = knowledge.index.entries().len(),
                    errors = knowledge.error_count(),
                    "knowledge base reloaded"
                );
                shared.store(Arc::new(knowledge));
            }
            Ok(Err(error)) => {
                tracing::error!(error = %error, "rebuilding the search index failed; the previous one stays")
            }
            Err(error) => {
                tracing::error!(error = %error, "the knowledge reload task failed; the previous index stays")
            }
        }
    }
    tracing::info!("knowledge watcher stopped");
}
