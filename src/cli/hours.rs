//! `loket hours`: the effective schedule, so an editor can check holidays
//! and closures before they matter.

use crate::config::Settings;
use chrono::NaiveDate;

/// Arguments of `loket hours`.
#[derive(Debug, clap::Args)]
pub struct HoursArgs {
    /// First day (YYYY-MM-DD); default today.
    #[arg(long)]
    pub from: Option<NaiveDate>,
    /// Number of days to show.
    #[arg(long, default_value_t = 14, value_parser = clap::value_parser!(u32).range(1..=800))]
    pub days: u32,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Runs `loket hours`.
pub fn run(args: &HoursArgs, settings: &Settings, today: NaiveDate) -> anyhow::Result<()> {
    let schedule = settings
        .hours
        .schedule(args.from.unwrap_or(today), args.days);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&schedule)?);
    } else {
        print!("{}", crate::hours::render_schedule_text(&schedule));
    }
    Ok(())
}
