//! Classification: is an outcome a success, worth retrying, or final?

use std::time::Duration;

/// What one attempt's outcome means for the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Done: return the outcome.
    Success,
    /// Worth another attempt, optionally not before `after` (a server hint
    /// such as `Retry-After`; it raises the backoff delay, capped by
    /// [`max_retry_after`](super::RetryPolicy::max_retry_after)).
    Retry {
        /// "Not before this long", when the other side said so.
        after: Option<Duration>,
    },
    /// Not worth retrying: return the outcome at once.
    Fatal,
}

impl Verdict {
    /// [`Verdict::Retry`] without a hint.
    pub const RETRY: Self = Self::Retry { after: None };

    /// [`Verdict::Retry`] not before `after`.
    pub const fn retry_after(after: Duration) -> Self {
        Self::Retry { after: Some(after) }
    }

    /// Whether this verdict asks for another attempt.
    pub const fn is_retry(&self) -> bool {
        matches!(self, Self::Retry { .. })
    }
}

/// Decides the [`Verdict`] of each attempt's outcome.
///
/// It sees the whole `Result`, so an `Ok` may be retried too (an HTTP
/// response with status 503 is an `Ok` for most clients). Closures taking
/// `&Result<T, E>` implement it; [`RetryAll`] is the default and [`RetryIf`]
/// adapts a predicate on the error.
///
/// ```
/// use staunch::retry::{Classify, Verdict};
/// use std::time::Duration;
///
/// #[derive(Debug)]
/// enum ApiError { RateLimited { wait: Duration }, NotFound, Io }
///
/// let classify = |r: &Result<u32, ApiError>| match r {
///     Ok(_) => Verdict::Success,
///     Err(ApiError::RateLimited { wait }) => Verdict::retry_after(*wait),
///     Err(ApiError::NotFound) => Verdict::Fatal,
///     Err(ApiError::Io) => Verdict::RETRY,
/// };
/// assert_eq!(classify.classify(&Err(ApiError::NotFound)), Verdict::Fatal);
/// ```
pub trait Classify<T, E> {
    /// The verdict on `outcome`.
    fn classify(&self, outcome: &Result<T, E>) -> Verdict;
}

impl<T, E, F> Classify<T, E> for F
where
    F: Fn(&Result<T, E>) -> Verdict,
{
    #[inline]
    fn classify(&self, outcome: &Result<T, E>) -> Verdict {
        self(outcome)
    }
}

/// The default classifier: every `Ok` is a success, every `Err` is retried.
#[derive(Debug, Clone, Copy, Default)]
pub struct RetryAll;

impl<T, E> Classify<T, E> for RetryAll {
    #[inline]
    fn classify(&self, outcome: &Result<T, E>) -> Verdict {
        match outcome {
            Ok(_) => Verdict::Success,
            Err(_) => Verdict::RETRY,
        }
    }
}

/// Retries the errors a predicate accepts; other errors are fatal, `Ok` is a
/// success.
///
/// ```
/// use staunch::retry::{Classify, RetryIf, Verdict};
/// let only_timeouts = RetryIf(|e: &std::io::Error| e.kind() == std::io::ErrorKind::TimedOut);
/// let denied: Result<(), _> = Err(std::io::Error::from(std::io::ErrorKind::PermissionDenied));
/// assert_eq!(only_timeouts.classify(&denied), Verdict::Fatal);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct RetryIf<P>(pub P);

impl<T, E, P> Classify<T, E> for RetryIf<P>
where
    P: Fn(&E) -> bool,
{
    #[inline]
    fn classify(&self, outcome: &Result<T, E>) -> Verdict {
        match outcome {
            Ok(_) => Verdict::Success,
            Err(e) if (self.0)(e) => Verdict::RETRY,
            Err(_) => Verdict::Fatal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_classifier_retries_every_error() {
        let err: Result<(), &str> = Err("boom");
        assert_eq!(RetryAll.classify(&err), Verdict::RETRY);
        assert_eq!(RetryAll.classify(&Ok::<_, &str>(())), Verdict::Success);
    }

    #[test]
    fn retry_if_makes_unaccepted_errors_fatal() {
        let retry_odd = RetryIf(|e: &u32| e % 2 == 1);
        assert_eq!(retry_odd.classify(&Err::<(), _>(3)), Verdict::RETRY);
        assert_eq!(retry_odd.classify(&Err::<(), _>(4)), Verdict::Fatal);
    }

    #[test]
    fn closure_classifier_can_carry_a_hint() {
        let c = |r: &Result<(), u64>| match r {
            Ok(()) => Verdict::Success,
            Err(secs) => Verdict::retry_after(Duration::from_secs(*secs)),
        };
        assert_eq!(
            c.classify(&Err(5)),
            Verdict::Retry {
                after: Some(Duration::from_secs(5))
            }
        );
    }
}
