//! Reading a [`Snapshot`] from the atomics, without the lock.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::{wall_time, Shared};
use crate::breaker::{CircuitState, Snapshot};

impl Shared {
    /// The current picture, from atomics only.
    pub(crate) fn snapshot(&self) -> Snapshot {
        let word = self.load();
        let state = word.state();
        let now = self.now_nanos();
        let counts = self.window.counts(now);
        let counted = self.rules.count_calls;
        let opened_at = match state {
            CircuitState::Closed => None,
            _ => wall_time(self.opened_wall.load(Ordering::Acquire)),
        };
        let open = state == CircuitState::Open;
        let open_for = Duration::from_nanos(self.open_for.load(Ordering::Acquire));
        Snapshot {
            state,
            failures_in_window: counts.failures,
            successes_in_window: counted.then(|| counts.calls.saturating_sub(counts.failures)),
            calls_in_window: counted.then_some(counts.calls),
            slow_calls_in_window: self.rules.slow_call_duration.map(|_| counts.slow),
            consecutive_failures: self.consecutive.load(Ordering::Acquire),
            probes_in_flight: word.in_flight(),
            opened_at,
            next_probe_at: opened_at.filter(|_| open).map(|at| at + open_for),
            next_probe_in: open.then(|| {
                Duration::from_nanos(self.next_probe.load(Ordering::Acquire).saturating_sub(now))
            }),
        }
    }
}
