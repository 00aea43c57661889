//! The sections of other mechanisms, as [`ConfigSection`]s. Their fields,
//! defaults, ranges and variables are documented on their own types.

use super::ConfigSection;
use crate::breaker::BreakerConfig;
use crate::budget::BudgetConfig;
use crate::config::{ConfigError, EnvSource};
use crate::metrics::MetricsConfig;

impl ConfigSection for BreakerConfig {
    const NAME: &'static str = "circuit_breaker";

    fn validate(&self) -> Result<(), ConfigError> {
        BreakerConfig::validate(self)
    }

    /// `RESILIENCE_CIRCUIT_BREAKER_ENABLED`, `CIRCUIT_BREAKER_FAILURE_THRESHOLD`,
    /// `CIRCUIT_BREAKER_SUCCESS_THRESHOLD`, `CIRCUIT_BREAKER_TIMEOUT`,
    /// `CIRCUIT_BREAKER_HALF_OPEN_MAX_CALLS` (see [`BreakerConfig::apply_env`]).
    fn apply_env(&mut self, env: &dyn EnvSource) -> Result<(), ConfigError> {
        BreakerConfig::apply_env(self, env)
    }
}

impl ConfigSection for BudgetConfig {
    const NAME: &'static str = "budget";

    fn validate(&self) -> Result<(), ConfigError> {
        BudgetConfig::validate(self)
    }

    /// The budget has no environment variables.
    fn apply_env(&mut self, _env: &dyn EnvSource) -> Result<(), ConfigError> {
        Ok(())
    }
}

impl ConfigSection for MetricsConfig {
    const NAME: &'static str = "metrics";

    fn validate(&self) -> Result<(), ConfigError> {
        MetricsConfig::validate(self)
    }

    /// The metrics store has no environment variables.
    fn apply_env(&mut self, _env: &dyn EnvSource) -> Result<(), ConfigError> {
        Ok(())
    }
}
