//! Notifications at each retry: the user's hook and the `tracing` events.

use std::fmt;
use std::time::Duration;

/// Called before each sleep between two attempts.
///
/// Closures `FnMut(attempt, delay, &error)` are hooks (through
/// [`on_retry`](super::Call::on_retry)); implement the trait to also hear of
/// retries after an `Ok` the classifier wanted retried, or after a timeout.
pub trait RetryHook<T, E> {
    /// Attempt `attempt` (1 for the first) failed with `error`; the next one
    /// starts after `delay`.
    fn on_retry(&mut self, attempt: u32, delay: Duration, error: &E);

    /// Attempt `attempt` returned `value`, which the classifier asked to
    /// retry. Does nothing by default.
    #[inline]
    fn on_retry_value(&mut self, attempt: u32, delay: Duration, value: &T) {
        let _ = (attempt, delay, value);
    }

    /// Attempt `attempt` was cut by its time limit `limit`. Does nothing by
    /// default.
    #[inline]
    fn on_retry_timeout(&mut self, attempt: u32, delay: Duration, limit: Duration) {
        let _ = (attempt, delay, limit);
    }
}

impl<T, E, H: RetryHook<T, E> + ?Sized> RetryHook<T, E> for &mut H {
    #[inline]
    fn on_retry(&mut self, attempt: u32, delay: Duration, error: &E) {
        (**self).on_retry(attempt, delay, error);
    }

    #[inline]
    fn on_retry_value(&mut self, attempt: u32, delay: Duration, value: &T) {
        (**self).on_retry_value(attempt, delay, value);
    }

    #[inline]
    fn on_retry_timeout(&mut self, attempt: u32, delay: Duration, limit: Duration) {
        (**self).on_retry_timeout(attempt, delay, limit);
    }
}

/// The hook that does nothing (the default).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHook;

impl<T, E> RetryHook<T, E> for NoHook {
    #[inline]
    fn on_retry(&mut self, _: u32, _: Duration, _: &E) {}
}

/// A closure `FnMut(attempt, delay, &error)` as a [`RetryHook`].
#[derive(Debug, Clone, Copy)]
pub struct FnHook<F>(pub F);

impl<T, E, F> RetryHook<T, E> for FnHook<F>
where
    F: FnMut(u32, Duration, &E),
{
    #[inline]
    fn on_retry(&mut self, attempt: u32, delay: Duration, error: &E) {
        (self.0)(attempt, delay, error);
    }
}

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
    reason: super::StopReason,
    error: Option<&dyn fmt::Display>,
) {
    let error = error.map(tracing::field::display);
    if reason == super::StopReason::Fatal {
        tracing::debug!(attempts, max_attempts, %reason, error, "not retryable, giving up");
    } else {
        tracing::warn!(attempts, max_attempts, %reason, error, "giving up");
    }
}
