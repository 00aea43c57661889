//! Model-based test: random sequences of acquire, success, failure, drop,
//! clock advance, reset and isolate, run against the breaker and against a
//! simple single-threaded reference model. States, rejections, counts and
//! transitions must match after every step.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use proptest::prelude::*;
use staunch::breaker::{Breaker, BreakerConfig, CircuitState, Permit, Transition};
use staunch::clock::ManualClock;

const WINDOW: Duration = Duration::from_secs(10);
const BUCKETS: u32 = 5;
const SLOW: Duration = Duration::from_secs(1);

#[derive(Debug, Clone)]
enum Op {
    Acquire,
    Success(usize),
    Failure(usize),
    Drop(usize),
    Advance(u64),
    Reset,
    Isolate,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => Just(Op::Acquire),
        4 => any::<usize>().prop_map(Op::Success),
        4 => any::<usize>().prop_map(Op::Failure),
        1 => any::<usize>().prop_map(Op::Drop),
        3 => (0u64..7_000).prop_map(Op::Advance),
        1 => Just(Op::Reset),
        1 => Just(Op::Isolate),
    ]
}

fn config() -> impl Strategy<Value = BreakerConfig> {
    (
        (
            prop::option::of(1u32..5),
            prop::option::of(1u32..4),
            prop::option::of(prop::sample::select(vec![0.3, 0.5, 1.0])),
            prop::option::of(prop::sample::select(vec![0.4, 0.6])),
        ),
        (
            1u32..5,
            1u32..4,
            1u32..4,
            any::<bool>(),
            any::<bool>(),
            prop::bool::weighted(0.9),
        ),
    )
        .prop_map(
            |(
                (threshold, consecutive, rate, slow_rate),
                (min_calls, max_probes, successes, growth, count, enabled),
            )| {
                BreakerConfig {
                    enabled,
                    failure_threshold: threshold,
                    window: WINDOW,
                    window_buckets: BUCKETS,
                    consecutive_failures: consecutive,
                    failure_rate: rate,
                    min_calls,
                    slow_call_rate: slow_rate,
                    slow_call_duration: SLOW,
                    open_duration: Duration::from_secs(5),
                    open_duration_multiplier: if growth { 2.0 } else { 1.0 },
                    max_open_duration: Duration::from_secs(12),
                    half_open_max_calls: max_probes,
                    success_threshold: successes,
                    count_calls: count,
                }
            },
        )
}

/// One outcome in the reference window.
#[derive(Debug, Clone, Copy)]
struct Event {
    bucket: u64,
    call: bool,
    failed: bool,
    slow: bool,
}

#[derive(Debug, Clone, Copy)]
struct ModelPermit {
    generation: u64,
    probe: bool,
    started: u64,
}

/// The reference: plain fields, a list of events, no atomics.
#[derive(Debug)]
struct Model {
    config: BreakerConfig,
    now: u64,
    state: CircuitState,
    generation: u64,
    in_flight: u32,
    probe_successes: u32,
    consecutive: u64,
    events: Vec<Event>,
    trips: u32,
    next_probe: u64,
    transitions: Vec<(CircuitState, CircuitState)>,
}

