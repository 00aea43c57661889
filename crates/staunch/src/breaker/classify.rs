//! Which errors count as failures of the thing behind the breaker.

/// Decides whether an error counts as a failure.
///
/// An error that is not a failure (a 404, a validation error: the service
/// answered properly) counts as a success: in half-open it is a successful
/// probe. Any `Fn(&E) -> bool` is a classifier:
///
/// ```
/// use staunch::breaker::{Breaker, BreakerConfig};
/// let breaker = Breaker::new("api", BreakerConfig::default().with_consecutive_failures(1)).unwrap();
/// let only_5xx = |status: &u16| *status >= 500;
/// let _ = breaker.call_with(&only_5xx, || Err::<(), u16>(404));
/// assert!(breaker.try_acquire().is_ok(), "a 404 does not trip the breaker");
/// ```
pub trait FailureClassifier<E: ?Sized> {
    /// `true` if `error` counts as a failure.
    fn is_failure(&self, error: &E) -> bool;
}

impl<E: ?Sized, F: Fn(&E) -> bool + ?Sized> FailureClassifier<E> for F {
    fn is_failure(&self, error: &E) -> bool {
        self(error)
    }
}

/// The default classifier: every error is a failure.
#[derive(Debug, Clone, Copy, Default)]
pub struct AllErrors;

impl<E: ?Sized> FailureClassifier<E> for AllErrors {
    fn is_failure(&self, _: &E) -> bool {
        true
    }
}
