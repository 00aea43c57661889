//! [`Gate`]: the engine's failover run of one request, plus the rule that a
//! request which must not be sent twice stops once an attempt may have
//! reached its endpoint.

use std::time::Duration;

use staunch::pool::FailoverRun;
use staunch::retry::{AttemptRecord, Interceptor, StopReason};

use crate::endpoint::Endpoint;
use crate::upstream::Slot;

/// The interceptor of one request's retry loop.
///
/// Everything is the [`FailoverRun`]'s (endpoint choice, breakers, budget,
/// metrics) except one decision: when the runner says the request may not
/// be repeated after the last outcome (a POST whose attempt may have been
/// delivered), the retry is refused in
/// [`adjust_delay`](Interceptor::adjust_delay), after the outcome was
/// recorded on the endpoint's breaker and before any budget is spent or
/// sleep started. The call then stops as [`StopReason::Fatal`].
pub(crate) struct Gate<'a> {
    run: FailoverRun<'a, Slot>,
    may_repeat: bool,
}

impl<'a> Gate<'a> {
    pub(crate) fn new(run: FailoverRun<'a, Slot>) -> Self {
        Self {
            run,
            may_repeat: true,
        }
    }

    /// Whether the outcome about to be classified allows another attempt.
    pub(crate) fn set_may_repeat(&mut self, may_repeat: bool) {
        self.may_repeat = may_repeat;
    }

    /// The endpoint of the attempt in flight.
    pub(crate) fn endpoint(&self) -> Option<Endpoint> {
        self.run.current_target().map(|t| t.address().endpoint())
    }

    /// The failover run.
    pub(crate) fn run_mut(&mut self) -> &mut FailoverRun<'a, Slot> {
        &mut self.run
    }
}

impl Interceptor for Gate<'_> {
    fn before_attempt(&mut self, attempt: u32) -> Result<(), StopReason> {
        self.run.before_attempt(attempt)
    }

    fn after_attempt(&mut self, record: &AttemptRecord) {
        self.run.after_attempt(record);
    }

    fn adjust_delay(
        &mut self,
        attempt: u32,
        delay: Duration,
    ) -> Result<Option<Duration>, StopReason> {
        if !self.may_repeat {
            tracing::debug!(attempt, "not repeated: the request may have been delivered");
            return Err(StopReason::Fatal);
        }
        self.run.adjust_delay(attempt, delay)
    }

    fn before_retry(&mut self, attempt: u32, delay: Duration) -> Result<(), StopReason> {
        self.run.before_retry(attempt, delay)
    }

    fn finished(&mut self, attempts: u32, stop: Option<StopReason>) {
        self.run.finished(attempts, stop);
    }
}
