//! The loop that runs the attempts of one client request.

use std::time::Duration;

use staunch::breaker::Breaker;
use staunch::metrics::{AttemptOutcome, CallOutcome};
use tokio::time::Instant;

use super::record::CallLog;
use super::{Attempt, AttemptError, AttemptErrorKind};
use crate::endpoint::Endpoint;
use crate::engine::Engine;
use crate::reply::kind_code;

/// The shortest `Retry-After` when no endpoint could be reached; an open
/// breaker's next probe time is used when it is later.
pub const UNAVAILABLE_RETRY_AFTER: Duration = Duration::from_secs(1);

/// The limits one client request puts on its attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptLimits {
    /// Attempts allowed, the first included (at least 1).
    pub max_attempts: u32,
    /// No attempt starts after this instant, and the last one is cut off at
    /// it.
    pub deadline: Option<Instant>,
    /// Whether the request may be repeated after an attempt that may have
    /// reached its endpoint (an idempotent or opted-in request). When
    /// `false`, only failures that prove nothing was sent move on.
    pub repeat_after_delivery: bool,
}

impl AttemptLimits {
    /// One attempt, no deadline, no repeat: a request that must not be sent
    /// twice.
    pub const ONCE: Self = Self {
        max_attempts: 1,
        deadline: None,
        repeat_after_delivery: false,
    };
}

/// The answer a request ends with.
#[derive(Debug)]
pub struct Attempted<T> {
    /// The answer (a response, a tunnel).
    pub output: T,
    /// Attempts made for this request, the one that answered included.
    pub attempts: u32,
    /// The endpoint that answered.
    pub endpoint: Endpoint,
}

/// No attempt produced an answer.
#[derive(Debug)]
pub struct AttemptsFailed {
    /// Attempts made (sent).
    pub attempts: u32,
    /// Why each endpoint failed or was skipped, in order.
    pub errors: Vec<AttemptError>,
    /// When the client may try again.
    pub retry_after: Duration,
}

impl AttemptsFailed {
    /// The last failure.
    pub fn last_error(&self) -> Option<&AttemptError> {
        self.errors.last()
    }
}

