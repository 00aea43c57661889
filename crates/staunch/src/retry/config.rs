//! The `[retry]` section of the configuration, and its environment variables.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::RetryPolicy;
use crate::backoff::{Backoff, Jitter, Schedule};
use crate::config::{
    parse_bool, parse_duration, serde_duration, serde_opt_duration, ConfigError, ConfigSection,
    EnvSource,
};

/// Allowed range of `max_attempts`.
const MAX_ATTEMPTS: std::ops::RangeInclusive<u32> = 1..=100;
/// Allowed range of `multiplier`.
const MULTIPLIER: std::ops::RangeInclusive<f64> = 1.0..=100.0;
/// Allowed range of `jitter_factor`.
const JITTER_FACTOR: std::ops::RangeInclusive<f64> = 0.0..=1.0;

/// The retry policy as configuration (`[retry]` in TOML).
///
/// | key | default | allowed | environment |
/// |---|---|---|---|
/// | `enabled` | `true` | bool | `RESILIENCE_RETRY_ENABLED` |
/// | `max_attempts` (the first included) | 3 | 1 to 100 | `RETRY_MAX_ATTEMPTS` |
/// | `strategy` | `"exponential"` | `exponential`, `linear`, `fixed`, `decorrelated` | |
/// | `base_delay` | 1 s | 0 to 1 year | `RETRY_BASE_DELAY` |
/// | `multiplier` (exponential only) | 2.0 | 1 to 100 | `RETRY_EXPONENTIAL_BASE` |
/// | `max_delay` | 30 s | 0 to 1 year | `RETRY_MAX_DELAY` |
/// | `jitter` | `"none"` | `none`, `full`, `equal`, `proportional` | `RETRY_JITTER` |
/// | `jitter_factor` (proportional only) | 0.2 | 0 to 1 | |
/// | `max_retry_after` | 60 s | 0 to 1 year | |
/// | `deadline` (alias `total_timeout`) | none | above 0 | |
/// | `attempt_timeout` | none | above 0 | |
///
/// Durations are seconds as numbers (`1.5`) or strings with a unit
/// (`"250ms"`). In `RETRY_JITTER`, `true`/`1` mean `proportional` (±20 % by
/// default) and `false`/`0` mean `none`.
///
/// ```
/// use staunch::config::StaunchConfig;
/// use std::time::Duration;
///
/// let config = StaunchConfig::from_toml_str(r#"
///     [retry]
///     max_attempts = 5
///     base_delay = "250ms"
///     jitter = "full"
/// "#).unwrap();
/// let policy = config.retry_policy();
/// assert_eq!(policy.max_attempts(), 5);
/// assert_eq!(policy.backoff().schedule().base(), Duration::from_millis(250));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryConfig {
    /// Whether calls are retried at all (when off, one attempt is made).
    pub enabled: bool,
    /// The most attempts per call, the first included.
    pub max_attempts: u32,
    /// How delays grow.
    pub strategy: BackoffStrategy,
    /// The delay before the first retry (the step, for linear).
    #[serde(with = "serde_duration")]
    pub base_delay: Duration,
    /// The growth factor of the exponential strategy.
    pub multiplier: f64,
    /// The cap on every delay, after jitter.
    #[serde(with = "serde_duration")]
    pub max_delay: Duration,
    /// How delays are spread at random.
    pub jitter: JitterMode,
    /// The spread of `proportional` jitter: 0.2 is ±20 %.
    pub jitter_factor: f64,
    /// The cap on server hints (`Retry-After`).
    #[serde(with = "serde_duration")]
    pub max_retry_after: Duration,
    /// The time allowed for a whole call, attempts and sleeps included.
    #[serde(
        with = "serde_opt_duration",
        alias = "total_timeout",
        skip_serializing_if = "Option::is_none"
    )]
    pub deadline: Option<Duration>,
    /// The time allowed for one attempt (async calls).
    #[serde(with = "serde_opt_duration", skip_serializing_if = "Option::is_none")]
    pub attempt_timeout: Option<Duration>,
}

/// The `strategy` of a [`RetryConfig`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackoffStrategy {
    /// `base_delay * multiplier^(n-1)`.
    #[default]
    Exponential,
    /// `base_delay * n`.
    Linear,
    /// `base_delay`.
    Fixed,
    /// Polly v8 decorrelated jitter: retry *n* near `base_delay * 2^(n-1)`
    /// after the first failure.
    Decorrelated,
}

