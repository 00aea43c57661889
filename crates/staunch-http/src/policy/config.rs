//! Building an [`HttpPolicy`](super::HttpPolicy) from the engine's
//! configuration model (TOML file and environment variables).

use std::sync::Arc;

use staunch::breaker::BreakerRegistry;
use staunch::budget::RetryBudget;
use staunch::config::{ConfigError, StaunchConfig};

use super::HttpPolicyBuilder;

impl HttpPolicyBuilder {
    /// Applies a [`StaunchConfig`] (defaults < TOML < environment, see
    /// [`StaunchConfig::load`]): the retry policy (`[retry]`, with retries
    /// off when `enabled` is false), a breaker registry (`[circuit_breaker]`,
    /// trip rules off when `enabled` is false), a retry budget (`[budget]`)
    /// and, for a [pool](Self::with_pool) of base URLs, its strategy and
    /// failover delay (`[pool]`).
    ///
    /// Settings made after this call win over the configuration's. The
    /// `[metrics]` section describes a store that the caller owns and
    /// queries: build it with
    /// [`MetricsStore::new(config.metrics)`](staunch::metrics::MetricsStore::new)
    /// and pass it to [`with_metrics`](Self::with_metrics).
    ///
    /// Errors: any invalid value (named by its field), and a `hedge_delay`
    /// in `[pool]`: HTTP calls send each attempt once, so a hedging setting
    /// would be silently ignored.
    ///
    /// ```
    /// use staunch::config::{MapEnv, StaunchConfig};
    /// use staunch_http::HttpPolicy;
    /// use std::time::Duration;
    ///
    /// let mut config = StaunchConfig::from_toml_str(r#"
    ///     [retry]
    ///     max_attempts = 4
    ///     base_delay = "100ms"
    ///     [pool]
    ///     failover_delay = "20ms"
    /// "#)?;
    /// config.apply_env(&MapEnv::from_pairs([("RETRY_MAX_ATTEMPTS", "6")]))?;
    ///
    /// let policy = HttpPolicy::builder().with_config(&config)?.build();
    /// assert_eq!(policy.retry().max_attempts(), 6);
    /// assert!(policy.budget().is_some());
    /// # Ok::<(), staunch::config::ConfigError>(())
    /// ```
    pub fn with_config(mut self, config: &StaunchConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        if let Some(delay) = config.pool.hedge_delay {
            return Err(ConfigError::invalid(
                "pool.hedge_delay",
                format!("{delay:?}"),
                "none: HTTP calls send each attempt once (hedging runs on the engine's Failover::call_hedged)",
            ));
        }
        self = self
            .with_retry(config.retry_policy())
            .with_breakers(BreakerRegistry::new(config.breaker_config())?)
            .with_budget(Arc::new(RetryBudget::new(config.budget)?))
            .with_pool_strategy_kind(&config.pool.strategy)
            .with_failover_delay(config.pool.failover_delay);
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use staunch::breaker::CircuitState;
    use staunch::config::StaunchConfig;
    use staunch::pool::{Endpoint, Pool};

    use crate::{BaseUrl, HttpPolicy};

    fn config(toml: &str) -> StaunchConfig {
        StaunchConfig::from_toml_str(toml).expect("valid TOML")
    }

    fn pool() -> Pool<BaseUrl> {
        let base = BaseUrl::parse("http://a.test").expect("valid base");
        Pool::new([Endpoint::new("a", base)]).expect("valid pool")
    }

    #[test]
    fn every_section_reaches_the_policy() {
        let config = config(
            r#"
            [retry]
            max_attempts = 5
            [circuit_breaker]
            failure_threshold = 2
            [budget]
            ratio = 0.5
            [pool]
            strategy = "round_robin"
            failover_delay = "30ms"
            "#,
        );
        let policy = HttpPolicy::builder()
            .with_config(&config)
            .expect("valid config")
            .with_pool(pool())
            .build();
        assert_eq!(policy.retry().max_attempts(), 5);
        assert_eq!(
            policy.budget().map(|b| b.config().ratio),
            Some(0.5),
            "budget ratio"
        );
        let failover = policy.failover().expect("a pool");
        assert_eq!(failover.failover_delay(), Duration::from_millis(30));
        let breaker = failover.registry().get("a");
        for _ in 0..2 {
            let _ = breaker.try_acquire().expect("closed").failure();
        }
        assert_eq!(breaker.state(), CircuitState::Open);
    }

    #[test]
    fn master_switch_off_turns_retries_and_trips_off() {
        let config = config("enabled = false\n[circuit_breaker]\nfailure_threshold = 1");
        let policy = HttpPolicy::builder()
            .with_config(&config)
            .expect("valid config")
            .build();
        assert_eq!(policy.retry().max_attempts(), 1);
        let breaker = policy
            .breakers()
            .expect("a registry")
            .get("http://a.test:80");
        for _ in 0..5 {
            let _ = breaker.try_acquire().expect("never open").failure();
        }
        assert_eq!(breaker.state(), CircuitState::Closed);
    }

    #[test]
    fn hedging_settings_are_refused_by_name() {
        let config = config("[pool]\nhedge_delay = \"50ms\"");
        let err = HttpPolicy::builder()
            .with_config(&config)
            .expect_err("refused");
        assert_eq!(err.field(), Some("pool.hedge_delay"), "{err}");
    }

    #[test]
    fn later_settings_override_the_configuration() {
        let policy = HttpPolicy::builder()
            .with_config(&config("[retry]\nmax_attempts = 5"))
            .expect("valid config")
            .with_retry(
                staunch::retry::RetryPolicy::builder()
                    .with_max_attempts(2)
                    .build(),
            )
            .build();
        assert_eq!(policy.retry().max_attempts(), 2);
    }
}
