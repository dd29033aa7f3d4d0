//! `loket-loadgen --sweep`: the same traffic at several concurrencies,
//! each flat out and at a fixed rate, one short run per row, and one
//! table of what each row reached. Where a figure stops rising with more
//! connections, or the latency climbs, shows what bounds the service.
//!
//! Every row is a run of its own ([`super::run`]): a new service on a new
//! temporary database (or the one `--database-url` names, shared by the
//! rows), so a flat-out row's backlog is drained before the next starts
//! and does not slow it.

use super::{Options, Report};
use loket::config::Settings;

/// The connection counts of a sweep.
pub const CONNECTIONS: [usize; 4] = [8, 32, 128, 512];

/// The rates of a sweep in requests/s; 0 is flat out.
pub const RATES: [u32; 2] = [0, 500];

/// One run of a sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    pub connections: usize,
    /// Requests/s; 0 is flat out.
    pub rate: u32,
}

/// The rows of `--sweep`: each connection count flat out, then at 500/s.
pub fn rows() -> Vec<Row> {
    CONNECTIONS
        .iter()
        .flat_map(|&connections| RATES.iter().map(move |&rate| Row { connections, rate }))
        .collect()
}

/// Runs `rows` one after the other with `base`'s other options, calling
/// `done` after each (for progress on a long sweep); stops at the first
/// row that cannot run.
pub async fn run(
    base: &Options,
    rows: &[Row],
    settings: &Settings,
    mut done: impl FnMut(&Report),
) -> anyhow::Result<Vec<Report>> {
    let mut reports = Vec::with_capacity(rows.len());
    for row in rows {
        let options = Options {
            connections: row.connections,
            rate: row.rate,
            ..base.clone()
        };
        let report = super::run(&options, settings).await.map_err(|error| {
            error.context(format!(
                "the sweep's row of {} connections at {}",
                row.connections,
                rate_text(row.rate)
            ))
        })?;
        done(&report);
        reports.push(report);
    }
    Ok(reports)
}

/// "flat out" or "500/s".
pub fn rate_text(rate: u32) -> String {
    if rate == 0 {
        "flat out".to_owned()
    } else {
        format!("{rate}/s")
    }
}

/// The sweep's table, in Markdown (it goes into docs as it is).
pub fn table(reports: &[Report]) -> String {
    let mut out = String::from(
        "| connections | target rate | requests/s | messages/s | in flight (mean / peak) | webhook p50 / p99 | end-to-end p50 / p99 | lost | duplicated |\n\
         |---:|---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in reports {
        out += &format!(
            "| {} | {} | {:.0} | {:.0} | {:.1} / {} | {:.1} / {:.1} ms | {} / {} | {} | {} |\n",
            r.connections,
            rate_text(r.target_rate),
            r.webhook_rps,
            r.messages_per_s,
            r.mean_in_flight,
            r.peak_in_flight,
            r.webhook_p50_ms,
            r.webhook_p99_ms,
            milliseconds(r.e2e_p50_ms),
            milliseconds(r.e2e_p99_ms),
            r.lost,
            r.duplicated,
        );
    }
    out
}

/// A latency that can run into seconds (a backlog's end-to-end time).
fn milliseconds(ms: f64) -> String {
    if ms >= 10_000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        format!("{ms:.0} ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sweep_runs_each_connection_count_flat_out_and_at_500() {
        let expected: Vec<Row> = [8, 32, 128, 512]
            .into_iter()
            .flat_map(|connections| [0, 500].map(|rate| Row { connections, rate }))
            .collect();
        // In this order: flat out first, then paced, per connection count.
        assert_eq!(rows(), expected);
    }

    #[test]
    fn the_table_has_a_row_per_run_with_its_figures() {
        let flat = Report {
            connections: 512,
            target_rate: 0,
            webhook_rps: 8123.4,
            messages_per_s: 9001.2,
            mean_in_flight: 401.26,
            peak_in_flight: 512,
            webhook_p50_ms: 40.04,
            webhook_p99_ms: 181.26,
            e2e_p50_ms: 21_500.0,
            e2e_p99_ms: 43_210.0,
            lost: 0,
            duplicated: 1,
            ..Report::default()
        };
        let paced = Report {
            connections: 8,
            target_rate: 500,
            webhook_rps: 499.6,
            messages_per_s: 540.0,
            mean_in_flight: 2.04,
            peak_in_flight: 7,
            webhook_p50_ms: 3.21,
            webhook_p99_ms: 12.5,
            e2e_p50_ms: 11.2,
            e2e_p99_ms: 48.6,
            lost: 2,
            ..Report::default()
        };
        let table = table(&[flat, paced]);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 4, "{table}");
        assert!(lines[0].starts_with("| connections | target rate |"));
        assert_eq!(
            lines[2],
            "| 512 | flat out | 8123 | 9001 | 401.3 / 512 | 40.0 / 181.3 ms | 21.5 s / 43.2 s | 0 | 1 |"
        );
        assert_eq!(
            lines[3],
            "| 8 | 500/s | 500 | 540 | 2.0 / 7 | 3.2 / 12.5 ms | 11 ms / 49 ms | 2 | 0 |"
        );
    }
}
