//! The attempt loop with the engine state: breakers skip and learn, the
//! budget limits retries, every attempt and call is recorded.

use std::sync::Arc;
use std::time::Duration;

use staunch::breaker::{BreakerConfig, CircuitState};
use staunch::budget::BudgetConfig;
use staunch::clock::ManualClock;

use super::tests::{endpoints, Scripted, Step};
use super::*;
use crate::config::GatewayConfig;
use crate::engine::Engine;

fn engine_with(config: GatewayConfig) -> (Engine, ManualClock) {
    let clock = ManualClock::new();
    let engine = Engine::with_clock(&config, Arc::new(clock.clone())).unwrap();
    (engine, clock)
}

/// The loop's result and the endpoints it called, in order.
type Run = (
    Result<Attempted<(usize, bool)>, AttemptsFailed>,
    Vec<String>,
);

fn run(engine: &Engine, steps: &[Step], n: usize) -> Run {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let eps = endpoints(n);
    let limits = AttemptLimits {
        max_attempts: 10,
        deadline: None,
        repeat_after_delivery: true,
    };
    let mut scripted = Scripted::new(steps);
    let result = rt.block_on(run_attempts(engine, &eps, &limits, &mut scripted));
    (result, scripted.calls)
}

#[test]
fn open_breaker_endpoint_is_skipped_without_counting_an_attempt() {
    let (engine, _clock) = engine_with(GatewayConfig::default());
    engine.breakers().isolate("e0");
    let (result, calls) = run(&engine, &[Step::Answer { retryable: false }], 2);
    let done = result.unwrap();
    assert_eq!(calls, ["e1"]);
    assert_eq!(done.attempts, 1);
    let totals = engine.metrics().summary().totals;
    assert_eq!(totals.failures_by_reason.rejected, 1);
    assert_eq!(totals.attempts, 1, "a rejected attempt is not sent");
    assert_eq!(totals.successes_by_attempt.at(1), 1);
}

#[test]
fn every_breaker_open_fails_at_once_with_the_next_probe_as_retry_after() {
    let config = GatewayConfig::default()
        .with_circuit_breaker(BreakerConfig::default().with_open_duration(Duration::from_secs(12)));
    let (engine, _clock) = engine_with(config);
    // Trip both through the loop: one failure each opens them.
    let breakers = engine.breakers();
    for id in ["e0", "e1"] {
        for _ in 0..5 {
            breakers.get(id).try_acquire().unwrap().failure();
        }
        assert_eq!(breakers.get(id).state(), CircuitState::Open);
    }
    let (result, calls) = run(&engine, &[], 2);
    let failed = result.unwrap_err();
    assert!(calls.is_empty());
    assert_eq!(failed.attempts, 0);
    assert_eq!(failed.retry_after, Duration::from_secs(12));
    assert!(failed
        .errors
        .iter()
        .all(|e| e.kind() == AttemptErrorKind::CircuitOpen));
    assert_eq!(
        engine
            .metrics()
            .summary()
            .totals
            .calls_by_outcome
            .unavailable,
        1
    );
}

#[test]
fn failures_and_5xx_count_on_the_breaker_and_successes_close_nothing() {
    let config = GatewayConfig::default()
        .with_circuit_breaker(BreakerConfig::default().with_consecutive_failures(2));
    let (engine, _clock) = engine_with(config);
    let steps = [
        Step::Answer { retryable: true },
        Step::Fail { reached: true },
        Step::Answer { retryable: false },
    ];
    run(&engine, &steps, 3).0.unwrap();
    let steps = [
        Step::Fail { reached: false },
        Step::Answer { retryable: false },
    ];
    run(&engine, &steps, 2).0.unwrap();
    let breakers = engine.breakers();
    assert_eq!(
        breakers.get("e0").state(),
        CircuitState::Open,
        "503 then refused"
    );
    assert_eq!(breakers.get("e1").snapshot().consecutive_failures, 0);
    assert_eq!(breakers.get("e1").state(), CircuitState::Closed);
}

#[test]
fn attempts_and_calls_are_recorded_with_attempt_numbers() {
    let (engine, _clock) = engine_with(GatewayConfig::default());
    let steps = [
        Step::Answer { retryable: true },
        Step::Fail { reached: false },
        Step::Answer { retryable: false },
    ];
    run(&engine, &steps, 3).0.unwrap();
    let totals = engine.metrics().summary().totals;
    assert_eq!(totals.calls, 1);
    assert_eq!(totals.calls_by_outcome.success, 1);
    assert_eq!(totals.attempts, 3);
    assert_eq!(totals.retries, 2);
    assert_eq!(totals.successes_by_attempt.at(3), 1);
    assert_eq!(totals.failures_by_reason.retryable_failure, 2);
    let per_endpoint = engine.metrics().by_endpoint(1).unwrap();
    let names: Vec<_> = per_endpoint
        .endpoints
        .iter()
        .map(|e| e.endpoint.as_str())
        .collect();
    assert_eq!(names, ["e0", "e1", "e2"]);
}

#[test]
fn retry_budget_denial_ends_the_request_and_is_counted() {
    let config = GatewayConfig::default()
        .with_budget(BudgetConfig::default().with_ratio(0.0).with_min_per_sec(0));
    let (engine, _clock) = engine_with(config);
    let steps = [
        Step::Fail { reached: false },
        Step::Answer { retryable: false },
    ];
    let (result, calls) = run(&engine, &steps, 2);
    let failed = result.unwrap_err();
    assert_eq!(calls, ["e0"]);
    assert_eq!(failed.attempts, 1);
    assert_eq!(engine.budget().denied(), 1);
    let totals = engine.metrics().summary().totals;
    assert_eq!(totals.failures_by_reason.budget_denied, 1);
    assert_eq!(totals.calls_by_outcome.budget_exhausted, 1);
}
