//! [`HttpPolicyBuilder`]: an [`HttpPolicy`] with documented defaults.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use staunch::breaker::{BreakerConfig, BreakerRegistry, Transition};
use staunch::budget::RetryBudget;
use staunch::clock::Clock;
use staunch::metrics::MetricsSink;
use staunch::pool::{Failover, Pool, Strategy, StrategyKind};
use staunch::retry::RetryPolicy;

use super::HttpPolicy;
use crate::{BaseUrl, HttpClassifier};

/// Builds an [`HttpPolicy`]; every setting starts at the documented default.
#[must_use = "a builder does nothing until `build` is called"]
pub struct HttpPolicyBuilder {
    policy: HttpPolicy,
    forward_transitions: bool,
    pool: Option<Arc<Pool<BaseUrl>>>,
    strategy: Option<Box<dyn Strategy<BaseUrl>>>,
    failover_delay: Duration,
    seed: Option<u64>,
}

impl HttpPolicyBuilder {
    pub(super) fn new(policy: HttpPolicy) -> Self {
        Self {
            policy,
            forward_transitions: true,
            pool: None,
            strategy: None,
            failover_delay: Duration::ZERO,
            seed: None,
        }
    }

    /// The retry policy: attempts, backoff, jitter, deadline, attempt
    /// timeout, `Retry-After` cap.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.policy.retry = retry;
        self
    }

    /// Which statuses and failures retry, and which count against breakers.
    pub fn with_classifier(mut self, classifier: HttpClassifier) -> Self {
        self.policy.classifier = classifier;
        self
    }

    /// The largest request body kept to be replayed on a retry (default
    /// 1 MiB). A larger body, or a streaming one, is sent once.
    pub fn with_max_replay_body(mut self, bytes: usize) -> Self {
        self.policy.max_replay_body = bytes;
        self
    }

    /// Retry POST, PATCH and other non-idempotent requests like idempotent
    /// ones (default `false`: only with an `Idempotency-Key`, a per-request
    /// opt-in, or when nothing was sent).
    pub fn with_retry_non_idempotent(mut self, retry: bool) -> Self {
        self.policy.retry_non_idempotent = retry;
        self
    }

    /// The breakers, one per `scheme://host:port`, or one per endpoint id
    /// with a [pool](Self::with_pool) (a registry may be shared with other
    /// clients: they then share each host's or endpoint's breaker).
    pub fn with_breakers(mut self, registry: BreakerRegistry<String>) -> Self {
        self.policy.breakers = Some(registry);
        self
    }

    /// No breakers. With a [pool](Self::with_pool), whose failover needs
    /// them, the endpoints get breakers that never trip (rule-less, only
    /// [isolated](staunch::breaker::BreakerRegistry::isolate) by hand).
    pub fn without_breakers(mut self) -> Self {
        self.policy.breakers = None;
        self
    }

    /// A retry budget: every call deposits, every retry withdraws.
    pub fn with_budget(mut self, budget: Arc<RetryBudget>) -> Self {
        self.policy.budget = Some(budget);
        self
    }

    /// Where attempt and call records go (and, unless turned off with
    /// [`with_transition_forwarding`](Self::with_transition_forwarding), the
    /// breakers' transitions).
    pub fn with_metrics(mut self, sink: Arc<dyn MetricsSink>) -> Self {
        self.policy.metrics = Some(sink);
        self
    }

    /// Whether [`build`](Self::build) makes the breakers send their
    /// transitions to the metrics sink (default `true`; turn it off when
    /// the registry already reports to that sink).
    pub fn with_transition_forwarding(mut self, forward: bool) -> Self {
        self.forward_transitions = forward;
        self
    }

    /// The wall clock used for `Retry-After` dates and record timestamps.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.policy.clock = clock;
        self
    }

    /// Sends every request under a pool of base URLs, with failover.
    ///
    /// Each attempt goes to an endpoint chosen by the
    /// [strategy](Self::with_pool_strategy) among those whose breaker (one
    /// per endpoint id, from the policy's registry) admits a call: the
    /// request's scheme, host and port become the base's, and its path is
    /// put under the base's path. A request built on one of the bases
    /// (`http://first-base/api/items`) is relative to that base; any other
    /// (a placeholder such as `http://pool/items`, or an origin-form URI
    /// for the tower layer) keeps its whole path.
    ///
    /// A retry never goes back to a base that failed the call while another
    /// one is available, and waits the [failover
    /// delay](Self::with_failover_delay) instead of the backoff when it goes
    /// to a base not yet tried. When no base's breaker admits a call, the
    /// call fails at once, without sleeping, with
    /// [`StopReason::AllUnavailable`](staunch::retry::StopReason) and the
    /// time of the next probe ([`Error::next_probe_in`](crate::Error::next_probe_in)).
    /// Breakers hear the classifier's breaker outcome (by default a 429 is
    /// retried elsewhere but is no failure of its base); metrics records
    /// carry the endpoint id.
    ///
    /// ```
    /// use staunch::pool::{Endpoint, Pool, StrategyKind};
    /// use staunch_http::{BaseUrl, HttpPolicy};
    /// use std::time::Duration;
    ///
    /// let pool = Pool::new([
    ///     Endpoint::new("eu", BaseUrl::parse("https://eu.api.test/v1")?),
    ///     Endpoint::new("us", BaseUrl::parse("https://us.api.test/v1")?),
    /// ])?;
    /// let policy = HttpPolicy::builder()
    ///     .with_pool(pool)
    ///     .with_pool_strategy_kind(&StrategyKind::RoundRobin)
    ///     .with_failover_delay(Duration::from_millis(20))
    ///     .build();
    /// assert_eq!(policy.pool().unwrap().len(), 2);
    /// assert_eq!(policy.failover().unwrap().failover_delay(), Duration::from_millis(20));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_pool(mut self, pool: impl Into<Arc<Pool<BaseUrl>>>) -> Self {
        self.pool = Some(pool.into());
        self
    }

    /// How the pool's endpoint is chosen for each attempt (default
    /// [`PerformanceScore`](staunch::pool::PerformanceScore)).
    pub fn with_pool_strategy(mut self, strategy: impl Strategy<BaseUrl> + 'static) -> Self {
        self.strategy = Some(Box::new(strategy));
        self
    }

    /// The pool's strategy, by its configuration name.
    pub fn with_pool_strategy_kind(mut self, kind: &StrategyKind) -> Self {
        self.strategy = Some(kind.build::<BaseUrl>());
        self
    }

    /// The wait before a retry on a base not yet tried in the call, instead
    /// of the backoff and any `Retry-After` of the base that failed
    /// (default 0). A retry that must reuse a base waits the backoff.
    pub fn with_failover_delay(mut self, delay: Duration) -> Self {
        self.failover_delay = delay;
        self
    }

    /// Seeds the pool's random choices, for reproducible runs.
    pub fn with_pool_seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// The policy.
    pub fn build(self) -> HttpPolicy {
        let mut policy = self.policy;
        let mut observed = policy.breakers.clone();
        let registry = match (&self.pool, &policy.breakers) {
            (None, _) => None,
            (Some(_), Some(registry)) => Some(registry.clone()),
            (Some(_), None) => {
                // A configuration without trip rules always validates.
                let never_trips = BreakerConfig::DEFAULT.with_enabled(false);
                observed = BreakerRegistry::new(never_trips).ok();
                observed.clone()
            }
        };
        if let (Some(pool), Some(registry)) = (self.pool, registry) {
            let mut failover =
                Failover::builder(pool, registry).with_failover_delay(self.failover_delay);
            if let Some(strategy) = self.strategy {
                failover = failover.with_strategy(strategy);
            }
            if let Some(seed) = self.seed {
                failover = failover.with_seed(seed);
            }
            // Hedging stays off, and only hedging settings can be refused.
            policy.failover = failover.build().ok();
        }
        if let (true, Some(registry), Some(sink)) =
            (self.forward_transitions, &observed, &policy.metrics)
        {
            let sink = Arc::clone(sink);
            registry.add_observer(Arc::new(move |t: &Transition| sink.record_transition(t)));
        }
        policy
    }
}

