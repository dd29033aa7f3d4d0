//! Keeps the outbox within Meta's sending limits, so Meta rarely has to
//! refuse a reply:
//!
//! - throughput per business number (`[outbox] send_rate`, Meta: 80
//!   messages/s by default, up to 1,000; error 130429 above it). No
//!   one-second window ever sees more than `send_rate` messages (see
//!   [`throughput_quota`]);
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
        let throughput = throughput_quota(settings.send_rate);
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

/// The business number's limiter for `send_rate` messages per second. A
/// GCRA limiter of rate `r` and burst `b` lets through at most `r + b`
/// messages in any one second, so it runs at `send_rate - b` with a burst
/// of `b = send_rate / 20`. The burst is what lets the sender catch up
/// after a late wake-up (a busy machine, a timer that fires a millisecond
/// late); with a burst of one every late wake-up was a slot lost for good,
/// and at 750 replies/s against a limit of 1,000 a busy machine fell
/// behind by half a second in ten. Below 40/s the burst is one, at the
/// full rate.
pub fn throughput_quota(send_rate: u32) -> Quota {
    let send_rate = send_rate.clamp(1, 1000);
    let burst = (send_rate / 20).max(1);
    let rate = if burst > 1 {
        send_rate - burst
    } else {
        send_rate
    };
    let rate = NonZeroU32::new(rate).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Quota::per_second(rate).allow_burst(burst)
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

    /// Sends as fast as the limiter allows on a fake clock, in steps of
    /// 0.1 ms, and returns the send times in microseconds.
    fn greedy_sends(send_rate: u32, seconds: u64) -> Vec<u64> {
        use governor::clock::FakeRelativeClock;
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::direct_with_clock(throughput_quota(send_rate), clock.clone());
        let mut sent = Vec::new();
        for step in 0..seconds * 10_000 {
            while limiter.check().is_ok() {
                sent.push(step * 100);
            }
            clock.advance(Duration::from_micros(100));
        }
        sent
    }

    #[test]
    fn no_one_second_window_holds_more_than_the_send_rate() {
        for send_rate in [1, 19, 39, 40, 80, 250, 1000] {
            let sent = greedy_sends(send_rate, 3);
            // Most sends in any window [t, t + 1 s): a window starts at a send.
            let most = (0..sent.len())
                .map(|i| sent[i..].partition_point(|&t| t < sent[i] + 1_000_000))
                .max()
                .unwrap_or(0);
            assert!(
                most <= send_rate as usize,
                "{send_rate}/s: {most} sends in one second"
            );
            // And the limiter does not starve: over three seconds it lets
            // through at least 94 % of the rate.
            assert!(
                sent.len() as f64 >= 3.0 * f64::from(send_rate) * 0.94,
                "{send_rate}/s: only {} sends in 3 s",
                sent.len()
            );
        }
    }

    #[test]
    fn a_late_sender_may_catch_up_with_a_burst() {
        // 1,000/s: after a pause the next 50 go at once, not one per ms.
        let sent = greedy_sends(1000, 1);
        assert_eq!(sent.iter().filter(|&&t| t == 0).count(), 50);
    }

    #[tokio::test]
    async fn the_throughput_limiter_lets_a_send_through() {
        let limits = SendLimits::new(&settings(1));
        tokio::time::timeout(Duration::from_secs(1), limits.until_throughput_allows())
            .await
            .expect("the first send is allowed at once");
    }
}
