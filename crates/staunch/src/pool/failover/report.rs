//! Records for the metrics sink, and the shared steps of starting and
//! settling one attempt on one endpoint.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use super::failover::Shared;
use super::health::next_probe_in;
use crate::breaker::OwnedPermit;
use crate::metrics::{AttemptOutcome, AttemptRecord, CallOutcome};
use crate::pool::{EndpointEntry, InFlight, Outcome};
use crate::retry::{StopReason, Verdict};

/// The reason a call stops when no endpoint would admit it now.
pub(crate) fn unavailable<A>(shared: &Shared<A>) -> StopReason {
    let next_probe_in = next_probe_in(&shared.pool, &shared.registry);
    tracing::debug!(
        next_probe_in_ms = next_probe_in.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        "every endpoint is unavailable"
    );
    StopReason::AllUnavailable { next_probe_in }
}

/// Takes a permit from `entry`'s breaker and starts the attempt on it, or
/// `None` when the breaker refuses.
pub(crate) fn try_begin<A>(
    shared: &Shared<A>,
    entry: &Arc<EndpointEntry<A>>,
    now: Instant,
) -> Option<(OwnedPermit, InFlight<A>)> {
    let permit = shared.registry.get(entry.id()).try_acquire_owned().ok()?;
    Some((permit, InFlight::start_at(Arc::clone(entry), now)))
}

/// How a finished attempt is recorded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settled {
    pub(crate) outcome: AttemptOutcome,
    pub(crate) failed: bool,
    pub(crate) latency: Duration,
    /// When the attempt ended, on the pool's clock.
    pub(crate) ended: Instant,
}

/// Records an attempt's outcome on the endpoint's statistics and breaker.
///
/// A retryable outcome or a timeout is a failure. A fatal one is not: it
/// says the request is at fault, not the endpoint, which did answer. The
/// breaker records `breaker` instead when the caller set it (see
/// [`FailoverRun::set_breaker_outcome`](super::FailoverRun::set_breaker_outcome)).
pub(crate) fn settle<A>(
    guard: InFlight<A>,
    permit: OwnedPermit,
    verdict: Verdict,
    timed_out: bool,
    error: Option<&dyn fmt::Display>,
    breaker: Option<Outcome>,
) -> Settled {
    let failed = timed_out || verdict.is_retry();
    let started = guard.started();
    let latency = match (failed, error) {
        (false, _) => guard.success(),
        (true, _) if timed_out => guard.failure(&"the attempt timed out"),
        (true, Some(error)) => guard.failure(error),
        (true, None) => guard.finish(Outcome::Failure),
    };
    let outcome = breaker.unwrap_or(if failed {
        Outcome::Failure
    } else {
        Outcome::Success
    });
    permit.record_with_latency(outcome, latency);
    let outcome = match verdict {
        _ if timed_out => AttemptOutcome::Timeout,
        Verdict::Success => AttemptOutcome::Success,
        Verdict::Retry { .. } => AttemptOutcome::RetryableFailure,
        Verdict::Fatal => AttemptOutcome::Fatal,
    };
    Settled {
        outcome,
        failed,
        latency,
        ended: started + latency,
    }
}

/// One attempt as the sink sees it.
pub(crate) struct AttemptReport<'e> {
    pub(crate) call_id: u64,
    pub(crate) attempt: u32,
    pub(crate) outcome: AttemptOutcome,
    pub(crate) endpoint: Option<&'e Arc<str>>,
    pub(crate) delay_before: Duration,
    pub(crate) latency: Duration,
}

/// Sends an attempt record to the sink, if there is one; returns the wall
/// time it was recorded at.
pub(crate) fn emit_attempt<A>(shared: &Shared<A>, report: AttemptReport<'_>) -> Option<SystemTime> {
    let Some(sink) = &shared.sink else {
        return None;
    };
    let at = shared.pool.clock().system_now();
    let mut record = AttemptRecord::new(report.call_id, report.attempt, report.outcome, at)
        .with_delay_before(report.delay_before)
        .with_latency(report.latency);
    if let Some(endpoint) = report.endpoint {
        record = record.with_endpoint(Arc::clone(endpoint));
    }
    sink.record_attempt(&record);
    Some(at)
}

/// The call outcome for the metrics of a call that stopped for `stop`.
pub(crate) fn call_outcome(stop: Option<StopReason>) -> CallOutcome {
    match stop {
        None => CallOutcome::Success,
        Some(StopReason::Fatal) => CallOutcome::Fatal,
        Some(StopReason::Deadline) => CallOutcome::DeadlineExceeded,
        Some(StopReason::BudgetExhausted) => CallOutcome::BudgetExhausted,
        Some(
            StopReason::AllUnavailable { .. }
            | StopReason::CircuitOpen { .. }
            | StopReason::Rejected,
        ) => CallOutcome::Unavailable,
        Some(_) => CallOutcome::Exhausted,
    }
}
