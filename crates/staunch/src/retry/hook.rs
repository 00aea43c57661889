//! The user's hook, called at each retry.

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