impl Model {
    fn new(config: BreakerConfig) -> Self {
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

    fn counting(&self) -> bool {
        let c = &self.config;
        c.enabled && (c.count_calls || c.failure_rate.is_some() || c.slow_call_rate.is_some())
    }

    fn bucket_width(&self) -> u64 {
        WINDOW.as_nanos() as u64 / u64::from(BUCKETS)
    }

    fn live(&self) -> impl Iterator<Item = &Event> {
        let current = self.now / self.bucket_width();
        self.events
            .iter()
            .filter(move |e| e.bucket + u64::from(BUCKETS) > current)
    }

    fn counts(&self) -> (u64, u64, u64) {
        let calls = self.live().filter(|e| e.call).count() as u64;
        let failures = self.live().filter(|e| e.failed).count() as u64;
        let slow = self.live().filter(|e| e.slow).count() as u64;
        (calls, failures, slow)
    }

    fn record(&mut self, failed: bool, slow: bool) {
        self.consecutive = if failed { self.consecutive + 1 } else { 0 };
        self.events.push(Event {
            bucket: self.now / self.bucket_width(),
            call: self.counting(),
            failed,
            slow,
        });
    }

    fn go(&mut self, to: CircuitState, notify: bool) {
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

    fn acquire(&mut self) -> Result<ModelPermit, (CircuitState, Option<Duration>)> {
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

    fn trips_rule(&self, failed: bool, slow: bool) -> bool {
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

    fn finish(&mut self, p: ModelPermit, failed: bool) -> Option<CircuitState> {
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

    fn drop_permit(&mut self, p: ModelPermit) {
        if p.probe {
            self.in_flight -= 1;
        }
    }

    fn reset(&mut self) {
        let notify = self.state != CircuitState::Closed;
        self.go(CircuitState::Closed, notify);
    }

    fn isolate(&mut self) {
        if self.state != CircuitState::Isolated {
            self.go(CircuitState::Isolated, true);
        }
    }
}

fn check(ops: Vec<Op>, config: BreakerConfig) -> Result<(), TestCaseError> {
    let clock = ManualClock::new();
    let breaker = Breaker::with_clock("model", config.clone(), Arc::new(clock.clone())).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    breaker.add_observer(Arc::new(move |t: &Transition| {
        sink.lock().unwrap().push((t.from, t.to));
    }));
    let mut model = Model::new(config);
    let mut held: Vec<(Permit<'_>, ModelPermit)> = Vec::new();

    for (step, op) in ops.into_iter().enumerate() {
        match op {
            Op::Acquire => match (breaker.try_acquire(), model.acquire()) {
                (Ok(real), Ok(expected)) => {
                    prop_assert_eq!(real.is_probe(), expected.probe, "step {}", step);
                    held.push((real, expected));
                }
                (Err(real), Err((state, wait))) => {
                    prop_assert_eq!(real.state(), state, "step {}", step);
                    prop_assert_eq!(real.next_probe_in(), wait, "step {}", step);
                }
                (real, expected) => {
                    return Err(TestCaseError::fail(format!(
                        "step {step}: breaker {real:?}, model {expected:?}"
                    )))
                }
            },
            Op::Success(i) | Op::Failure(i) | Op::Drop(i) if !held.is_empty() => {
                let (real, expected) = held.remove(i % held.len());
                match op {
                    Op::Success(_) => {
                        prop_assert_eq!(
                            real.success(),
                            model.finish(expected, false),
                            "step {}",
                            step
                        )
                    }
                    Op::Failure(_) => {
                        prop_assert_eq!(
                            real.failure(),
                            model.finish(expected, true),
                            "step {}",
                            step
                        )
                    }
                    _ => {
                        drop(real);
                        model.drop_permit(expected);
                    }
                }
            }
            Op::Success(_) | Op::Failure(_) | Op::Drop(_) => {}
            Op::Advance(ms) => {
                clock.advance(Duration::from_millis(ms));
                model.now += ms * 1_000_000;
            }
            Op::Reset => {
                breaker.reset();
                model.reset();
            }
            Op::Isolate => {
                breaker.isolate();
                model.isolate();
            }
        }
        let snap = breaker.snapshot();
        let (calls, failures, slow) = model.counts();
        prop_assert_eq!(snap.state, model.state, "step {}", step);
        prop_assert_eq!(snap.failures_in_window, failures, "step {}", step);
        prop_assert_eq!(
            snap.consecutive_failures,
            model.consecutive,
            "step {}",
            step
        );
        prop_assert_eq!(snap.probes_in_flight, model.in_flight, "step {}", step);
        prop_assert_eq!(
            snap.calls_in_window,
            model.counting().then_some(calls),
            "step {}",
            step
        );
        let slow_on = model.config.enabled && model.config.slow_call_rate.is_some();
        prop_assert_eq!(
            snap.slow_calls_in_window,
            slow_on.then_some(slow),
            "step {}",
            step
        );
        prop_assert_eq!(&*seen.lock().unwrap(), &model.transitions, "step {}", step);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn breaker_matches_the_reference_model(
        config in config(),
        ops in prop::collection::vec(op(), 1..80),
    ) {
        check(ops, config)?;
    }
}

#[test]
fn the_model_itself_trips_and_recovers() {
    // Guards the reference: a scripted run with known answers.
    let mut m = Model::new(BreakerConfig::default().with_open_duration(Duration::from_secs(5)));
    for _ in 0..5 {
        let p = m.acquire().unwrap();
        m.finish(p, true);
    }
    assert_eq!(m.state, CircuitState::Open);
    m.now += 5_000_000_000;
    let p = m.acquire().unwrap();
    assert!(p.probe);
    assert_eq!(m.finish(p, false), Some(CircuitState::Closed));
    assert_eq!(
        m.transitions,
        [
            (CircuitState::Closed, CircuitState::Open),
            (CircuitState::Open, CircuitState::HalfOpen),
            (CircuitState::HalfOpen, CircuitState::Closed)
        ]
    );
}
