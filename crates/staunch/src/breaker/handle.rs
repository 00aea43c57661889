//! [`Breaker`]: the handle every caller shares.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Weak};

use super::classify::{AllErrors, FailureClassifier};
use super::error::{BreakerError, Rejected};
use super::machine::Shared;
use super::observer::BreakerObserver;
use super::permit::Permit;
use super::{BreakerConfig, CircuitState, Snapshot};
use crate::clock::{Clock, SystemClock};
use crate::config::ConfigError;

/// A circuit breaker. Cloning gives another handle to the same breaker.
///
/// Closed, it lets calls through and counts failures against the trip rules
/// of its [`BreakerConfig`]; once a rule fires it opens and rejects every
/// call at once for the open duration; the next acquire after that moves it
/// to half-open, where a bounded number of probes decide whether it closes
/// again or reopens. No background thread or timer is involved: time comes
/// from the injected [`Clock`] when a call arrives.
///
/// ```
/// use staunch::breaker::{Breaker, BreakerConfig, BreakerError, CircuitState};
/// use staunch::clock::ManualClock;
/// use std::sync::Arc;
/// use std::time::Duration;
///
/// let clock = ManualClock::new();
/// let config = BreakerConfig::default().with_consecutive_failures(2);
/// let breaker = Breaker::with_clock("provider-a", config, Arc::new(clock.clone())).unwrap();
///
/// for _ in 0..2 {
///     let _ = breaker.call(|| Err::<(), _>("timeout"));
/// }
/// assert_eq!(breaker.state(), CircuitState::Open);
/// match breaker.call(|| Ok::<_, &str>(1)) {
///     Err(BreakerError::Rejected(r)) => assert_eq!(r.to_string(), "open, next probe in 30.0 s"),
///     other => panic!("expected a rejection, got {other:?}"),
/// }
///
/// clock.advance(Duration::from_secs(30));
/// assert_eq!(breaker.call(|| Ok::<_, &str>(1)), Ok(1)); // the probe
/// assert_eq!(breaker.state(), CircuitState::Closed);
/// ```
#[derive(Clone)]
pub struct Breaker {
    shared: Arc<Shared>,
}

/// A [`Breaker`] handle that does not keep the breaker alive, from
/// [`Breaker::downgrade`].
#[derive(Clone, Default)]
pub struct WeakBreaker {
    shared: Weak<Shared>,
}

impl WeakBreaker {
    /// The breaker, if something still holds it.
    #[inline]
    pub fn upgrade(&self) -> Option<Breaker> {
        self.shared.upgrade().map(|shared| Breaker { shared })
    }
}

impl fmt::Debug for WeakBreaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakBreaker")
            .field("alive", &(self.shared.strong_count() > 0))
            .finish()
    }
}

impl Breaker {
    /// A closed breaker named `key` on the system clock.
    pub fn new(key: impl Into<String>, config: BreakerConfig) -> Result<Self, ConfigError> {
        Self::with_clock(key, config, Arc::new(SystemClock))
    }

