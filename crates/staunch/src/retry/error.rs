//! Why a call gave up, and with which error.

use std::error::Error;
use std::fmt;
use std::time::Duration;

/// Why retrying stopped without a success.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StopReason {
    /// Every allowed attempt was made and the last one failed.
    Exhausted,
    /// The classifier called the outcome not retryable.
    Fatal,
    /// The next sleep would have ended at or past the deadline (or a server
    /// hint asked to wait past it, or the deadline cut an attempt short).
    Deadline,
    /// The retry budget refused another retry.
    BudgetExhausted,
    /// Something plugged into the retry loop refused the attempt.
    Rejected,
    /// The circuit breaker guarding the call is open (or isolated, or its
    /// probe slots are busy); no attempt was made and no sleep was started.
    CircuitOpen {
        /// When the breaker lets the next probe through, if known.
        next_probe_in: Option<Duration>,
    },
    /// No endpoint of the pool would admit a call (every breaker is open,
    /// isolated or out of probe slots); the call failed at once without
    /// sleeping. Endpoints that already failed this call but still admit
    /// calls are reused after the backoff instead.
    AllUnavailable {
        /// When the first endpoint lets a probe through again, if known.
        next_probe_in: Option<Duration>,
    },
}

impl StopReason {
    /// A short advice on what this reason means for the caller.
    pub const fn advice(&self) -> &'static str {
        match self {
            Self::Exhausted => "all attempts failed; the error is likely to persist for now",
            Self::Fatal => "the error is not retryable; retrying would not help",
            Self::Deadline => {
                "the time allowed for the call ran out; allow more time or fewer retries"
            }
            Self::BudgetExhausted => {
                "too many retries system-wide; the service is likely struggling"
            }
            Self::Rejected => "the attempt was refused before it started",
            Self::CircuitOpen { .. } => {
                "the circuit breaker is open; wait for the next probe or use another endpoint"
            }
            Self::AllUnavailable { .. } => {
                "every endpoint is unavailable; retry after the next probe time"
            }
        }
    }
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Self::Exhausted => "retries exhausted",
            Self::Fatal => "not retryable",
            Self::Deadline => "deadline reached",
            Self::BudgetExhausted => "retry budget exhausted",
            Self::Rejected => "attempt rejected",
            Self::CircuitOpen { next_probe_in } => {
                return write_unavailable(f, "circuit open", *next_probe_in)
            }
            Self::AllUnavailable { next_probe_in } => {
                return write_unavailable(f, "all endpoints unavailable", *next_probe_in)
            }
        };
        f.write_str(text)
    }
}

fn write_unavailable(
    f: &mut fmt::Formatter<'_>,
    what: &str,
    next_probe_in: Option<Duration>,
) -> fmt::Result {
    match next_probe_in {
        Some(d) => write!(f, "{what}, next probe in {:.1} s", d.as_secs_f64()),
        None => f.write_str(what),
    }
}

/// A call that gave up: the last error (if the last attempt produced one), how
/// many attempts were made, and why it stopped.
///
/// It is one pointer wide (the details live in a box made only when a call
/// gives up), so `Result<T, RetryError<E>>` stays as small as `T` allows and
/// the success path moves no more than the value.
///
/// ```
/// use staunch::retry::{RetryError, StopReason};
/// let err = RetryError::new(Some("connection refused"), 3, StopReason::Exhausted);
/// assert_eq!(err.to_string(), "retries exhausted after 3 attempts: connection refused");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct RetryError<E> {
    inner: Box<Inner<E>>,
}

#[derive(Clone, PartialEq, Eq)]
struct Inner<E> {
    last_error: Option<E>,
    attempts: u32,
    reason: StopReason,
}

impl<E> RetryError<E> {
    /// A give-up after `attempts` attempts for `reason`.
    pub fn new(last_error: Option<E>, attempts: u32, reason: StopReason) -> Self {
        Self {
            inner: Box::new(Inner {
                last_error,
                attempts,
                reason,
            }),
        }
    }

    /// The error of the last attempt; `None` when the last attempt timed out
    /// (or never ran, when the first one was refused).
    pub fn last_error(&self) -> Option<&E> {
        self.inner.last_error.as_ref()
    }

    /// Takes the last error out.
    pub fn into_last_error(self) -> Option<E> {
        self.inner.last_error
    }

    /// How many attempts were made, the first included.
    pub fn attempts(&self) -> u32 {
        self.inner.attempts
    }

    /// Why retrying stopped.
    pub fn reason(&self) -> StopReason {
        self.inner.reason
    }

    /// Whether the last attempt was cut by a timeout rather than failing.
    pub fn timed_out(&self) -> bool {
        self.inner.last_error.is_none() && self.inner.attempts > 0
    }

    /// Maps the error type.
    pub fn map_err<F, E2>(self, f: F) -> RetryError<E2>
    where
        F: FnOnce(E) -> E2,
    {
        let Inner {
            last_error,
            attempts,
            reason,
        } = *self.inner;
        RetryError::new(last_error.map(f), attempts, reason)
    }
}

impl<E: fmt::Debug> fmt::Debug for RetryError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryError")
            .field("last_error", &self.inner.last_error)
            .field("attempts", &self.inner.attempts)
            .field("reason", &self.inner.reason)
            .finish()
    }
}

impl<E: fmt::Display> fmt::Display for RetryError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Inner {
            last_error,
            attempts,
            reason,
        } = &*self.inner;
        let plural = if *attempts == 1 { "" } else { "s" };
        write!(f, "{reason} after {attempts} attempt{plural}")?;
        match last_error {
            Some(e) => write!(f, ": {e}"),
            None if *attempts > 0 => f.write_str(": the last attempt timed out"),
            None => Ok(()),
        }
    }
}

impl<E: Error + 'static> Error for RetryError<E> {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.last_error().map(|e| e as &(dyn Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_reason_attempts_and_error() {
        let err = RetryError::new(Some("503"), 1, StopReason::Fatal);
        assert_eq!(err.to_string(), "not retryable after 1 attempt: 503");
    }

    #[test]
    fn display_says_when_the_last_attempt_timed_out() {
        let err: RetryError<&str> = RetryError::new(None, 2, StopReason::Deadline);
        assert_eq!(
            err.to_string(),
            "deadline reached after 2 attempts: the last attempt timed out"
        );
        assert!(err.timed_out());
    }

    #[test]
    fn retry_error_is_one_pointer_wide() {
        assert_eq!(
            std::mem::size_of::<RetryError<std::io::Error>>(),
            std::mem::size_of::<usize>()
        );
    }

    #[test]
    fn source_is_the_last_error() {
        let io = std::io::Error::other("reset");
        let err = RetryError::new(Some(io), 3, StopReason::Exhausted);
        assert_eq!(err.source().unwrap().to_string(), "reset");
    }
}

#[cfg(test)]
mod unavailable_tests {
    use super::*;

    #[test]
    fn unavailable_reasons_say_when_the_next_probe_is() {
        let open = StopReason::CircuitOpen {
            next_probe_in: Some(Duration::from_millis(12_340)),
        };
        assert_eq!(open.to_string(), "circuit open, next probe in 12.3 s");
        let all = StopReason::AllUnavailable {
            next_probe_in: None,
        };
        assert_eq!(all.to_string(), "all endpoints unavailable");
    }
}
