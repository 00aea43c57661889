//! [`FailoverRun`]: one call's state, and the interceptor that applies the
//! failover rules at each step of the retry loop.

use std::fmt::{self, Write as _};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use super::error::FailoverError;
use super::failover::Shared;
use super::feedback::{Feedback, Report};
use super::report::{emit_attempt, settle, try_begin, unavailable, AttemptReport, Settled};
use super::target::Target;
use crate::breaker::{Outcome, OwnedPermit};
use crate::metrics::AttemptOutcome;
use crate::pool::{EndpointEntry, InFlight, SelectContext, Selected};
use crate::retry::{AttemptRecord, RetryError, StopReason, Verdict};

mod intercept;

/// One call over a [`Failover`](super::Failover): the endpoints it tried,
/// the attempt in flight, and the [`Interceptor`](crate::retry::Interceptor)
/// that applies the rules.
///
/// - `before_attempt` chooses the endpoint (the one planned when the retry
///   was decided, if its breaker still admits a call; else a fresh choice),
///   takes its breaker permit and starts its in-flight guard. With no
///   endpoint available it stops the call with
///   [`StopReason::AllUnavailable`].
/// - `after_attempt` records the outcome on the breaker (or the one set
///   with [`set_breaker_outcome`](Self::set_breaker_outcome)), the
///   endpoint's statistics and the sink, and marks a failed endpoint as
///   tried.
/// - `adjust_delay` chooses the next endpoint: an endpoint not yet tried
///   gets the failover delay instead of the backoff; none available stops the
///   call at once, before any sleep.
/// - `before_retry` asks the retry budget (the call deposited when its
///   first attempt was sent).
/// - `finished` sends the call record.
///
/// Dropping the run (a cancelled call) ends the attempt in flight without
/// recording it: its guard and permit are released.
pub struct FailoverRun<'a, A> {
    shared: &'a Shared<A>,
    ctx: SelectContext<'a, A>,
    feedback: Option<&'a Feedback<A>>,
    current: Option<Current<A>>,
    planned: Option<Selected<A>>,
    last: Option<Arc<EndpointEntry<A>>>,
    error_text: String,
    call_id: u64,
    delay_before: Duration,
    started: Option<Instant>,
    /// When the last attempt ended, while nothing has happened since: the
    /// call's end when it stops there (read once, not again).
    last_end: Option<LastEnd>,
    sent: u32,
    failovers: u32,
}

/// When an attempt ended: on the pool's clock, and the wall time its
/// metrics record carries (when there is a sink).
#[derive(Debug, Clone, Copy)]
struct LastEnd {
    at: Instant,
    wall: Option<SystemTime>,
}

/// The attempt in flight.
struct Current<A> {
    target: Target<A>,
    guard: InFlight<A>,
    permit: OwnedPermit,
    /// What its breaker records, when the caller said so.
    breaker: Option<Outcome>,
}

impl<'a, A> FailoverRun<'a, A> {
    pub(crate) fn new(shared: &'a Shared<A>, feedback: Option<&'a Feedback<A>>) -> Self {
        let (call_id, ctx) = shared.begin_call();
        Self {
            shared,
            ctx,
            feedback,
            current: None,
            planned: None,
            last: None,
            error_text: String::new(),
            call_id,
            delay_before: Duration::ZERO,
            started: None,
            last_end: None,
            sent: 0,
            failovers: 0,
        }
    }

    /// The endpoint of the attempt in flight; `None` between attempts.
    pub fn target(&self) -> Option<Target<A>> {
        self.current_target().cloned()
    }

    /// The endpoint of the attempt in flight, borrowed (cloning a target
    /// writes to a count that every caller of the endpoint shares).
    pub fn current_target(&self) -> Option<&Target<A>> {
        self.current.as_ref().map(|c| &c.target)
    }

    /// This call's number, as the metrics records carry it.
    pub fn call_id(&self) -> u64 {
        self.call_id
    }

    /// Attempts that went to an endpoint.
    pub fn attempts_sent(&self) -> u32 {
        self.sent
    }

    /// Retries planned on an endpoint not yet tried in this call.
    pub fn failovers(&self) -> u32 {
        self.failovers
    }

    /// The endpoint of the attempt in flight, else of the last attempt.
    pub fn last_endpoint(&self) -> Option<&Arc<EndpointEntry<A>>> {
        match &self.current {
            Some(current) => Some(current.target.entry()),
            None => self.last.as_ref(),
        }
    }

