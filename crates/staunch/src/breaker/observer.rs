//! Transition events: observers and `tracing`.

use super::{CircuitState, Transition};

/// Receives every state change of the breakers it is attached to.
///
/// Observers run synchronously, in order, while the breaker holds its
/// transition lock (transitions are rare; the success path never takes it):
/// keep them short, and do not call `reset` or `isolate` on the same breaker
/// from inside one. Any `Fn(&Transition) + Send + Sync` is an observer.
///
/// ```
/// use staunch::breaker::{Breaker, BreakerConfig, CircuitState, Transition};
/// use std::sync::{Arc, Mutex};
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let sink = seen.clone();
/// let breaker = Breaker::new("db", BreakerConfig::default()).unwrap();
/// breaker.add_observer(Arc::new(move |t: &Transition| sink.lock().unwrap().push(t.to)));
/// breaker.isolate();
/// assert_eq!(*seen.lock().unwrap(), [CircuitState::Isolated]);
/// ```
pub trait BreakerObserver: Send + Sync {
    /// Called once for every transition.
    fn on_transition(&self, transition: &Transition);
}

impl<F: Fn(&Transition) + Send + Sync> BreakerObserver for F {
    fn on_transition(&self, transition: &Transition) {
        self(transition)
    }
}

/// Logs a transition: opening and isolating at WARN, the rest at INFO, each
/// message starting with `[CIRCUIT]` and carrying the fields as well.
pub(crate) fn log_transition(t: &Transition) {
    macro_rules! emit {
        ($level:ident) => {
            tracing::$level!(
                target: "staunch::breaker",
                key = %t.key,
                from = %t.from,
                to = %t.to,
                failure_count = t.failure_count,
                reason = %t.reason,
                "[CIRCUIT] breaker `{}` {} -> {}: {}",
                t.key,
                t.from,
                t.to,
                t.reason
            )
        };
    }
    match t.to {
        CircuitState::Open | CircuitState::Isolated => emit!(warn),
        CircuitState::Closed | CircuitState::HalfOpen => emit!(info),
    }
}
