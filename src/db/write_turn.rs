//! Whose turn it is to write, on SQLite. SQLite has one writer at a time;
//! this process's hot writers (webhook intake, processing, the outbox's
//! records, unanswered questions) queue here instead of in SQLite's busy
//! handler, which sleeps up to 100 ms per retry.
//!
//! Webhook intake and the other writers take turns: when both wait,
//! intake goes first after a background writer and a background writer
//! after intake. A POST is answered only after its rows are committed and
//! Meta waits for that answer, so in arrival order a webhook group waited
//! behind every queued writer (processing, the outbox's records, the
//! unanswered questions); now it waits behind at most one. Strict priority
//! was tried and starved the background writers at 500 messages/s (replies
//! waited hundreds of milliseconds longer).

use std::sync::{Mutex, PoisonError};
use tokio::sync::Notify;

/// Who is asking for the turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Writer {
    /// Webhook intake.
    Intake,
    /// Everything else, in no particular order among themselves.
    Background,
}

#[derive(Debug, Default)]
struct State {
    held: bool,
    /// Who wrote last.
    last_was_intake: bool,
    intake_waiting: usize,
    background_waiting: usize,
}

impl State {
    fn waiting(&mut self, writer: Writer) -> &mut usize {
        match writer {
            Writer::Intake => &mut self.intake_waiting,
            Writer::Background => &mut self.background_waiting,
        }
    }

    /// Whether `writer` may take the turn now (it is counted as waiting).
    fn may_take(&self, writer: Writer) -> bool {
        !self.held
            && match writer {
                Writer::Intake => !(self.last_was_intake && self.background_waiting > 0),
                Writer::Background => self.intake_waiting == 0 || self.last_was_intake,
            }
    }
}

/// The turn: a lock with two priorities.
#[derive(Debug, Default)]
pub(super) struct WriteTurn {
    state: Mutex<State>,
    released: Notify,
}

/// Holding the turn; dropping it lets the next writer in.
#[derive(Debug)]
pub(super) struct Turn<'a> {
    turn: &'a WriteTurn,
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.turn.lock_state().held = false;
        // Every waiter looks again; at most a handful wait at any time.
        self.turn.released.notify_waiters();
    }
}

/// Counts a writer as waiting while it waits, also when its future is
/// dropped before it got the turn.
struct Waiting<'a> {
    turn: &'a WriteTurn,
    writer: Writer,
    /// False once the writer got the turn (and stopped waiting).
    counted: bool,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if !self.counted {
            return;
        }
        *self.turn.lock_state().waiting(self.writer) -= 1;
        // Another writer may have been waiting only for this one.
        self.turn.released.notify_waiters();
    }
}

impl WriteTurn {
    fn lock_state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for the turn (see the module's comment for the order).
    pub(super) async fn take(&self, writer: Writer) -> Turn<'_> {
        *self.lock_state().waiting(writer) += 1;
        let mut waiting = Waiting {
            turn: self,
            writer,
            counted: true,
        };
        loop {
            // Registered before looking, so a release in between is seen.
            let released = self.released.notified();
            tokio::pin!(released);
            released.as_mut().enable();
            {
                let mut state = self.lock_state();
                if state.may_take(writer) {
                    state.held = true;
                    state.last_was_intake = writer == Writer::Intake;
                    *state.waiting(writer) -= 1;
                    waiting.counted = false;
                    return Turn { turn: self };
                }
            }
            released.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    /// Writers that hold the turn for a moment, asking in this order while
    /// a background writer holds it; returns the order they got it in.
    async fn order_of_turns(asking: &[(&'static str, Writer)]) -> Vec<&'static str> {
        let turn = Arc::new(WriteTurn::default());
        let order = Arc::new(Mutex::new(Vec::new()));
        let held = turn.take(Writer::Background).await;
        let mut waiting = Vec::new();
        for &(name, writer) in asking {
            let (turn, order) = (turn.clone(), order.clone());
            waiting.push(tokio::spawn(async move {
                let _turn = turn.take(writer).await;
                order.lock().expect("order").push(name);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }));
            // On this single-threaded runtime the task is waiting before
            // the next one asks.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        drop(held);
        for task in waiting {
            task.await.expect("writer ends");
        }
        order.lock().expect("order").clone()
    }

    #[tokio::test]
    async fn intake_overtakes_the_waiting_background_writers_once() {
        let order = order_of_turns(&[
            ("background 1", Writer::Background),
            ("background 2", Writer::Background),
            ("intake 1", Writer::Intake),
            ("intake 2", Writer::Intake),
        ])
        .await;
        // After a background writer: intake; then they alternate.
        assert_eq!(order.len(), 4, "{order:?}");
        assert_eq!(order[0], "intake 1", "{order:?}");
        assert!(order[1].starts_with("background"), "{order:?}");
        assert_eq!(order[2], "intake 2", "{order:?}");
        assert!(order[3].starts_with("background"), "{order:?}");
    }

    #[tokio::test]
    async fn one_writer_at_a_time_and_a_dropped_intake_wait_frees_the_rest() {
        let turn = Arc::new(WriteTurn::default());
        let held = turn.take(Writer::Background).await;
        // An intake writer that gives up while waiting must not keep the
        // background writers out.
        let gave_up =
            tokio::time::timeout(Duration::from_millis(20), turn.take(Writer::Intake)).await;
        assert!(gave_up.is_err(), "the turn was held");
        let background = {
            let turn = turn.clone();
            tokio::spawn(async move {
                let _turn = turn.take(Writer::Background).await;
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!background.is_finished(), "only one writer at a time");
        drop(held);
        tokio::time::timeout(Duration::from_secs(5), background)
            .await
            .expect("the background writer gets its turn")
            .expect("joined");
    }
}
