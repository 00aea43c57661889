//! Outcomes: the closed-state success (the hot path), failures and slow
//! calls checked against the trip rules, and probe results.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::{Shared, Ticket};
use crate::breaker::CircuitState;

impl Shared {
    /// Records the outcome of a permit; returns the state the breaker moved
    /// to if this outcome changed it.
    #[inline]
    pub(crate) fn finish(
        &self,
        ticket: Ticket,
        failed: bool,
        latency: Option<Duration>,
    ) -> Option<CircuitState> {
        let slow = self.rules.is_slow(latency);
        if ticket.probe {
            self.finish_probe(ticket.generation, failed, slow)
        } else if failed || slow {
            self.closed_failure(ticket.generation, failed, slow)
        } else {
            self.closed_success(ticket.generation);
            None
        }
    }

    /// Whether permits must measure their latency (slow-call rule on).
    #[inline]
    pub(crate) fn timed(&self) -> bool {
        self.hot.timed
    }

    /// The hot path: nothing but loads unless a failure came before or a
    /// rule counts calls. (A disabled breaker never counts calls and never
    /// counts a failure, so it always returns at the first test.)
    #[inline]
    fn closed_success(&self, generation: u32) {
        let dirty = self.consecutive.load(Ordering::Relaxed) != 0;
        if !dirty && !self.hot.counted {
            return;
        }
        if self.load().generation() != generation {
            return;
        }
        if dirty {
            self.consecutive.store(0, Ordering::Relaxed);
        }
        if self.hot.counted {
            self.window.record(self.now_nanos(), true, false, false);
        }
    }

    /// Counts an outcome in the consecutive-failure run; returns the run.
    fn note_run(&self, failed: bool) -> u64 {
        if failed {
            self.consecutive.fetch_add(1, Ordering::SeqCst) + 1
        } else {
            if self.consecutive.load(Ordering::Relaxed) != 0 {
                self.consecutive.store(0, Ordering::Relaxed);
            }
            0
        }
    }

    #[cold]
    fn closed_failure(&self, generation: u32, failed: bool, slow: bool) -> Option<CircuitState> {
        if !self.rules.enabled || self.load().generation() != generation {
            return None;
        }
        let run = self.note_run(failed);
        let now = self.now_nanos();
        self.window
            .record(now, self.rules.count_calls, failed, slow);
        let reason = self
            .rules
            .check(self.window.counts(now), run, failed, slow)?;
        self.transition(generation, CircuitState::Closed, CircuitState::Open, reason)
            .then_some(CircuitState::Open)
    }

    fn finish_probe(&self, generation: u32, failed: bool, slow: bool) -> Option<CircuitState> {
        if failed || slow {
            let mut moved = None;
            if self.load().generation() == generation {
                self.note_run(failed);
                let now = self.now_nanos();
                self.window
                    .record(now, self.rules.count_calls, failed, slow);
                let reason = if failed {
                    "probe failed".to_owned()
                } else {
                    format!(
                        "probe slower than {}",
                        crate::config::format_duration(self.config.slow_call_duration)
                    )
                };
                if self.transition(
                    generation,
                    CircuitState::HalfOpen,
                    CircuitState::Open,
                    reason,
                ) {
                    moved = Some(CircuitState::Open);
                }
            }
            // The slot is freed only after the reopen, so probes in flight
            // never exceed the limit, even across half-open periods.
            self.release_probe();
            return moved;
        }
        let before = self.update_word(|w| {
            let freed = w.with_in_flight(w.in_flight().saturating_sub(1));
            if w.generation() == generation {
                freed.with_successes(w.successes().saturating_add(1))
            } else {
                freed
            }
        });
        if before.generation() != generation {
            return None;
        }
        self.note_run(false);
        if self.rules.count_calls {
            self.window.record(self.now_nanos(), true, false, false);
        }
        let successes = before.successes().saturating_add(1);
        if successes < self.rules.success_threshold {
            return None;
        }
        let reason = if successes == 1 {
            "probe succeeded".to_owned()
        } else {
            format!("{successes} probes succeeded")
        };
        self.transition(
            generation,
            CircuitState::HalfOpen,
            CircuitState::Closed,
            reason,
        )
        .then_some(CircuitState::Closed)
    }

    /// Frees the probe slot of a permit that ends without an outcome or from
    /// an earlier half-open period.
    pub(crate) fn release_probe(&self) {
        self.update_word(|w| w.with_in_flight(w.in_flight().saturating_sub(1)));
    }
}
