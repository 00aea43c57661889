//! Model-based test: random sequences of acquire, success, failure, drop,
//! clock advance, reset and isolate, run against the breaker and against a
//! simple single-threaded reference model. States, rejections, counts and
//! transitions must match after every step.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use proptest::prelude::*;
use staunch::breaker::{Breaker, BreakerConfig, CircuitState, Permit, Transition};
use staunch::clock::ManualClock;

#[path = "support/breaker_model.rs"]
mod model;
use model::{Model, ModelPermit, BUCKETS, SLOW, WINDOW};

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
