//! `[report]` in `loket.toml`: how the team lead's report judges what the
//! bot settled.

use super::duration::HumanDuration;
use serde::Deserialize;
use std::time::Duration;

/// `[report]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportSettings {
    /// A conversation only the bot handled counts as settled by the bot
    /// once the citizen said "Ja, bedankt" or has been quiet this long.
    /// Until then it is "loopt nog".
    pub settle_after: HumanDuration,
}

impl Default for ReportSettings {
    fn default() -> Self {
        Self {
            settle_after: HumanDuration(Duration::from_secs(3600)),
        }
    }
}

impl ReportSettings {
    pub(super) fn validate(&self) -> Result<(), (&'static str, String)> {
        // Below a minute a citizen reading the answer would count as
        // settled; above a week the purge may delete the conversation
        // before it settles, so it would stay "loopt nog" for good.
        let settle = self.settle_after.0;
        if settle < Duration::from_secs(60) || settle > Duration::from_secs(7 * 24 * 3600) {
            return Err((
                "report.settle_after",
                "must be between 1m and 7 days (\"1h\" is the usual)".to_owned(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_an_hour_and_out_of_range_values_name_the_key() {
        let settings = ReportSettings::default();
        assert_eq!(settings.settle_after.0, Duration::from_secs(3600));
        assert!(settings.validate().is_ok());
        for secs in [10, 8 * 24 * 3600] {
            let bad = ReportSettings {
                settle_after: HumanDuration(Duration::from_secs(secs)),
            };
            assert_eq!(bad.validate().map_err(|e| e.0), Err("report.settle_after"));
        }
    }
}
