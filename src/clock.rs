//! The one place that reads the wall clock. Everything else takes time as
//! an argument or asks an injected `Clock`, so tests can put the service on
//! a Saturday night or across a DST switch.

use chrono::{DateTime, Utc};
use std::sync::{Arc, Mutex};

/// Source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Now, in UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[expect(
        clippy::disallowed_methods,
        reason = "this is the one sanctioned clock read"
    )]
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until moved: for tests and `simulate`.
#[derive(Debug, Clone)]
pub struct FixedClock(Arc<Mutex<DateTime<Utc>>>);

impl FixedClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Arc::new(Mutex::new(at)))
    }
    /// Moves the clock to `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = at;
    }
    /// Moves the clock forward.
    pub fn advance(&self, by: chrono::Duration) {
        let mut guard = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *guard += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Real time, shifted so that it starts at a chosen instant and then runs
/// on: tests put the service on a Saturday night and still see retries
/// become due. `advance` jumps ahead (clones share the jump), for tests of
/// what happens a day later.
#[derive(Debug, Clone)]
pub struct ShiftedClock {
    start: DateTime<Utc>,
    began: std::time::Instant,
    jumped: Arc<Mutex<chrono::Duration>>,
}

impl ShiftedClock {
    pub fn starting_at(start: DateTime<Utc>) -> Self {
        Self {
            start,
            began: std::time::Instant::now(),
            jumped: Arc::new(Mutex::new(chrono::Duration::zero())),
        }
    }

    /// Moves this clock (and its clones) ahead by `by`.
    pub fn advance(&self, by: chrono::Duration) {
        let mut jumped = self.jumped.lock().unwrap_or_else(|e| e.into_inner());
        *jumped += by;
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> DateTime<Utc> {
        let elapsed = chrono::Duration::from_std(self.began.elapsed()).unwrap_or_default();
        let jumped = *self.jumped.lock().unwrap_or_else(|e| e.into_inner());
        self.start + elapsed + jumped
    }
}
