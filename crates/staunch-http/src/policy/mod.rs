//! [`HttpPolicy`]: everything the middleware and the layer apply to a call.

mod builder;
mod config;

use std::fmt;
use std::sync::Arc;

use staunch::breaker::{BreakerConfig, BreakerRegistry};
use staunch::budget::RetryBudget;
use staunch::clock::{Clock, SystemClock};
use staunch::metrics::MetricsSink;
use staunch::pool::{Failover, Pool};
use staunch::retry::RetryPolicy;

use crate::{BaseUrl, HttpClassifier};
pub use builder::HttpPolicyBuilder;

/// The default limit of a replayable request body: 1 MiB.
pub const DEFAULT_MAX_REPLAY_BODY: usize = 1024 * 1024;

/// How HTTP calls are made resilient; shared by
/// [`StaunchMiddleware`](crate::StaunchMiddleware) and
/// [`StaunchLayer`](crate::StaunchLayer).
///
/// | setting | default |
/// |---|---|
/// | [`retry`](HttpPolicyBuilder::with_retry) | [`RetryPolicy::DEFAULT`]: 3 attempts, 1 s then 2 s, no jitter, `Retry-After` capped at 60 s |
/// | [`classifier`](HttpPolicyBuilder::with_classifier) | [`HttpClassifier::DEFAULT`] |
/// | [`max_replay_body`](HttpPolicyBuilder::with_max_replay_body) | 1 MiB |
/// | [`retry_non_idempotent`](HttpPolicyBuilder::with_retry_non_idempotent) | `false` |
/// | [`breakers`](HttpPolicyBuilder::with_breakers) | one per `scheme://host:port` (per endpoint id with a pool), [`BreakerConfig::DEFAULT`] (5 failures in 60 s open for 30 s) |
/// | [`budget`](HttpPolicyBuilder::with_budget) | none |
/// | [`metrics`](HttpPolicyBuilder::with_metrics) | none |
/// | [`clock`](HttpPolicyBuilder::with_clock) (wall time of `Retry-After` dates and records) | [`SystemClock`] |
/// | [`pool`](HttpPolicyBuilder::with_pool) of base URLs | none: every request goes to its own URL |
/// | [`pool_strategy`](HttpPolicyBuilder::with_pool_strategy) | [`PerformanceScore`](staunch::pool::PerformanceScore) |
/// | [`failover_delay`](HttpPolicyBuilder::with_failover_delay) | 0: a retry on a base not yet tried starts at once |
///
/// ```
/// use staunch::retry::RetryPolicy;
/// use staunch_http::HttpPolicy;
/// use std::time::Duration;
///
/// let policy = HttpPolicy::builder()
///     .with_retry(RetryPolicy::builder().with_max_attempts(4).build())
///     .with_max_replay_body(64 * 1024)
///     .build();
/// assert_eq!(policy.retry().max_attempts(), 4);
/// assert!(policy.breakers().is_some());
/// assert!(policy.pool().is_none());
/// ```
#[derive(Clone)]
pub struct HttpPolicy {
    pub(crate) retry: RetryPolicy,
    pub(crate) classifier: HttpClassifier,
    pub(crate) max_replay_body: usize,
    pub(crate) retry_non_idempotent: bool,
    pub(crate) breakers: Option<BreakerRegistry<String>>,
    pub(crate) budget: Option<Arc<RetryBudget>>,
    pub(crate) metrics: Option<Arc<dyn MetricsSink>>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) failover: Option<Failover<BaseUrl>>,
}

impl HttpPolicy {
    /// A builder starting from the defaults.
    pub fn builder() -> HttpPolicyBuilder {
        HttpPolicyBuilder::new(Self::default())
    }

    /// The retry policy.
    pub fn retry(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The classifier.
    pub fn classifier(&self) -> &HttpClassifier {
        &self.classifier
    }

    /// The largest request body replayed on a retry.
    pub fn max_replay_body(&self) -> usize {
        self.max_replay_body
    }

    /// Whether POST, PATCH and other non-idempotent requests are retried
    /// like idempotent ones.
    pub fn retry_non_idempotent(&self) -> bool {
        self.retry_non_idempotent
    }

    /// The breakers: keyed `scheme://host:port`, or by endpoint id when the
    /// policy has a pool.
    pub fn breakers(&self) -> Option<&BreakerRegistry<String>> {
        self.breakers.as_ref()
    }

    /// The retry budget.
    pub fn budget(&self) -> Option<&Arc<RetryBudget>> {
        self.budget.as_ref()
    }

    /// The metrics sink.
    pub fn metrics(&self) -> Option<&Arc<dyn MetricsSink>> {
        self.metrics.as_ref()
    }

    /// The pool of base URLs every request is sent under, if there is one.
    pub fn pool(&self) -> Option<&Arc<Pool<BaseUrl>>> {
        self.failover.as_ref().map(Failover::pool)
    }

    /// The pool with its breakers (keyed by endpoint id), strategy and
    /// failover delay, if there is a pool.
    pub fn failover(&self) -> Option<&Failover<BaseUrl>> {
        self.failover.as_ref()
    }
}

impl Default for HttpPolicy {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::DEFAULT,
            classifier: HttpClassifier::DEFAULT,
            max_replay_body: DEFAULT_MAX_REPLAY_BODY,
            retry_non_idempotent: false,
            // The default configuration always validates.
            breakers: BreakerRegistry::new(BreakerConfig::DEFAULT).ok(),
            budget: None,
            metrics: None,
            clock: Arc::new(SystemClock),
            failover: None,
        }
    }
}

impl fmt::Debug for HttpPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpPolicy")
            .field("retry", &self.retry)
            .field("classifier", &self.classifier)
            .field("max_replay_body", &self.max_replay_body)
            .field("retry_non_idempotent", &self.retry_non_idempotent)
            .field("breakers", &self.breakers)
            .field("budget", &self.budget.is_some())
            .field("metrics", &self.metrics.is_some())
            .field("failover", &self.failover)
            .finish_non_exhaustive()
    }
}
