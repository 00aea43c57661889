//! [`HttpPolicy`]: everything the middleware and the layer apply to a call.

use std::fmt;
use std::sync::Arc;

use staunch::breaker::{BreakerConfig, BreakerRegistry, Transition};
use staunch::budget::RetryBudget;
use staunch::clock::{Clock, SystemClock};
use staunch::metrics::MetricsSink;
use staunch::retry::RetryPolicy;

use crate::HttpClassifier;

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
/// | [`breakers`](HttpPolicyBuilder::with_breakers) | one per `scheme://host:port`, [`BreakerConfig::DEFAULT`] (5 failures in 60 s open for 30 s) |
/// | [`budget`](HttpPolicyBuilder::with_budget) | none |
/// | [`metrics`](HttpPolicyBuilder::with_metrics) | none |
/// | [`clock`](HttpPolicyBuilder::with_clock) (wall time of `Retry-After` dates and records) | [`SystemClock`] |
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
}

impl HttpPolicy {
    /// A builder starting from the defaults.
    pub fn builder() -> HttpPolicyBuilder {
        HttpPolicyBuilder {
            policy: Self::default(),
            forward_transitions: true,
        }
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

    /// The per-host breakers, keyed `scheme://host:port`.
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
            .finish_non_exhaustive()
    }
}

/// Builds an [`HttpPolicy`]; every setting starts at the documented default.
#[must_use = "a builder does nothing until `build` is called"]
pub struct HttpPolicyBuilder {
    policy: HttpPolicy,
    forward_transitions: bool,
}

impl HttpPolicyBuilder {
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

    /// The breakers, one per `scheme://host:port` (a registry may be shared
    /// with other clients: they then share each host's breaker).
    pub fn with_breakers(mut self, registry: BreakerRegistry<String>) -> Self {
        self.policy.breakers = Some(registry);
        self
    }

    /// No breakers.
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

    /// The policy.
    pub fn build(self) -> HttpPolicy {
        let policy = self.policy;
        if let (true, Some(registry), Some(sink)) =
            (self.forward_transitions, &policy.breakers, &policy.metrics)
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
            .finish_non_exhaustive()
    }
}
