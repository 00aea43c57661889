//! The reference model of a circuit breaker for the model-based test
//! (`breaker_model.rs`): plain fields, a list of events, no atomics.

use std::time::Duration;

use staunch::breaker::{BreakerConfig, CircuitState};

/// The rolling window of every generated configuration.
pub(crate) const WINDOW: Duration = Duration::from_secs(10);
/// Buckets of that window.
pub(crate) const BUCKETS: u32 = 5;
/// The slow-call threshold of every generated configuration.
pub(crate) const SLOW: Duration = Duration::from_secs(1);

/// One outcome in the reference window.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Event {
    pub(crate) bucket: u64,
    pub(crate) call: bool,
    pub(crate) failed: bool,
    pub(crate) slow: bool,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct ModelPermit {
    pub(crate) generation: u64,
    pub(crate) probe: bool,
    pub(crate) started: u64,
}

/// The reference: plain fields, a list of events, no atomics.
#[derive(Debug)]
pub(crate) struct Model {
    pub(crate) config: BreakerConfig,
    pub(crate) now: u64,
    pub(crate) state: CircuitState,
    pub(crate) generation: u64,
    pub(crate) in_flight: u32,
    pub(crate) probe_successes: u32,
    pub(crate) consecutive: u64,
    pub(crate) events: Vec<Event>,
    pub(crate) trips: u32,
    pub(crate) next_probe: u64,
    pub(crate) transitions: Vec<(CircuitState, CircuitState)>,
}

impl Model {
    pub(crate) fn new(config: BreakerConfig) -> Self {
        Self {
            config,
            now: 0,
            state: CircuitState::Closed,
            generation: 0,
            in_flight: 0,
            probe_successes: 0,
            consecutive: 0,
            events: Vec::new(),
            trips: 0,
            next_probe: 0,
            transitions: Vec::new(),
        }
    }

    pub(crate) fn counting(&self) -> bool {
        let c = &self.config;
        c.enabled && (c.count_calls || c.failure_rate.is_some() || c.slow_call_rate.is_some())
    }

    pub(crate) fn bucket_width(&self) -> u64 {
        WINDOW.as_nanos() as u64 / u64::from(BUCKETS)
    }

    pub(crate) fn live(&self) -> impl Iterator<Item = &Event> {
        let current = self.now / self.bucket_width();
        self.events
            .iter()
            .filter(move |e| e.bucket + u64::from(BUCKETS) > current)
    }

    pub(crate) fn counts(&self) -> (u64, u64, u64) {
        let calls = self.live().filter(|e| e.call).count() as u64;
        let failures = self.live().filter(|e| e.failed).count() as u64;
        let slow = self.live().filter(|e| e.slow).count() as u64;
        (calls, failures, slow)
    }

    pub(crate) fn record(&mut self, failed: bool, slow: bool) {
        self.consecutive = if failed { self.consecutive + 1 } else { 0 };
        self.events.push(Event {
            bucket: self.now / self.bucket_width(),
            call: self.counting(),
            failed,
            slow,
        });
    }

    pub(crate) fn go(&mut self, to: CircuitState, notify: bool) {
        if notify {
            self.transitions.push((self.state, to));
        }
        self.state = to;
        self.generation += 1;
        self.probe_successes = 0;
        match to {
            CircuitState::Open => {
                self.trips += 1;
                let open_for = self.config.open_duration_for_trip(self.trips);
                self.next_probe = self.now + open_for.as_nanos() as u64;
            }
            CircuitState::Closed => {
                self.trips = 0;
                self.events.clear();
                self.consecutive = 0;
            }
            CircuitState::HalfOpen | CircuitState::Isolated => {}
        }
    }

    pub(crate) fn acquire(&mut self) -> Result<ModelPermit, (CircuitState, Option<Duration>)> {
        if self.state == CircuitState::Open {
            if self.now < self.next_probe {
                let wait = Duration::from_nanos(self.next_probe - self.now);
                return Err((CircuitState::Open, Some(wait)));
            }
            self.go(CircuitState::HalfOpen, true);
        }
        let permit = |probe| ModelPermit {
            generation: self.generation,
            probe,
            started: self.now,
        };
        match self.state {
            CircuitState::Closed => Ok(permit(false)),
            CircuitState::HalfOpen if self.in_flight < self.config.half_open_max_calls => {
                let p = permit(true);
                self.in_flight += 1;
                Ok(p)
            }
            state => Err((state, None)),
        }
    }

    pub(crate) fn trips_rule(&self, failed: bool, slow: bool) -> bool {
        let c = &self.config;
        let (calls, failures, slow_calls) = self.counts();
        let rate = |hits: u64, limit: f64| {
            calls > 0 && calls >= u64::from(c.min_calls) && hits as f64 / calls as f64 >= limit
        };
        (failed
            && (c
                .failure_threshold
                .is_some_and(|t| failures >= u64::from(t))
                || c.consecutive_failures
                    .is_some_and(|n| self.consecutive >= u64::from(n))
                || c.failure_rate.is_some_and(|r| rate(failures, r))))
            || (slow && c.slow_call_rate.is_some_and(|r| rate(slow_calls, r)))
    }

    pub(crate) fn finish(&mut self, p: ModelPermit, failed: bool) -> Option<CircuitState> {
        let slow = self.config.enabled
            && self.config.slow_call_rate.is_some()
            && Duration::from_nanos(self.now - p.started) > SLOW;
        let current = p.generation == self.generation;
        if p.probe {
            let mut moved = None;
            if current {
                self.record(failed, slow);
                if failed || slow {
                    self.go(CircuitState::Open, true);
                    moved = Some(CircuitState::Open);
                } else {
                    self.probe_successes += 1;
                    if self.probe_successes >= self.config.success_threshold {
                        self.go(CircuitState::Closed, true);
                        moved = Some(CircuitState::Closed);
                    }
                }
            }
            self.in_flight -= 1;
            return moved;
        }
        if !self.config.enabled || !current {
            return None;
        }
        if !failed && !slow {
            self.consecutive = 0;
            if self.counting() {
                self.record(false, false);
            }
            return None;
        }
        self.record(failed, slow);
        if self.trips_rule(failed, slow) {
            self.go(CircuitState::Open, true);
            return Some(CircuitState::Open);
        }
        None
    }

    pub(crate) fn drop_permit(&mut self, p: ModelPermit) {
        if p.probe {
            self.in_flight -= 1;
        }
    }

    pub(crate) fn reset(&mut self) {
        let notify = self.state != CircuitState::Closed;
        self.go(CircuitState::Closed, notify);
    }

    pub(crate) fn isolate(&mut self) {
        if self.state != CircuitState::Isolated {
            self.go(CircuitState::Isolated, true);
        }
    }
}
