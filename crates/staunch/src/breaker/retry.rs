//! A breaker inside a retry policy: [`BreakerGuard`], the [`Interceptor`]
//! that asks the breaker before every attempt and tells it how each one went.
//!
//! The order is retry outside, breaker inside: every attempt needs a permit;
//! a refused attempt ends the call at once with
//! [`StopReason::CircuitOpen`] (there is no other endpoint to try, so
//! sleeping would only delay the same answer); each attempt's verdict is
//! recorded on its permit as configured by [`VerdictCounts`].

use std::borrow::Borrow;
use std::fmt;
use std::time::Duration;

use super::held::Held;
use super::{Breaker, CircuitState, Outcome};
use crate::retry::{AttemptRecord, Interceptor, StopReason, Verdict};

mod calls;

/// What an attempt's verdict records on the breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CountAs {
    /// A success: resets the consecutive-failure run; a probe counts
    /// towards closing.
    Success,
    /// A failure: counts against the trip rules; a probe reopens.
    Failure,
    /// Nothing: the permit is released without an outcome (a probe slot is
    /// freed, nothing is counted).
    Nothing,
}

/// How the verdicts of a retry call count for the breaker.
///
/// | verdict | default | why |
/// |---|---|---|
/// | [`Verdict::Success`] | success (always) | the call worked |
/// | [`Verdict::Retry`] | [`CountAs::Failure`] | the thing behind the breaker is struggling (5xx, reset, timeout) |
/// | [`Verdict::Fatal`] | [`CountAs::Success`] | the thing answered properly, the request was wrong (a 404, a validation error): not a failure of its health |
/// | attempt timed out | [`CountAs::Failure`] | no answer in time |
///
/// ```
/// use staunch::breaker::{CountAs, VerdictCounts};
///
/// // A service whose "fatal" answers (say, 501) do mean it is broken.
/// let counts = VerdictCounts::DEFAULT.with_fatal(CountAs::Failure);
/// assert_eq!(counts.retry, CountAs::Failure);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VerdictCounts {
    /// What a [`Verdict::Retry`] records. Default [`CountAs::Failure`].
    pub retry: CountAs,
    /// What a [`Verdict::Fatal`] records. Default [`CountAs::Success`].
    pub fatal: CountAs,
    /// What an attempt cut by its timeout records. Default
    /// [`CountAs::Failure`].
    pub timeout: CountAs,
}

impl VerdictCounts {
    /// The defaults of the table above.
    pub const DEFAULT: Self = Self {
        retry: CountAs::Failure,
        fatal: CountAs::Success,
        timeout: CountAs::Failure,
    };

    /// Sets [`retry`](Self::retry).
    #[must_use]
    pub const fn with_retry(mut self, count: CountAs) -> Self {
        self.retry = count;
        self
    }

    /// Sets [`fatal`](Self::fatal).
    #[must_use]
    pub const fn with_fatal(mut self, count: CountAs) -> Self {
        self.fatal = count;
        self
    }

    /// Sets [`timeout`](Self::timeout).
    #[must_use]
    pub const fn with_timeout(mut self, count: CountAs) -> Self {
        self.timeout = count;
        self
    }

    /// What `record` counts as.
    pub const fn of(&self, record: &AttemptRecord) -> CountAs {
        if record.timed_out {
            return self.timeout;
        }
        match record.verdict {
            Verdict::Success => CountAs::Success,
            Verdict::Retry { .. } => self.retry,
            Verdict::Fatal => self.fatal,
        }
    }
}

