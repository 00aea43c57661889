//! What executors report when a call retries or stops: the user's hook, the
//! `tracing` events, and the final result.

use std::fmt;
use std::time::Duration;

use super::{RetryError, RetryHook, RetryRun, StopReason};

/// What an attempt that will be retried ended with.
pub(crate) enum Failure<'a, T, E> {
    Error(&'a E),
    Value(&'a T),
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    TimedOut(Duration),
}

impl<T, E: fmt::Display> fmt::Display for Failure<'_, T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Error(e) => e.fmt(f),
            Self::Value(_) => f.write_str("the outcome was classified as retryable"),
            Self::TimedOut(limit) => write!(f, "timed out after {limit:?}"),
        }
    }
}

/// Tells the hook and the log that attempt `attempt` will be retried.
#[cold]
pub(crate) fn notify_retry<T, E, H>(
    hook: &mut H,
    attempt: u32,
    max_attempts: u32,
    delay: Duration,
    failure: Failure<'_, T, E>,
) where
    E: fmt::Display,
    H: RetryHook<T, E>,
{
    tracing::info!(
        attempt,
        max_attempts,
        delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
        error = %failure,
        "attempt failed, retrying"
    );
    match failure {
        Failure::Error(e) => hook.on_retry(attempt, delay, e),
        Failure::Value(v) => hook.on_retry_value(attempt, delay, v),
        Failure::TimedOut(limit) => hook.on_retry_timeout(attempt, delay, limit),
    }
}

/// Logs the end of a call that did not succeed.
#[cold]
pub(crate) fn log_stop(
    attempts: u32,
    max_attempts: u32,
    reason: StopReason,
    error: Option<&dyn fmt::Display>,
) {
    let error = error.map(tracing::field::display);
    if reason == StopReason::Fatal {
        tracing::debug!(attempts, max_attempts, %reason, error, "not retryable, giving up");
    } else {
        tracing::warn!(attempts, max_attempts, %reason, error, "giving up");
    }
}

/// The result of a call that stopped for `reason` after the outcome `last`
/// (`None` when no attempt ran or the last one timed out); logs the stop.
///
/// An `Ok` is returned as is; an error becomes a [`RetryError`].
#[inline]
pub(crate) fn stopped<I, T, E: fmt::Display>(
    run: &RetryRun<'_, I>,
    last: Option<Result<T, E>>,
    reason: StopReason,
) -> Result<T, RetryError<E>> {
    let (attempts, max) = (run.attempts(), run.policy().max_attempts());
    match last {
        Some(Ok(value)) => {
            log_stop(attempts, max, reason, Some(&Failure::<T, E>::Value(&value)));
            Ok(value)
        }
        Some(Err(e)) => Err(give_up(attempts, max, Some(e), reason)),
        None => Err(give_up(attempts, max, None, reason)),
    }
}

/// The error of a call that gave up, logged.
#[cold]
fn give_up<E: fmt::Display>(
    attempts: u32,
    max: u32,
    last_error: Option<E>,
    reason: StopReason,
) -> RetryError<E> {
    let shown = last_error.as_ref().map(|e| e as &dyn fmt::Display);
    log_stop(attempts, max, reason, shown);
    RetryError::new(last_error, attempts, reason)
}

/// An `Err` the classifier called a success: returned like a fatal error.
#[cold]
pub(crate) fn success_err<I, E>(run: &RetryRun<'_, I>, e: E) -> RetryError<E> {
    RetryError::new(Some(e), run.attempts(), StopReason::Fatal)
}
