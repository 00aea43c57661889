//! What a reload keeps of the engine state, and the live policy.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use staunch::breaker::{BreakerConfig, CircuitState};
use staunch::budget::BudgetConfig;
use staunch::clock::ManualClock;
use staunch::retry::RetryConfig;

use super::*;

fn engine(config: &GatewayConfig) -> Engine {
    Engine::with_clock(config, Arc::new(ManualClock::new())).unwrap()
}

fn retry(max_attempts: u32, base_delay_ms: u64) -> RetryConfig {
    RetryConfig {
        max_attempts,
        base_delay: Duration::from_millis(base_delay_ms),
        ..RetryConfig::default()
    }
}

#[test]
fn reload_keeps_breaker_state_for_ids_that_still_exist() {
    let config = GatewayConfig::default();
    let engine = engine(&config);
    engine.track(["a", "b"]);
    engine.breakers().isolate("a");
    engine.reconfigure(&config, ["a", "c"]).unwrap();
    let breakers = engine.breakers();
    assert_eq!(breakers.get("a").state(), CircuitState::Isolated);
    assert!(breakers.find("c").is_some(), "new ids get a breaker");
}

#[test]
fn changed_breaker_rules_rebuild_breakers_keeping_isolation() {
    let config = GatewayConfig::default();
    let engine = engine(&config);
    engine.track(["a", "b", "gone"]);
    let old = engine.breakers();
    old.isolate("a");
    old.isolate("gone");
    for _ in 0..5 {
        old.get("b").try_acquire().unwrap().failure();
    }
    assert_eq!(old.get("b").state(), CircuitState::Open);
    let next = config
        .clone()
        .with_circuit_breaker(BreakerConfig::default().with_failure_threshold(2));
    engine.reconfigure(&next, ["a", "b"]).unwrap();
    let breakers = engine.breakers();
    assert_eq!(breakers.config().failure_threshold, Some(2));
    assert_eq!(breakers.get("a").state(), CircuitState::Isolated);
    assert_eq!(breakers.get("b").state(), CircuitState::Closed);
    assert!(breakers.find("gone").is_none());
}

#[test]
fn transitions_reach_the_metrics_store_after_a_rebuild_too() {
    let config = GatewayConfig::default();
    let engine = engine(&config);
    engine.breakers().isolate("a");
    let next = config.with_circuit_breaker(BreakerConfig::default().with_failure_threshold(3));
    engine.reconfigure(&next, ["a"]).unwrap();
    engine.breakers().reset("a");
    let events = engine.metrics().breaker_events(1).unwrap();
    let states: Vec<_> = events.events.iter().map(|e| e.to).collect();
    assert_eq!(
        states,
        [
            CircuitState::Isolated,
            CircuitState::Isolated,
            CircuitState::Closed
        ]
    );
}

#[test]
fn budget_is_kept_unless_its_section_changed() {
    let config = GatewayConfig::default();
    let engine = engine(&config);
    let before = engine.budget();
    engine.reconfigure(&config, []).unwrap();
    assert!(Arc::ptr_eq(&before, &engine.budget()));
    let next = config.with_budget(BudgetConfig::default().with_ratio(0.5));
    engine.reconfigure(&next, []).unwrap();
    assert_eq!(engine.budget().config().ratio, 0.5);
}

#[test]
fn put_is_live_at_once_and_survives_a_reload_of_other_fields() {
    let file = GatewayConfig::default().with_retry(retry(3, 1000));
    let engine = engine(&file);
    engine
        .update_policy(&json!({ "max_attempts": 6, "retry_status_codes": [503] }))
        .unwrap();
    assert_eq!(engine.policy().max_attempts(), 6);

    // The file edits base_delay only: the PUT's fields stay.
    let edited = GatewayConfig::default().with_retry(retry(3, 200));
    engine.reconfigure(&edited, []).unwrap();
    let live = engine.policy();
    assert_eq!(live.max_attempts(), 6);
    assert_eq!(live.retry_statuses().codes(), [503]);
    assert_eq!(live.config().base_delay, Duration::from_millis(200));

    // The file edits max_attempts: the file wins for that field.
    let edited = GatewayConfig::default().with_retry(retry(2, 200));
    engine.reconfigure(&edited, []).unwrap();
    assert_eq!(engine.policy().max_attempts(), 2);
    assert_eq!(engine.policy().retry_statuses().codes(), [503]);
}

#[test]
fn refused_put_changes_nothing() {
    let engine = engine(&GatewayConfig::default());
    let before = engine.policy();
    let err = engine
        .update_policy(&json!({ "max_attempts": 4, "multiplier": 50 }))
        .unwrap_err();
    assert_eq!(err.field, "multiplier");
    assert_eq!(*engine.policy(), *before);
}
