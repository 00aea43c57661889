//! The `[pool]` section of the configuration: how calls choose endpoints
//! and fail over.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::hedging::{Hedging, MAX_HEDGES};
use crate::config::{
    parse_duration, serde_duration, serde_opt_duration, ConfigError, ConfigSection, EnvSource,
};
use crate::pool::StrategyKind;

/// How a [`Failover`](super::Failover) chooses endpoints (`[pool]` in TOML).
///
/// | key | default | allowed | environment |
/// |---|---|---|---|
/// | `strategy` | `"performance"` | a [`StrategyKind`] name or `region_affinity` table | `POOL_STRATEGY` |
/// | `failover_delay` | 0 | 0 to 1 year | `POOL_FAILOVER_DELAY` |
/// | `hedge_delay` | none (no hedging) | 0 to 1 year | `POOL_HEDGE_DELAY` (`off` disables) |
/// | `max_hedges` | 1 | 1 to 10 | `POOL_MAX_HEDGES` |
///
/// `failover_delay` is the wait before a retry that goes to an endpoint not
/// yet tried in the call, instead of the backoff; a retry that must reuse an
/// endpoint waits the backoff.
///
/// ```
/// use staunch::pool::{PoolConfig, StrategyKind};
/// use std::time::Duration;
///
/// let config: PoolConfig = toml::from_str(r#"
///     strategy = "p2c"
///     failover_delay = "50ms"
///     hedge_delay = "200ms"
/// "#).unwrap();
/// config.validate().unwrap();
/// assert_eq!(config.strategy, StrategyKind::P2c);
/// assert_eq!(config.failover_delay, Duration::from_millis(50));
/// assert_eq!(config.hedging().delay(), Some(Duration::from_millis(200)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PoolConfig {
    /// How each attempt's endpoint is chosen.
    pub strategy: StrategyKind,
    /// The wait before a retry on an endpoint not yet tried in the call.
    #[serde(with = "serde_duration")]
    pub failover_delay: Duration,
    /// How long an attempt runs alone before a hedge starts (hedged calls
    /// only); none turns hedging off.
    #[serde(with = "serde_opt_duration", skip_serializing_if = "Option::is_none")]
    pub hedge_delay: Option<Duration>,
    /// How many hedges one attempt may start.
    pub max_hedges: u32,
}

impl PoolConfig {
    /// The defaults: performance score, no failover delay, no hedging.
    pub fn new() -> Self {
        Self {
            strategy: StrategyKind::default(),
            failover_delay: Duration::ZERO,
            hedge_delay: None,
            max_hedges: 1,
        }
    }

    /// The hedging settings.
    pub fn hedging(&self) -> Hedging {
        let hedging = match self.hedge_delay {
            Some(delay) => Hedging::after(delay),
            None => Hedging::OFF,
        };
        hedging.with_max_hedges(self.max_hedges)
    }

