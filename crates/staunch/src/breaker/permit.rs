//! The permission to make one call, and how its outcome is reported.

use std::fmt;
use std::time::{Duration, Instant};

use super::machine::{Shared, Ticket};
use super::CircuitState;
use crate::outcome::Outcome;

/// Permission to make one call through a breaker, from
/// [`Breaker::try_acquire`](super::Breaker::try_acquire).
///
/// Report the outcome with [`success`](Self::success) or
/// [`failure`](Self::failure). A permit dropped without an outcome (an early
/// return, a cancelled future, a panic) records nothing and, if it was a
/// half-open probe, frees its probe slot: half-open never sticks. Only
/// leaking a probe permit (`mem::forget`) keeps its slot taken.
///
/// An outcome reported after the breaker changed state since the permit was
/// granted is ignored: it says nothing about the new state.
///
/// ```
/// use staunch::breaker::{Breaker, BreakerConfig};
/// let breaker = Breaker::new("s3", BreakerConfig::default()).unwrap();
/// match breaker.try_acquire() {
///     Ok(permit) => {
///         // ... make the call, classify the result yourself ...
///         permit.success();
///     }
///     Err(rejected) => eprintln!("not calling: {rejected}"),
/// };
/// ```
#[must_use = "a permit dropped without an outcome records nothing"]
pub struct Permit<'a> {
    shared: &'a Shared,
    ticket: Ticket,
    started: Option<Instant>,
    finished: bool,
}

impl<'a> Permit<'a> {
    /// Starts timing only when the slow-call rule is on.
    #[inline]
    pub(crate) fn new(shared: &'a Shared, ticket: Ticket) -> Self {
        let started = if shared.timed() {
            start_timer(shared)
        } else {
            None
        };
        Self {
            shared,
            ticket,
            started,
            finished: false,
        }
    }

    /// The state the permit was granted in: closed, or half-open for a probe.
    pub fn state(&self) -> CircuitState {
        if self.ticket.probe {
            CircuitState::HalfOpen
        } else {
            CircuitState::Closed
        }
    }

    /// Whether this permit is a half-open probe.
    pub fn is_probe(&self) -> bool {
        self.ticket.probe
    }

    /// Reports a success. Returns the state the breaker moved to if this
    /// outcome changed it (a probe closing it, or a slow call opening it).
    #[inline(always)]
    pub fn success(self) -> Option<CircuitState> {
        self.record(Outcome::Success)
    }

    /// Reports a failure. Returns the state the breaker moved to if this
    /// outcome changed it (a trip rule firing, or a probe reopening it).
    #[inline]
    pub fn failure(self) -> Option<CircuitState> {
        self.record(Outcome::Failure)
    }

    /// Reports `outcome`; the latency, needed by the slow-call rule, is
    /// measured on the breaker's clock from when the permit was granted.
    #[inline(always)]
    pub fn record(self, outcome: Outcome) -> Option<CircuitState> {
        let latency = self
            .started
            .map(|started| self.shared.clock.now().saturating_duration_since(started));
        self.finish(outcome, latency)
    }

    /// Reports `outcome` with a latency the caller measured itself.
    pub fn record_with_latency(self, outcome: Outcome, latency: Duration) -> Option<CircuitState> {
        self.finish(outcome, Some(latency))
    }

    #[inline(always)]
    fn finish(mut self, outcome: Outcome, latency: Option<Duration>) -> Option<CircuitState> {
        self.finished = true;
        self.shared
            .finish(self.ticket, outcome == Outcome::Failure, latency)
    }
}

/// Reads the clock for the slow-call rule; kept out of line so the closed
/// success path of [`Breaker::call`](super::Breaker::call) stays small
/// enough to inline into the caller.
#[cold]
#[inline(never)]
fn start_timer(shared: &Shared) -> Option<Instant> {
    Some(shared.clock.now())
}

impl Drop for Permit<'_> {
    #[inline]
    fn drop(&mut self) {
        if !self.finished && self.ticket.probe {
            self.shared.release_probe();
        }
    }
}

impl fmt::Debug for Permit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit")
            .field("key", &&*self.shared.key)
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}
