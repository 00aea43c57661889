//! The engine state the gateway owns, shared by the proxy and the admin API.
//!
//! - one circuit breaker per endpoint id ([`BreakerRegistry`]), built from
//!   `[circuit_breaker]` (the direct endpoint has none: its address is each
//!   request's own host);
//! - the [`MetricsStore`] every attempt and call is recorded to, and every
//!   breaker transition (retention from `[metrics]`);
//! - the [`RetryBudget`] every retry asks (`[budget]`);
//! - the live retry policy ([`LivePolicy`]) in an `ArcSwap`: `[retry]` plus
//!   `gateway.retry_status_codes`, replaced by
//!   `PUT /api/v1/retry/policy` for the next request;
//! - the endpoint pools, one per route and one for the forward path, with
//!   each endpoint's live statistics (in flight, EWMA latency, success
//!   ratio) that the selection strategies read
//!   ([`Upstream`](crate::upstream::Upstream) builds the failover executor
//!   over them).
//!
//! # Reload
//!
//! A reload keeps all of it, with these rules:
//!
//! - breakers of ids that still exist keep their state; when
//!   `[circuit_breaker]` itself changed, the breakers are rebuilt with the
//!   new rules and start closed, except isolated ones, which stay isolated;
//! - the metrics store keeps its figures; `[metrics]` changes take effect at
//!   the next start;
//! - the budget keeps its window unless `[budget]` changed;
//! - each pool keeps the statistics of the endpoint ids that stay (a new
//!   address or client is swapped in place); an id whose weight or tags
//!   changed starts afresh, and the pool of a removed route is dropped;
//! - the live policy keeps every field as it is (a value set by `PUT`
//!   included) **unless the reloaded file changed that same field**: then
//!   the file's new value wins. A `PUT max_attempts = 5` survives a reload
//!   that only edits `base_delay`; a reload that edits `max_attempts`
//!   replaces it.

mod policy;
mod update;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use arc_swap::ArcSwap;
use serde_json::Value;
use staunch::breaker::{Breaker, BreakerConfig, BreakerRegistry, CircuitState, Transition};
use staunch::budget::{BudgetConfig, RetryBudget};
use staunch::clock::{Clock, SystemClock};
use staunch::config::ConfigError;
use staunch::metrics::{MetricsConfig, MetricsStore};

pub use self::policy::{LivePolicy, PolicyView, StatusSet};
pub use self::update::{
    apply_update, PolicyError, BASE_DELAY, FIELDS, MAX_ATTEMPTS, MAX_BACKOFF_DELAY, MULTIPLIER,
    STATUS_CODES, TIMEOUT,
};
use crate::config::GatewayConfig;
use crate::endpoint::{Endpoint, EndpointKind};
use crate::upstream::Pools;

/// The gateway's engine state. See the [module docs](self) for what a
/// reload keeps.
pub struct Engine {
    clock: Option<Arc<dyn Clock>>,
    breakers: ArcSwap<BreakerRegistry<String>>,
    metrics: Arc<MetricsStore>,
    budget: ArcSwap<RetryBudget>,
    policy: ArcSwap<LivePolicy>,
    writer: Mutex<Applied>,
    pools: Pools,
    unguarded: BreakerRegistry<String>,
}

/// The sections last applied, to tell what a reload changed. Its lock
/// serialises every change (reloads, `PUT`s).
struct Applied {
    file_policy: LivePolicy,
    breaker: BreakerConfig,
    budget: BudgetConfig,
    metrics: MetricsConfig,
}

impl Engine {
    /// The engine state of `config` (validated already) on the system clock.
    pub fn new(config: &GatewayConfig) -> Result<Self, ConfigError> {
        Self::build(config, None)
    }

    /// The engine state of `config` with breakers, budget and metrics
    /// reading time from `clock` (a `ManualClock` in tests and benches).
    pub fn with_clock(config: &GatewayConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        Self::build(config, Some(clock))
    }

