//! Keeps the outbox within Meta's sending limits, so Meta rarely has to
//! refuse a reply:
//!
//! - throughput per business number (`[outbox] send_rate`, Meta: 80
//!   messages/s by default, up to 1,000; error 130429 above it). Grants are
//!   spaced evenly (a burst of one), so no sliding one-second window ever
//!   sees more than `send_rate` messages;
//! - the pair rate per citizen (`pair_interval`, `pair_burst`; Meta: about
//!   one message per 6 seconds sustained, bursts of up to 45 borrowed from
//!   later; error 131056 above it).
//!
//! Both are GCRA limiters from `governor`. Read receipts are status updates
//! on a message we received, not messages, so neither limit counts them.
//! When Meta refuses anyway (its level is lower than configured, or another
//! sender shares the number) the outbox backs the row off like any
//! retryable error; a conversation's later replies wait behind it.

use crate::config::OutboxSettings;
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::time::Duration;

/// The two limiters, shared by every send of one sender.
#[derive(Debug)]
pub struct SendLimits {
    throughput: DefaultDirectRateLimiter,
    pairs: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

impl SendLimits {
    /// Limiters for the configured rates (validated by the config loader;
    /// out-of-range values are clamped here rather than trusted).
    pub fn new(settings: &OutboxSettings) -> Self {
        let rate = NonZeroU32::new(settings.send_rate.clamp(1, 1000)).unwrap_or(NonZeroU32::MIN);
        let throughput = Quota::per_second(rate).allow_burst(NonZeroU32::MIN);
        let burst = NonZeroU32::new(settings.pair_burst.max(1)).unwrap_or(NonZeroU32::MIN);
        let interval = settings.pair_interval.0.max(Duration::from_millis(1));
        let pairs = Quota::with_period(interval)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst);
        Self {
            throughput: RateLimiter::direct(throughput),
            pairs: RateLimiter::keyed(pairs),
            clock: DefaultClock::default(),
        }
    }

    /// Takes one message from this citizen's pair budget, or says how long
    /// to wait before one is available (nothing is taken then).
    pub fn take_pair(&self, recipient: &str) -> Result<(), Duration> {
        self.pairs
            .check_key(&recipient.to_owned())
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    /// Waits until the business number may send one more message.
    pub async fn until_throughput_allows(&self) {
        self.throughput.until_ready().await;
    }

    /// Forgets citizens whose budget is full again, so the map does not
    /// grow with every number ever answered.
    pub fn forget_idle(&self) {
        self.pairs.retain_recent();
        self.pairs.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::HumanDuration;

    fn settings(pair_burst: u32) -> OutboxSettings {
        OutboxSettings {
            send_rate: 1000,
            pair_interval: HumanDuration(Duration::from_secs(6)),
            pair_burst,
            ..OutboxSettings::default()
        }
    }

    #[test]
    fn a_citizen_gets_the_burst_then_waits_about_one_interval() {
        let limits = SendLimits::new(&settings(3));
        for _ in 0..3 {
            assert_eq!(limits.take_pair("31600000001"), Ok(()));
        }
        let wait = limits
            .take_pair("31600000001")
            .expect_err("the burst is used up");
        assert!(
            wait > Duration::from_secs(5) && wait <= Duration::from_secs(6),
            "{wait:?}"
        );
        // Another citizen has a budget of their own.
        assert_eq!(limits.take_pair("31600000002"), Ok(()));
    }

    #[tokio::test]
    async fn the_throughput_limiter_lets_a_send_through() {
        let limits = SendLimits::new(&settings(1));
        tokio::time::timeout(Duration::from_secs(1), limits.until_throughput_allows())
            .await
            .expect("the first send is allowed at once");
    }
}
