//! Range checks of [`BreakerConfig`], each error naming the field
//! (`circuit_breaker.<field>`), the value and the allowed range.

use std::time::Duration;

use super::BreakerConfig;
use crate::config::{format_duration, ConfigError};

/// The largest count a count setting accepts.
pub(crate) const MAX_COUNT: u32 = 1_000_000;
/// The largest `half_open_max_calls` and `success_threshold`.
pub(crate) const MAX_PROBES: u32 = 1_000;
/// The largest `window_buckets`.
pub(crate) const MAX_BUCKETS: u32 = 1_000;
/// The longest duration any breaker setting accepts.
pub(crate) const MAX_DURATION: Duration = Duration::from_secs(24 * 3600);
/// The shortest window.
pub(crate) const MIN_WINDOW: Duration = Duration::from_millis(100);
/// The shortest bucket, open duration and slow-call duration.
pub(crate) const MIN_DURATION: Duration = Duration::from_millis(1);
/// The largest growth multiplier.
pub(crate) const MAX_MULTIPLIER: f64 = 10.0;

fn field(name: &str) -> String {
    format!("circuit_breaker.{name}")
}

/// Checks `value` is in `min..=max`; the error names `name`.
pub(crate) fn check_count(name: &str, value: u32, min: u32, max: u32) -> Result<(), ConfigError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(ConfigError::invalid(
            name,
            value,
            format!("a whole number from {min} to {max}"),
        ))
    }
}

/// Checks `value` is in `min..=max`; the error names `name`.
pub(crate) fn check_duration(
    name: &str,
    value: Duration,
    min: Duration,
    max: Duration,
) -> Result<(), ConfigError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(ConfigError::invalid(
            name,
            format_duration(value),
            format!(
                "a duration from {} to {}",
                format_duration(min),
                format_duration(max)
            ),
        ))
    }
}

fn check_rate(name: &str, value: f64) -> Result<(), ConfigError> {
    if value > 0.0 && value <= 1.0 {
        Ok(())
    } else {
        Err(ConfigError::invalid(
            field(name),
            value,
            "a rate above 0 and at most 1 (0.5 = 50 %), or false for off",
        ))
    }
}

impl BreakerConfig {
    /// Checks every setting against its allowed range.
    ///
    /// The error names the field as `circuit_breaker.<field>`, the value and
    /// what is allowed:
    ///
    /// ```
    /// use staunch::breaker::BreakerConfig;
    /// let err = BreakerConfig::default().with_half_open_max_calls(0).validate().unwrap_err();
    /// assert_eq!(err.field(), Some("circuit_breaker.half_open_max_calls"));
    /// assert!(err.to_string().contains("from 1 to 1000"));
    /// ```
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(n) = self.failure_threshold {
            check_count(&field("failure_threshold"), n, 1, MAX_COUNT)?;
        }
        check_duration(&field("window"), self.window, MIN_WINDOW, MAX_DURATION)?;
        let buckets_ok = (1..=MAX_BUCKETS).contains(&self.window_buckets)
            && self.window / self.window_buckets >= MIN_DURATION;
        if !buckets_ok {
            return Err(ConfigError::invalid(
                field("window_buckets"),
                self.window_buckets,
                format!("a whole number from 1 to {MAX_BUCKETS}, with window / window_buckets at least 1ms"),
            ));
        }
        if let Some(n) = self.consecutive_failures {
            check_count(&field("consecutive_failures"), n, 1, MAX_COUNT)?;
        }
        if let Some(r) = self.failure_rate {
            check_rate("failure_rate", r)?;
        }
        check_count(&field("min_calls"), self.min_calls, 1, MAX_COUNT)?;
        if let Some(r) = self.slow_call_rate {
            check_rate("slow_call_rate", r)?;
        }
        check_duration(
            &field("slow_call_duration"),
            self.slow_call_duration,
            MIN_DURATION,
            MAX_DURATION,
        )?;
        check_duration(
            &field("open_duration"),
            self.open_duration,
            MIN_DURATION,
            MAX_DURATION,
        )?;
        let multiplier = self.open_duration_multiplier;
        if !(1.0..=MAX_MULTIPLIER).contains(&multiplier) {
            return Err(ConfigError::invalid(
                field("open_duration_multiplier"),
                multiplier,
                format!("a number from 1 (no growth) to {MAX_MULTIPLIER}"),
            ));
        }
        check_duration(
            &field("max_open_duration"),
            self.max_open_duration,
            MIN_DURATION,
            MAX_DURATION,
        )?;
        if multiplier > 1.0 && self.max_open_duration < self.open_duration {
            return Err(ConfigError::invalid(
                field("max_open_duration"),
                format_duration(self.max_open_duration),
                format!(
                    "at least open_duration ({}) when open_duration_multiplier is above 1",
                    format_duration(self.open_duration)
                ),
            ));
        }
        check_count(
            &field("half_open_max_calls"),
            self.half_open_max_calls,
            1,
            MAX_PROBES,
        )?;
        check_count(
            &field("success_threshold"),
            self.success_threshold,
            1,
            MAX_PROBES,
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        BreakerConfig::default().validate().unwrap();
    }

    #[test]
    fn out_of_range_values_name_field_value_and_range() {
        let cases: Vec<(BreakerConfig, &str, &str)> = vec![
            (
                BreakerConfig::default().with_failure_threshold(0),
                "circuit_breaker.failure_threshold",
                "from 1 to 1000000",
            ),
            (
                BreakerConfig::default().with_window(Duration::from_millis(10)),
                "circuit_breaker.window",
                "from 100ms to 86400s",
            ),
            (
                BreakerConfig::default()
                    .with_window(Duration::from_millis(100))
                    .with_window_buckets(1000),
                "circuit_breaker.window_buckets",
                "at least 1ms",
            ),
            (
                BreakerConfig::default().with_failure_rate(f64::NAN),
                "circuit_breaker.failure_rate",
                "above 0 and at most 1",
            ),
            (
                BreakerConfig::default().with_slow_call_rate(1.5),
                "circuit_breaker.slow_call_rate",
                "above 0 and at most 1",
            ),
            (
                BreakerConfig::default().with_open_duration(Duration::ZERO),
                "circuit_breaker.open_duration",
                "from 1ms",
            ),
            (
                BreakerConfig::default().with_open_duration_growth(0.5, Duration::from_secs(60)),
                "circuit_breaker.open_duration_multiplier",
                "from 1 (no growth) to 10",
            ),
            (
                BreakerConfig::default().with_open_duration_growth(2.0, Duration::from_secs(5)),
                "circuit_breaker.max_open_duration",
                "at least open_duration (30s)",
            ),
            (
                BreakerConfig::default().with_success_threshold(5000),
                "circuit_breaker.success_threshold",
                "from 1 to 1000",
            ),
        ];
        for (config, field, allowed) in cases {
            let err = config.validate().unwrap_err();
            assert_eq!(err.field(), Some(field), "{err}");
            assert!(err.to_string().contains(allowed), "{err}");
        }
    }

    #[test]
    fn growth_cap_below_base_is_fine_without_growth() {
        BreakerConfig::default()
            .with_open_duration(Duration::from_secs(900))
            .validate()
            .unwrap();
    }
}