/// The `jitter` of a [`RetryConfig`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JitterMode {
    /// No jitter.
    #[default]
    None,
    /// Uniform in `[0, d]`.
    Full,
    /// Uniform in `[d/2, d]`.
    Equal,
    /// `d * U[1 - f, 1 + f]` with `f = jitter_factor`.
    Proportional,
}

impl JitterMode {
    /// Reads a mode as `RETRY_JITTER` gives it: a mode name, or a boolean
    /// (`true` is `proportional`).
    pub fn parse(field: &str, text: &str) -> Result<Self, ConfigError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "none" | "false" | "0" | "off" | "no" => Ok(Self::None),
            "full" => Ok(Self::Full),
            "equal" => Ok(Self::Equal),
            "proportional" | "true" | "1" | "on" | "yes" => Ok(Self::Proportional),
            _ => Err(ConfigError::invalid(
                field,
                format!("{text:?}"),
                "none, full, equal, proportional (or true/false)",
            )),
        }
    }
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self::from(&RetryPolicy::DEFAULT)
    }
}

impl RetryConfig {
    /// Checks every value, naming the first bad one as `retry.<key>`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_max_attempts("retry.max_attempts", self.max_attempts)?;
        check_multiplier("retry.multiplier", self.multiplier)?;
        check_jitter_factor("retry.jitter_factor", self.jitter_factor)?;
        check_positive("retry.deadline", self.deadline)?;
        check_positive("retry.attempt_timeout", self.attempt_timeout)?;
        Ok(())
    }

    /// Applies `RESILIENCE_RETRY_ENABLED`, `RETRY_MAX_ATTEMPTS`,
    /// `RETRY_BASE_DELAY`, `RETRY_MAX_DELAY`, `RETRY_EXPONENTIAL_BASE` and
    /// `RETRY_JITTER`, when set. A bad value is refused with the variable's
    /// name, and nothing is changed.
    pub fn apply_env(&mut self, env: &dyn EnvSource) -> Result<(), ConfigError> {
        let mut next = self.clone();
        if let Some(v) = env.var("RESILIENCE_RETRY_ENABLED") {
            next.enabled = parse_bool("RESILIENCE_RETRY_ENABLED", &v)?;
        }
        if let Some(v) = env.var("RETRY_MAX_ATTEMPTS") {
            next.max_attempts = v.trim().parse().map_err(|_| {
                ConfigError::invalid(
                    "RETRY_MAX_ATTEMPTS",
                    format!("{v:?}"),
                    range_u32(MAX_ATTEMPTS),
                )
            })?;
            check_max_attempts("RETRY_MAX_ATTEMPTS", next.max_attempts)?;
        }
        if let Some(v) = env.var("RETRY_BASE_DELAY") {
            next.base_delay = parse_duration("RETRY_BASE_DELAY", &v)?;
        }
        if let Some(v) = env.var("RETRY_MAX_DELAY") {
            next.max_delay = parse_duration("RETRY_MAX_DELAY", &v)?;
        }
        if let Some(v) = env.var("RETRY_EXPONENTIAL_BASE") {
            next.multiplier = v.trim().parse().map_err(|_| {
                ConfigError::invalid(
                    "RETRY_EXPONENTIAL_BASE",
                    format!("{v:?}"),
                    range_f64(MULTIPLIER),
                )
            })?;
            check_multiplier("RETRY_EXPONENTIAL_BASE", next.multiplier)?;
        }
        if let Some(v) = env.var("RETRY_JITTER") {
            next.jitter = JitterMode::parse("RETRY_JITTER", &v)?;
        }
        *self = next;
        Ok(())
    }

    /// The policy this configuration describes. When `enabled` is off, the
    /// policy makes a single attempt (timeouts still apply).
    pub fn to_policy(&self) -> RetryPolicy {
        let schedule = match self.strategy {
            BackoffStrategy::Exponential => Schedule::exponential(self.base_delay, self.multiplier),
            BackoffStrategy::Linear => Schedule::linear(self.base_delay),
            BackoffStrategy::Fixed => Schedule::fixed(self.base_delay),
            BackoffStrategy::Decorrelated => Schedule::decorrelated(self.base_delay),
        };
        let jitter = match self.jitter {
            JitterMode::None => Jitter::None,
            JitterMode::Full => Jitter::Full,
            JitterMode::Equal => Jitter::Equal,
            JitterMode::Proportional => Jitter::Proportional(self.jitter_factor),
        };
        let backoff = Backoff::new(schedule)
            .with_jitter(jitter)
            .with_max_delay(self.max_delay);
        let mut builder = RetryPolicy::builder()
            .with_max_attempts(if self.enabled { self.max_attempts } else { 1 })
            .with_backoff(backoff)
            .with_max_retry_after(self.max_retry_after);
        if let Some(deadline) = self.deadline {
            builder = builder.with_deadline(deadline);
        }
        if let Some(timeout) = self.attempt_timeout {
            builder = builder.with_attempt_timeout(timeout);
        }
        builder.build()
    }
}

