//! The top-level configuration model: one struct, one table per mechanism.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{parse_bool, ConfigError, EnvSource};
use crate::breaker::BreakerConfig;
use crate::budget::BudgetConfig;
use crate::metrics::MetricsConfig;
use crate::pool::PoolConfig;
use crate::retry::{RetryConfig, RetryPolicy};

mod sections;

/// One section of [`StaunchConfig`] (a TOML table such as `[retry]`).
///
/// Adding a section is a field in [`StaunchConfig`] plus one line in each of
/// its `validate` and `apply_env`.
pub trait ConfigSection {
    /// The table name, used as the prefix of field names in errors.
    const NAME: &'static str;

    /// Checks every value; errors name fields as `<NAME>.<key>`.
    fn validate(&self) -> Result<(), ConfigError>;

    /// Applies the section's environment variables; errors name the variable.
    fn apply_env(&mut self, env: &dyn EnvSource) -> Result<(), ConfigError>;
}

/// Everything staunch reads from configuration.
///
/// Sources, later wins: built-in defaults, a TOML file, environment variables
/// ([`StaunchConfig::load`]). Unknown keys are refused, and so is every value
/// out of range, with the field, the value and what is allowed.
///
/// | table | type | environment variables |
/// |---|---|---|
/// | (top) `enabled` | `bool` | `RESILIENCE_ENABLED` |
/// | `[retry]` | [`RetryConfig`] | `RESILIENCE_RETRY_ENABLED`, `RETRY_MAX_ATTEMPTS`, `RETRY_BASE_DELAY`, `RETRY_MAX_DELAY`, `RETRY_EXPONENTIAL_BASE`, `RETRY_JITTER` |
/// | `[circuit_breaker]` | [`BreakerConfig`] | `RESILIENCE_CIRCUIT_BREAKER_ENABLED`, `CIRCUIT_BREAKER_FAILURE_THRESHOLD`, `CIRCUIT_BREAKER_SUCCESS_THRESHOLD`, `CIRCUIT_BREAKER_TIMEOUT`, `CIRCUIT_BREAKER_HALF_OPEN_MAX_CALLS` |
/// | `[budget]` | [`BudgetConfig`] | none |
/// | `[metrics]` | [`MetricsConfig`] | none |
/// | `[pool]` | [`PoolConfig`] | `POOL_STRATEGY`, `POOL_FAILOVER_DELAY`, `POOL_HEDGE_DELAY`, `POOL_MAX_HEDGES` |
///
/// ```
/// use staunch::config::{MapEnv, StaunchConfig};
///
/// let mut config = StaunchConfig::from_toml_str("[retry]\nmax_attempts = 5\n").unwrap();
/// config.apply_env(&MapEnv::from_pairs([("RETRY_MAX_ATTEMPTS", "7")])).unwrap();
/// assert_eq!(config.retry.max_attempts, 7);
///
/// let err = StaunchConfig::from_toml_str("[retry]\nmax_attempts = 0\n").unwrap_err();
/// assert_eq!(err.to_string(),
///     "invalid value for `retry.max_attempts`: 0 (allowed: a whole number from 1 to 100)");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StaunchConfig {
    /// The master switch (`RESILIENCE_ENABLED`): when off, nothing is retried.
    pub enabled: bool,
    /// The retry policy (`[retry]`).
    pub retry: RetryConfig,
    /// The circuit breakers' settings (`[circuit_breaker]`), shared by every
    /// breaker of a registry.
    pub circuit_breaker: BreakerConfig,
    /// The retry budget (`[budget]`).
    pub budget: BudgetConfig,
    /// The metrics store (`[metrics]`).
    pub metrics: MetricsConfig,
    /// Endpoint selection and failover (`[pool]`).
    pub pool: PoolConfig,
    // A new section is one field here plus its line in `Default`,
    // `validate` and `apply_env`.
}

impl Default for StaunchConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            retry: RetryConfig::default(),
            circuit_breaker: BreakerConfig::default(),
            budget: BudgetConfig::default(),
            metrics: MetricsConfig::default(),
            pool: PoolConfig::default(),
        }
    }
}

