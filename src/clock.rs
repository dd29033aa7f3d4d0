//! The one place that reads the wall clock. Everything else takes time as
//! an argument or asks an injected `Clock`, so tests can put the service on
//! a Saturday night or across a DST switch.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
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

/// Parses a moment a person typed (a command's `--at`, the editors'
/// `since`): RFC 3339 (with offset) or a
/// local "YYYY-MM-DD HH:MM[:SS]" in the office's time zone.
pub fn parse_moment(text: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    let local = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .or_else(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)))
        .ok_or_else(|| format!("{text:?} is not a moment; write \"2026-11-21 22:15\" (office time) or 2026-11-21T22:15:00+01:00"))?;
    tz.from_local_datetime(&local)
        .earliest()
        .map(|at| at.with_timezone(&Utc))
        .ok_or_else(|| format!("{text:?} does not exist in {tz} (daylight saving time gap)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Amsterdam;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("valid")
            .with_timezone(&Utc)
    }

    #[test]
    fn a_moment_is_read_with_offset_or_in_office_time() {
        assert_eq!(
            parse_moment("2026-11-21T22:15:00+01:00", Amsterdam),
            Ok(utc("2026-11-21T21:15:00Z"))
        );
        assert_eq!(
            parse_moment("2026-11-21 22:15", Amsterdam),
            Ok(utc("2026-11-21T21:15:00Z"))
        );
        // Summer time: two hours ahead of UTC.
        assert_eq!(
            parse_moment("2026-07-01T09:30:05", Amsterdam),
            Ok(utc("2026-07-01T07:30:05Z"))
        );
        assert_eq!(
            parse_moment("2026-11-21", Amsterdam),
            Ok(utc("2026-11-20T23:00:00Z"))
        );
    }

    #[test]
    fn a_moment_that_is_not_one_is_refused_with_an_example() {
        let error = parse_moment("zaterdag", Amsterdam).expect_err("not a moment");
        assert!(error.contains("2026-11-21 22:15"), "{error}");
        // 02:30 on the last Sunday of March does not exist in Amsterdam.
        let error = parse_moment("2026-03-29 02:30", Amsterdam).expect_err("in the gap");
        assert!(error.contains("daylight saving"), "{error}");
    }
}
