//! Why a call did not go through: [`Rejected`] by the breaker, or the
//! operation's own error, in [`BreakerError`].

use std::error::Error;
use std::fmt;
use std::time::Duration;

use super::CircuitState;

/// The breaker refused a call.
///
/// It says the state and, when open, how long until the next probe may go
/// through, so a caller can fail fast, fail over or answer `Retry-After`:
///
/// ```
/// use staunch::breaker::{Breaker, BreakerConfig, CircuitState};
/// let breaker = Breaker::new("payments", BreakerConfig::default()).unwrap();
/// breaker.isolate();
/// let rejected = breaker.try_acquire().unwrap_err();
/// assert_eq!(rejected.state(), CircuitState::Isolated);
/// assert_eq!(rejected.next_probe_in(), None);
/// ```
// Kept to 16 bytes (nanoseconds rather than `Option<Duration>`) so that
// `Result<T, BreakerError<E>>` of small types comes back in registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejected {
    /// Nanoseconds until the next probe; `NO_PROBE` when none is scheduled.
    next_probe_nanos: u64,
    probes_in_flight: u32,
    state: CircuitState,
}

const NO_PROBE: u64 = u64::MAX;

impl Rejected {
    pub(crate) const fn open(next_probe_in: Duration) -> Self {
        let nanos = next_probe_in.as_nanos();
        Self {
            state: CircuitState::Open,
            next_probe_nanos: if nanos >= NO_PROBE as u128 {
                NO_PROBE - 1
            } else {
                nanos as u64
            },
            probes_in_flight: 0,
        }
    }

    pub(crate) const fn half_open(probes_in_flight: u32) -> Self {
        Self {
            state: CircuitState::HalfOpen,
            next_probe_nanos: NO_PROBE,
            probes_in_flight,
        }
    }

    pub(crate) const fn isolated() -> Self {
        Self {
            state: CircuitState::Isolated,
            next_probe_nanos: NO_PROBE,
            probes_in_flight: 0,
        }
    }

    /// The state that refused the call: open, half-open (every probe slot
    /// taken) or isolated.
    pub const fn state(&self) -> CircuitState {
        self.state
    }

    /// How long until the breaker lets a probe through: `Some` when open,
    /// `None` when half-open (a slot frees when a probe finishes) or isolated
    /// (only a reset by hand closes it).
    pub const fn next_probe_in(&self) -> Option<Duration> {
        if self.next_probe_nanos == NO_PROBE {
            None
        } else {
            Some(Duration::from_nanos(self.next_probe_nanos))
        }
    }
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.state, self.next_probe_in()) {
            (CircuitState::Open, Some(wait)) => {
                write!(f, "open, next probe in {:.1} s", wait.as_secs_f64())
            }
            (CircuitState::HalfOpen, _) => write!(
                f,
                "half_open, all probe slots busy ({} in flight)",
                self.probes_in_flight
            ),
            (CircuitState::Isolated, _) => f.write_str("isolated, closed until reset by hand"),
            (state, _) => write!(f, "{state}"),
        }
    }
}

impl Error for Rejected {}

/// The error of [`Breaker::call`](super::Breaker::call): the breaker refused
/// the call, or the call ran and failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BreakerError<E> {
    /// The breaker refused the call; the operation did not run.
    Rejected(Rejected),
    /// The operation ran and returned this error.
    Inner(E),
}

impl<E> BreakerError<E> {
    /// Whether the breaker refused the call.
    pub const fn is_rejected(&self) -> bool {
        matches!(self, Self::Rejected(_))
    }

    /// The rejection, if the breaker refused the call.
    pub const fn rejected(&self) -> Option<&Rejected> {
        match self {
            Self::Rejected(r) => Some(r),
            Self::Inner(_) => None,
        }
    }

    /// The operation's error, if it ran.
    pub const fn inner(&self) -> Option<&E> {
        match self {
            Self::Inner(e) => Some(e),
            Self::Rejected(_) => None,
        }
    }

    /// The operation's error, if it ran.
    pub fn into_inner(self) -> Option<E> {
        match self {
            Self::Inner(e) => Some(e),
            Self::Rejected(_) => None,
        }
    }

    /// Maps the operation's error, keeping a rejection as it is.
    pub fn map_inner<F, O: FnOnce(E) -> F>(self, op: O) -> BreakerError<F> {
        match self {
            Self::Inner(e) => BreakerError::Inner(op(e)),
            Self::Rejected(r) => BreakerError::Rejected(r),
        }
    }
}

impl<E> From<Rejected> for BreakerError<E> {
    fn from(rejected: Rejected) -> Self {
        Self::Rejected(rejected)
    }
}

impl<E: fmt::Display> fmt::Display for BreakerError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rejected(r) => write!(f, "circuit breaker rejected the call: {r}"),
            Self::Inner(e) => e.fmt(f),
        }
    }
}

impl<E: Error + 'static> Error for BreakerError<E> {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            Self::Rejected(r) => Some(r),
            Self::Inner(e) => e.source(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_rejection_says_when_the_next_probe_goes() {
        let r = Rejected::open(Duration::from_millis(12_345));
        assert_eq!(r.to_string(), "open, next probe in 12.3 s");
        assert_eq!(r.next_probe_in(), Some(Duration::from_millis(12_345)));
        assert_eq!(r.state(), CircuitState::Open);
    }

    #[test]
    fn small_results_fit_in_two_registers() {
        assert_eq!(std::mem::size_of::<Rejected>(), 16);
        assert_eq!(std::mem::size_of::<Result<u64, BreakerError<()>>>(), 16);
    }

    #[test]
    fn call_error_keeps_rejection_and_inner_apart() {
        let rejected: BreakerError<std::io::Error> = Rejected::half_open(1).into();
        assert!(rejected.is_rejected());
        assert!(rejected
            .to_string()
            .contains("half_open, all probe slots busy"));
        let inner = BreakerError::Inner(std::io::Error::other("boom"));
        assert!(!inner.is_rejected());
        assert_eq!(inner.to_string(), "boom");
        assert_eq!(inner.into_inner().unwrap().to_string(), "boom");
    }
}
