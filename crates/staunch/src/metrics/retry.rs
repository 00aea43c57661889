//! Metrics from plain retry calls: [`MetricsRecorder`], the
//! [`Interceptor`] that reports every attempt and the finished call to a
//! [`MetricsSink`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::{AttemptOutcome, AttemptRecord, CallOutcome, CallRecord, EndpointId, MetricsSink};
use crate::clock::{Clock, SystemClock};
use crate::retry::{self, Interceptor, StopReason, Verdict};

/// The next call id handed out by [`next_call_id`].
static NEXT_CALL_ID: AtomicU64 = AtomicU64::new(1);

/// A fresh call id, unique in this process (a global counter starting at 1).
/// Executors that report to a [`MetricsSink`] themselves take their ids
/// here too, so ids never collide.
pub fn next_call_id() -> u64 {
    NEXT_CALL_ID.fetch_add(1, Ordering::Relaxed)
}

/// The metrics outcome of a call that stopped for `stop` (`None`: success).
pub const fn call_outcome(stop: Option<StopReason>) -> CallOutcome {
    match stop {
        None => CallOutcome::Success,
        Some(StopReason::Exhausted) => CallOutcome::Exhausted,
        Some(StopReason::Fatal) => CallOutcome::Fatal,
        Some(StopReason::Deadline) => CallOutcome::DeadlineExceeded,
        Some(StopReason::BudgetExhausted) => CallOutcome::BudgetExhausted,
        Some(_) => CallOutcome::Unavailable,
    }
}

/// The metrics outcome of one attempt, as the retry loop saw it.
pub const fn attempt_outcome(record: &retry::AttemptRecord) -> AttemptOutcome {
    if record.timed_out {
        return AttemptOutcome::Timeout;
    }
    match record.verdict {
        Verdict::Success => AttemptOutcome::Success,
        Verdict::Retry { .. } => AttemptOutcome::RetryableFailure,
        Verdict::Fatal => AttemptOutcome::Fatal,
    }
}

/// Reports a retry call to a [`MetricsSink`] (a
/// [`MetricsStore`](super::MetricsStore), a [`FanOut`](super::FanOut), ...):
/// an [`Interceptor`] for
/// [`RetryPolicy::call_with`](crate::retry::RetryPolicy::call_with) and
/// [`call_async_with`](crate::retry::RetryPolicy::call_async_with).
///
/// Every attempt becomes an [`AttemptRecord`]: the call's id (from
/// [`next_call_id`]), the attempt number, the endpoint if one was set, the
/// outcome (success, retryable failure, timeout, fatal), the delay slept
/// before it and its latency. An attempt refused by an interceptor (an open
/// breaker, [`StopReason::CircuitOpen`] or `AllUnavailable`) is reported as
/// [`AttemptOutcome::Rejected`], a retry refused by the budget as
/// [`AttemptOutcome::BudgetDenied`]; neither was sent. When the call ends, a
/// [`CallRecord`] follows with the attempts sent, the outcome and the time
/// from the first attempt's start to the end.
///
/// Time comes from the injected [`Clock`] (default [`SystemClock`]), read
/// only when a sink is attached: a recorder made by
/// [`maybe(None)`](Self::maybe) costs a branch per hook. A call dropped
/// half-way reports its finished attempts but no call record.
///
/// ```
/// use staunch::clock::ManualClock;
/// use staunch::metrics::{MetricsConfig, MetricsRecorder, MetricsStore};
/// use staunch::retry::RetryPolicy;
/// use std::time::Duration;
///
/// let clock = ManualClock::new();
/// let store = MetricsStore::with_clock(MetricsConfig::default(), clock.clone()).unwrap();
/// let policy = RetryPolicy::default();
/// let mut tries = 0;
/// let result = policy
///     .call_with(
///         MetricsRecorder::new(&store).with_clock(clock.clone()).with_endpoint("api"),
///         |_| { tries += 1; if tries < 3 { Err("503") } else { Ok(()) } },
///     )
///     .sleeper(|d| clock.advance(d))
///     .run();
/// assert!(result.is_ok());
///
/// let totals = store.summary().totals;
/// assert_eq!((totals.calls, totals.attempts, totals.retries), (1, 3, 2));
/// assert_eq!(totals.successes_by_attempt.at(3), 1);
/// ```
#[derive(Debug)]
#[must_use = "a recorder does nothing until a retry call runs with it"]
pub struct MetricsRecorder<S, K = SystemClock> {
    sink: Option<S>,
    clock: K,
    call_id: u64,
    endpoint: Option<EndpointId>,
    /// When the first attempt started.
    call_started: Option<Instant>,
    /// When the attempt in flight started.
    attempt_started: Option<Instant>,
    /// The sleep before the next attempt.
    delay_before: Duration,
}