    fn build(config: &GatewayConfig, clock: Option<Arc<dyn Clock>>) -> Result<Self, ConfigError> {
        let metrics = Arc::new(match &clock {
            Some(clock) => MetricsStore::with_clock(config.metrics, Arc::clone(clock))?,
            None => MetricsStore::new(config.metrics)?,
        });
        let breakers = registry(&config.circuit_breaker, &clock, &metrics)?;
        let budget = budget(config.budget, &clock)?;
        let file_policy = LivePolicy::from_config(config);
        let pool_clock: Arc<dyn Clock> = match &clock {
            Some(clock) => Arc::clone(clock),
            None => Arc::new(SystemClock),
        };
        let never_open = BreakerConfig::DEFAULT.with_enabled(false);
        let unguarded = BreakerRegistry::with_clock(never_open, Arc::clone(&pool_clock))?;
        Ok(Self {
            breakers: ArcSwap::from_pointee(breakers),
            metrics,
            budget: ArcSwap::from_pointee(budget),
            policy: ArcSwap::from_pointee(file_policy.clone()),
            writer: Mutex::new(Applied {
                file_policy,
                breaker: config.circuit_breaker.clone(),
                budget: config.budget,
                metrics: config.metrics,
            }),
            pools: Pools::new(pool_clock),
            unguarded,
            clock,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Applied> {
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes sure every id in `ids` has a breaker.
    pub fn track<'a>(&self, ids: impl IntoIterator<Item = &'a str>) {
        let breakers = self.breakers.load();
        for id in ids {
            breakers.get(id);
        }
    }

    /// Applies a reloaded configuration (validated already); `ids` are the
    /// endpoint ids it has. See the [module docs](self) for the rules.
    pub fn reconfigure<'a>(
        &self,
        config: &GatewayConfig,
        ids: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), ConfigError> {
        let ids: Vec<&str> = ids.into_iter().collect();
        let mut applied = self.lock();
        // Everything that can fail, before anything changes.
        let rebuilt = match config.circuit_breaker != applied.breaker {
            true => Some(registry(
                &config.circuit_breaker,
                &self.clock,
                &self.metrics,
            )?),
            false => None,
        };
        let budget = match config.budget != applied.budget {
            true => Some(budget(config.budget, &self.clock)?),
            false => None,
        };
        if let Some(next) = rebuilt {
            let old = self.breakers.load();
            for (key, snapshot) in old.snapshots() {
                if snapshot.state == CircuitState::Isolated && ids.contains(&key.as_str()) {
                    next.isolate(key.as_str());
                }
            }
            self.breakers.store(Arc::new(next));
            applied.breaker = config.circuit_breaker.clone();
            tracing::info!("circuit breaker rules changed: breakers restarted closed, isolated ones stay isolated");
        }
        self.track(ids.iter().copied());
        if let Some(next) = budget {
            self.budget.store(Arc::new(next));
            applied.budget = config.budget;
        }
        if config.metrics != applied.metrics {
            tracing::warn!("[metrics] changed; it takes effect at the next start");
        }
        let new_file = LivePolicy::from_config(config);
        let merged = self.policy.load().merged(&applied.file_policy, &new_file);
        self.policy.store(Arc::new(merged));
        applied.file_policy = new_file;
        Ok(())
    }

    /// The live retry policy: what the next request is served with.
    pub fn policy(&self) -> Arc<LivePolicy> {
        self.policy.load_full()
    }

    /// Where the live retry policy is swapped.
    pub(crate) fn policy_swap(&self) -> &ArcSwap<LivePolicy> {
        &self.policy
    }

    /// Applies a `PUT /api/v1/retry/policy` body (see [`apply_update`]);
    /// the result is live for the next request.
    pub fn update_policy(&self, body: &Value) -> Result<Arc<LivePolicy>, PolicyError> {
        let _applied = self.lock();
        let next = Arc::new(apply_update(&self.policy.load(), body)?);
        self.policy.store(Arc::clone(&next));
        let view = next.view();
        tracing::info!(
            max_attempts = view.max_attempts,
            base_delay = view.base_delay,
            multiplier = view.multiplier,
            max_backoff_delay = view.max_backoff_delay,
            timeout = view.timeout,
            "retry policy changed through the admin API"
        );
        Ok(next)
    }

    /// Every breaker (including those of ids a reload removed).
    pub fn breakers(&self) -> Arc<BreakerRegistry<String>> {
        self.breakers.load_full()
    }

    /// The breaker of `endpoint`; `None` for the direct endpoint.
    pub fn breaker_for(&self, endpoint: &Endpoint) -> Option<Breaker> {
        match endpoint.kind() {
            EndpointKind::Direct => None,
            _ => Some(self.breakers.load().get(endpoint.id())),
        }
    }

    /// The metrics store.
    pub fn metrics(&self) -> &Arc<MetricsStore> {
        &self.metrics
    }

    /// The retry budget.
    pub fn budget(&self) -> Arc<RetryBudget> {
        self.budget.load_full()
    }

    /// The endpoint pools, by upstream name.
    pub(crate) fn pools(&self) -> &Pools {
        &self.pools
    }

    /// Breakers that never open, for the direct endpoint: its executor
    /// needs a breaker per attempt, and the registry must not list it.
    pub(crate) fn unguarded_breakers(&self) -> &BreakerRegistry<String> {
        &self.unguarded
    }

    /// Drops the pools whose upstream is not in `names` any more.
    pub(crate) fn retain_pools(&self, names: &std::collections::HashSet<&str>) {
        self.pools.retain(names);
    }

    /// The wall-clock time records are filed under.
    pub fn now(&self) -> SystemTime {
        match &self.clock {
            Some(clock) => clock.system_now(),
            None => SystemClock.system_now(),
        }
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("breakers", &self.breakers.load().len())
            .field("metrics", &self.metrics)
            .field("policy", &self.policy.load().view())
            .finish_non_exhaustive()
    }
}

/// A registry whose transitions go to the metrics store.
fn registry(
    config: &BreakerConfig,
    clock: &Option<Arc<dyn Clock>>,
    metrics: &Arc<MetricsStore>,
) -> Result<BreakerRegistry<String>, ConfigError> {
    let registry = match clock {
        Some(clock) => BreakerRegistry::with_clock(config.clone(), Arc::clone(clock))?,
        None => BreakerRegistry::new(config.clone())?,
    };
    let store = Arc::clone(metrics);
    registry.add_observer(Arc::new(move |t: &Transition| store.record_transition(t)));
    Ok(registry)
}

fn budget(
    config: BudgetConfig,
    clock: &Option<Arc<dyn Clock>>,
) -> Result<RetryBudget, ConfigError> {
    match clock {
        Some(clock) => RetryBudget::with_clock(config, Arc::clone(clock)),
        None => RetryBudget::new(config),
    }
}

#[cfg(test)]
mod tests;
