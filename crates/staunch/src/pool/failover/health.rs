//! Whether an endpoint's breaker would let a call through, and when the
//! first closed one reopens.

use std::time::Duration;

use crate::breaker::{Breaker, BreakerRegistry, CircuitState};
use crate::pool::Pool;

/// Whether `breaker` would admit a call now, without changing its state.
///
/// Closed: yes (one atomic load). Open: once its open duration has passed
/// (the acquire that follows moves it to half-open). Half-open: while a
/// probe slot is free. Isolated: never.
pub(crate) fn admits_now(breaker: &Breaker) -> bool {
    match breaker.state() {
        CircuitState::Closed => true,
        CircuitState::Isolated => false,
        CircuitState::Open => breaker
            .snapshot()
            .next_probe_in
            .is_some_and(|wait| wait.is_zero()),
        CircuitState::HalfOpen => {
            breaker.snapshot().probes_in_flight < breaker.config().half_open_max_calls
        }
    }
}

/// Whether the breaker of endpoint `id` would admit a call now (an endpoint
/// without a breaker yet is closed).
pub(crate) fn endpoint_admits(registry: &BreakerRegistry<String>, id: &str) -> bool {
    registry.find_with(id, admits_now).unwrap_or(true)
}

/// The soonest time any breaker of the pool lets a probe through: the
/// minimum of the open breakers' waits. `None` when no breaker will open on
/// its own (isolated, or half-open with busy probe slots).
pub(crate) fn next_probe_in<A>(
    pool: &Pool<A>,
    registry: &BreakerRegistry<String>,
) -> Option<Duration> {
    pool.with_entries(|entries| {
        entries
            .iter()
            .filter_map(|entry| registry.find(entry.id()))
            .filter(|breaker| breaker.state() == CircuitState::Open)
            .filter_map(|breaker| breaker.snapshot().next_probe_in)
            .min()
    })
}
