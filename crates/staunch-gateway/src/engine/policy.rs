//! The live retry policy: the `[retry]` section plus the answers worth
//! another attempt, swapped whole by the admin API and by a reload.

use std::time::Duration;

use serde::Serialize;
use staunch::config::{BackoffStrategy, JitterMode};
use staunch::retry::{RetryConfig, RetryPolicy};

use crate::config::GatewayConfig;

/// A set of HTTP statuses from 400 to 599, one bit each: copied by value
/// and checked with a shift on the request path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatusSet([u64; 4]);

impl StatusSet {
    const FIRST: u16 = 400;
    const LAST: u16 = 599;

    /// The set of `codes`; codes outside 400 to 599 are left out.
    pub fn from_codes(codes: &[u16]) -> Self {
        let mut bits = [0u64; 4];
        for &code in codes {
            if (Self::FIRST..=Self::LAST).contains(&code) {
                let i = usize::from(code - Self::FIRST);
                bits[i / 64] |= 1 << (i % 64);
            }
        }
        Self(bits)
    }

    /// Whether `status` is in the set.
    pub fn contains(&self, status: u16) -> bool {
        if !(Self::FIRST..=Self::LAST).contains(&status) {
            return false;
        }
        let i = usize::from(status - Self::FIRST);
        self.0[i / 64] & (1 << (i % 64)) != 0
    }

    /// The codes, ascending.
    pub fn codes(&self) -> Vec<u16> {
        (Self::FIRST..=Self::LAST)
            .filter(|&c| self.contains(c))
            .collect()
    }
}

/// The retry policy requests are served with right now.
///
/// Built from the `[retry]` section and `gateway.retry_status_codes`;
/// `PUT /api/v1/retry/policy` replaces it with a changed copy, effective for
/// the next request. A SIGHUP reload keeps each field as it is unless the
/// reloaded file changed that same field (see
/// [`Engine`](super::Engine) for the rule).
#[derive(Debug, Clone)]
pub struct LivePolicy {
    config: RetryConfig,
    statuses: StatusSet,
    policy: RetryPolicy,
}

impl PartialEq for LivePolicy {
    fn eq(&self, other: &Self) -> bool {
        self.config == other.config && self.statuses == other.statuses
    }
}

impl LivePolicy {
    /// The policy of a configuration file.
    pub fn from_config(config: &GatewayConfig) -> Self {
        Self::new(
            config.retry.clone(),
            StatusSet::from_codes(&config.gateway.retry_status_codes),
        )
    }

    /// A policy from its parts.
    pub fn new(config: RetryConfig, statuses: StatusSet) -> Self {
        let policy = config.to_policy();
        Self {
            config,
            statuses,
            policy,
        }
    }

    /// The `[retry]` settings.
    pub fn config(&self) -> &RetryConfig {
        &self.config
    }

    /// The engine's policy (backoff, deadline, attempt limit).
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// Answers worth another attempt.
    pub fn retry_statuses(&self) -> StatusSet {
        self.statuses
    }

    /// Attempts a request gets, the first included: 1 when retries are off.
    pub fn max_attempts(&self) -> u32 {
        self.policy.max_attempts()
    }

    /// The time limit over all attempts of a request, if any.
    pub fn timeout(&self) -> Option<Duration> {
        self.config.deadline
    }

    /// What `GET /api/v1/retry/policy` shows.
    pub fn view(&self) -> PolicyView {
        PolicyView {
            max_attempts: self.config.max_attempts,
            backoff_strategy: self.config.strategy,
            base_delay: self.config.base_delay.as_secs_f64(),
            multiplier: self.config.multiplier,
            max_backoff_delay: self.config.max_delay.as_secs_f64(),
            jitter: self.config.jitter,
            retry_status_codes: self.statuses.codes(),
            timeout: self.config.deadline.map(|d| d.as_secs_f64()),
            enabled: self.config.enabled,
        }
    }