    /// The ids of the endpoints that failed this call so far.
    pub fn failed_endpoints(&self) -> impl Iterator<Item = &str> + '_ {
        self.ctx.excluded()
    }

    /// Keeps `error`'s message as the endpoint's last error, should the
    /// attempt in flight be classified as a failure.
    pub fn note_error(&mut self, error: &dyn fmt::Display) {
        self.error_text.clear();
        let _ = write!(self.error_text, "{error}");
    }

    /// Sets what the breaker of the attempt in flight records when the
    /// attempt ends, in place of what its verdict implies (a retryable
    /// verdict or a timeout is a failure, anything else a success).
    ///
    /// For callers whose classifier judges an endpoint's health apart from
    /// the retry decision: an HTTP 429 is retried, on another endpoint, but
    /// says nothing bad about the endpoint that sent it; a 503 to a request
    /// that may not be repeated ends the call yet is a failure of the
    /// endpoint. Only the breaker is affected: the endpoint's statistics and
    /// the "already failed this call" exclusion still follow the verdict.
    /// Without an attempt in flight it does nothing.
    ///
    /// ```
    /// use staunch::breaker::{BreakerConfig, BreakerRegistry, CircuitState, Outcome};
    /// use staunch::pool::{Endpoint, Failover, Pool};
    /// use staunch::retry::{RetryPolicy, RetryRun, Step, Verdict};
    /// use std::time::Instant;
    ///
    /// let pool = Pool::new([Endpoint::new("a", ()), Endpoint::new("b", ())]).unwrap();
    /// let config = BreakerConfig::default().with_consecutive_failures(1);
    /// let registry = BreakerRegistry::new(config).unwrap();
    /// let failover = Failover::builder(pool, registry.clone()).build().unwrap();
    /// let policy = RetryPolicy::default();
    /// let mut run = RetryRun::new(&policy, failover.start(), Instant::now);
    /// run.begin_attempt(Instant::now).unwrap();
    /// let first = run.interceptor().target().unwrap();
    /// // Throttled: retry elsewhere, but the endpoint is healthy.
    /// run.interceptor_mut().set_breaker_outcome(Outcome::Success);
    /// let step = run.end_attempt(Verdict::RETRY, Instant::now);
    /// assert!(matches!(step, Step::Retry { .. }));
    /// assert_eq!(registry.get(first.id()).state(), CircuitState::Closed);
    /// ```
    pub fn set_breaker_outcome(&mut self, outcome: Outcome) {
        if let Some(current) = &mut self.current {
            current.breaker = Some(outcome);
        }
    }

    /// The call's error, naming the endpoint of its last attempt.
    pub fn error<E>(&self, error: RetryError<E>) -> FailoverError<E> {
        let endpoint = self.last_endpoint().map(|e| Arc::clone(e.shared_id()));
        FailoverError::new(error, endpoint)
    }

    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn shared(&self) -> &'a Shared<A> {
        self.shared
    }

    /// The endpoints a hedge of the attempt in flight must avoid: those
    /// that failed, and the one in flight.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn busy_endpoints(&self) -> Vec<Arc<str>> {
        let mut ids: Vec<Arc<str>> = self.ctx.excluded().map(Arc::from).collect();
        if let Some(current) = &self.current {
            ids.push(Arc::clone(current.target.entry().shared_id()));
        }
        ids
    }

    /// Chooses the endpoint of attempt `attempt` and takes its permit.
    fn acquire(&mut self, attempt: u32, now: Instant) -> Result<Current<A>, StopReason> {
        let shared = self.shared;
        let mut candidate = self.planned.take();
        // Another caller may take the last probe slot between the check and
        // the acquire: choose again, a bounded number of times.
        for _ in 0..=shared.pool.len() {
            let selected = match candidate.take() {
                Some(planned) => planned,
                None => match shared.pool.select(&*shared.strategy, &mut self.ctx) {
                    Ok(selected) => selected,
                    Err(_) => break,
                },
            };
            if let Some((permit, guard)) = try_begin(shared, selected.entry(), now) {
                let target = Target::new(selected.into_entry(), attempt, 0);
                return Ok(Current {
                    target,
                    guard,
                    permit,
                    breaker: None,
                });
            }
        }
        Err(unavailable(shared))
    }

    /// Records the attempt `current` with `verdict`.
    fn settle(&mut self, current: Current<A>, verdict: Verdict, timed_out: bool) {
        let Current {
            target,
            guard,
            permit,
            breaker,
        } = current;
        let error = (!self.error_text.is_empty()).then_some(&self.error_text as &dyn fmt::Display);
        let Settled {
            outcome,
            failed,
            latency,
            ended,
        } = settle(guard, permit, verdict, timed_out, error, breaker);
        if failed {
            self.ctx.record_failure(target.entry());
        }
        let wall = self.emit(target.attempt(), outcome, Some(target.entry()), latency);
        self.last_end = Some(LastEnd { at: ended, wall });
        self.last = Some(target.into_entry());
    }

    /// Records a hedged attempt from what its legs reported.
    fn settle_reported(&mut self, current: Current<A>, record: &AttemptRecord, report: Report<A>) {
        if !report.error_text.is_empty() {
            self.error_text = report.error_text;
        }
        match (report.primary, &report.decided_by) {
            (Some(verdict), _) => self.settle(current, verdict, false),
            // A hedge answered first: the first leg was cancelled.
            (None, Some(_)) if !record.timed_out => drop(current),
            (None, _) => self.settle(current, record.verdict, record.timed_out),
        }
        for entry in &report.failed {
            self.ctx.record_failure(entry);
        }
        if let Some(entry) = report.decided_by {
            self.last = Some(entry);
        }
    }

    fn emit(
        &self,
        attempt: u32,
        outcome: AttemptOutcome,
        entry: Option<&Arc<EndpointEntry<A>>>,
        latency: Duration,
    ) -> Option<SystemTime> {
        emit_attempt(
            self.shared,
            AttemptReport {
                call_id: self.call_id,
                attempt,
                outcome,
                endpoint: entry.map(|e| e.shared_id()),
                delay_before: self.delay_before,
                latency,
            },
        )
    }
}

impl<A> fmt::Debug for FailoverRun<'_, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FailoverRun")
            .field("call_id", &self.call_id)
            .field("in_flight", &self.current.as_ref().map(|c| c.target.id()))
            .field("failed", &self.ctx.excluded().collect::<Vec<_>>())
            .field("attempts_sent", &self.sent)
            .field("failovers", &self.failovers)
            .finish_non_exhaustive()
    }
}
