//! [`Guard`]: the engine's [`Interceptor`] for one HTTP call. The breaker
//! refuses attempts (or, with a pool, the engine's [`FailoverRun`] picks
//! each attempt's base URL among those whose breaker admits it), the budget
//! refuses retries, and every attempt and the call are reported to the
//! metrics sink.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use staunch::breaker::{Breaker, Permit};
use staunch::budget::RetryBudget;
use staunch::clock::Clock;
use staunch::metrics::{
    AttemptOutcome, AttemptRecord, CallOutcome, CallRecord, EndpointId, MetricsSink,
};
use staunch::pool::{Failover, FailoverRun};
use staunch::retry::{self, Interceptor, StopReason, Verdict};

use super::now;
use crate::{BaseUrl, Classification, ErrorKind, HttpPolicy};

/// Call ids for metrics records, unique within the process.
static NEXT_CALL_ID: AtomicU64 = AtomicU64::new(1);

/// What the metrics side of a call needs; absent when there is no sink.
struct Report<'a> {
    sink: &'a dyn MetricsSink,
    clock: &'a dyn Clock,
    call_id: u64,
    endpoint: Option<EndpointId>,
    started: Instant,
    delay_before: Duration,
}

/// One call's breaker permit (or pool failover), budget and metrics.
pub(crate) struct Guard<'a> {
    breaker: Option<&'a Breaker>,
    permit: Option<Permit<'a>>,
    /// Boxed: calls without a pool keep a small future.
    failover: Option<Box<FailoverRun<'a, BaseUrl>>>,
    budget: Option<&'a RetryBudget>,
    /// Boxed: calls without metrics keep a small future.
    report: Option<Box<Report<'a>>>,
}

impl<'a> Guard<'a> {
    /// The guard of a call to `key`'s endpoint through `breaker`, or, when
    /// `policy` has a pool, to the pool's endpoints through theirs.
    ///
    /// Inlined, with the metrics report and the pool's run started out of
    /// line: a call without them only fills in a few fields.
    #[inline]
    pub(crate) fn new(
        policy: &'a HttpPolicy,
        breaker: Option<&'a Breaker>,
        key: Option<&Arc<str>>,
    ) -> Self {
        let report = policy
            .metrics
            .as_deref()
            .map(|sink| Report::start(policy, sink, key));
        let budget = policy.budget.as_deref();
        if let Some(budget) = budget {
            budget.deposit();
        }
        Self {
            breaker,
            permit: None,
            failover: policy.failover.as_ref().map(start_failover),
            budget,
            report,
        }
    }

    /// The base URL of the attempt just begun, when the call goes through a
    /// pool.
    #[inline]
    pub(crate) fn base(&self) -> Option<&BaseUrl> {
        let run = self.failover.as_ref()?;
        run.last_endpoint().map(|entry| entry.address())
    }

    /// An attempt that was sent ended: the breaker hears `judged.breaker`
    /// (timed by its own clock), the sink gets the record.
    #[inline]
    pub(crate) fn attempt_ended(
        &mut self,
        attempt: u32,
        judged: &Classification,
        verdict: Verdict,
        latency: Duration,
    ) {
        if let Some(permit) = self.permit.take() {
            let _ = permit.record(judged.breaker);
        }
        if self.failover.is_some() || self.report.is_some() {
            self.attempt_reported(attempt, judged, verdict, latency);
        }
    }

    /// The pool's run and the sink hear of an attempt that ended.
    #[inline(never)]
    fn attempt_reported(
        &mut self,
        attempt: u32,
        judged: &Classification,
        verdict: Verdict,
        latency: Duration,
    ) {
        if let Some(run) = &mut self.failover {
            // The classifier's breaker outcome, not the retry verdict: a 429
            // fails over but says nothing bad about its base.
            run.set_breaker_outcome(judged.breaker);
            if verdict != Verdict::Success {
                run.note_error(&Failure(judged));
            }
        }
        if let Some(report) = &mut self.report {
            let mut record = report.record(attempt, attempt_outcome(judged, verdict));
            record.status = judged.status;
            record.error_kind = judged.error_kind.map(|k| k.as_str());
            record.latency = latency;
            report.sink.record_attempt(&record);
        }
    }

    /// Records an attempt that was not sent.
    fn not_sent(&mut self, attempt: u32, outcome: AttemptOutcome) {
        if let Some(report) = &mut self.report {
            let record = report.record(attempt, outcome);
            report.sink.record_attempt(&record);
        }
    }

    /// Records an attempt the pool had no endpoint for.
    #[cold]
    fn no_endpoint(&mut self, attempt: u32) {
        if let Some(report) = &mut self.report {
            let mut record = report.record(attempt, AttemptOutcome::Rejected);
            record.endpoint = None;
            report.sink.record_attempt(&record);
        }
    }
}

/// A failed attempt, as its endpoint's last error.
struct Failure<'c>(&'c Classification);

impl fmt::Display for Failure<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.0.status, self.0.error_kind) {
            (Some(status), _) => write!(f, "HTTP {status}"),
            (None, Some(kind)) => write!(f, "{kind} error"),
            (None, None) => f.write_str("failed"),
        }
    }
}