    /// The policy after a reload: each field the file changed (from
    /// `old_file` to `new_file`) takes the file's new value; every other
    /// field keeps its live value, which may have been set by a `PUT`.
    pub fn merged(&self, old_file: &LivePolicy, new_file: &LivePolicy) -> LivePolicy {
        let mut next = self.config.clone();
        let (old, new) = (&old_file.config, &new_file.config);
        // Destructured so that a field added to `RetryConfig` fails to
        // compile here until it is merged too.
        let RetryConfig {
            enabled: _,
            max_attempts: _,
            strategy: _,
            base_delay: _,
            multiplier: _,
            max_delay: _,
            jitter: _,
            jitter_factor: _,
            max_retry_after: _,
            deadline: _,
            attempt_timeout: _,
        } = new;
        macro_rules! take_changed {
            ($($field:ident),*) => {$(
                if old.$field != new.$field {
                    next.$field = new.$field.clone();
                }
            )*};
        }
        take_changed!(
            enabled,
            max_attempts,
            strategy,
            base_delay,
            multiplier,
            max_delay,
            jitter,
            jitter_factor,
            max_retry_after,
            deadline,
            attempt_timeout
        );
        let statuses = if old_file.statuses != new_file.statuses {
            new_file.statuses
        } else {
            self.statuses
        };
        LivePolicy::new(next, statuses)
    }
}

/// The live policy as the admin API shows it; durations in seconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyView {
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// How delays grow: `exponential`, `linear`, `fixed`, `decorrelated`.
    pub backoff_strategy: BackoffStrategy,
    /// The delay before the first retry, in seconds.
    pub base_delay: f64,
    /// The growth factor of the exponential strategy.
    pub multiplier: f64,
    /// The cap on every delay, in seconds.
    pub max_backoff_delay: f64,
    /// How delays are spread: `none`, `full`, `equal`, `proportional`.
    pub jitter: JitterMode,
    /// Answers worth another attempt.
    pub retry_status_codes: Vec<u16>,
    /// The time limit over all attempts of a request, in seconds (`null`:
    /// none).
    pub timeout: Option<f64>,
    /// Whether retries are on at all (`[retry] enabled`; read-only here).
    pub enabled: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(max_attempts: u32, base_ms: u64, codes: &[u16]) -> LivePolicy {
        let config = RetryConfig {
            max_attempts,
            base_delay: Duration::from_millis(base_ms),
            ..RetryConfig::default()
        };
        LivePolicy::new(config, StatusSet::from_codes(codes))
    }

    #[test]
    fn status_set_holds_exactly_its_codes() {
        let set = StatusSet::from_codes(&[400, 429, 503, 599, 200, 600]);
        assert_eq!(set.codes(), [400, 429, 503, 599]);
        assert!(set.contains(503) && !set.contains(502) && !set.contains(200));
    }

    #[test]
    fn reload_keeps_put_fields_unless_the_file_changed_them() {
        let old_file = live(3, 1000, &[503]);
        // A PUT changed max_attempts and the codes.
        let current = live(7, 1000, &[502, 503]);
        // The file changes base_delay only: the PUT's fields stay.
        let new_file = live(3, 250, &[503]);
        let merged = current.merged(&old_file, &new_file);
        assert_eq!(merged.config().max_attempts, 7);
        assert_eq!(merged.config().base_delay, Duration::from_millis(250));
        assert_eq!(merged.retry_statuses().codes(), [502, 503]);
        // The file changes max_attempts too: the file wins for that field.
        let newer_file = live(4, 250, &[503]);
        let merged = merged.merged(&new_file, &newer_file);
        assert_eq!(merged.config().max_attempts, 4);
        assert_eq!(merged.retry_statuses().codes(), [502, 503]);
    }

    proptest::proptest! {
        #[test]
        fn status_set_is_the_sorted_codes_in_range(codes in proptest::collection::vec(0u16..1000, 0..50)) {
            let mut want: Vec<u16> = codes.iter().copied().filter(|c| (400..=599).contains(c)).collect();
            want.sort_unstable();
            want.dedup();
            let set = StatusSet::from_codes(&codes);
            proptest::prop_assert_eq!(set.codes(), want.clone());
            for code in 0..1000u16 {
                proptest::prop_assert_eq!(set.contains(code), want.binary_search(&code).is_ok());
            }
        }
    }

    #[test]
    fn disabled_retries_make_one_attempt() {
        let config = RetryConfig {
            enabled: false,
            max_attempts: 5,
            ..RetryConfig::default()
        };
        let policy = LivePolicy::new(config, StatusSet::default());
        assert_eq!(policy.max_attempts(), 1);
        assert_eq!(policy.view().max_attempts, 5);
    }
}
