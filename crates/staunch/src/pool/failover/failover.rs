//! [`Failover`]: a pool, its breakers, a strategy, a budget and a sink,
//! shared by every call.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use rand::rngs::SmallRng;
use rand::SeedableRng;

use super::builder::FailoverBuilder;
use super::call_ids::CallIds;
use super::feedback::Feedback;
use super::hedging::Hedging;
use super::run::FailoverRun;
use crate::breaker::BreakerRegistry;
use crate::budget::RetryBudget;
use crate::metrics::MetricsSink;
use crate::pool::{AvailabilityFn, EndpointEntry, Pool, SelectContext, Strategy};
use crate::seed::mix;

/// Runs calls over a [`Pool`]: each attempt goes to an endpoint chosen by a
/// [`Strategy`] among those whose circuit breaker (one per endpoint id, from
/// a [`BreakerRegistry`]) would let it through, under a
/// [`RetryPolicy`](crate::retry::RetryPolicy).
///
/// - A retry never goes back to an endpoint that already failed the call
///   while another one is available; region affinity prefers the tag of the
///   endpoint that failed last.
/// - A retry that goes to an endpoint not yet tried waits
///   [`failover_delay`](FailoverBuilder::with_failover_delay) (default 0)
///   instead of the backoff; one that must reuse an endpoint waits the
///   backoff.
/// - When no endpoint's breaker would admit a call, the call fails at once
///   with [`StopReason::AllUnavailable`](crate::retry::StopReason) and the
///   soonest next probe time: no sleep, no queue.
/// - An optional [`RetryBudget`] counts each call and refuses retries (and
///   hedges) beyond its share; an optional [`MetricsSink`] receives every
///   attempt and call.
///
/// The rules live in an [`Interceptor`](crate::retry::Interceptor),
/// [`FailoverRun`], driven by the ordinary retry executors: blocking
/// [`call`](Self::call), async `call_async` and hedged
/// `call_hedged` (feature `tokio`). Cloning is cheap and
/// shares everything.
///
/// ```
/// use staunch::breaker::{BreakerConfig, BreakerRegistry};
/// use staunch::pool::{Endpoint, Failover, Pool, RoundRobin};
/// use staunch::retry::RetryPolicy;
///
/// let pool = Pool::new([
///     Endpoint::new("down", "10.0.0.1"),
///     Endpoint::new("up", "10.0.0.2"),
/// ])?;
/// let registry = BreakerRegistry::new(BreakerConfig::default())?;
/// let failover = Failover::builder(pool, registry)
///     .with_strategy(RoundRobin::new())
///     .build()?;
///
/// let policy = RetryPolicy::default(); // 3 attempts, 1 s backoff
/// let mut tried = Vec::new();
/// let answer = failover
///     .call(&policy, |target| {
///         tried.push(target.id().to_owned());
///         if target.id() == "down" { Err("refused") } else { Ok(*target.address()) }
///     })
///     .sleeper(|delay: std::time::Duration| assert!(delay.is_zero(), "a failover does not wait the backoff"))
///     .run();
/// assert_eq!(answer, Ok("10.0.0.2"));
/// assert_eq!(tried, ["down", "up"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Failover<A> {
    shared: Arc<Shared<A>>,
}

/// [`AvailabilityFn`] that can move between threads.
pub(crate) type SendAvailabilityFn<A> = dyn Fn(&EndpointEntry<A>) -> bool + Send + Sync;

/// Everything calls share.
pub(crate) struct Shared<A> {
    pub(crate) pool: Arc<Pool<A>>,
    pub(crate) registry: BreakerRegistry<String>,
    pub(crate) strategy: Box<dyn Strategy<A>>,
    pub(crate) budget: Option<Arc<RetryBudget>>,
    pub(crate) sink: Option<Arc<dyn MetricsSink>>,
    pub(crate) failover_delay: Duration,
    pub(crate) hedging: Hedging,
    pub(crate) seed: Option<u64>,
    pub(crate) calls: CallIds,
    /// The breaker check strategies see ([`AvailabilityFn`], and `Send`).
    pub(crate) available: Box<SendAvailabilityFn<A>>,
}

