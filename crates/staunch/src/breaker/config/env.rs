//! The documented environment variables of the breaker section.

use super::validate::{
    check_count, check_duration, MAX_COUNT, MAX_DURATION, MAX_PROBES, MIN_DURATION,
};
use super::BreakerConfig;
use crate::config::{parse_bool, parse_duration, ConfigError, EnvSource};

/// `RESILIENCE_CIRCUIT_BREAKER_ENABLED`: `true`/`false`/`1`/`0`.
pub(crate) const ENV_ENABLED: &str = "RESILIENCE_CIRCUIT_BREAKER_ENABLED";
/// `CIRCUIT_BREAKER_FAILURE_THRESHOLD`: failures within the window that open.
pub(crate) const ENV_FAILURE_THRESHOLD: &str = "CIRCUIT_BREAKER_FAILURE_THRESHOLD";
/// `CIRCUIT_BREAKER_SUCCESS_THRESHOLD`: probe successes that close.
pub(crate) const ENV_SUCCESS_THRESHOLD: &str = "CIRCUIT_BREAKER_SUCCESS_THRESHOLD";
/// `CIRCUIT_BREAKER_TIMEOUT`: the open duration, in seconds (decimals allowed).
pub(crate) const ENV_TIMEOUT: &str = "CIRCUIT_BREAKER_TIMEOUT";
/// `CIRCUIT_BREAKER_HALF_OPEN_MAX_CALLS`: probes in flight at once.
pub(crate) const ENV_HALF_OPEN_MAX_CALLS: &str = "CIRCUIT_BREAKER_HALF_OPEN_MAX_CALLS";

fn parse_count(name: &str, text: &str, max: u32) -> Result<u32, ConfigError> {
    let value: u32 = text.trim().parse().map_err(|_| {
        ConfigError::invalid(
            name,
            format!("{text:?}"),
            format!("a whole number from 1 to {max}"),
        )
    })?;
    check_count(name, value, 1, max)?;
    Ok(value)
}

impl BreakerConfig {
    /// Applies the documented environment variables that are set, leaving
    /// the other fields as they are:
    ///
    /// | variable | field |
    /// |---|---|
    /// | `RESILIENCE_CIRCUIT_BREAKER_ENABLED` | `enabled` |
    /// | `CIRCUIT_BREAKER_FAILURE_THRESHOLD` | `failure_threshold` (1 to 1000000) |
    /// | `CIRCUIT_BREAKER_SUCCESS_THRESHOLD` | `success_threshold` (1 to 1000) |
    /// | `CIRCUIT_BREAKER_TIMEOUT` | `open_duration`, seconds (`"30"`, `"1.5"`, `"250ms"`; 1ms to 24 h) |
    /// | `CIRCUIT_BREAKER_HALF_OPEN_MAX_CALLS` | `half_open_max_calls` (1 to 1000) |
    ///
    /// A bad value is refused with the variable's name, the value and the
    /// allowed range, and nothing is changed by that variable.
    ///
    /// ```
    /// use staunch::breaker::BreakerConfig;
    /// use staunch::config::MapEnv;
    /// use std::time::Duration;
    ///
    /// let mut config = BreakerConfig::default();
    /// config.apply_env(&MapEnv::from_pairs([("CIRCUIT_BREAKER_TIMEOUT", "12.5")])).unwrap();
    /// assert_eq!(config.open_duration, Duration::from_millis(12_500));
    ///
    /// let err = config
    ///     .apply_env(&MapEnv::from_pairs([("CIRCUIT_BREAKER_FAILURE_THRESHOLD", "-3")]))
    ///     .unwrap_err();
    /// assert_eq!(err.field(), Some("CIRCUIT_BREAKER_FAILURE_THRESHOLD"));
    /// ```
    pub fn apply_env(&mut self, env: &dyn EnvSource) -> Result<(), ConfigError> {
        if let Some(text) = env.var(ENV_ENABLED) {
            self.enabled = parse_bool(ENV_ENABLED, &text)?;
        }
        if let Some(text) = env.var(ENV_FAILURE_THRESHOLD) {
            self.failure_threshold = Some(parse_count(ENV_FAILURE_THRESHOLD, &text, MAX_COUNT)?);
        }
        if let Some(text) = env.var(ENV_SUCCESS_THRESHOLD) {
            self.success_threshold = parse_count(ENV_SUCCESS_THRESHOLD, &text, MAX_PROBES)?;
        }
        if let Some(text) = env.var(ENV_TIMEOUT) {
            let duration = parse_duration(ENV_TIMEOUT, &text)?;
            check_duration(ENV_TIMEOUT, duration, MIN_DURATION, MAX_DURATION)?;
            self.open_duration = duration;
        }
        if let Some(text) = env.var(ENV_HALF_OPEN_MAX_CALLS) {
            self.half_open_max_calls = parse_count(ENV_HALF_OPEN_MAX_CALLS, &text, MAX_PROBES)?;
        }
        Ok(())
    }
}