/// The pool's run of a call, boxed.
#[inline(never)]
fn start_failover(failover: &Failover<BaseUrl>) -> Box<FailoverRun<'_, BaseUrl>> {
    Box::new(failover.start())
}

impl<'a> Report<'a> {
    /// The report of a call starting now, to `sink`, about `key`'s
    /// endpoint.
    #[inline(never)]
    fn start(
        policy: &'a HttpPolicy,
        sink: &'a dyn MetricsSink,
        key: Option<&Arc<str>>,
    ) -> Box<Self> {
        Box::new(Report {
            sink,
            clock: &*policy.clock,
            call_id: NEXT_CALL_ID.fetch_add(1, Ordering::Relaxed),
            endpoint: key.map(Arc::clone),
            started: now(),
            delay_before: Duration::ZERO,
        })
    }
}

impl Report<'_> {
    fn record(&mut self, attempt: u32, outcome: AttemptOutcome) -> AttemptRecord {
        let mut record =
            AttemptRecord::new(self.call_id, attempt, outcome, self.clock.system_now());
        record.endpoint.clone_from(&self.endpoint);
        record.delay_before = std::mem::take(&mut self.delay_before);
        record
    }
}

impl Interceptor for Guard<'_> {
    #[inline]
    fn before_attempt(&mut self, attempt: u32) -> Result<(), StopReason> {
        if let Some(run) = &mut self.failover {
            if let Err(reason) = run.before_attempt(attempt) {
                self.no_endpoint(attempt);
                return Err(reason);
            }
            if let Some(report) = &mut self.report {
                report.endpoint = run.last_endpoint().map(|e| Arc::clone(e.shared_id()));
            }
            return Ok(());
        }
        let Some(breaker) = self.breaker else {
            return Ok(());
        };
        match breaker.try_acquire() {
            Ok(permit) => {
                self.permit = Some(permit);
                Ok(())
            }
            Err(rejected) => {
                self.not_sent(attempt, AttemptOutcome::Rejected);
                Err(StopReason::CircuitOpen {
                    next_probe_in: rejected.next_probe_in(),
                })
            }
        }
    }

    #[inline]
    fn after_attempt(&mut self, record: &retry::AttemptRecord) {
        if let Some(run) = &mut self.failover {
            run.after_attempt(record);
        }
    }

    fn adjust_delay(
        &mut self,
        attempt: u32,
        delay: Duration,
    ) -> Result<Option<Duration>, StopReason> {
        let Some(run) = &mut self.failover else {
            return Ok(None);
        };
        let adjusted = run.adjust_delay(attempt, delay);
        if adjusted.is_err() {
            self.no_endpoint(attempt + 1);
        }
        adjusted
    }

    fn before_retry(&mut self, attempt: u32, delay: Duration) -> Result<(), StopReason> {
        if let Some(run) = &mut self.failover {
            run.before_retry(attempt, delay)?;
        }
        if let Some(budget) = self.budget {
            if !budget.try_withdraw() {
                self.not_sent(attempt + 1, AttemptOutcome::BudgetDenied);
                return Err(StopReason::BudgetExhausted);
            }
        }
        if let Some(report) = &mut self.report {
            report.delay_before = delay;
        }
        Ok(())
    }

    #[inline]
    fn finished(&mut self, attempts: u32, stop: Option<StopReason>) {
        // A permit still held here belongs to an attempt that never ended
        // (it cannot happen today); dropping it frees a probe slot.
        self.permit = None;
        if self.failover.is_some() || self.report.is_some() {
            self.call_reported(attempts, stop);
        }
    }
}

impl Guard<'_> {
    /// The pool's run and the sink hear of the end of the call.
    #[inline(never)]
    fn call_reported(&mut self, attempts: u32, stop: Option<StopReason>) {
        if let Some(run) = &mut self.failover {
            run.finished(attempts, stop);
        }
        let Some(report) = &self.report else {
            return;
        };
        let outcome = match stop {
            None => CallOutcome::Success,
            Some(StopReason::Exhausted) => CallOutcome::Exhausted,
            Some(StopReason::Deadline) => CallOutcome::DeadlineExceeded,
            Some(StopReason::BudgetExhausted) => CallOutcome::BudgetExhausted,
            Some(
                StopReason::CircuitOpen { .. }
                | StopReason::AllUnavailable { .. }
                | StopReason::Rejected,
            ) => CallOutcome::Unavailable,
            Some(_) => CallOutcome::Fatal,
        };
        let mut record =
            CallRecord::new(report.call_id, attempts, outcome, report.clock.system_now());
        record.endpoint.clone_from(&report.endpoint);
        record.duration = now().saturating_duration_since(report.started);
        report.sink.record_call(&record);
    }
}

/// The metrics outcome of an attempt the classifier judged `judged` and
/// the request's rules turned into `verdict`.
fn attempt_outcome(judged: &Classification, verdict: Verdict) -> AttemptOutcome {
    match (verdict, judged.error_kind) {
        (Verdict::Success, _) => AttemptOutcome::Success,
        (Verdict::Fatal, _) => AttemptOutcome::Fatal,
        (Verdict::Retry { .. }, Some(ErrorKind::Timeout)) => AttemptOutcome::Timeout,
        (Verdict::Retry { .. }, _) => AttemptOutcome::RetryableFailure,
    }
}
