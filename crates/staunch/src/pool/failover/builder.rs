//! [`FailoverBuilder`]: a [`Failover`] with documented defaults.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::call_ids::CallIds;
use super::config::PoolConfig;
use super::failover::{Failover, Shared};
use super::health::endpoint_admits;
use super::hedging::Hedging;
use crate::breaker::BreakerRegistry;
use crate::budget::RetryBudget;
use crate::config::ConfigError;
use crate::metrics::MetricsSink;
use crate::pool::{Pool, Strategy, StrategyKind};

/// Builds a [`Failover`]. The defaults:
///
/// | setting | default |
/// |---|---|
/// | strategy | [`PerformanceScore`](crate::pool::PerformanceScore) ([`StrategyKind::default`]) |
/// | retry budget | none (retries limited by the policy only) |
/// | metrics sink | none |
/// | failover delay | 0 (a retry on an untried endpoint starts at once) |
/// | hedging | [`Hedging::OFF`] |
/// | seed | none (each call draws from a generator of its own, seeded from a per-thread counter) |
///
/// ```
/// use staunch::breaker::{BreakerConfig, BreakerRegistry};
/// use staunch::budget::RetryBudget;
/// use staunch::metrics::MetricsStore;
/// use staunch::pool::{Endpoint, Failover, Hedging, Pool, StrategyKind};
/// use std::sync::Arc;
/// use std::time::Duration;
///
/// let pool = Pool::new([Endpoint::new("a", ()), Endpoint::new("b", ())])?;
/// let registry = BreakerRegistry::new(BreakerConfig::default())?;
/// let failover = Failover::builder(pool, registry)
///     .with_strategy_kind(&StrategyKind::P2c)
///     .with_budget(RetryBudget::default())
///     .with_sink(Arc::new(MetricsStore::default()))
///     .with_failover_delay(Duration::from_millis(10))
///     .with_hedging(Hedging::after(Duration::from_millis(200)))
///     .with_seed(7)
///     .build()?;
/// assert_eq!(failover.failover_delay(), Duration::from_millis(10));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct FailoverBuilder<A> {
    pool: Arc<Pool<A>>,
    registry: BreakerRegistry<String>,
    strategy: Option<Box<dyn Strategy<A>>>,
    budget: Option<Arc<RetryBudget>>,
    sink: Option<Arc<dyn MetricsSink>>,
    failover_delay: Duration,
    hedging: Hedging,
    seed: Option<u64>,
}

impl<A: Send + Sync + 'static> FailoverBuilder<A> {
    pub(crate) fn new(pool: Arc<Pool<A>>, registry: BreakerRegistry<String>) -> Self {
        Self {
            pool,
            registry,
            strategy: None,
            budget: None,
            sink: None,
            failover_delay: Duration::ZERO,
            hedging: Hedging::OFF,
            seed: None,
        }
    }

    /// Sets the selection strategy.
    #[must_use]
    pub fn with_strategy(mut self, strategy: impl Strategy<A> + 'static) -> Self {
        self.strategy = Some(Box::new(strategy));
        self
    }

    /// Sets the selection strategy by its configuration name.
    #[must_use]
    pub fn with_strategy_kind(mut self, kind: &StrategyKind) -> Self {
        self.strategy = Some(kind.build::<A>());
        self
    }

    /// Sets a retry budget, usually shared by every caller of the upstream:
    /// each call deposits once when its first attempt is sent, each retry
    /// and each hedge withdraws.
    #[must_use]
    pub fn with_budget(mut self, budget: impl Into<Arc<RetryBudget>>) -> Self {
        self.budget = Some(budget.into());
        self
    }

    /// Sets where attempt and call records go (a
    /// [`MetricsStore`](crate::metrics::MetricsStore), a
    /// [`FanOut`](crate::metrics::FanOut), ...). Breaker transitions are not
    /// sent from here: add an observer to the registry for them.
    #[must_use]
    pub fn with_sink(mut self, sink: impl MetricsSink + 'static) -> Self {
        self.sink = Some(Arc::new(sink));
        self
    }

    /// Sets the wait before a retry on an endpoint not yet tried in the
    /// call (instead of the backoff). Default 0.
    #[must_use]
    pub fn with_failover_delay(mut self, delay: Duration) -> Self {
        self.failover_delay = delay;
        self
    }

    /// Sets the hedging of `Failover::call_hedged`.
    #[must_use]
    pub fn with_hedging(mut self, hedging: Hedging) -> Self {
        self.hedging = hedging;
        self
    }

    /// Seeds endpoint selection, for reproducible runs: call *n* of this
    /// failover always draws the same numbers.
    #[must_use]
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Applies a `[pool]` configuration section: strategy, failover delay
    /// and hedging.
    #[must_use]
    pub fn with_config(self, config: &PoolConfig) -> Self {
        self.with_strategy_kind(&config.strategy)
            .with_failover_delay(config.failover_delay)
            .with_hedging(config.hedging())
    }

    /// Builds the failover; refuses invalid hedging settings.
    pub fn build(self) -> Result<Failover<A>, ConfigError> {
        self.hedging.validate()?;
        let registry = self.registry.clone();
        let available = Box::new(move |entry: &crate::pool::EndpointEntry<A>| {
            endpoint_admits(&registry, entry.id())
        });
        Ok(Failover::from_shared(Shared {
            pool: self.pool,
            registry: self.registry,
            strategy: self
                .strategy
                .unwrap_or_else(|| StrategyKind::default().build::<A>()),
            budget: self.budget,
            sink: self.sink,
            failover_delay: self.failover_delay,
            hedging: self.hedging,
            seed: self.seed,
            calls: CallIds::new(self.seed.is_some()),
            available,
        }))
    }
}

impl<A> fmt::Debug for FailoverBuilder<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FailoverBuilder")
            .field("endpoints", &self.pool.len())
            .field("strategy", &self.strategy)
            .field("budget", &self.budget.is_some())
            .field("sink", &self.sink.is_some())
            .field("failover_delay", &self.failover_delay)
            .field("hedging", &self.hedging)
            .field("seed", &self.seed)
            .finish()
    }
}