impl StaunchConfig {
    /// Reads and validates TOML text. Keys left out keep their defaults.
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        let config: Self = toml::from_str(text).map_err(|e| toml_error(&e, text))?;
        config.validate()?;
        Ok(config)
    }

    /// Reads and validates a TOML file.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Self::from_toml_str(&text)
    }

    /// Defaults, then the file at `path` if given, then the environment.
    pub fn load(path: Option<&Path>, env: &dyn EnvSource) -> Result<Self, ConfigError> {
        let mut config = match path {
            Some(path) => Self::from_file(path)?,
            None => Self::default(),
        };
        config.apply_env(env)?;
        Ok(config)
    }

    /// Applies `RESILIENCE_ENABLED` and every section's variables. On error
    /// nothing is changed.
    pub fn apply_env(&mut self, env: &dyn EnvSource) -> Result<(), ConfigError> {
        let mut next = self.clone();
        if let Some(v) = env.var("RESILIENCE_ENABLED") {
            next.enabled = parse_bool("RESILIENCE_ENABLED", &v)?;
        }
        ConfigSection::apply_env(&mut next.retry, env)?;
        ConfigSection::apply_env(&mut next.circuit_breaker, env)?;
        ConfigSection::apply_env(&mut next.budget, env)?;
        ConfigSection::apply_env(&mut next.metrics, env)?;
        ConfigSection::apply_env(&mut next.pool, env)?;
        next.validate()?;
        *self = next;
        Ok(())
    }

    /// Checks every section.
    pub fn validate(&self) -> Result<(), ConfigError> {
        ConfigSection::validate(&self.retry)?;
        ConfigSection::validate(&self.circuit_breaker)?;
        ConfigSection::validate(&self.budget)?;
        ConfigSection::validate(&self.metrics)?;
        ConfigSection::validate(&self.pool)?;
        Ok(())
    }

    /// The configuration as TOML, which [`from_toml_str`](Self::from_toml_str)
    /// reads back to an equal value.
    pub fn to_toml_string(&self) -> Result<String, ConfigError> {
        toml::to_string(self).map_err(|e| ConfigError::Parse {
            message: e.to_string(),
        })
    }

    /// The retry policy, with retries off when either switch is off.
    pub fn retry_policy(&self) -> RetryPolicy {
        let policy = self.retry.to_policy();
        if self.enabled {
            policy
        } else {
            policy.to_builder().with_max_attempts(1).build()
        }
    }

    /// The breaker settings, with the trip rules off when the master switch
    /// (`RESILIENCE_ENABLED`) is off.
    pub fn breaker_config(&self) -> BreakerConfig {
        let mut config = self.circuit_breaker.clone();
        config.enabled &= self.enabled;
        config
    }
}

/// Turns a TOML error into a [`ConfigError`] naming the key it is about.
fn toml_error(err: &toml::de::Error, text: &str) -> ConfigError {
    // Without its input, the error renders the path of the key it concerns
    // ("in `retry.base_delay`") instead of a source excerpt.
    let mut bare = err.clone();
    bare.set_input(None);
    let rendered = bare.to_string();
    let path = rendered
        .lines()
        .rev()
        .find_map(|line| line.strip_prefix("in `")?.strip_suffix('`'))
        .map(str::to_owned);
    let given = err
        .span()
        .and_then(|span| text.get(span))
        .map(|s| s.trim().to_owned());
    let message = err.message().trim();

    // serde's messages end with what was expected: "…, expected one of `a`, `b`".
    let expected = message
        .split_once(", expected ")
        .map(|(_, expected)| expected);

    if let Some(rest) = message.strip_prefix("unknown field `") {
        let key = rest.split('`').next().unwrap_or(rest);
        let field = match path {
            Some(table) => format!("{table}.{key}"),
            None => key.to_owned(),
        };
        let known = expected.unwrap_or("no other keys here");
        return ConfigError::invalid(field, "unknown key", format!("known keys: {known}"));
    }
    match (path, given) {
        (Some(field), Some(given)) => {
            // Our own duration errors already say what is allowed; keep just that.
            let allowed = message
                .rsplit_once("(allowed: ")
                .and_then(|(_, allowed)| allowed.strip_suffix(')'))
                .or(expected)
                .unwrap_or(message);
            ConfigError::invalid(field, given, allowed)
        }
        _ => ConfigError::Parse {
            message: err.to_string().trim_end().to_owned(),
        },
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod section_tests;