    /// A closed breaker named `key` reading time from `clock`.
    ///
    /// Fails if `config` does not [validate](BreakerConfig::validate).
    pub fn with_clock(
        key: impl Into<String>,
        config: BreakerConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Self::from_valid(key.into(), config, clock))
    }

    /// A breaker from a configuration that was validated already.
    pub(crate) fn from_valid(key: String, config: BreakerConfig, clock: Arc<dyn Clock>) -> Self {
        Self {
            shared: Arc::new(Shared::new(key, config, clock)),
        }
    }

    /// A handle that does not keep the breaker alive: it gives the breaker
    /// back while something else (its registry, another handle) still
    /// holds it. For caches that must not outlive what they cache.
    ///
    /// ```
    /// use staunch::breaker::{Breaker, BreakerConfig};
    ///
    /// let breaker = Breaker::new("provider-a", BreakerConfig::default()).unwrap();
    /// let weak = breaker.downgrade();
    /// assert_eq!(weak.upgrade().map(|b| b.key().to_owned()).as_deref(), Some("provider-a"));
    /// drop(breaker);
    /// assert!(weak.upgrade().is_none());
    /// ```
    pub fn downgrade(&self) -> WeakBreaker {
        WeakBreaker {
            shared: Arc::downgrade(&self.shared),
        }
    }

    /// The shared state, for permits that do not borrow the handle.
    #[inline]
    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    /// The breaker's key (provider, endpoint, host).
    pub fn key(&self) -> &str {
        &self.shared.key
    }

    /// The configuration it was built with.
    pub fn config(&self) -> &BreakerConfig {
        &self.shared.config
    }

    /// The current state. An open breaker whose open duration has passed
    /// still reads open until the next acquire moves it to half-open.
    pub fn state(&self) -> CircuitState {
        self.shared.state()
    }

    /// Counts, state and timing, read from atomics without a lock.
    pub fn snapshot(&self) -> Snapshot {
        self.shared.snapshot()
    }

    /// Asks to make one call. Closed: one atomic load, no lock, no clock
    /// read unless the slow-call rule is on.
    ///
    /// Open (before its open duration has passed), isolated, or half-open
    /// with every probe slot taken: [`Rejected`], saying when to come back.
    #[inline]
    pub fn try_acquire(&self) -> Result<Permit<'_>, Rejected> {
        let ticket = self.shared.acquire()?;
        Ok(Permit::new(&self.shared, ticket))
    }

    /// Runs `op` through the breaker; every error counts as a failure.
    // Inlined into the caller so the result is returned in registers rather
    // than through memory; with the permit inlined too, `breaker_closed`
    // went from 8.3 ns to 3.1 ns.
    #[inline(always)]
    pub fn call<T, E, F>(&self, op: F) -> Result<T, BreakerError<E>>
    where
        F: FnOnce() -> Result<T, E>,
    {
        self.call_with(&AllErrors, op)
    }

    /// Runs `op` through the breaker; `classifier` decides which errors count
    /// as failures (the others count as successes). A panic in `op` records
    /// nothing and frees a probe slot.
    #[inline(always)]
    pub fn call_with<T, E, C, F>(&self, classifier: &C, op: F) -> Result<T, BreakerError<E>>
    where
        C: FailureClassifier<E> + ?Sized,
        F: FnOnce() -> Result<T, E>,
    {
        let permit = self.try_acquire()?;
        settle(permit, classifier, op())
    }

    /// Runs the future `op` makes through the breaker; every error counts as
    /// a failure. Works on any executor. A future dropped before it finishes
    /// records nothing and frees a probe slot.
    pub async fn call_async<T, E, F, Fut>(&self, op: F) -> Result<T, BreakerError<E>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        self.call_async_with(&AllErrors, op).await
    }

    /// [`call_async`](Self::call_async) with a classifier.
    pub async fn call_async_with<T, E, C, F, Fut>(
        &self,
        classifier: &C,
        op: F,
    ) -> Result<T, BreakerError<E>>
    where
        C: FailureClassifier<E> + ?Sized,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let permit = self.try_acquire()?;
        settle(permit, classifier, op().await)
    }

    /// Closes the breaker by hand and clears its counts. Outcomes of permits
    /// granted before are ignored.
    pub fn reset(&self) {
        self.shared.reset();
    }

    /// Forces the breaker open ("isolated") until [`reset`](Self::reset).
    pub fn isolate(&self) {
        self.shared.isolate();
    }

    /// Sends every later transition to `observer` (after the `tracing` log).
    pub fn add_observer(&self, observer: Arc<dyn BreakerObserver>) {
        self.shared.add_observer(observer);
    }

    /// Whether both handles are the same breaker.
    pub fn same_as(&self, other: &Breaker) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

/// Records `result` on `permit` (an error counts as a failure when
/// `classifier` says so) and hands the result back.
#[inline(always)]
fn settle<T, E, C>(
    permit: Permit<'_>,
    classifier: &C,
    result: Result<T, E>,
) -> Result<T, BreakerError<E>>
where
    C: FailureClassifier<E> + ?Sized,
{
    match result {
        Ok(value) => {
            permit.success();
            Ok(value)
        }
        Err(error) => {
            if classifier.is_failure(&error) {
                permit.failure();
            } else {
                permit.success();
            }
            Err(BreakerError::Inner(error))
        }
    }
}

impl fmt::Debug for Breaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Breaker")
            .field("key", &self.key())
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}