/// Runs the attempts of one request across `endpoints`.
///
/// Each endpoint at most once, in the given order, up to
/// `limits.max_attempts` sent attempts. An endpoint whose circuit breaker
/// rejects is skipped (not counted as an attempt). Every attempt after the
/// first asks `engine`'s retry budget; a refusal ends the request. Stops
/// at the first answer that is not retryable (see
/// [`Attempt::is_retryable`]), at the deadline, or after a failure that
/// may have reached the endpoint when the request may not be repeated.
/// When every attempt answered with a retryable answer, the last such
/// answer is returned; when none answered at all, the failures are.
///
/// Each outcome is reported to the endpoint's breaker (failed attempts and
/// answers for which [`Attempt::is_endpoint_failure`] holds are failures)
/// and recorded in the metrics store, with one call record at the end.
///
/// This body is what the engine's failover executor replaces (selection
/// strategy, backoff).
pub async fn run_attempts<A: Attempt>(
    engine: &Engine,
    endpoints: &[Endpoint],
    limits: &AttemptLimits,
    attempt: &mut A,
) -> Result<Attempted<A::Output>, AttemptsFailed> {
    let allowed = limits.max_attempts.max(1);
    let mut made = 0u32;
    let mut errors = Vec::new();
    let mut retryable: Option<(A::Output, Endpoint)> = None;
    let mut stopped: Option<CallOutcome> = None;
    let mut next_probe: Option<Duration> = None;
    let mut log = CallLog::new(engine);
    let budget = engine.budget();
    budget.deposit();
    for endpoint in endpoints {
        if made >= allowed {
            break;
        }
        let time_left = match limits.deadline {
            Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => Some(left),
                _ => {
                    stopped = Some(CallOutcome::DeadlineExceeded);
                    break;
                }
            },
            None => None,
        };
        let breaker = engine.breaker_for(endpoint);
        let permit = match breaker.as_ref().map(Breaker::try_acquire) {
            Some(Err(rejected)) => {
                log.not_sent(endpoint, made + 1, AttemptOutcome::Rejected);
                if let Some(probe) = rejected.next_probe_in() {
                    next_probe = Some(next_probe.map_or(probe, |p| p.min(probe)));
                }
                tracing::debug!(endpoint = endpoint.id(), %rejected, "skipped: breaker open");
                errors.push(
                    AttemptError::new(AttemptErrorKind::CircuitOpen, endpoint.id())
                        .with_source(rejected),
                );
                continue;
            }
            Some(Ok(permit)) => Some(permit),
            None => None,
        };
        if made > 0 && !budget.try_withdraw() {
            log.not_sent(endpoint, made + 1, AttemptOutcome::BudgetDenied);
            tracing::debug!(attempt = made + 1, "retry refused by the retry budget");
            stopped = Some(CallOutcome::BudgetExhausted);
            break;
        }
        made += 1;
        let started = Instant::now();
        let outcome = match time_left {
            Some(left) => tokio::time::timeout(left, attempt.attempt(endpoint, time_left))
                .await
                .unwrap_or_else(|_| {
                    Err(AttemptError::new(AttemptErrorKind::Timeout, endpoint.id()))
                }),
            None => attempt.attempt(endpoint, None).await,
        };
        let latency = started.elapsed();
        match outcome {
            Ok(output) => {
                let retry = attempt.is_retryable(&output);
                let status = attempt.status(&output);
                if let Some(permit) = permit {
                    match attempt.is_endpoint_failure(&output) {
                        true => permit.failure(),
                        false => permit.success(),
                    };
                }
                let class = if retry {
                    AttemptOutcome::RetryableFailure
                } else if status.is_some_and(|s| s >= 400) {
                    AttemptOutcome::Fatal
                } else {
                    AttemptOutcome::Success
                };
                log.sent(endpoint, made, class, status, None, latency);
                if retry && limits.repeat_after_delivery {
                    retryable = Some((output, endpoint.clone()));
                    continue;
                }
                log.finish(
                    made,
                    match class {
                        AttemptOutcome::Success => CallOutcome::Success,
                        AttemptOutcome::Fatal => CallOutcome::Fatal,
                        _ => CallOutcome::Exhausted,
                    },
                );
                return Ok(Attempted {
                    output,
                    attempts: made,
                    endpoint: endpoint.clone(),
                });
            }
            Err(error) => {
                let kind = error.kind();
                if let Some(permit) = permit {
                    // A body that cannot be replayed says nothing about the
                    // endpoint: the permit is dropped without an outcome.
                    if kind != AttemptErrorKind::BodyNotReplayable {
                        permit.failure();
                    }
                }
                let class = match kind {
                    AttemptErrorKind::Timeout => AttemptOutcome::Timeout,
                    AttemptErrorKind::BodyNotReplayable => AttemptOutcome::Fatal,
                    _ => AttemptOutcome::RetryableFailure,
                };
                log.sent(endpoint, made, class, None, Some(kind_code(kind)), latency);
                let stop = kind.may_have_reached_endpoint() && !limits.repeat_after_delivery;
                tracing::debug!(attempt = made, %error, "attempt failed");
                errors.push(error);
                if stop {
                    stopped = Some(CallOutcome::Fatal);
                    break;
                }
            }
        }
    }
    if let Some((output, endpoint)) = retryable {
        log.finish(made, stopped.unwrap_or(CallOutcome::Exhausted));
        return Ok(Attempted {
            output,
            attempts: made,
            endpoint,
        });
    }
    let outcome = stopped.unwrap_or_else(|| {
        let last_sent = errors
            .iter()
            .rev()
            .find(|e| e.kind() != AttemptErrorKind::CircuitOpen);
        match last_sent.map(AttemptError::kind) {
            None => CallOutcome::Unavailable,
            Some(AttemptErrorKind::Timeout) => CallOutcome::DeadlineExceeded,
            Some(_) => CallOutcome::Exhausted,
        }
    });
    log.finish(made, outcome);
    Err(AttemptsFailed {
        attempts: made,
        errors,
        retry_after: next_probe.map_or(UNAVAILABLE_RETRY_AFTER, |p| p.max(UNAVAILABLE_RETRY_AFTER)),
    })
}
