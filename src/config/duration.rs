//! Human durations in config files ("10s", "4h", "1h 30m"), parsed with
//! `humantime` so operators write what they mean.

use serde::{Deserialize, Deserializer};
use std::time::Duration;

/// A `Duration` that deserialises from a human string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanDuration(pub Duration);

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        humantime::parse_duration(&text)
            .map(HumanDuration)
            .map_err(|e| {
                serde::de::Error::custom(format!(
                    "{text:?} is not a duration ({e}); write e.g. \"30s\", \"10m\" or \"4h\""
                ))
            })
    }
}