impl Default for VerdictCounts {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Puts one circuit breaker inside a retry call: an [`Interceptor`] for
/// [`RetryPolicy::call_with`](crate::retry::RetryPolicy::call_with) and
/// [`call_async_with`](crate::retry::RetryPolicy::call_async_with).
///
/// - Before each attempt it takes a permit. Refused (open, isolated, or every
///   half-open probe slot busy), the call ends at once with
///   [`StopReason::CircuitOpen`] carrying the time to the next probe, and the
///   last error if an attempt ran before. The operation is not called.
/// - After each attempt it records the verdict on the permit, as
///   [`VerdictCounts`] says (latency included, for the slow-call rule).
/// - Before sleeping for a retry, if the breaker is isolated, or open with
///   its next probe further away than the sleep, the call ends at once with
///   `CircuitOpen` instead of sleeping for a refusal.
/// - A call dropped half-way (a cancelled future, a panic) drops the guard,
///   which frees a half-open probe slot: half-open never sticks.
///
/// `B` is how the breaker is held: `&Breaker` (no reference counting) or an
/// owned [`Breaker`] handle, for example from a
/// [`BreakerRegistry`](super::BreakerRegistry).
///
/// ```
/// use staunch::breaker::{Breaker, BreakerConfig, BreakerGuard};
/// use staunch::retry::{RetryPolicy, StopReason};
/// use std::time::Duration;
///
/// let breaker = Breaker::new("provider-a", BreakerConfig::default().with_consecutive_failures(2))
///     .unwrap();
/// let policy = RetryPolicy::builder().with_base_delay(Duration::ZERO).build();
///
/// let err = policy
///     .call_with(BreakerGuard::new(&breaker), |_| Err::<(), _>("503"))
///     .run()
///     .unwrap_err();
/// // The second failure opened the breaker: no third attempt, no sleep.
/// assert_eq!(err.attempts(), 2);
/// assert!(matches!(err.reason(), StopReason::CircuitOpen { next_probe_in: Some(_) }));
/// assert_eq!(err.last_error(), Some(&"503"));
/// ```
#[must_use = "a guard does nothing until a retry call runs with it"]
pub struct BreakerGuard<B: Borrow<Breaker> = Breaker> {
    breaker: B,
    /// The permit of the attempt in flight.
    held: Option<Held>,
    counts: VerdictCounts,
}

impl<B: Borrow<Breaker>> BreakerGuard<B> {
    /// A guard over `breaker` with [`VerdictCounts::DEFAULT`].
    pub fn new(breaker: B) -> Self {
        Self {
            breaker,
            held: None,
            counts: VerdictCounts::DEFAULT,
        }
    }

    /// Sets how verdicts count (default [`VerdictCounts::DEFAULT`]).
    pub fn with_counts(mut self, counts: VerdictCounts) -> Self {
        self.counts = counts;
        self
    }

    /// The breaker.
    pub fn breaker(&self) -> &Breaker {
        self.breaker.borrow()
    }

    /// How verdicts count.
    pub fn counts(&self) -> VerdictCounts {
        self.counts
    }

    /// Whether the attempt in flight is a half-open probe (the operation
    /// receives the guard and may ask).
    pub fn is_probe(&self) -> bool {
        self.held.as_ref().is_some_and(Held::is_probe)
    }

    fn release(&mut self) {
        if let Some(held) = self.held.take() {
            held.release(self.breaker.borrow().shared());
        }
    }
}

impl<B: Borrow<Breaker>> Interceptor for BreakerGuard<B> {
    #[inline]
    fn before_attempt(&mut self, _attempt: u32) -> Result<(), StopReason> {
        self.release();
        match Held::acquire(self.breaker.borrow().shared()) {
            Ok(held) => {
                self.held = Some(held);
                Ok(())
            }
            Err(rejected) => Err(StopReason::CircuitOpen {
                next_probe_in: rejected.next_probe_in(),
            }),
        }
    }

    #[inline]
    fn after_attempt(&mut self, record: &AttemptRecord) {
        let Some(held) = self.held.take() else {
            return;
        };
        let shared = self.breaker.borrow().shared();
        match self.counts.of(record) {
            CountAs::Success => {
                held.finish(shared, Outcome::Success, None);
            }
            CountAs::Failure => {
                held.finish(shared, Outcome::Failure, None);
            }
            CountAs::Nothing => held.release(shared),
        }
    }

    fn before_retry(&mut self, _attempt: u32, delay: Duration) -> Result<(), StopReason> {
        let breaker = self.breaker.borrow();
        match breaker.state() {
            CircuitState::Closed | CircuitState::HalfOpen => Ok(()),
            CircuitState::Isolated => Err(StopReason::CircuitOpen {
                next_probe_in: None,
            }),
            CircuitState::Open => match breaker.snapshot().next_probe_in {
                Some(wait) if wait <= delay => Ok(()),
                next_probe_in => Err(StopReason::CircuitOpen { next_probe_in }),
            },
        }
    }

    fn finished(&mut self, _attempts: u32, _stop: Option<StopReason>) {
        self.release();
    }
}

impl<B: Borrow<Breaker>> Drop for BreakerGuard<B> {
    fn drop(&mut self) {
        self.release();
    }
}

impl<B: Borrow<Breaker>> fmt::Debug for BreakerGuard<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BreakerGuard")
            .field("breaker", self.breaker.borrow())
            .field("in_flight", &self.held.is_some())
            .field("counts", &self.counts)
            .finish()
    }
}
