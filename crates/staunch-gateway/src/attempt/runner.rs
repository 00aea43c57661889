//! The loop that runs the attempts of one client request.

use std::time::Duration;

use tokio::time::Instant;

use super::{Attempt, AttemptError, AttemptErrorKind};
use crate::endpoint::Endpoint;

/// What `Retry-After` says when no endpoint could be reached. The engine's
/// breakers replace it with the time of the next probe.
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
    /// Attempts made.
    pub attempts: u32,
    /// Why each attempt failed, in order.
    pub errors: Vec<AttemptError>,
    /// When the client may try again.
    pub retry_after: Duration,
}

impl AttemptsFailed {
    /// The last failure, which decides the status returned to the client.
    pub fn last_error(&self) -> Option<&AttemptError> {
        self.errors.last()
    }
}

/// Runs the attempts of one request across `endpoints`.
///
/// Today: each endpoint once, in the given order, up to
/// `limits.max_attempts`; stops at the first answer that is not retryable
/// (see [`Attempt::is_retryable`]), at the deadline, or after a failure
/// that may have reached the endpoint when the request may not be
/// repeated. When every attempt answered with a retryable answer (a 5xx),
/// the last such answer is returned; when none answered at all, the
/// failures are.
///
/// This body is what the engine's failover executor replaces (breakers,
/// strategy, budget, backoff); the signature stays.
pub async fn run_attempts<A: Attempt>(
    endpoints: &[Endpoint],
    limits: &AttemptLimits,
    attempt: &mut A,
) -> Result<Attempted<A::Output>, AttemptsFailed> {
    let allowed = usize::try_from(limits.max_attempts.max(1)).unwrap_or(usize::MAX);
    let mut made = 0u32;
    let mut errors = Vec::new();
    let mut retryable: Option<(A::Output, Endpoint)> = None;
    for endpoint in endpoints.iter().take(allowed) {
        let time_left = match limits.deadline {
            Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => Some(left),
                _ => break,
            },
            None => None,
        };
        made += 1;
        let outcome = match time_left {
            Some(left) => tokio::time::timeout(left, attempt.attempt(endpoint, time_left))
                .await
                .unwrap_or_else(|_| {
                    Err(AttemptError::new(AttemptErrorKind::Timeout, endpoint.id()))
                }),
            None => attempt.attempt(endpoint, None).await,
        };
        match outcome {
            Ok(output) if attempt.is_retryable(&output) && limits.repeat_after_delivery => {
                retryable = Some((output, endpoint.clone()));
            }
            Ok(output) => {
                return Ok(Attempted {
                    output,
                    attempts: made,
                    endpoint: endpoint.clone(),
                });
            }
            Err(error) => {
                let stop =
                    error.kind().may_have_reached_endpoint() && !limits.repeat_after_delivery;
                tracing::debug!(attempt = made, %error, "attempt failed");
                errors.push(error);
                if stop {
                    break;
                }
            }
        }
    }
    match retryable {
        Some((output, endpoint)) => Ok(Attempted {
            output,
            attempts: made,
            endpoint,
        }),
        None => Err(AttemptsFailed {
            attempts: made,
            errors,
            retry_after: UNAVAILABLE_RETRY_AFTER,
        }),
    }
}
