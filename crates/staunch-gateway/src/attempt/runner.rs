//! The loop that runs the attempts of one client request, on the engine's
//! sans-IO retry core and the upstream's failover run.

use std::time::Duration;

use staunch::breaker::Outcome as BreakerOutcome;
use staunch::retry::{RetryPolicy, RetryRun, Step, StopReason, Verdict};
use tokio::time::Instant;

use super::gate::Gate;
use super::outcome::{out_of_time, unavailable};
use super::{
    Attempt, AttemptError, AttemptErrorKind, AttemptLimits, Attempted, AttemptsFailed,
    UNAVAILABLE_RETRY_AFTER,
};
use crate::endpoint::Endpoint;
use crate::engine::{Engine, LivePolicy};
use crate::upstream::Upstream;

/// Now on tokio's clock (which tests pause).
fn now() -> std::time::Instant {
    Instant::now().into_std()
}

/// Runs the attempts of one request on `upstream`'s failover executor, under
/// `engine`'s live retry policy narrowed by `limits`.
///
/// - Each attempt goes to the endpoint the upstream's strategy picks among
///   those whose breaker admits a call; a retry goes to an endpoint the
///   request has not tried yet while there is one, at once (or after the
///   failover delay), else back to one already tried after the policy's
///   backoff (with jitter, capped), and not before a `Retry-After` the
///   endpoint sent (capped by `max_retry_after`).
/// - Retried: answers [`Attempt::is_retryable`] accepts, every
///   [`AttemptError`] but [`AttemptErrorKind::BodyNotReplayable`] and
///   [`AttemptErrorKind::ClientBody`], and
///   attempts cut by the policy's attempt timeout. When
///   `limits.repeat_after_delivery` is off, only failures that prove
///   nothing was sent are.
/// - Stops at the first final answer, after `limits.max_attempts`, at the
///   deadline, when the retry budget refuses a retry, or at once (no sleep)
///   when no endpoint's breaker admits a call.
/// - When retrying stops without a final answer, the last retryable answer
///   is returned as it is; with no answer at all, the failures are.
///
/// Every attempt is recorded on its endpoint's breaker (answers as
/// [`Attempt::is_endpoint_failure`] says, failures as failures) and
/// statistics, and in the metrics store, with one call record at the end.
pub async fn run_attempts<A: Attempt>(
    engine: &Engine,
    upstream: &Upstream,
    limits: &AttemptLimits,
    attempt: &mut A,
) -> Result<Attempted<A::Output>, AttemptsFailed> {
    run_attempts_under(&engine.policy(), engine, upstream, limits, attempt).await
}

