//! A cheap, consistent-enough picture of one breaker.

use std::time::{Duration, SystemTime};

use super::CircuitState;

/// What a breaker looks like right now: atomics only, no lock.
///
/// Counts cover the rolling window. Successes and calls are only counted
/// when a rate rule or `count_calls` asks for it (the success path stays
/// free otherwise); they are `None` then.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Snapshot {
    /// The state. An open breaker whose open duration has passed still
    /// reads open until the next acquire moves it to half-open.
    pub state: CircuitState,
    /// Failures in the window.
    pub failures_in_window: u64,
    /// Successes in the window, when calls are counted.
    pub successes_in_window: Option<u64>,
    /// Calls (successes and failures) in the window, when calls are counted.
    pub calls_in_window: Option<u64>,
    /// Slow calls in the window, when the slow-call rule is on.
    pub slow_calls_in_window: Option<u64>,
    /// Failures since the last success.
    pub consecutive_failures: u64,
    /// Probe permits not yet finished.
    pub probes_in_flight: u32,
    /// When the breaker last opened or was isolated (`None` once closed).
    pub opened_at: Option<SystemTime>,
    /// When an open breaker lets the next probe through.
    pub next_probe_at: Option<SystemTime>,
    /// How long until then (zero once it has passed).
    pub next_probe_in: Option<Duration>,
}
