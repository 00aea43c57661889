//! The keyed registry: one breaker per key, created on first use, shared by
//! every caller and clone, with overrides, listing, reset/isolate by key and
//! observers on every breaker.

use std::sync::{Arc, Barrier, Mutex};
use std::time::Duration;

use staunch::breaker::{BreakerConfig, BreakerRegistry, CircuitState, Transition};
use staunch::clock::ManualClock;

fn registry() -> (BreakerRegistry<String>, ManualClock) {
    let clock = ManualClock::new();
    let config = BreakerConfig::default().with_consecutive_failures(2);
    (
        BreakerRegistry::with_clock(config, Arc::new(clock.clone())).unwrap(),
        clock,
    )
}

fn trip(registry: &BreakerRegistry<String>, key: &str) {
    for _ in 0..2 {
        let _ = registry.get(key).call(|| Err::<(), _>("down"));
    }
}

#[test]
fn one_breaker_per_key_created_on_first_use() {
    let (registry, _clock) = registry();
    assert!(registry.is_empty());
    assert!(registry.find("a").is_none(), "find never creates");
    let a = registry.get("a");
    assert_eq!(a.key(), "a");
    assert!(registry.get("a").same_as(&a));
    assert!(!registry.get("b").same_as(&a));
    assert_eq!(registry.len(), 2);
}

#[test]
fn clones_share_the_same_breakers() {
    let (registry, _clock) = registry();
    let other = registry.clone();
    trip(&registry, "s3");
    assert_eq!(other.get("s3").state(), CircuitState::Open);
    assert_eq!(
        other.get("gcs").state(),
        CircuitState::Closed,
        "keys are independent"
    );
}

#[test]
fn concurrent_first_use_creates_exactly_one_breaker() {
    let (registry, _clock) = registry();
    let start = Barrier::new(8);
    let made: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    start.wait();
                    registry.get("hot")
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(made.iter().all(|b| b.same_as(&made[0])));
    assert_eq!(registry.len(), 1);
}

#[test]
fn a_per_key_override_replaces_the_shared_config() {
    let (registry, _clock) = registry();
    let registry = registry
        .with_override(
            "fragile".to_owned(),
            BreakerConfig::default().with_consecutive_failures(1),
        )
        .unwrap();
    let _ = registry.get("fragile").call(|| Err::<(), _>("x"));
    let _ = registry.get("sturdy").call(|| Err::<(), _>("x"));
    assert_eq!(registry.get("fragile").state(), CircuitState::Open);
    assert_eq!(registry.get("sturdy").state(), CircuitState::Closed);
    assert_eq!(
        registry.get("fragile").config().consecutive_failures,
        Some(1)
    );
}

#[test]
fn overriding_an_existing_key_gives_it_a_fresh_breaker() {
    let (registry, _clock) = registry();
    trip(&registry, "k");
    registry
        .set_override(
            "k".to_owned(),
            BreakerConfig::default().with_consecutive_failures(5),
        )
        .unwrap();
    let fresh = registry.get("k");
    assert_eq!(fresh.state(), CircuitState::Closed);
    assert_eq!(fresh.config().consecutive_failures, Some(5));
}

#[test]
fn invalid_configs_are_refused_up_front() {
    let err = BreakerRegistry::<String>::new(BreakerConfig::default().with_success_threshold(0))
        .unwrap_err();
    assert_eq!(err.field(), Some("circuit_breaker.success_threshold"));
    let (registry, _clock) = registry();
    let err = registry
        .set_override(
            "k".to_owned(),
            BreakerConfig::default().with_failure_rate(2.0),
        )
        .unwrap_err();
    assert_eq!(err.field(), Some("circuit_breaker.failure_rate"));
}

#[test]
fn snapshots_list_every_breaker() {
    let (registry, clock) = registry();
    registry.get("up");
    trip(&registry, "down");
    clock.advance(Duration::from_secs(5));
    let mut all = registry.snapshots();
    all.sort_by(|a, b| a.0.cmp(&b.0));
    let keys: Vec<_> = all.iter().map(|(k, s)| (k.as_str(), s.state)).collect();
    assert_eq!(
        keys,
        [("down", CircuitState::Open), ("up", CircuitState::Closed)]
    );
    assert_eq!(all[0].1.next_probe_in, Some(Duration::from_secs(25)));
    assert_eq!(registry.snapshot("down").unwrap().failures_in_window, 2);
    assert!(registry.snapshot("never").is_none());
    assert_eq!(registry.breakers().len(), 2);
}

#[test]
fn reset_and_isolate_by_key() {
    let (registry, _clock) = registry();
    trip(&registry, "a");
    assert!(registry.reset("a"));
    assert_eq!(registry.get("a").state(), CircuitState::Closed);
    assert!(
        !registry.reset("unknown"),
        "unknown keys are not created by reset"
    );
    assert_eq!(registry.len(), 1);
    registry.isolate("new");
    assert_eq!(
        registry.get("new").state(),
        CircuitState::Isolated,
        "isolating creates the key"
    );
    trip(&registry, "a");
    registry.reset_all();
    assert!(registry
        .snapshots()
        .iter()
        .all(|(_, s)| s.state == CircuitState::Closed));
}

#[test]
fn observers_see_existing_and_future_breakers() {
    let (registry, _clock) = registry();
    registry.get("before");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    registry.add_observer(Arc::new(move |t: &Transition| {
        sink.lock().unwrap().push((t.key.clone(), t.to));
    }));
    trip(&registry, "before");
    trip(&registry, "after");
    let seen = seen.lock().unwrap();
    assert_eq!(
        *seen,
        [
            ("before".to_owned(), CircuitState::Open),
            ("after".to_owned(), CircuitState::Open)
        ]
    );
}

#[test]
fn keys_of_any_displayable_type_work() {
    let registry = BreakerRegistry::<u16>::new(BreakerConfig::default()).unwrap();
    assert_eq!(registry.get(&8080).key(), "8080");
    assert!(registry.find(&8080).is_some());
}

#[test]
fn generation_changes_only_when_a_breaker_is_replaced() {
    let (registry, _clock) = registry();
    let start = registry.generation();
    registry.get("a");
    trip(&registry, "a");
    registry.reset("a");
    registry.isolate("b");
    assert_eq!(
        registry.generation(),
        start,
        "new keys and state changes keep it"
    );
    let override_config = BreakerConfig::default().with_consecutive_failures(2);
    registry
        .set_override("c".to_owned(), override_config.clone())
        .unwrap();
    assert_eq!(registry.generation(), start, "no breaker for `c` yet");
    registry
        .set_override("a".to_owned(), override_config)
        .unwrap();
    let replaced = registry.generation();
    assert_ne!(replaced, start);
    assert_eq!(registry.clone().generation(), replaced, "clones share it");
    let (other, _clock) = self::registry();
    assert_ne!(
        other.generation(),
        registry.generation(),
        "registries differ"
    );
}
