//! Breaker settings: one serde section (`circuit_breaker`), builder methods
//! with documented defaults, validation that names the field, the value and
//! the allowed range, and the documented environment variables.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::{format_duration, serde_duration};

mod env;
mod serde_off;
mod validate;

use serde_off::{opt_count, opt_rate};

/// Settings of one circuit breaker (the `circuit_breaker` configuration
/// section).
///
/// Every trip rule is optional and any combination may be on; the breaker
/// opens as soon as one of them fires. The defaults:
///
/// | field | default | meaning |
/// |---|---|---|
/// | `enabled` | `true` | `false`: no rule ever trips (isolating by hand still works) |
/// | `failure_threshold` | `5` | failures within `window` that open the breaker |
/// | `window` | `60s` | length of the rolling window |
/// | `window_buckets` | `10` | buckets the window is split into (memory is fixed) |
/// | `consecutive_failures` | off | failures in a row that open the breaker |
/// | `failure_rate` | off | failure share of the window's calls that opens it, once `min_calls` were seen |
/// | `min_calls` | `10` | calls the window must hold before a rate rule may fire |
/// | `slow_call_rate` | off | share of slow calls that opens it, once `min_calls` were seen |
/// | `slow_call_duration` | `10s` | a call slower than this is slow |
/// | `open_duration` | `30s` | how long the breaker stays open before a probe |
/// | `open_duration_multiplier` | `1.0` | growth of `open_duration` on repeated trips (1 = none) |
/// | `max_open_duration` | `10m` | cap of the grown open duration |
/// | `half_open_max_calls` | `1` | probes in flight at once while half-open |
/// | `success_threshold` | `1` | probe successes that close the breaker |
/// | `count_calls` | `false` | count successes in the window even when no rate rule needs them |
///
/// In TOML, a rule that is off is written `false` (or left out when its
/// default is off):
///
/// ```
/// use staunch::breaker::BreakerConfig;
/// use std::time::Duration;
///
/// let config: BreakerConfig = toml::from_str(r#"
///     failure_threshold = false
///     consecutive_failures = 3
///     open_duration = "1.5s"
/// "#).unwrap();
/// assert_eq!(config.failure_threshold, None);
/// assert_eq!(config.consecutive_failures, Some(3));
/// assert_eq!(config.open_duration, Duration::from_millis(1500));
/// config.validate().unwrap();
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BreakerConfig {
    /// Whether the trip rules apply at all (`RESILIENCE_CIRCUIT_BREAKER_ENABLED`).
    pub enabled: bool,
    /// Failures within `window` that open the breaker
    /// (`CIRCUIT_BREAKER_FAILURE_THRESHOLD`).
    #[serde(with = "opt_count")]
    pub failure_threshold: Option<u32>,
    /// Length of the rolling window the counts cover.
    #[serde(with = "serde_duration")]
    pub window: Duration,
    /// How many buckets the window is split into: the window rolls one
    /// bucket at a time.
    pub window_buckets: u32,
    /// Failures in a row that open the breaker.
    #[serde(with = "opt_count")]
    pub consecutive_failures: Option<u32>,
    /// Share of failed calls in the window (0 < r <= 1) that opens the
    /// breaker once `min_calls` calls were seen.
    #[serde(with = "opt_rate")]
    pub failure_rate: Option<f64>,
    /// Calls the window must hold before a rate rule may fire.
    pub min_calls: u32,
    /// Share of slow calls in the window (0 < r <= 1) that opens the breaker
    /// once `min_calls` calls were seen.
    #[serde(with = "opt_rate")]
    pub slow_call_rate: Option<f64>,
    /// A call that takes longer than this is slow.
    #[serde(with = "serde_duration")]
    pub slow_call_duration: Duration,
    /// How long the breaker stays open before it lets a probe through
    /// (`CIRCUIT_BREAKER_TIMEOUT`).
    #[serde(with = "serde_duration")]
    pub open_duration: Duration,
    /// Each trip that follows another without the breaker closing in between
    /// multiplies the open duration by this (1 = no growth).
    pub open_duration_multiplier: f64,
    /// The longest a grown open duration may be.
    #[serde(with = "serde_duration")]
    pub max_open_duration: Duration,
    /// Probes allowed in flight at once while half-open
    /// (`CIRCUIT_BREAKER_HALF_OPEN_MAX_CALLS`).
    pub half_open_max_calls: u32,
    /// Probe successes that close the breaker
    /// (`CIRCUIT_BREAKER_SUCCESS_THRESHOLD`).
    pub success_threshold: u32,
    /// Count every call in the window, so snapshots show successes and calls,
    /// even when no rate rule needs them. Costs a clock read and a shared
    /// write per success.
    pub count_calls: bool,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl BreakerConfig {
    /// The documented defaults (see the type's docs).
    pub const DEFAULT: Self = Self {
        enabled: true,
        failure_threshold: Some(5),
        window: Duration::from_secs(60),
        window_buckets: 10,
        consecutive_failures: None,
        failure_rate: None,
        min_calls: 10,
        slow_call_rate: None,
        slow_call_duration: Duration::from_secs(10),
        open_duration: Duration::from_secs(30),
        open_duration_multiplier: 1.0,
        max_open_duration: Duration::from_secs(600),
        half_open_max_calls: 1,
        success_threshold: 1,
        count_calls: false,
    };

    /// Turns the trip rules on or off.
    pub const fn with_enabled(mut self, enabled: bool) -> Self {
        self.enabled = enabled;
        self
    }

    /// Opens after `failures` failures within the window.
    pub const fn with_failure_threshold(mut self, failures: u32) -> Self {
        self.failure_threshold = Some(failures);
        self
    }

    /// Turns the failures-in-window rule off.
    pub const fn without_failure_threshold(mut self) -> Self {
        self.failure_threshold = None;
        self
    }

    /// Sets the rolling window's length.
    pub const fn with_window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// Sets how many buckets the window rolls by.
    pub const fn with_window_buckets(mut self, buckets: u32) -> Self {
        self.window_buckets = buckets;
        self
    }

    /// Opens after `failures` failures in a row.
    pub const fn with_consecutive_failures(mut self, failures: u32) -> Self {
        self.consecutive_failures = Some(failures);
        self
    }

    /// Opens when at least `rate` (0 < rate <= 1) of the window's calls
    /// failed, once `min_calls` were seen.
    pub const fn with_failure_rate(mut self, rate: f64) -> Self {
        self.failure_rate = Some(rate);
        self
    }

    /// Sets the calls a rate rule needs in the window before it may fire.
    pub const fn with_min_calls(mut self, calls: u32) -> Self {
        self.min_calls = calls;
        self
    }

    /// Opens when at least `rate` of the window's calls were slower than
    /// `slow_call_duration`, once `min_calls` were seen.
    pub const fn with_slow_call_rate(mut self, rate: f64) -> Self {
        self.slow_call_rate = Some(rate);
        self
    }

    /// Sets the duration past which a call is slow.
    pub const fn with_slow_call_duration(mut self, duration: Duration) -> Self {
        self.slow_call_duration = duration;
        self
    }

    /// Sets how long the breaker stays open before a probe.
    pub const fn with_open_duration(mut self, duration: Duration) -> Self {
        self.open_duration = duration;
        self
    }

    /// Grows the open duration by `multiplier` on each trip that follows
    /// another without closing in between, up to `max`.
    pub const fn with_open_duration_growth(mut self, multiplier: f64, max: Duration) -> Self {
        self.open_duration_multiplier = multiplier;
        self.max_open_duration = max;
        self
    }

    /// Sets how many probes may be in flight at once while half-open.
    pub const fn with_half_open_max_calls(mut self, calls: u32) -> Self {
        self.half_open_max_calls = calls;
        self
    }

    /// Sets how many probe successes close the breaker.
    pub const fn with_success_threshold(mut self, successes: u32) -> Self {
        self.success_threshold = successes;
        self
    }

    /// Counts every call in the window even when no rate rule needs it.
    pub const fn with_count_calls(mut self, count: bool) -> Self {
        self.count_calls = count;
        self
    }

    /// The open duration after the `trip`-th trip in a row (1 = the first):
    /// `open_duration * multiplier^(trip - 1)`, never more than
    /// `max_open_duration` and never less than `open_duration`.
    ///
    /// ```
    /// use staunch::breaker::BreakerConfig;
    /// use std::time::Duration;
    ///
    /// let config = BreakerConfig::default()
    ///     .with_open_duration(Duration::from_secs(10))
    ///     .with_open_duration_growth(2.0, Duration::from_secs(60));
    /// assert_eq!(config.open_duration_for_trip(1), Duration::from_secs(10));
    /// assert_eq!(config.open_duration_for_trip(3), Duration::from_secs(40));
    /// assert_eq!(config.open_duration_for_trip(9), Duration::from_secs(60));
    /// ```
    pub fn open_duration_for_trip(&self, trip: u32) -> Duration {
        let base = self.open_duration;
        let multiplier = self.open_duration_multiplier;
        if trip <= 1 || multiplier.is_nan() || multiplier <= 1.0 {
            return base;
        }
        let cap = self.max_open_duration.max(base);
        let exponent = i32::try_from(trip - 1).unwrap_or(i32::MAX).min(4096);
        let secs = base.as_secs_f64() * multiplier.powi(exponent);
        if !secs.is_finite() || secs >= cap.as_secs_f64() {
            return cap;
        }
        Duration::from_secs_f64(secs).clamp(base, cap)
    }

    /// Whether any rule needs every call counted in the window.
    pub(crate) fn needs_call_counts(&self) -> bool {
        self.enabled
            && (self.count_calls || self.failure_rate.is_some() || self.slow_call_rate.is_some())
    }

    /// A short text for logs: `"5 in 60s"`.
    pub(crate) fn window_text(&self) -> String {
        format_duration(self.window)
    }
}