impl ConfigSection for RetryConfig {
    const NAME: &'static str = "retry";

    fn validate(&self) -> Result<(), ConfigError> {
        RetryConfig::validate(self)
    }

    fn apply_env(&mut self, env: &dyn EnvSource) -> Result<(), ConfigError> {
        RetryConfig::apply_env(self, env)
    }
}

impl From<&RetryConfig> for RetryPolicy {
    fn from(config: &RetryConfig) -> Self {
        config.to_policy()
    }
}

impl From<&RetryPolicy> for RetryConfig {
    /// The configuration of a policy (a fixed RNG seed is not part of it).
    fn from(policy: &RetryPolicy) -> Self {
        let backoff = policy.backoff();
        let (strategy, multiplier) = match backoff.schedule() {
            Schedule::Exponential { multiplier, .. } => (BackoffStrategy::Exponential, multiplier),
            Schedule::Linear { .. } => (BackoffStrategy::Linear, 2.0),
            Schedule::Fixed { .. } => (BackoffStrategy::Fixed, 2.0),
            Schedule::Decorrelated { .. } => (BackoffStrategy::Decorrelated, 2.0),
        };
        let (jitter, jitter_factor) = match backoff.jitter() {
            Jitter::None => (JitterMode::None, 0.2),
            Jitter::Full => (JitterMode::Full, 0.2),
            Jitter::Equal => (JitterMode::Equal, 0.2),
            Jitter::Proportional(f) => (JitterMode::Proportional, f),
        };
        Self {
            enabled: true,
            max_attempts: policy.max_attempts(),
            strategy,
            base_delay: backoff.schedule().base(),
            multiplier,
            max_delay: backoff.max_delay(),
            jitter,
            jitter_factor,
            max_retry_after: policy.max_retry_after(),
            deadline: policy.deadline(),
            attempt_timeout: policy.attempt_timeout(),
        }
    }
}

fn range_u32(range: std::ops::RangeInclusive<u32>) -> String {
    format!("a whole number from {} to {}", range.start(), range.end())
}

fn range_f64(range: std::ops::RangeInclusive<f64>) -> String {
    format!("a number from {} to {}", range.start(), range.end())
}

fn check_max_attempts(field: &str, value: u32) -> Result<(), ConfigError> {
    if MAX_ATTEMPTS.contains(&value) {
        Ok(())
    } else {
        Err(ConfigError::invalid(field, value, range_u32(MAX_ATTEMPTS)))
    }
}

fn check_multiplier(field: &str, value: f64) -> Result<(), ConfigError> {
    check_f64(field, value, MULTIPLIER)
}

fn check_jitter_factor(field: &str, value: f64) -> Result<(), ConfigError> {
    check_f64(field, value, JITTER_FACTOR)
}

/// NaN is outside every range, since `contains` compares.
fn check_f64(
    field: &str,
    value: f64,
    range: std::ops::RangeInclusive<f64>,
) -> Result<(), ConfigError> {
    if range.contains(&value) {
        Ok(())
    } else {
        Err(ConfigError::invalid(field, value, range_f64(range)))
    }
}

fn check_positive(field: &str, value: Option<Duration>) -> Result<(), ConfigError> {
    match value {
        Some(d) if d.is_zero() => Err(ConfigError::invalid(
            field,
            Shown(d),
            "a duration above 0 (leave it out for none)",
        )),
        _ => Ok(()),
    }
}

/// A duration shown the way configuration reads it.
struct Shown(Duration);

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::config::format_duration(self.0))
    }
}

#[cfg(test)]
mod tests;