impl fmt::Debug for HttpPolicyBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpPolicyBuilder")
            .field("policy", &self.policy)
            .field("pool", &self.pool)
            .field("strategy", &self.strategy)
            .field("failover_delay", &self.failover_delay)
            .field("seed", &self.seed)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use staunch::breaker::CircuitState;
    use staunch::pool::Endpoint;

    fn pool() -> Pool<BaseUrl> {
        let base = BaseUrl::parse("http://a.test").unwrap();
        Pool::new([Endpoint::new("a", base)]).unwrap()
    }

    #[test]
    fn pool_breakers_are_the_policy_registry_keyed_by_endpoint_id() {
        let registry = BreakerRegistry::new(BreakerConfig::DEFAULT).unwrap();
        let policy = HttpPolicy::builder()
            .with_breakers(registry.clone())
            .with_pool(pool())
            .build();
        registry.isolate("a");
        let failover = policy.failover().expect("a pool");
        assert_eq!(failover.registry().get("a").state(), CircuitState::Isolated);
    }

    #[test]
    fn pool_without_policy_breakers_gets_breakers_that_never_trip() {
        let policy = HttpPolicy::builder()
            .without_breakers()
            .with_pool(pool())
            .build();
        assert!(policy.breakers().is_none());
        let breaker = policy.failover().expect("a pool").registry().get("a");
        for _ in 0..50 {
            let _ = breaker.try_acquire().unwrap().failure();
        }
        assert_eq!(breaker.state(), CircuitState::Closed);
    }

    #[test]
    fn pool_settings_apply_in_any_order() {
        let policy = HttpPolicy::builder()
            .with_failover_delay(Duration::from_millis(5))
            .with_pool_strategy_kind(&StrategyKind::RoundRobin)
            .with_pool(pool())
            .build();
        let failover = policy.failover().expect("a pool");
        assert_eq!(failover.failover_delay(), Duration::from_millis(5));
        assert_eq!(policy.pool().map(|p| p.len()), Some(1));
    }
}
