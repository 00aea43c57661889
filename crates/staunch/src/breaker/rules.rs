//! The trip rules, derived once from the configuration and checked whenever
//! a failure or a slow call is recorded in the closed state.

use std::time::Duration;

use super::window::Counts;
use super::BreakerConfig;

/// What the breaker has to do on each outcome, decided once.
#[derive(Debug, Clone)]
pub(crate) struct Rules {
    /// `false`: nothing is recorded and nothing trips.
    pub(crate) enabled: bool,
    failure_threshold: Option<u64>,
    window_text: String,
    consecutive_failures: Option<u64>,
    failure_rate: Option<f64>,
    slow_call_rate: Option<f64>,
    min_calls: u64,
    /// Some when the slow-call rule is on: permits then measure their time.
    pub(crate) slow_call_duration: Option<Duration>,
    /// Every call is counted in the window (a rate rule or `count_calls`).
    pub(crate) count_calls: bool,
    /// Probe successes that close the breaker.
    pub(crate) success_threshold: u32,
    /// Probes in flight at once while half-open.
    pub(crate) half_open_max_calls: u32,
}

impl Rules {
    /// The rules `config` turns on.
    pub(crate) fn new(config: &BreakerConfig) -> Self {
        let on = config.enabled;
        Self {
            enabled: on,
            failure_threshold: config.failure_threshold.filter(|_| on).map(u64::from),
            window_text: config.window_text(),
            consecutive_failures: config.consecutive_failures.filter(|_| on).map(u64::from),
            failure_rate: config.failure_rate.filter(|_| on),
            slow_call_rate: config.slow_call_rate.filter(|_| on),
            min_calls: u64::from(config.min_calls),
            slow_call_duration: config
                .slow_call_rate
                .filter(|_| on)
                .map(|_| config.slow_call_duration),
            count_calls: config.needs_call_counts(),
            success_threshold: config.success_threshold,
            half_open_max_calls: config.half_open_max_calls,
        }
    }

    /// Whether a call that took `latency` is slow.
    pub(crate) fn is_slow(&self, latency: Option<Duration>) -> bool {
        match (self.slow_call_duration, latency) {
            (Some(limit), Some(latency)) => latency > limit,
            _ => false,
        }
    }

    /// The first rule that fires, as the reason for opening, after an outcome
    /// that `failed` and/or was `slow` was recorded.
    pub(crate) fn check(
        &self,
        counts: Counts,
        consecutive: u64,
        failed: bool,
        slow: bool,
    ) -> Option<String> {
        if failed {
            if let Some(limit) = self.failure_threshold {
                if counts.failures >= limit {
                    return Some(format!(
                        "failure_threshold: {} failures within {}",
                        counts.failures, self.window_text
                    ));
                }
            }
            if let Some(limit) = self.consecutive_failures {
                if consecutive >= limit {
                    return Some(format!(
                        "consecutive_failures: {consecutive} failures in a row"
                    ));
                }
            }
            if let Some(rate) = self.failure_rate {
                if let Some(reason) =
                    self.rate_fires("failure_rate", counts.failures, counts.calls, rate)
                {
                    return Some(reason);
                }
            }
        }
        if slow {
            if let Some(rate) = self.slow_call_rate {
                return self.rate_fires("slow_call_rate", counts.slow, counts.calls, rate);
            }
        }
        None
    }

    fn rate_fires(&self, rule: &str, hits: u64, calls: u64, rate: f64) -> Option<String> {
        if calls == 0 || calls < self.min_calls {
            return None;
        }
        let share = hits as f64 / calls as f64;
        (share >= rate).then(|| {
            format!(
                "{rule}: {hits} of {calls} calls ({:.1} %, limit {:.1} %) within {}",
                share * 100.0,
                rate * 100.0,
                self.window_text
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(calls: u64, failures: u64, slow: u64) -> Counts {
        Counts {
            calls,
            failures,
            slow,
        }
    }

    #[test]
    fn disabled_config_turns_every_rule_off() {
        let rules = Rules::new(
            &BreakerConfig::default()
                .with_enabled(false)
                .with_consecutive_failures(1)
                .with_failure_rate(0.1),
        );
        assert!(!rules.count_calls);
        assert_eq!(rules.check(counts(100, 100, 100), 100, true, true), None);
    }

    #[test]
    fn rate_rules_wait_for_min_calls() {
        let rules = Rules::new(
            &BreakerConfig::default()
                .without_failure_threshold()
                .with_failure_rate(0.5)
                .with_min_calls(4),
        );
        assert_eq!(rules.check(counts(3, 3, 0), 0, true, false), None);
        let reason = rules.check(counts(4, 2, 0), 0, true, false).unwrap();
        assert!(reason.starts_with("failure_rate: 2 of 4 calls"), "{reason}");
    }

    #[test]
    fn slow_rule_fires_on_slow_successes_only_when_on() {
        let config = BreakerConfig::default()
            .with_slow_call_rate(0.5)
            .with_min_calls(2)
            .with_slow_call_duration(Duration::from_secs(1));
        let rules = Rules::new(&config);
        assert!(rules.is_slow(Some(Duration::from_millis(1001))));
        assert!(!rules.is_slow(Some(Duration::from_secs(1))));
        assert!(rules.check(counts(2, 0, 1), 0, false, true).is_some());
        let off = Rules::new(&BreakerConfig::default());
        assert!(!off.is_slow(Some(Duration::from_secs(3600))));
    }
}
