//! A permit's bookkeeping without a borrow of the breaker: what
//! [`OwnedPermit`](super::OwnedPermit) and the retry guard hold between
//! granting an attempt and recording its outcome.

use std::time::{Duration, Instant};

use super::error::Rejected;
use super::machine::{Shared, Ticket};
use super::{CircuitState, Outcome};

/// One granted call: its ticket and, when the slow-call rule is on, when it
/// started. It does not release itself: its owner hands it back to the
/// same breaker with [`finish`](Self::finish) or [`release`](Self::release)
/// (on drop too, so a cancelled call frees its probe slot).
#[derive(Debug)]
pub(crate) struct Held {
    ticket: Ticket,
    started: Option<Instant>,
}

impl Held {
    /// Asks `shared` for one call. Closed: one atomic load, and a clock read
    /// only when the slow-call rule is on.
    #[inline]
    pub(crate) fn acquire(shared: &Shared) -> Result<Self, Rejected> {
        let ticket = shared.acquire()?;
        let started = if shared.timed() {
            Some(shared.clock.now())
        } else {
            None
        };
        Ok(Self { ticket, started })
    }

    /// Whether this call is a half-open probe.
    pub(crate) fn is_probe(&self) -> bool {
        self.ticket.probe
    }

    /// The state the call was granted in.
    pub(crate) fn state(&self) -> CircuitState {
        if self.ticket.probe {
            CircuitState::HalfOpen
        } else {
            CircuitState::Closed
        }
    }

    /// Records `outcome` on `shared`, with `latency` if given, else the time
    /// since [`acquire`](Self::acquire) when the slow-call rule needs it.
    #[inline]
    pub(crate) fn finish(
        self,
        shared: &Shared,
        outcome: Outcome,
        latency: Option<Duration>,
    ) -> Option<CircuitState> {
        let latency = latency.or_else(|| {
            self.started
                .map(|started| shared.clock.now().saturating_duration_since(started))
        });
        shared.finish(self.ticket, outcome == Outcome::Failure, latency)
    }

    /// Ends the call without an outcome: records nothing and frees the
    /// probe slot if it held one.
    #[inline]
    pub(crate) fn release(self, shared: &Shared) {
        if self.ticket.probe {
            shared.release_probe();
        }
    }
}
