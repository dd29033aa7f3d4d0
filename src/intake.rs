//! Group commit for the webhook: handlers hand their verified batch to one
//! writer task, which stores everything waiting in one transaction and
//! then answers each handler. With SQLite every commit is an fsync
//! (synchronous=FULL), so one commit for many POSTs is what lets intake
//! keep up with thousands of messages per second.
//!
//! Invariant: a handler learns "stored" only after the transaction holding
//! its rows committed; if the transaction fails, every handler in it gets
//! the error (and answers 500, so Meta redelivers). Nothing is
//! acknowledged that is not stored.

use crate::db::{RecordOutcome, Store, StoreError};
use crate::domain::WebhookBatch;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

/// Most POSTs stored in one transaction; keeps one commit short.
const MAX_GROUP: usize = 512;
/// POSTs waiting for the writer before handlers wait to hand theirs in.
const QUEUE: usize = 4096;

/// Why a batch was not stored.
#[derive(Debug, Clone, thiserror::Error)]
pub enum IntakeError {
    #[error("storing the webhook failed: {0}")]
    Store(Arc<StoreError>),
    #[error("the webhook writer has stopped")]
    Stopped,
}

struct Job {
    batch: WebhookBatch,
    received_at: DateTime<Utc>,
    done: oneshot::Sender<Result<RecordOutcome, IntakeError>>,
}

/// The handlers' side: cheap to clone.
#[derive(Clone)]
pub struct Intake {
    jobs: mpsc::Sender<Job>,
}

impl std::fmt::Debug for Intake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Intake").finish_non_exhaustive()
    }
}

impl Intake {
    /// Starts the writer task; it ends when `cancel` fires (after the HTTP
    /// server stopped, so no handler is waiting) or every `Intake` is gone.
    pub fn start(store: Store, cancel: CancellationToken) -> (Self, tokio::task::JoinHandle<()>) {
        let (jobs, receiver) = mpsc::channel(QUEUE);
        let task = tokio::spawn(write_until_stopped(store, receiver, cancel));
        (Self { jobs }, task)
    }

    /// Stores one POST's batch; returns once it is committed.
    pub async fn record(
        &self,
        batch: WebhookBatch,
        received_at: DateTime<Utc>,
    ) -> Result<RecordOutcome, IntakeError> {
        let (done, answer) = oneshot::channel();
        self.jobs
            .send(Job {
                batch,
                received_at,
                done,
            })
            .await
            .map_err(|_| IntakeError::Stopped)?;
        answer.await.unwrap_or(Err(IntakeError::Stopped))
    }
}

async fn write_until_stopped(
    store: Store,
    mut receiver: mpsc::Receiver<Job>,
    cancel: CancellationToken,
) {
    loop {
        let first = tokio::select! {
            job = receiver.recv() => match job {
                Some(job) => job,
                None => break,
            },
            () = cancel.cancelled() => break,
        };
        // Everything that arrived while the previous commit ran goes into
        // this one.
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match receiver.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let batches: Vec<(&WebhookBatch, DateTime<Utc>)> = group
            .iter()
            .map(|job| (&job.batch, job.received_at))
            .collect();
        let result = store.record_webhooks(&batches).await;
        drop(batches);
        match result {
            Ok(outcomes) => {
                for (job, outcome) in group.into_iter().zip(outcomes) {
                    // A handler that gave up (client gone) needs no answer.
                    let _ = job.done.send(Ok(outcome));
                }
            }
            Err(error) => {
                let error = Arc::new(error);
                for job in group {
                    let _ = job.done.send(Err(IntakeError::Store(error.clone())));
                }
            }
        }
    }
    tracing::info!("webhook writer stopped");
}
