use std::fmt;
use std::time::SystemTime;

/// Where a circuit breaker stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CircuitState {
    /// Calls flow; outcomes are counted against the trip rules.
    Closed,
    /// Calls are rejected at once until the open duration has passed.
    Open,
    /// A bounded number of probe calls are let through to test recovery.
    HalfOpen,
    /// Forced open by hand ("isolate"); stays open until reset.
    Isolated,
}

impl CircuitState {
    /// The lowercase name used in logs, JSON and metrics labels.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::Open => "open",
            Self::HalfOpen => "half_open",
            Self::Isolated => "isolated",
        }
    }
}

impl fmt::Display for CircuitState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One state change of one breaker, as delivered to observers and stored in
/// the metrics store.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Transition {
    /// The breaker's key (endpoint id, provider, host).
    pub key: String,
    /// The state before.
    pub from: CircuitState,
    /// The state after.
    pub to: CircuitState,
    /// When it happened (wall clock, from the breaker's clock).
    pub at: SystemTime,
    /// Failures counted in the window when it happened.
    pub failure_count: u64,
    /// Why: the trip rule that fired, "open duration elapsed", "probe
    /// succeeded", "reset by hand", ...
    pub reason: String,
}
