//! Breaker fixtures shared by the breaker test files.

use std::sync::Arc;
use std::time::Duration;

use staunch::breaker::{Breaker, BreakerConfig, CircuitState};
use staunch::clock::ManualClock;

/// A breaker keyed `svc` on a fake clock, and the clock.
pub(crate) fn breaker(config: BreakerConfig) -> (Breaker, ManualClock) {
    let clock = ManualClock::new();
    let breaker = Breaker::with_clock("svc", config, Arc::new(clock.clone())).unwrap();
    (breaker, clock)
}

/// Acquires a permit and records a failure.
pub(crate) fn fail(b: &Breaker) -> Option<CircuitState> {
    b.try_acquire().expect("admitted").failure()
}

/// Acquires a permit and records a success.
pub(crate) fn succeed(b: &Breaker) -> Option<CircuitState> {
    b.try_acquire().expect("admitted").success()
}

/// One second.
pub(crate) const SEC: Duration = Duration::from_secs(1);
