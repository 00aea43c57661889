//! A permit that owns its breaker handle, for callers that cannot borrow one
//! (an interceptor choosing a different breaker at every attempt).

use std::fmt;
use std::time::{Duration, Instant};

use super::error::Rejected;
use super::machine::Ticket;
use super::{Breaker, CircuitState};

/// Like [`Permit`](super::Permit), but holding a clone of the [`Breaker`]
/// instead of a borrow. Same rules: an outcome is recorded once; dropped
/// without one, it records nothing and frees its probe slot.
pub(crate) struct OwnedPermit {
    breaker: Breaker,
    ticket: Ticket,
    started: Option<Instant>,
    finished: bool,
}

impl OwnedPermit {
    /// Asks `breaker` for one call.
    #[inline]
    pub(crate) fn acquire(breaker: Breaker) -> Result<Self, Rejected> {
        let shared = breaker.shared();
        let ticket = shared.acquire()?;
        let started = shared.timed().then(|| shared.clock.now());
        Ok(Self {
            breaker,
            ticket,
            started,
            finished: false,
        })
    }

    /// Records the outcome; `latency` (measured by the caller) feeds the
    /// slow-call rule, else the time since the permit was granted does.
    /// Returns the state the breaker moved to, if it changed.
    pub(crate) fn record(
        mut self,
        failed: bool,
        latency: Option<Duration>,
    ) -> Option<CircuitState> {
        self.finished = true;
        let shared = self.breaker.shared();
        let latency = latency.or_else(|| {
            self.started
                .map(|started| shared.clock.now().saturating_duration_since(started))
        });
        shared.finish(self.ticket, failed, latency)
    }
}

impl Drop for OwnedPermit {
    fn drop(&mut self) {
        if !self.finished && self.ticket.probe {
            self.breaker.shared().release_probe();
        }
    }
}

impl fmt::Debug for OwnedPermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedPermit")
            .field("key", &self.breaker.key())
            .field("probe", &self.ticket.probe)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::breaker::BreakerConfig;
    use crate::clock::ManualClock;

    fn breaker(clock: &ManualClock) -> Breaker {
        let config = BreakerConfig::default()
            .with_consecutive_failures(1)
            .with_open_duration(Duration::from_secs(10));
        Breaker::with_clock("b", config, Arc::new(clock.clone())).unwrap()
    }

    #[test]
    fn owned_failure_opens_like_a_borrowed_permit() {
        let clock = ManualClock::new();
        let b = breaker(&clock);
        let permit = OwnedPermit::acquire(b.clone()).unwrap();
        assert_eq!(permit.record(true, None), Some(CircuitState::Open));
        assert_eq!(b.state(), CircuitState::Open);
        assert!(OwnedPermit::acquire(b).is_err());
    }

    #[test]
    fn dropped_owned_probe_frees_its_slot() {
        let clock = ManualClock::new();
        let b = breaker(&clock);
        OwnedPermit::acquire(b.clone()).unwrap().record(true, None);
        clock.advance(Duration::from_secs(10));
        let probe = OwnedPermit::acquire(b.clone()).unwrap();
        assert_eq!(b.state(), CircuitState::HalfOpen);
        assert!(OwnedPermit::acquire(b.clone()).is_err(), "one probe slot");
        drop(probe);
        let again = OwnedPermit::acquire(b.clone()).unwrap();
        assert_eq!(again.record(false, None), Some(CircuitState::Closed));
    }
}