    /// Checks every value; errors name the field (`pool.max_hedges`).
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.hedging().validate()
    }

    /// Applies `POOL_STRATEGY`, `POOL_FAILOVER_DELAY`, `POOL_HEDGE_DELAY`
    /// and `POOL_MAX_HEDGES`. On error nothing is changed.
    pub fn apply_env(&mut self, env: &dyn EnvSource) -> Result<(), ConfigError> {
        let mut next = self.clone();
        if let Some(v) = env.var("POOL_STRATEGY") {
            next.strategy = v.parse().map_err(|_| {
                ConfigError::invalid(
                    "POOL_STRATEGY",
                    format!("{v:?}"),
                    "round_robin, random, weighted, least_in_flight, p2c, performance or region_affinity",
                )
            })?;
        }
        if let Some(v) = env.var("POOL_FAILOVER_DELAY") {
            next.failover_delay = parse_duration("POOL_FAILOVER_DELAY", &v)?;
        }
        if let Some(v) = env.var("POOL_HEDGE_DELAY") {
            next.hedge_delay = match v.trim().to_ascii_lowercase().as_str() {
                "off" | "none" | "false" => None,
                _ => Some(parse_duration("POOL_HEDGE_DELAY", &v)?),
            };
        }
        if let Some(v) = env.var("POOL_MAX_HEDGES") {
            next.max_hedges = v
                .trim()
                .parse()
                .ok()
                .filter(|n| (1..=MAX_HEDGES).contains(n))
                .ok_or_else(|| {
                    ConfigError::invalid(
                        "POOL_MAX_HEDGES",
                        format!("{v:?}"),
                        format!("a whole number from 1 to {MAX_HEDGES}"),
                    )
                })?;
        }
        next.validate()?;
        *self = next;
        Ok(())
    }
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl ConfigSection for PoolConfig {
    const NAME: &'static str = "pool";

    fn validate(&self) -> Result<(), ConfigError> {
        PoolConfig::validate(self)
    }

    fn apply_env(&mut self, env: &dyn EnvSource) -> Result<(), ConfigError> {
        PoolConfig::apply_env(self, env)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::MapEnv;

    #[test]
    fn defaults_are_performance_no_delay_no_hedging() {
        let config: PoolConfig = toml::from_str("").unwrap();
        assert_eq!(config, PoolConfig::default());
        assert_eq!(config.strategy, StrategyKind::Performance);
        assert_eq!(config.failover_delay, Duration::ZERO);
        assert!(!config.hedging().is_enabled());
    }

    #[test]
    fn max_hedges_outside_one_to_ten_is_refused_naming_the_field() {
        for bad in [0, MAX_HEDGES + 1] {
            let config = PoolConfig {
                max_hedges: bad,
                ..PoolConfig::default()
            };
            let err = config.validate().unwrap_err();
            assert_eq!(err.field(), Some("pool.max_hedges"));
            assert!(err.to_string().contains("1 to 10"), "{err}");
        }
    }

    #[test]
    fn environment_overrides_every_field() {
        let mut config = PoolConfig::default();
        config
            .apply_env(&MapEnv::from_pairs([
                ("POOL_STRATEGY", "least_in_flight"),
                ("POOL_FAILOVER_DELAY", "0.25"),
                ("POOL_HEDGE_DELAY", "100ms"),
                ("POOL_MAX_HEDGES", "3"),
            ]))
            .unwrap();
        assert_eq!(config.strategy, StrategyKind::LeastInFlight);
        assert_eq!(config.failover_delay, Duration::from_millis(250));
        assert_eq!(
            config.hedging(),
            Hedging::after(Duration::from_millis(100)).with_max_hedges(3)
        );
        config
            .apply_env(&MapEnv::from_pairs([("POOL_HEDGE_DELAY", "off")]))
            .unwrap();
        assert_eq!(config.hedge_delay, None);
    }

    #[test]
    fn bad_environment_values_name_the_variable_and_change_nothing() {
        let mut config = PoolConfig::default();
        for (name, value) in [
            ("POOL_STRATEGY", "fastest"),
            ("POOL_FAILOVER_DELAY", "-1s"),
            ("POOL_HEDGE_DELAY", "soon"),
            ("POOL_MAX_HEDGES", "11"),
        ] {
            let err = config
                .apply_env(&MapEnv::from_pairs([(name, value)]))
                .unwrap_err();
            assert_eq!(err.field(), Some(name), "{err}");
            assert_eq!(config, PoolConfig::default());
        }
    }

    #[test]
    fn unknown_keys_and_bad_durations_are_refused() {
        assert!(toml::from_str::<PoolConfig>("stratgy = \"p2c\"").is_err());
        let err = toml::from_str::<PoolConfig>("failover_delay = -1").unwrap_err();
        assert!(err.to_string().contains("failover_delay"), "{err}");
    }

    #[test]
    fn round_trips_through_toml() {
        let config = PoolConfig {
            strategy: StrategyKind::region_affinity("zone", StrategyKind::P2c),
            failover_delay: Duration::from_millis(20),
            hedge_delay: Some(Duration::from_millis(300)),
            max_hedges: 2,
        };
        let text = toml::to_string(&config).unwrap();
        assert_eq!(toml::from_str::<PoolConfig>(&text).unwrap(), config);
    }
}
