//! Changes of state: the only place that takes the control lock, moves the
//! generation and sends events.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::{nanos, wall_nanos, Control, Shared, NONE};
use crate::breaker::observer::{log_transition, BreakerObserver};
use crate::breaker::{CircuitState, Transition};

impl Shared {
    /// Moves `from` (in generation `generation`) to `to`, unless another
    /// change got there first. Returns whether this call made the change.
    pub(super) fn transition(
        &self,
        generation: u32,
        from: CircuitState,
        to: CircuitState,
        reason: String,
    ) -> bool {
        let mut control = self.lock();
        let current = self.load();
        if current.generation() != generation || current.state() != from {
            return false;
        }
        self.apply(&mut control, to, reason, true);
        true
    }

    /// Closes the breaker by hand, clearing its counts.
    pub(crate) fn reset(&self) {
        let mut control = self.lock();
        let changed = self.load().state() != CircuitState::Closed;
        self.apply(
            &mut control,
            CircuitState::Closed,
            "reset by hand".to_owned(),
            changed,
        );
    }

    /// Forces the breaker open until reset.
    pub(crate) fn isolate(&self) {
        let mut control = self.lock();
        if self.load().state() != CircuitState::Isolated {
            let reason = "isolated by hand".to_owned();
            self.apply(&mut control, CircuitState::Isolated, reason, true);
        }
    }

    /// Performs a change under the control lock: side effects first, then
    /// the new word, then the event (if `notify`).
    fn apply(&self, control: &mut Control, to: CircuitState, reason: String, notify: bool) {
        let from = self.load().state();
        let now = self.now_nanos();
        let at = self.clock.system_now();
        let failure_count = self.window.counts(now).failures;
        match to {
            CircuitState::Open => {
                control.trips = control.trips.saturating_add(1);
                let open_for = nanos(self.config.open_duration_for_trip(control.trips));
                self.open_for.store(open_for, Ordering::Release);
                self.opened_wall.store(wall_nanos(at), Ordering::Release);
                self.next_probe
                    .store(now.saturating_add(open_for), Ordering::Release);
            }
            CircuitState::Isolated => {
                self.opened_wall.store(wall_nanos(at), Ordering::Release);
                self.next_probe.store(u64::MAX, Ordering::Release);
            }
            CircuitState::Closed => {
                control.trips = 0;
                self.window.clear();
                self.consecutive.store(0, Ordering::SeqCst);
                self.opened_wall.store(NONE, Ordering::Release);
                self.next_probe.store(0, Ordering::Release);
            }
            CircuitState::HalfOpen => {}
        }
        // Only the lock holder changes the generation; other writers only
        // move the probe counters, so this retries at most a few times.
        self.update_word(|w| w.advanced(to));
        if notify {
            let transition = Transition {
                key: self.key.to_string(),
                from,
                to,
                at,
                failure_count,
                reason,
            };
            log_transition(&transition);
            for observer in &control.observers {
                observer.on_transition(&transition);
            }
        }
    }

    /// Adds an observer for every later transition.
    pub(crate) fn add_observer(&self, observer: Arc<dyn BreakerObserver>) {
        self.lock().observers.push(observer);
    }
}
