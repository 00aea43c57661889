//! Why a failover call gave up, and on which endpoint.

use std::error::Error;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::retry::{RetryError, StopReason};

/// A failover call that gave up: the [`RetryError`] (last error, attempts,
/// reason) plus the endpoint the last attempt went to.
///
/// ```
/// use staunch::pool::FailoverError;
/// use staunch::retry::{RetryError, StopReason};
///
/// let err = FailoverError::new(
///     RetryError::new(Some("connection reset"), 3, StopReason::Exhausted),
///     Some("proxy-7".into()),
/// );
/// assert_eq!(err.last_endpoint(), Some("proxy-7"));
/// assert_eq!(
///     err.to_string(),
///     "retries exhausted after 3 attempts (last endpoint `proxy-7`): connection reset"
/// );
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct FailoverError<E> {
    retry: RetryError<E>,
    last_endpoint: Option<Arc<str>>,
}

impl<E> FailoverError<E> {
    /// A give-up whose last attempt went to `last_endpoint` (`None` when no
    /// attempt was made).
    pub fn new(retry: RetryError<E>, last_endpoint: Option<Arc<str>>) -> Self {
        Self {
            retry,
            last_endpoint,
        }
    }

    /// The id of the endpoint the last attempt went to; `None` when no
    /// endpoint could be tried at all.
    pub fn last_endpoint(&self) -> Option<&str> {
        self.last_endpoint.as_deref()
    }

    /// Why retrying stopped.
    pub fn reason(&self) -> StopReason {
        self.retry.reason()
    }

    /// How many attempts were made, the first included.
    pub fn attempts(&self) -> u32 {
        self.retry.attempts()
    }

    /// The error of the last attempt, if it produced one.
    pub fn last_error(&self) -> Option<&E> {
        self.retry.last_error()
    }

    /// When the first endpoint lets a probe through again, if the call
    /// stopped because every endpoint was unavailable.
    pub fn next_probe_in(&self) -> Option<Duration> {
        match self.retry.reason() {
            StopReason::AllUnavailable { next_probe_in }
            | StopReason::CircuitOpen { next_probe_in } => next_probe_in,
            _ => None,
        }
    }

    /// The retry error (last error, attempts, reason).
    pub fn retry_error(&self) -> &RetryError<E> {
        &self.retry
    }

    /// Takes the retry error out.
    pub fn into_retry_error(self) -> RetryError<E> {
        self.retry
    }

    /// Takes the last error out.
    pub fn into_last_error(self) -> Option<E> {
        self.retry.into_last_error()
    }
}

impl<E: fmt::Debug> fmt::Debug for FailoverError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FailoverError")
            .field("last_error", &self.retry.last_error())
            .field("attempts", &self.retry.attempts())
            .field("reason", &self.retry.reason())
            .field("last_endpoint", &self.last_endpoint())
            .finish()
    }
}

impl<E: fmt::Display> fmt::Display for FailoverError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let attempts = self.attempts();
        if attempts == 0 {
            return write!(f, "{}; no attempt was made", self.reason());
        }
        let plural = if attempts == 1 { "" } else { "s" };
        write!(f, "{} after {attempts} attempt{plural}", self.reason())?;
        if let Some(endpoint) = self.last_endpoint() {
            write!(f, " (last endpoint `{endpoint}`)")?;
        }
        match self.last_error() {
            Some(e) => write!(f, ": {e}"),
            None => f.write_str(": the last attempt timed out"),
        }
    }
}

impl<E: Error + 'static> Error for FailoverError<E> {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.last_error().map(|e| e as &(dyn Error + 'static))
    }
}

impl<E> From<FailoverError<E>> for RetryError<E> {
    fn from(err: FailoverError<E>) -> Self {
        err.retry
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unavailable_error_says_when_to_come_back_and_names_no_endpoint() {
        let reason = StopReason::AllUnavailable {
            next_probe_in: Some(Duration::from_millis(4_200)),
        };
        let err: FailoverError<String> = FailoverError::new(RetryError::new(None, 0, reason), None);
        assert_eq!(err.next_probe_in(), Some(Duration::from_millis(4_200)));
        assert_eq!(
            err.to_string(),
            "all endpoints unavailable, next probe in 4.2 s; no attempt was made"
        );
    }

    #[test]
    fn source_is_the_last_error() {
        let io = std::io::Error::other("refused");
        let err = FailoverError::new(
            RetryError::new(Some(io), 2, StopReason::Exhausted),
            Some("a".into()),
        );
        assert_eq!(err.source().unwrap().to_string(), "refused");
        assert_eq!(err.last_endpoint(), Some("a"));
    }
}
