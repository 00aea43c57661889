//! [`Error`]: why a call gave up.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use staunch::retry::StopReason;

use crate::ErrorKind;

/// A boxed error, as at the `tower` boundary.
pub type BoxError = Box<dyn StdError + Send + Sync>;

/// A call that gave up: why, after how many attempts, and the last failure.
///
/// A failure of a single attempt that nothing of staunch's took part in (a
/// final error on the first try, a request that could not be replayed) is
/// returned as it came, not as this type. Everything else is this type:
/// retries exhausted, a timed-out attempt, the deadline, the retry budget,
/// an open circuit breaker. Its [`source`](StdError::source) is the last
/// attempt's error.
///
/// ```
/// use staunch::retry::StopReason;
/// use staunch_http::Error;
/// use std::time::Duration;
///
/// let err = Error::circuit_open(Some(Duration::from_millis(12_300)));
/// assert_eq!(err.to_string(), "circuit open, next probe in 12.3 s; no request was sent");
/// assert_eq!(err.attempts(), 0);
/// assert_eq!(err.next_probe_in(), Some(Duration::from_millis(12_300)));
/// ```
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    reason: StopReason,
    attempts: u32,
    last: Option<BoxError>,
    kind: Option<ErrorKind>,
}

impl Error {
    /// A give-up after `attempts` attempts for `reason`; `last` is the last
    /// attempt's error and `kind` its kind (`None` with a timed-out attempt
    /// means it ran out of time: the kind is then [`ErrorKind::Timeout`]).
    pub(crate) fn new(
        reason: StopReason,
        attempts: u32,
        last: Option<BoxError>,
        kind: Option<ErrorKind>,
    ) -> Self {
        Self {
            inner: Box::new(Inner {
                reason,
                attempts,
                last,
                kind,
            }),
        }
    }

    /// The error of a call refused by an open breaker before any attempt.
    pub fn circuit_open(next_probe_in: Option<Duration>) -> Self {
        Self::new(StopReason::CircuitOpen { next_probe_in }, 0, None, None)
    }

    /// Why retrying stopped.
    pub fn reason(&self) -> StopReason {
        self.inner.reason
    }

    /// Attempts sent, the first included (0 when the first was refused).
    pub fn attempts(&self) -> u32 {
        self.inner.attempts
    }

    /// The kind of the last attempt's failure, if one was sent.
    pub fn error_kind(&self) -> Option<ErrorKind> {
        self.inner.kind
    }

    /// Whether the last attempt ran out of time.
    pub fn timed_out(&self) -> bool {
        self.inner.kind == Some(ErrorKind::Timeout)
    }

    /// Whether a circuit breaker refused the call.
    pub fn is_circuit_open(&self) -> bool {
        matches!(self.inner.reason, StopReason::CircuitOpen { .. })
    }

    /// When the breaker lets a probe through again, if the call was refused
    /// by an open breaker.
    pub fn next_probe_in(&self) -> Option<Duration> {
        match self.inner.reason {
            StopReason::CircuitOpen { next_probe_in }
            | StopReason::AllUnavailable { next_probe_in } => next_probe_in,
            _ => None,
        }
    }

    /// The last attempt's error (`None` when it timed out or none was sent).
    pub fn last_error(&self) -> Option<&(dyn StdError + Send + Sync + 'static)> {
        self.inner.last.as_deref()
    }

    /// Takes the last attempt's error out.
    pub fn into_last_error(self) -> Option<BoxError> {
        self.inner.last
    }

    /// What the reason means for the caller.
    pub fn advice(&self) -> &'static str {
        self.inner.reason.advice()
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("reason", &self.inner.reason)
            .field("attempts", &self.inner.attempts)
            .field("kind", &self.inner.kind)
            .field("last", &self.inner.last)
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Inner {
            reason,
            attempts,
            last,
            kind,
        } = &*self.inner;
        if *attempts == 0 {
            return write!(f, "{reason}; no request was sent");
        }
        let plural = if *attempts == 1 { "" } else { "s" };
        write!(f, "{reason} after {attempts} attempt{plural}")?;
        match (last, kind) {
            (Some(e), _) => write!(f, ": {e}"),
            (None, Some(ErrorKind::Timeout)) => f.write_str(": the last attempt timed out"),
            (None, _) => Ok(()),
        }
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.inner
            .last
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_reason_attempts_and_last_error() {
        let last: BoxError = "503 Service Unavailable".into();
        let err = Error::new(StopReason::Exhausted, 3, Some(last), Some(ErrorKind::Reset));
        assert_eq!(
            err.to_string(),
            "retries exhausted after 3 attempts: 503 Service Unavailable"
        );
        assert_eq!(err.source().unwrap().to_string(), "503 Service Unavailable");
    }

    #[test]
    fn timed_out_last_attempt_is_said() {
        let err = Error::new(StopReason::Deadline, 1, None, Some(ErrorKind::Timeout));
        assert!(err.timed_out());
        assert_eq!(
            err.to_string(),
            "deadline reached after 1 attempt: the last attempt timed out"
        );
    }

    #[test]
    fn error_is_one_pointer_wide() {
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }
}