impl<S: MetricsSink> MetricsRecorder<S> {
    /// A recorder reporting to `sink`, on the system clock, with a fresh call
    /// id.
    pub fn new(sink: S) -> Self {
        Self::maybe(Some(sink))
    }

    /// A recorder reporting to `sink` if there is one; with `None` it reads
    /// no clock, takes no call id and reports nothing.
    pub fn maybe(sink: Option<S>) -> Self {
        Self {
            call_id: if sink.is_some() { next_call_id() } else { 0 },
            sink,
            clock: SystemClock,
            endpoint: None,
            call_started: None,
            attempt_started: None,
            delay_before: Duration::ZERO,
        }
    }
}

impl<S: MetricsSink, K: Clock> MetricsRecorder<S, K> {
    /// Reads time from `clock` (a [`ManualClock`](crate::clock::ManualClock)
    /// in tests) instead of the system clock.
    pub fn with_clock<K2: Clock>(self, clock: K2) -> MetricsRecorder<S, K2> {
        MetricsRecorder {
            sink: self.sink,
            clock,
            call_id: self.call_id,
            endpoint: self.endpoint,
            call_started: self.call_started,
            attempt_started: self.attempt_started,
            delay_before: self.delay_before,
        }
    }

    /// Files every attempt under `endpoint`.
    pub fn with_endpoint(mut self, endpoint: impl Into<EndpointId>) -> Self {
        self.set_endpoint(endpoint);
        self
    }

    /// Files the following attempts under `endpoint` (the operation
    /// receives the recorder and may set it per attempt).
    pub fn set_endpoint(&mut self, endpoint: impl Into<EndpointId>) {
        if self.sink.is_some() {
            self.endpoint = Some(endpoint.into());
        }
    }

    /// The call's id (0 when no sink is attached).
    pub fn call_id(&self) -> u64 {
        self.call_id
    }

    /// Whether records go anywhere.
    pub fn is_attached(&self) -> bool {
        self.sink.is_some()
    }

    fn attempt(&self, attempt: u32, outcome: AttemptOutcome) -> AttemptRecord {
        let mut record =
            AttemptRecord::new(self.call_id, attempt, outcome, self.clock.system_now())
                .with_delay_before(self.delay_before);
        record.endpoint.clone_from(&self.endpoint);
        record
    }
}

impl<S: MetricsSink, K: Clock> Interceptor for MetricsRecorder<S, K> {
    #[inline]
    fn before_attempt(&mut self, attempt: u32) -> Result<(), StopReason> {
        if self.sink.is_some() {
            let now = self.clock.now();
            self.attempt_started = Some(now);
            if attempt == 1 {
                self.call_started = Some(now);
            }
        }
        Ok(())
    }

    #[inline]
    fn after_attempt(&mut self, record: &retry::AttemptRecord) {
        let Some(sink) = &self.sink else {
            return;
        };
        let latency = self
            .attempt_started
            .take()
            .map_or(Duration::ZERO, |started| {
                self.clock.now().saturating_duration_since(started)
            });
        let out = self
            .attempt(record.attempt, attempt_outcome(record))
            .with_latency(latency);
        sink.record_attempt(&out);
    }

    #[inline]
    fn before_retry(&mut self, _attempt: u32, delay: Duration) -> Result<(), StopReason> {
        self.delay_before = delay;
        Ok(())
    }

    fn finished(&mut self, attempts: u32, stop: Option<StopReason>) {
        let Some(sink) = &self.sink else {
            return;
        };
        let unsent = match stop {
            Some(StopReason::BudgetExhausted) => Some(AttemptOutcome::BudgetDenied),
            Some(
                StopReason::CircuitOpen { .. }
                | StopReason::AllUnavailable { .. }
                | StopReason::Rejected,
            ) => Some(AttemptOutcome::Rejected),
            _ => None,
        };
        if let Some(outcome) = unsent {
            sink.record_attempt(&self.attempt(attempts.saturating_add(1), outcome));
        }
        let now = self.clock.now();
        let duration = self.call_started.map_or(Duration::ZERO, |started| {
            now.saturating_duration_since(started)
        });
        let mut call = CallRecord::new(
            self.call_id,
            attempts,
            call_outcome(stop),
            self.clock.system_now(),
        )
        .with_duration(duration);
        call.endpoint.clone_from(&self.endpoint);
        sink.record_call(&call);
    }
}
