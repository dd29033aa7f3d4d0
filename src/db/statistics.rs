//! Keeps PostgreSQL's planner statistics up with fast-growing tables.
//!
//! Autovacuum analyzes a table after a tenth of it changed, checking once a
//! minute. A burst into an empty or small database outgrows that: the
//! planner still thought the outbox held a few hundred pending rows when it
//! held 100,000, chose a hash join over all of them for the sender's take,
//! and one take ran for 8 seconds (replies stalled; measured with
//! `loket-loadgen --rate 0` on a fresh database). So each instance counts the rows
//! it adds to the hot tables and runs `ANALYZE` itself once they grew by a
//! quarter since its last one (at least 1,000 rows): a handful of runs in a
//! burst, each a few milliseconds to a fraction of a second of sampling,
//! and none in a steady state that autovacuum follows. SQLite's planner
//! does not use such statistics here, so this is PostgreSQL only.

use super::{Dialect, Store};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// The hot tables: what intake, processing and the sender query.
const ANALYZE: &str = "ANALYZE inbound_messages, conversations, outbox";

/// The smallest growth worth an `ANALYZE`.
const MIN_GROWTH: u64 = 1_000;

/// Rows this instance added, and when to analyze next.
#[derive(Debug, Default)]
pub(super) struct Growth {
    added: AtomicU64,
    analyze_at: AtomicU64,
    running: AtomicBool,
}

/// The count at which to analyze again, after analyzing at `added`.
fn next_analyze_at(added: u64) -> u64 {
    added + (added / 4).max(MIN_GROWTH)
}

impl Store {
    /// Counts `rows` added to the hot tables (after their commit); starts
    /// an `ANALYZE` in the background when they grew enough.
    pub(super) fn grew(&self, rows: usize) {
        if self.dialect != Dialect::Postgres || rows == 0 {
            return;
        }
        let growth = &self.growth;
        let added = growth.added.fetch_add(rows as u64, Ordering::Relaxed) + rows as u64;
        let due = growth.analyze_at.load(Ordering::Relaxed).max(MIN_GROWTH);
        if added < due || growth.running.swap(true, Ordering::AcqRel) {
            return;
        }
        growth
            .analyze_at
            .store(next_analyze_at(added), Ordering::Relaxed);
        let pool = self.pool.clone();
        let growth = self.growth.clone();
        tokio::spawn(async move {
            if let Err(error) = sqlx::query(ANALYZE).execute(&pool).await {
                tracing::warn!(error = %error, "could not refresh the planner's statistics (ANALYZE); autovacuum will");
            }
            growth.running.store(false, Ordering::Release);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analyzes_after_a_quarter_more_rows_and_at_least_a_thousand() {
        assert_eq!(next_analyze_at(1_000), 2_000);
        assert_eq!(next_analyze_at(8_000), 10_000);
        assert_eq!(next_analyze_at(100_000), 125_000);
    }
}
