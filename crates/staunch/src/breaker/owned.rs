//! [`OwnedPermit`]: a permit that owns a handle to its breaker.

use std::fmt;
use std::time::Duration;

use super::error::Rejected;
use super::held::Held;
use super::{Breaker, CircuitState, Outcome};

impl Breaker {
    /// Like [`try_acquire`](Self::try_acquire), but the permit owns a handle
    /// to the breaker (one reference-count increment) instead of borrowing
    /// it, so it can move into a spawned task or live next to a breaker
    /// taken from a [`BreakerRegistry`](super::BreakerRegistry).
    ///
    /// ```
    /// use staunch::breaker::{BreakerConfig, BreakerRegistry, OwnedPermit};
    ///
    /// let registry = BreakerRegistry::<String>::new(BreakerConfig::default()).unwrap();
    /// // `get` returns a handle: a borrowed permit could not outlive it.
    /// let permit: OwnedPermit = registry.get("s3").try_acquire_owned().unwrap();
    /// std::thread::spawn(move || {
    ///     permit.success();
    /// })
    /// .join()
    /// .unwrap();
    /// ```
    #[inline]
    pub fn try_acquire_owned(&self) -> Result<OwnedPermit, Rejected> {
        let held = Held::acquire(self.shared())?;
        Ok(OwnedPermit {
            breaker: self.clone(),
            held: Some(held),
        })
    }
}

/// Permission to make one call through a breaker, holding its own handle to
/// the breaker; from [`Breaker::try_acquire_owned`].
///
/// It behaves like [`Permit`](super::Permit): report the outcome with
/// [`success`](Self::success), [`failure`](Self::failure) or
/// [`record`](Self::record); dropped without an outcome (an early return, a
/// cancelled future, a panic) it records nothing and frees its probe slot if
/// it was a half-open probe.
#[must_use = "a permit dropped without an outcome records nothing"]
pub struct OwnedPermit {
    breaker: Breaker,
    /// `None` once an outcome was recorded.
    held: Option<Held>,
}

impl OwnedPermit {
    /// The breaker this permit belongs to.
    pub fn breaker(&self) -> &Breaker {
        &self.breaker
    }

    /// The state the permit was granted in: closed, or half-open for a probe.
    pub fn state(&self) -> CircuitState {
        self.held.as_ref().map_or(CircuitState::Closed, Held::state)
    }

    /// Whether this permit is a half-open probe.
    pub fn is_probe(&self) -> bool {
        self.held.as_ref().is_some_and(Held::is_probe)
    }

    /// Reports a success. Returns the state the breaker moved to if this
    /// outcome changed it.
    #[inline]
    pub fn success(self) -> Option<CircuitState> {
        self.record(Outcome::Success)
    }

    /// Reports a failure. Returns the state the breaker moved to if this
    /// outcome changed it.
    #[inline]
    pub fn failure(self) -> Option<CircuitState> {
        self.record(Outcome::Failure)
    }

    /// Reports `outcome`; the latency, needed by the slow-call rule, is
    /// measured on the breaker's clock from when the permit was granted.
    #[inline]
    pub fn record(self, outcome: Outcome) -> Option<CircuitState> {
        self.finish(outcome, None)
    }

    /// Reports `outcome` with a latency the caller measured itself.
    pub fn record_with_latency(self, outcome: Outcome, latency: Duration) -> Option<CircuitState> {
        self.finish(outcome, Some(latency))
    }

    fn finish(mut self, outcome: Outcome, latency: Option<Duration>) -> Option<CircuitState> {
        let held = self.held.take()?;
        held.finish(self.breaker.shared(), outcome, latency)
    }
}

impl Drop for OwnedPermit {
    fn drop(&mut self) {
        if let Some(held) = self.held.take() {
            held.release(self.breaker.shared());
        }
    }
}

impl fmt::Debug for OwnedPermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedPermit")
            .field("key", &self.breaker.key())
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::breaker::BreakerConfig;
    use crate::clock::ManualClock;

    fn half_open_breaker() -> Breaker {
        let clock = ManualClock::new();
        let config = BreakerConfig::default().with_consecutive_failures(1);
        let breaker = Breaker::with_clock("owned", config, Arc::new(clock.clone())).unwrap();
        breaker.try_acquire_owned().unwrap().failure();
        clock.advance(Duration::from_secs(30));
        breaker
    }

    #[test]
    fn dropped_owned_probe_frees_its_slot() {
        let breaker = half_open_breaker();
        let probe = breaker.try_acquire_owned().unwrap();
        assert!(probe.is_probe());
        assert!(breaker.try_acquire_owned().is_err(), "one probe at a time");
        drop(probe);
        let again = breaker.try_acquire_owned().expect("the slot was freed");
        assert_eq!(again.success(), Some(CircuitState::Closed));
    }

    #[test]
    fn owned_probe_failure_reopens() {
        let breaker = half_open_breaker();
        let probe = breaker.try_acquire_owned().unwrap();
        assert_eq!(probe.state(), CircuitState::HalfOpen);
        assert_eq!(probe.failure(), Some(CircuitState::Open));
        assert_eq!(breaker.snapshot().probes_in_flight, 0);
    }
}