impl<A> Clone for Failover<A> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<A: Send + Sync + 'static> Failover<A> {
    /// A builder over `pool` and `registry` (breakers keyed by endpoint id),
    /// with the defaults listed on [`FailoverBuilder`].
    pub fn builder(
        pool: impl Into<Arc<Pool<A>>>,
        registry: BreakerRegistry<String>,
    ) -> FailoverBuilder<A> {
        FailoverBuilder::new(pool.into(), registry)
    }
}

impl<A> Failover<A> {
    pub(crate) fn from_shared(shared: Shared<A>) -> Self {
        Self {
            shared: Arc::new(shared),
        }
    }

    /// The pool.
    pub fn pool(&self) -> &Arc<Pool<A>> {
        &self.shared.pool
    }

    /// The breakers, keyed by endpoint id.
    pub fn registry(&self) -> &BreakerRegistry<String> {
        &self.shared.registry
    }

    /// The retry budget, if any.
    pub fn budget(&self) -> Option<&Arc<RetryBudget>> {
        self.shared.budget.as_ref()
    }

    /// The wait before a retry on an endpoint not yet tried in the call.
    pub fn failover_delay(&self) -> Duration {
        self.shared.failover_delay
    }

    /// The hedging settings of `call_hedged`.
    pub fn hedging(&self) -> Hedging {
        self.shared.hedging
    }

    /// Starts one call's state, to drive with
    /// [`RetryPolicy::call_with`](crate::retry::RetryPolicy::call_with) or
    /// `call_async_with` directly (for example beside other interceptors).
    /// The operation reads the endpoint with [`FailoverRun::target`].
    ///
    /// ```
    /// use staunch::breaker::{BreakerConfig, BreakerRegistry};
    /// use staunch::pool::{Endpoint, Failover, Pool};
    /// use staunch::retry::RetryPolicy;
    ///
    /// let pool = Pool::new([Endpoint::new("a", 1), Endpoint::new("b", 2)]).unwrap();
    /// let registry = BreakerRegistry::new(BreakerConfig::default()).unwrap();
    /// let failover = Failover::builder(pool, registry).build().unwrap();
    /// let mut run = failover.start();
    /// let result = RetryPolicy::default()
    ///     .call_with(&mut run, |run| {
    ///         let target = run.target().expect("chosen before each attempt");
    ///         Ok::<_, String>(*target.address())
    ///     })
    ///     .run();
    /// assert!(result.is_ok());
    /// assert_eq!(run.attempts_sent(), 1);
    /// ```
    pub fn start(&self) -> FailoverRun<'_, A> {
        FailoverRun::new(&self.shared, None)
    }

    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn start_with<'a>(&'a self, feedback: &'a Feedback<A>) -> FailoverRun<'a, A> {
        FailoverRun::new(&self.shared, Some(feedback))
    }
}

impl<A> Shared<A> {
    /// The next call's number (see [`CallIds`]) and its selection context.
    pub(crate) fn begin_call(&self) -> (u64, SelectContext<'_, A>) {
        let id = self.calls.next();
        let ctx = match self.seed {
            Some(seed) => SelectContext::from_rng(SmallRng::seed_from_u64(mix(seed, id))),
            None => SelectContext::new(),
        };
        (id, ctx.with_available(self.available_fn()))
    }

    /// The breaker check, as selection contexts take it.
    pub(crate) fn available_fn(&self) -> &AvailabilityFn<A> {
        &*self.available
    }

    /// A generator for hedge selections of call `call_id`, attempt `attempt`.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn hedge_rng(&self, call_id: u64, attempt: u32) -> SmallRng {
        match self.seed {
            Some(seed) => SmallRng::seed_from_u64(mix(mix(seed, call_id), u64::from(attempt))),
            None => crate::seed::fresh_rng(),
        }
    }
}

impl<A> fmt::Debug for Failover<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Failover")
            .field("endpoints", &self.shared.pool.len())
            .field("strategy", &self.shared.strategy)
            .field("budget", &self.shared.budget.is_some())
            .field("sink", &self.shared.sink.is_some())
            .field("failover_delay", &self.shared.failover_delay)
            .field("hedging", &self.shared.hedging)
            .finish_non_exhaustive()
    }
}
