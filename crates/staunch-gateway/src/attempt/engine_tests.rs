//! The attempt loop with the engine state: breakers skip and learn, the
//! budget limits retries, every attempt and call is recorded, the direct
//! endpoint has no breaker.

use std::sync::Arc;
use std::time::Duration;

use staunch::breaker::{BreakerConfig, CircuitState};
use staunch::budget::BudgetConfig;
use staunch::clock::ManualClock;
use tokio::time::Instant;

use super::script::{endpoints, upstream, Scripted, Step, OK, REFUSED, RESET, UNAVAILABLE};
use super::*;
use crate::client::direct_client;
use crate::config::GatewayConfig;
use crate::engine::Engine;
use crate::upstream::{Upstream, FORWARD};

fn engine_with(config: GatewayConfig) -> Engine {
    Engine::with_clock(&config, Arc::new(ManualClock::new())).unwrap()
}

/// The loop's result, the endpoints it called in order, and the (paused)
/// time it took.
type Run = (
    Result<Attempted<(usize, u16, Option<Duration>)>, AttemptsFailed>,
    Vec<String>,
    Duration,
);

fn run_on(engine: &Engine, upstream: &Upstream, steps: &[Step]) -> Run {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let limits = AttemptLimits {
        max_attempts: 10,
        deadline: None,
        repeat_after_delivery: true,
    };
    let mut scripted = Scripted::new(steps);
    let (result, took) = rt.block_on(async {
        let start = Instant::now();
        let result = run_attempts(engine, upstream, &limits, &mut scripted).await;
        (result, start.elapsed())
    });
    (result, scripted.calls, took)
}

fn run(engine: &Engine, steps: &[Step], n: usize) -> Run {
    run_on(engine, &upstream(engine, n), steps)
}

#[test]
fn an_open_breaker_endpoint_is_never_tried() {
    let engine = engine_with(GatewayConfig::default());
    engine.breakers().isolate("e0");
    let (result, calls, _) = run(&engine, &[OK], 2);
    let done = result.unwrap();
    assert_eq!(calls, ["e1"]);
    assert_eq!(done.attempts, 1);
    let totals = engine.metrics().summary().totals;
    assert_eq!(totals.attempts, 1);
    assert_eq!(totals.successes_by_attempt.at(1), 1);
}