/// [`run_attempts`] under `policy`, a live retry policy the caller already
/// holds.
pub async fn run_attempts_under<A: Attempt>(
    policy: &LivePolicy,
    engine: &Engine,
    upstream: &Upstream,
    limits: &AttemptLimits,
    attempt: &mut A,
) -> Result<Attempted<A::Output>, AttemptsFailed> {
    let time_allowed = match limits.deadline {
        None => None,
        Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
            Some(left) if !left.is_zero() => Some(left),
            _ => return Err(out_of_time(upstream)),
        },
    };
    let narrowed = request_policy(policy.policy(), limits.max_attempts, time_allowed);
    let policy = narrowed.as_ref().unwrap_or(policy.policy());
    let gate = Gate::new(upstream.failover().start());
    let mut run = RetryRun::new(policy, gate, now);
    let mut errors = Vec::new();
    // The last answer worth another attempt, returned if nothing does better.
    let mut answer: Option<(A::Output, Endpoint)> = None;
    loop {
        let limit = match run.begin_attempt(now) {
            Ok(limit) => limit,
            Err(reason) => return stopped(engine, upstream, &run, reason, answer, errors),
        };
        let Some(endpoint) = run.interceptor().endpoint() else {
            // The failover run chooses an endpoint in `begin_attempt`.
            return stopped(engine, upstream, &run, StopReason::Rejected, answer, errors);
        };
        let pending = attempt.attempt(&endpoint, limit);
        let outcome = match limit {
            Some(limit) => tokio::time::timeout(limit, pending).await.ok(),
            None => Some(pending.await),
        };
        let step = match outcome {
            Some(Ok(output)) => {
                if let Some((replaced, _)) = answer.take() {
                    attempt.discard(replaced);
                }
                let verdict = classify(attempt, &output);
                let gate = run.interceptor_mut();
                gate.set_may_repeat(limits.repeat_after_delivery);
                gate.run_mut()
                    .set_breaker_outcome(match attempt.is_endpoint_failure(&output) {
                        true => BreakerOutcome::Failure,
                        false => BreakerOutcome::Success,
                    });
                if let (true, Some(status)) = (verdict.is_retry(), attempt.status(&output)) {
                    gate.run_mut()
                        .note_error(&format_args!("answered {status}"));
                }
                match run.end_attempt(verdict, now) {
                    Step::Retry { delay } => {
                        answer = Some((output, endpoint));
                        Step::Retry { delay }
                    }
                    // Done, or retrying stopped on this answer: it is
                    // returned as it is.
                    Step::Done | Step::Stop(_) => {
                        return Ok(Attempted {
                            output,
                            attempts: run.attempts(),
                            endpoint,
                        })
                    }
                }
            }
            Some(Err(error)) => {
                let kind = error.kind();
                let gate = run.interceptor_mut();
                gate.set_may_repeat(
                    limits.repeat_after_delivery || !kind.may_have_reached_endpoint(),
                );
                gate.run_mut().note_error(&error);
                tracing::debug!(attempt = run.attempts(), %error, "attempt failed");
                errors.push(error);
                let verdict = match kind {
                    AttemptErrorKind::BodyNotReplayable | AttemptErrorKind::ClientBody => {
                        Verdict::Fatal
                    }
                    _ => Verdict::RETRY,
                };
                run.end_attempt(verdict, now)
            }
            None => {
                run.interceptor_mut()
                    .set_may_repeat(limits.repeat_after_delivery);
                tracing::debug!(
                    attempt = run.attempts(),
                    endpoint = endpoint.id(),
                    "attempt timed out"
                );
                errors.push(AttemptError::new(AttemptErrorKind::Timeout, endpoint.id()));
                run.end_timed_out_attempt(now)
            }
        };
        match step {
            Step::Retry { delay } if delay.is_zero() => {}
            Step::Retry { delay } => tokio::time::sleep(delay).await,
            Step::Stop(reason) => return stopped(engine, upstream, &run, reason, answer, errors),
            // Only a success is done, and failures are never one.
            Step::Done => {
                return stopped(engine, upstream, &run, StopReason::Fatal, answer, errors)
            }
        }
    }
}

/// What an answer means: retryable, final (a status of 400 or more), or a
/// success.
fn classify<A: Attempt>(attempt: &A, output: &A::Output) -> Verdict {
    if attempt.is_retryable(output) {
        return Verdict::Retry {
            after: attempt.retry_after(output),
        };
    }
    match attempt.status(output) {
        Some(status) if status >= 400 => Verdict::Fatal,
        _ => Verdict::Success,
    }
}

/// The live policy with this request's attempt count and time allowed;
/// `None` when that is the live policy itself (the common case: no control
/// header and no overall timeout), which then needs no copy.
fn request_policy(
    live: &RetryPolicy,
    max_attempts: u32,
    time_allowed: Option<Duration>,
) -> Option<RetryPolicy> {
    if max_attempts == live.max_attempts() && time_allowed.is_none() && live.deadline().is_none() {
        return None;
    }
    let mut builder = RetryPolicy::builder()
        .with_max_attempts(max_attempts)
        .with_backoff(*live.backoff())
        .with_max_retry_after(live.max_retry_after());
    if let Some(timeout) = live.attempt_timeout() {
        builder = builder.with_attempt_timeout(timeout);
    }
    if let Some(time) = time_allowed {
        builder = builder.with_deadline(time);
    }
    if let Some(seed) = live.rng_seed() {
        builder = builder.with_rng_seed(seed);
    }
    Some(builder.build())
}

/// The end of a request that got no final answer.
fn stopped<T>(
    engine: &Engine,
    upstream: &Upstream,
    run: &RetryRun<'_, Gate<'_>>,
    reason: StopReason,
    answer: Option<(T, Endpoint)>,
    mut errors: Vec<AttemptError>,
) -> Result<Attempted<T>, AttemptsFailed> {
    let attempts = run.attempts();
    if let Some((output, endpoint)) = answer {
        return Ok(Attempted {
            output,
            attempts,
            endpoint,
        });
    }
    let retry_after = match reason {
        StopReason::AllUnavailable { next_probe_in } => {
            errors.extend(unavailable(engine, upstream));
            next_probe_in.map_or(UNAVAILABLE_RETRY_AFTER, |d| d.max(UNAVAILABLE_RETRY_AFTER))
        }
        _ => UNAVAILABLE_RETRY_AFTER,
    };
    Err(AttemptsFailed {
        attempts,
        errors,
        retry_after,
        reason,
    })
}
