//! The seam where circuit breakers, retry budgets, endpoint selection and
//! metrics join the retry loop.

use std::time::Duration;

use super::{StopReason, Verdict};

/// One finished attempt, as an [`Interceptor`] sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct AttemptRecord {
    /// The attempt number, 1 for the first.
    pub attempt: u32,
    /// What the classifier said (a timed-out attempt is `Retry` with no hint).
    pub verdict: Verdict,
    /// Whether the attempt was cut by a timeout.
    pub timed_out: bool,
}

/// Something that takes part in every decision of a retry loop.
///
/// The retry core ([`RetryRun`](super::RetryRun)) calls it at fixed points,
/// for the blocking and the async executors alike, so a feature plugged in
/// here works everywhere without a loop of its own:
///
/// - a circuit breaker refuses attempts in
///   [`before_attempt`](Self::before_attempt) and records outcomes in
///   [`after_attempt`](Self::after_attempt);
/// - a retry budget refuses retries in [`before_retry`](Self::before_retry);
/// - endpoint selection picks the endpoint of each attempt in
///   `before_attempt`, and may shorten the wait before a retry that goes to
///   another endpoint in [`adjust_delay`](Self::adjust_delay) (the operation
///   reads the endpoint through
///   [`RetryPolicy::call_with`](super::RetryPolicy::call_with), which hands
///   the interceptor to it);
/// - a metrics sink records every attempt and [`finished`](Self::finished)
///   call.
///
/// Every method has a default that does nothing, and `()` is the interceptor
/// that does nothing at all (it costs nothing). A pair `(A, B)` runs `A` then
/// `B`. If a call is dropped half-way (a cancelled future), `finished` is not
/// called: release per-attempt resources in `Drop`.
pub trait Interceptor {
    /// Before attempt `attempt` (1 for the first) starts. An `Err` ends the
    /// call at once with that reason, without running the attempt.
    #[inline]
    fn before_attempt(&mut self, attempt: u32) -> Result<(), StopReason> {
        let _ = attempt;
        Ok(())
    }

    /// After an attempt ended (or timed out).
    #[inline]
    fn after_attempt(&mut self, record: &AttemptRecord) {
        let _ = record;
    }

    /// The policy is about to retry after attempt `attempt` with `delay` (the
    /// backoff, raised by a server hint if there was one). Called before the
    /// deadline check and before [`before_retry`](Self::before_retry).
    ///
    /// `Ok(None)` keeps `delay`. `Ok(Some(d))` sleeps `d` instead, and the
    /// server hint no longer applies (it was about the attempt that just
    /// failed; a failover sends the retry elsewhere). An `Err` ends the call
    /// at once with that reason, without sleeping (no endpoint left to try).
    #[inline]
    fn adjust_delay(
        &mut self,
        attempt: u32,
        delay: Duration,
    ) -> Result<Option<Duration>, StopReason> {
        let _ = (attempt, delay);
        Ok(None)
    }

    /// The policy decided to retry after attempt `attempt`, sleeping `delay`.
    /// An `Err` ends the call with that reason instead (a retry budget
    /// returns [`StopReason::BudgetExhausted`]).
    #[inline]
    fn before_retry(&mut self, attempt: u32, delay: Duration) -> Result<(), StopReason> {
        let _ = (attempt, delay);
        Ok(())
    }

    /// The call is over after `attempts` attempts: `None` when the outcome is
    /// returned as a success, else why it stopped.
    #[inline]
    fn finished(&mut self, attempts: u32, stop: Option<StopReason>) {
        let _ = (attempts, stop);
    }
}

impl Interceptor for () {}

impl<I: Interceptor + ?Sized> Interceptor for &mut I {
    #[inline]
    fn before_attempt(&mut self, attempt: u32) -> Result<(), StopReason> {
        (**self).before_attempt(attempt)
    }

    #[inline]
    fn after_attempt(&mut self, record: &AttemptRecord) {
        (**self).after_attempt(record);
    }

    #[inline]
    fn adjust_delay(
        &mut self,
        attempt: u32,
        delay: Duration,
    ) -> Result<Option<Duration>, StopReason> {
        (**self).adjust_delay(attempt, delay)
    }

    #[inline]
    fn before_retry(&mut self, attempt: u32, delay: Duration) -> Result<(), StopReason> {
        (**self).before_retry(attempt, delay)
    }

    #[inline]
    fn finished(&mut self, attempts: u32, stop: Option<StopReason>) {
        (**self).finished(attempts, stop);
    }
}

impl<A: Interceptor, B: Interceptor> Interceptor for (A, B) {
    #[inline]
    fn before_attempt(&mut self, attempt: u32) -> Result<(), StopReason> {
        self.0.before_attempt(attempt)?;
        self.1.before_attempt(attempt)
    }

    #[inline]
    fn after_attempt(&mut self, record: &AttemptRecord) {
        self.0.after_attempt(record);
        self.1.after_attempt(record);
    }

    /// `B` sees the delay as `A` left it; the last replacement wins.
    #[inline]
    fn adjust_delay(
        &mut self,
        attempt: u32,
        delay: Duration,
    ) -> Result<Option<Duration>, StopReason> {
        let first = self.0.adjust_delay(attempt, delay)?;
        let second = self.1.adjust_delay(attempt, first.unwrap_or(delay))?;
        Ok(second.or(first))
    }

    #[inline]
    fn before_retry(&mut self, attempt: u32, delay: Duration) -> Result<(), StopReason> {
        self.0.before_retry(attempt, delay)?;
        self.1.before_retry(attempt, delay)
    }

    #[inline]
    fn finished(&mut self, attempts: u32, stop: Option<StopReason>) {
        self.0.finished(attempts, stop);
        self.1.finished(attempts, stop);
    }
}