#[test]
fn every_breaker_open_fails_at_once_with_the_next_probe_as_retry_after() {
    let config = GatewayConfig::default()
        .with_circuit_breaker(BreakerConfig::default().with_open_duration(Duration::from_secs(12)));
    let engine = engine_with(config);
    let breakers = engine.breakers();
    for id in ["e0", "e1"] {
        for _ in 0..5 {
            breakers.get(id).try_acquire().unwrap().failure();
        }
        assert_eq!(breakers.get(id).state(), CircuitState::Open);
    }
    let (result, calls, took) = run(&engine, &[], 2);
    let failed = result.unwrap_err();
    assert!(calls.is_empty());
    assert_eq!(took, Duration::ZERO, "no sleep, no queue");
    assert_eq!(failed.attempts, 0);
    assert!(failed.all_unavailable());
    assert_eq!(failed.retry_after, Duration::from_secs(12));
    let ids: Vec<_> = failed.errors.iter().map(AttemptError::endpoint).collect();
    assert_eq!(ids, ["e0", "e1"]);
    assert!(failed
        .errors
        .iter()
        .all(|e| e.kind() == AttemptErrorKind::CircuitOpen));
    assert!(failed.errors[0]
        .to_string()
        .contains("next probe in 12.0 s"));
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
fn retryable_answers_and_failures_count_on_the_breaker_and_successes_reset_it() {
    let config = GatewayConfig::default()
        .with_circuit_breaker(BreakerConfig::default().with_consecutive_failures(2));
    let engine = engine_with(config);
    let three = upstream(&engine, 3);
    // Round robin: e0 answers 503, e1 resets, e2 answers.
    run_on(&engine, &three, &[UNAVAILABLE, RESET, OK])
        .0
        .unwrap();
    // The next call starts at e0 again: refused, then e1 answers.
    let (result, calls, _) = run_on(&engine, &three, &[REFUSED, OK]);
    result.unwrap();
    assert_eq!(calls, ["e0", "e1"]);
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
fn a_throttled_answer_is_retried_without_counting_against_the_breaker() {
    let config = GatewayConfig::default()
        .with_circuit_breaker(BreakerConfig::default().with_consecutive_failures(1));
    let engine = engine_with(config);
    let (result, calls, _) = run(&engine, &[Step::Answer(429), OK], 2);
    assert_eq!(result.unwrap().output.1, 200);
    assert_eq!(calls, ["e0", "e1"], "retried elsewhere");
    assert_eq!(engine.breakers().get("e0").state(), CircuitState::Closed);
    let two = upstream(&engine, 2);
    assert_eq!(
        two.pool().get("e0").unwrap().stats().total_failures(),
        1,
        "a failed attempt in the endpoint's statistics all the same"
    );
}

#[test]
fn a_final_5xx_is_returned_and_counts_against_the_breaker() {
    let config = GatewayConfig::default()
        .with_circuit_breaker(BreakerConfig::default().with_consecutive_failures(1));
    let engine = engine_with(config);
    let (result, calls, _) = run(&engine, &[Step::Answer(500), OK], 2);
    assert_eq!(result.unwrap().output.1, 500, "not in the retry list");
    assert_eq!(calls, ["e0"]);
    assert_eq!(engine.breakers().get("e0").state(), CircuitState::Open);
}

#[test]
fn a_final_answer_is_not_a_failure_of_the_endpoint() {
    let config = GatewayConfig::default()
        .with_circuit_breaker(BreakerConfig::default().with_consecutive_failures(1));
    let engine = engine_with(config);
    let (result, _, _) = run(&engine, &[Step::Answer(404)], 1);
    assert_eq!(result.unwrap().output.1, 404);
    assert_eq!(engine.breakers().get("e0").state(), CircuitState::Closed);
    let totals = engine.metrics().summary().totals;
    assert_eq!(totals.calls_by_outcome.fatal, 1, "a 4xx is final");
}

#[test]
fn attempts_calls_and_pool_statistics_are_recorded() {
    let engine = engine_with(GatewayConfig::default());
    let three = upstream(&engine, 3);
    run_on(&engine, &three, &[UNAVAILABLE, REFUSED, OK])
        .0
        .unwrap();
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
    let pool = three.pool();
    assert_eq!(pool.get("e0").unwrap().stats().total_failures(), 1);
    let refused = pool.get("e1").unwrap().stats().last_error().unwrap();
    assert!(
        refused.message.contains("connection refused"),
        "{refused:?}"
    );
    assert_eq!(pool.get("e2").unwrap().stats().total_successes(), 1);
}

#[test]
fn retry_budget_denial_ends_the_request_and_is_counted() {
    let config = GatewayConfig::default()
        .with_budget(BudgetConfig::default().with_ratio(0.0).with_min_per_sec(0));
    let engine = engine_with(config);
    let (result, calls, _) = run(&engine, &[REFUSED, OK], 2);
    let failed = result.unwrap_err();
    assert_eq!(calls, ["e0"]);
    assert_eq!(failed.attempts, 1);
    assert_eq!(failed.reason, staunch::retry::StopReason::BudgetExhausted);
    assert_eq!(engine.budget().denied(), 1);
    let totals = engine.metrics().summary().totals;
    assert_eq!(totals.failures_by_reason.budget_denied, 1);
    assert_eq!(totals.calls_by_outcome.budget_exhausted, 1);
}

#[test]
fn the_direct_endpoint_has_no_breaker_but_is_retried_with_backoff() {
    // Breakers that would open at the first failure: the direct endpoint's
    // never does.
    let config = GatewayConfig::default()
        .with_circuit_breaker(BreakerConfig::default().with_consecutive_failures(1));
    let engine = engine_with(config);
    let direct = Endpoint::direct(
        direct_client(Duration::from_secs(1)),
        Duration::from_secs(1),
    );
    let forward = Upstream::builder(FORWARD, vec![direct])
        .build(&engine)
        .unwrap();
    assert!(!forward.has_breakers());
    for _ in 0..2 {
        let (result, calls, took) = run_on(&engine, &forward, &[UNAVAILABLE, UNAVAILABLE, OK]);
        assert_eq!(result.unwrap().attempts, 3);
        assert_eq!(calls, ["direct"; 3]);
        assert_eq!(took, Duration::from_millis(300));
    }
    assert!(engine.breakers().find("direct").is_none());
}

#[test]
fn a_reload_keeps_the_pool_statistics_of_endpoints_that_stay() {
    let engine = engine_with(GatewayConfig::default());
    let before = upstream(&engine, 2);
    run_on(&engine, &before, &[REFUSED, OK]).0.unwrap();
    // The same pool name with one more endpoint, as a reload builds it.
    let after = Upstream::builder("route /", endpoints(3))
        .build(&engine)
        .unwrap();
    assert!(Arc::ptr_eq(before.pool(), after.pool()));
    assert_eq!(after.pool().len(), 3);
    assert_eq!(after.pool().get("e0").unwrap().stats().total_failures(), 1);
    assert_eq!(after.pool().get("e1").unwrap().stats().total_successes(), 1);
}
