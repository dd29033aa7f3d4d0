//! A rate limit per key (a client address, a chat session): `governor`'s
//! keyed limiter (ADR 0010), with the rule every such limit here follows:
//! once the map holds many keys, the quiet ones are forgotten, so it does
//! not grow with every key ever seen.

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;

/// Keys held before the quiet ones are forgotten.
const FORGET_ABOVE: usize = 10_000;

/// At most so many requests per key per minute.
pub struct PerKey {
    limiter: DefaultKeyedRateLimiter<String>,
}

impl std::fmt::Debug for PerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PerKey").finish_non_exhaustive()
    }
}

impl PerKey {
    /// `per_minute` requests per key and minute (0 counts as 1).
    pub fn per_minute(per_minute: u32) -> Self {
        let quota = Quota::per_minute(NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN));
        Self {
            limiter: RateLimiter::keyed(quota),
        }
    }

    /// Whether `key` may make one more request now (counted if so).
    pub fn allows(&self, key: &str) -> bool {
        if self.limiter.len() > FORGET_ABOVE {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&key.to_owned()).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_key_has_its_own_quota_per_minute() {
        let limit = PerKey::per_minute(2);
        assert!(limit.allows("a") && limit.allows("a"));
        assert!(!limit.allows("a"));
        assert!(limit.allows("b"), "another key has its own quota");
        let zero = PerKey::per_minute(0);
        assert!(zero.allows("a"), "0 counts as 1");
        assert!(!zero.allows("a"));
    }
}
