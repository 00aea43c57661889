//! The store's memory is fixed by retention × endpoints, never by the rate.

use std::time::Duration;

use staunch::breaker::{CircuitState, Transition};
use staunch::clock::{Clock, ManualClock};
use staunch::metrics::{AttemptOutcome, AttemptRecord, MetricsConfig, MetricsStore};

const ENDPOINTS: usize = 20;

fn store(clock: &ManualClock) -> MetricsStore {
    let config = MetricsConfig::default()
        .with_retention_hours(24)
        .with_max_breaker_events(500);
    MetricsStore::with_clock(config, clock.clone()).unwrap()
}

/// Feeds `per_minute` records per endpoint-minute for `minutes` minutes.
fn run(store: &MetricsStore, clock: &ManualClock, names: &[String], minutes: u64, per_minute: u64) {
    for minute in 0..minutes {
        let at = clock.system_now();
        for name in names {
            for n in 0..per_minute {
                let outcome = if n % 7 == 0 {
                    AttemptOutcome::RetryableFailure
                } else {
                    AttemptOutcome::Success
                };
                let record = AttemptRecord::new(n, (n % 3) as u32 + 1, outcome, at)
                    .with_endpoint(name.as_str())
                    .with_latency(Duration::from_millis(n % 700));
                store.record_attempt(&record);
            }
            if minute % 10 == 0 {
                store.record_transition(&Transition {
                    key: name.clone(),
                    from: CircuitState::Closed,
                    to: CircuitState::Open,
                    at,
                    failure_count: 5,
                    reason: format!("failure threshold reached on {name}"),
                });
            }
        }
        clock.advance(Duration::from_secs(60));
    }
}

#[test]
fn simulated_day_at_high_rate_keeps_memory_flat() {
    let clock = ManualClock::new();
    let store = store(&clock);
    let names: Vec<String> = (0..ENDPOINTS).map(|i| format!("proxy-{i:02}")).collect();

    run(&store, &clock, &names, 60, 50);
    let after_one_hour = store.memory_bytes();
    run(&store, &clock, &names, 23 * 60, 50);
    let after_one_day = store.memory_bytes();
    run(&store, &clock, &names, 24 * 60, 50);
    let after_two_days = store.memory_bytes();

    assert_eq!(after_one_hour, after_one_day);
    assert_eq!(after_one_day, after_two_days);
    assert_eq!(
        store.summary().totals.attempts,
        24 * 60 * ENDPOINTS as u64 * 50 - 50 * 20
    );
}

#[test]
fn memory_does_not_depend_on_request_rate() {
    let names: Vec<String> = (0..ENDPOINTS).map(|i| format!("proxy-{i:02}")).collect();
    let slow_clock = ManualClock::new();
    let slow = store(&slow_clock);
    run(&slow, &slow_clock, &names, 120, 1);
    let fast_clock = ManualClock::new();
    let fast = store(&fast_clock);
    run(&fast, &fast_clock, &names, 120, 200);
    assert_eq!(slow.memory_bytes(), fast.memory_bytes());
    assert!(fast.summary().totals.attempts > 100 * slow.summary().totals.attempts);
}

#[test]
fn memory_grows_with_endpoints_and_retention_only() {
    let clock = ManualClock::new();
    let one_day = MetricsStore::with_clock(MetricsConfig::default(), clock.clone()).unwrap();
    let week = MetricsStore::with_clock(
        MetricsConfig::default().with_retention_hours(168),
        clock.clone(),
    )
    .unwrap();
    let empty = one_day.memory_bytes();
    let record = |name: &str| {
        AttemptRecord::new(1, 1, AttemptOutcome::Success, clock.system_now()).with_endpoint(name)
    };
    one_day.record_attempt(&record("a"));
    week.record_attempt(&record("a"));
    let one_endpoint = one_day.memory_bytes();
    one_day.record_attempt(&record("b"));
    let two_endpoints = one_day.memory_bytes();
    assert!(one_endpoint > empty);
    // Each endpoint costs the same; a longer retention costs more per endpoint.
    let per_endpoint = two_endpoints - one_endpoint;
    assert!(per_endpoint > 24 * 60 * 100, "{per_endpoint}");
    assert!(week.memory_bytes() - empty > 6 * per_endpoint);
}

#[test]
fn endpoints_beyond_the_limit_cost_nothing_more() {
    let clock = ManualClock::new();
    let config = MetricsConfig::default().with_max_endpoints(4);
    let store = MetricsStore::with_clock(config, clock.clone()).unwrap();
    let record = |name: String| {
        AttemptRecord::new(1, 1, AttemptOutcome::Success, clock.system_now()).with_endpoint(name)
    };
    for i in 0..5 {
        store.record_attempt(&record(format!("e{i}")));
    }
    let at_limit = store.memory_bytes();
    for i in 5..500 {
        store.record_attempt(&record(format!("e{i}")));
    }
    assert_eq!(store.memory_bytes(), at_limit);
    assert_eq!(
        store.endpoint_count(),
        5,
        "four endpoints and the overflow row"
    );
}
