//! Behaviour of the metrics store: expiry, rows, late records, breaker
//! events, refused query hours and the JSON the admin API serves.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use staunch::breaker::{CircuitState, Transition};
use staunch::clock::{Clock, ManualClock};
use staunch::metrics::{
    AttemptOutcome, AttemptRecord, CallOutcome, CallRecord, MetricsConfig, MetricsStore,
    NO_ENDPOINT, OTHER_ENDPOINT,
};

/// 2023-11-14T22:13:20Z: not on an hour boundary.
fn clock() -> ManualClock {
    ManualClock::starting_at(UNIX_EPOCH + Duration::from_secs(1_700_000_000))
}

fn store(clock: &ManualClock, hours: u32) -> MetricsStore {
    let config = MetricsConfig::default().with_retention_hours(hours);
    MetricsStore::with_clock(config, clock.clone()).unwrap()
}

fn success(clock: &ManualClock, endpoint: &str) -> AttemptRecord {
    AttemptRecord::new(1, 1, AttemptOutcome::Success, clock.system_now()).with_endpoint(endpoint)
}

fn transition(key: &str, to: CircuitState, at: SystemTime) -> Transition {
    Transition {
        key: key.into(),
        from: CircuitState::Closed,
        to,
        at,
        failure_count: 3,
        reason: "failure threshold".into(),
    }
}

#[test]
fn buckets_expire_after_retention() {
    let clock = clock();
    let store = store(&clock, 1);
    store.record_attempt(&success(&clock, "a"));
    clock.advance(Duration::from_secs(59 * 60));
    assert_eq!(
        store.summary().totals.successes,
        1,
        "59 minutes later: kept"
    );
    clock.advance(Duration::from_secs(60));
    assert_eq!(
        store.summary().totals.successes,
        0,
        "60 minutes later: expired"
    );
    assert_eq!(
        store.by_endpoint(1).unwrap().endpoints[0].totals.successes,
        0
    );
}

#[test]
fn expired_minutes_are_reused_without_mixing() {
    let clock = clock();
    let store = store(&clock, 1);
    store.record_attempt(&success(&clock, "a"));
    // Exactly one ring length later the same bucket is reused.
    clock.advance(Duration::from_secs(3600));
    store.record_attempt(&success(&clock, "a"));
    store.record_attempt(&success(&clock, "a"));
    assert_eq!(store.summary().totals.successes, 2);
}

#[test]
fn successes_are_counted_by_attempt_number() {
    let clock = clock();
    let store = store(&clock, 24);
    for attempt in [1, 1, 2, 3, 10, 11, 25] {
        let record = AttemptRecord::new(9, attempt, AttemptOutcome::Success, clock.system_now());
        store.record_attempt(&record);
    }
    let totals = store.summary().totals;
    let by = totals.successes_by_attempt;
    assert_eq!(
        (by.at(1), by.at(2), by.at(3), by.at(10), by.more()),
        (2, 1, 1, 1, 2)
    );
    assert_eq!(by.within(3), 4);
    assert_eq!(totals.retries, 5);
    assert_eq!(totals.attempts, 7);
}

#[test]
fn failures_are_counted_by_reason_and_unsent_ones_are_not_attempts() {
    let clock = clock();
    let store = store(&clock, 24);
    for (attempt, outcome) in [
        (1, AttemptOutcome::RetryableFailure),
        (2, AttemptOutcome::Timeout),
        (3, AttemptOutcome::BudgetDenied),
        (1, AttemptOutcome::Rejected),
        (1, AttemptOutcome::Fatal),
    ] {
        let record = AttemptRecord::new(1, attempt, outcome, clock.system_now())
            .with_latency(Duration::from_millis(20));
        store.record_attempt(&record);
    }
    let totals = store.summary().totals;
    let f = totals.failures_by_reason;
    assert_eq!(
        (
            f.retryable_failure,
            f.timeout,
            f.fatal,
            f.rejected,
            f.budget_denied
        ),
        (1, 1, 1, 1, 1)
    );
    assert_eq!(totals.failures, 5);
    assert_eq!(
        totals.attempts, 3,
        "rejected and budget-denied were not sent"
    );
    assert_eq!(totals.retries, 1, "the budget-denied retry was not sent");
    assert_eq!(totals.success_ratio, Some(0.0));
    assert_eq!(totals.latency.avg_ms, Some(20.0));
}

#[test]
fn calls_are_counted_by_final_outcome_and_last_endpoint() {
    let clock = clock();
    let store = store(&clock, 24);
    let at = clock.system_now();
    store.record_call(&CallRecord::new(1, 2, CallOutcome::Success, at).with_endpoint("b"));
    store.record_call(&CallRecord::new(2, 3, CallOutcome::Exhausted, at).with_endpoint("b"));
    store.record_call(&CallRecord::new(3, 1, CallOutcome::BudgetExhausted, at));
    let summary = store.summary();
    assert_eq!(summary.totals.calls, 3);
    assert_eq!(summary.totals.calls_by_outcome.budget_exhausted, 1);
    let rows = store.by_endpoint(1).unwrap().endpoints;
    let names: Vec<_> = rows.iter().map(|r| r.endpoint.as_str()).collect();
    assert_eq!(names, [NO_ENDPOINT, "b"]);
    assert_eq!(rows[1].totals.calls_by_outcome.exhausted, 1);
}

#[test]
fn endpoints_beyond_the_limit_share_the_other_row() {
    let clock = clock();
    let config = MetricsConfig::default().with_max_endpoints(2);
    let store = MetricsStore::with_clock(config, clock.clone()).unwrap();
    for name in ["a", "b", "c", "d", "a"] {
        store.record_attempt(&success(&clock, name));
    }
    let rows = store.by_endpoint(1).unwrap().endpoints;
    let rows: Vec<_> = rows
        .iter()
        .map(|r| (r.endpoint.as_str(), r.totals.successes))
        .collect();
    assert_eq!(rows, [(OTHER_ENDPOINT, 2), ("a", 2), ("b", 1)]);
}

#[test]
fn late_record_is_filed_under_its_own_minute() {
    let clock = clock();
    let store = store(&clock, 24);
    let early = clock.system_now();
    store.record_attempt(&success(&clock, "a"));
    clock.advance(Duration::from_secs(3 * 3600));
    store.record_attempt(&success(&clock, "a"));
    store
        .record_attempt(&AttemptRecord::new(1, 1, AttemptOutcome::Fatal, early).with_endpoint("a"));
    assert_eq!(store.totals(1).unwrap().failures, 0);
    assert_eq!(store.totals(4).unwrap().failures, 1);
    // Too old for the retention: only lifetime counters see it.
    let ancient = early - Duration::from_secs(48 * 3600);
    store.record_attempt(
        &AttemptRecord::new(1, 1, AttemptOutcome::Fatal, ancient).with_endpoint("a"),
    );
    let summary = store.summary();
    assert_eq!(summary.totals.failures, 1);
    assert_eq!(summary.late_records_dropped, 1);
}

#[test]
fn timeseries_has_one_point_per_clock_hour_oldest_first() {
    let clock = ManualClock::starting_at(UNIX_EPOCH + Duration::from_secs(10 * 3600 + 30 * 60));
    let store = store(&clock, 24);
    for _ in 0..4 {
        store.record_attempt(&success(&clock, "a"));
        clock.advance(Duration::from_secs(3600));
    }
    // Now 14:30; the last 3 hours are 11:31..=14:30.
    let series = store.timeseries(3).unwrap();
    let starts: Vec<_> = series.points.iter().map(|p| p.start.as_str()).collect();
    assert_eq!(
        starts,
        [
            "1970-01-01T11:00:00Z",
            "1970-01-01T12:00:00Z",
            "1970-01-01T13:00:00Z",
            "1970-01-01T14:00:00Z"
        ]
    );
    let successes: Vec<_> = series.points.iter().map(|p| p.totals.successes).collect();
    // 11:30 is outside the window; 12:30 and 13:30 inside; none yet at 14:30.
    assert_eq!(successes, [0, 1, 1, 0]);
    assert_eq!(series.from, "1970-01-01T11:31:00Z");
    assert_eq!(series.to, "1970-01-01T14:30:00Z");
}

#[test]
fn per_endpoint_stats_include_ratio_and_percentiles() {
    let clock = clock();
    let store = store(&clock, 24);
    for i in 0..100u64 {
        let outcome = if i < 90 {
            AttemptOutcome::Success
        } else {
            AttemptOutcome::RetryableFailure
        };
        let latency = Duration::from_millis(if i < 50 { 3 } else { 40 });
        let record = AttemptRecord::new(i, 1, outcome, clock.system_now())
            .with_endpoint("a")
            .with_latency(latency);
        store.record_attempt(&record);
    }
    let stats = &store.by_endpoint(24).unwrap().endpoints[0];
    assert_eq!(stats.totals.success_ratio, Some(0.9));
    assert_eq!(stats.totals.latency.avg_ms, Some(21.5));
    let p50 = stats.totals.latency.p50_ms.unwrap();
    let p95 = stats.totals.latency.p95_ms.unwrap();
    assert!(p50 <= 5.0, "half the attempts took 3 ms: {p50}");
    assert!((25.0..=50.0).contains(&p95), "{p95}");
    assert!(stats.totals.latency.p99_ms.unwrap() >= p95);
}

#[test]
fn breaker_events_are_windowed_and_capped() {
    let clock = clock();
    let config = MetricsConfig::default().with_max_breaker_events(3);
    let store = MetricsStore::with_clock(config, clock.clone()).unwrap();
    store.record_transition(&transition("a", CircuitState::Open, clock.system_now()));
    clock.advance(Duration::from_secs(2 * 3600));
    for to in [
        CircuitState::HalfOpen,
        CircuitState::Closed,
        CircuitState::Open,
    ] {
        store.record_transition(&transition("b", to, clock.system_now()));
    }
    let recent = store.breaker_events(1).unwrap();
    assert_eq!(recent.total, 3);
    let to: Vec<_> = recent.events.iter().map(|e| e.to).collect();
    assert_eq!(
        to,
        [
            CircuitState::HalfOpen,
            CircuitState::Closed,
            CircuitState::Open
        ]
    );
    let all = store.breaker_events(24).unwrap();
    assert_eq!(all.total, 3, "the oldest was dropped when the log was full");
    assert_eq!(all.dropped, 1);
    assert_eq!(store.summary().breaker_events, 3);
    assert_eq!(all.events[0].key, "b");
    assert_eq!(all.events[0].reason, "failure threshold");
}

#[test]
fn breaker_events_older_than_the_window_are_left_out() {
    let clock = clock();
    let store = store(&clock, 24);
    store.record_transition(&transition("a", CircuitState::Open, clock.system_now()));
    clock.advance(Duration::from_secs(3600));
    assert_eq!(store.breaker_events(1).unwrap().total, 0);
    assert_eq!(store.breaker_events(2).unwrap().total, 1);
    clock.advance(Duration::from_secs(24 * 3600));
    assert_eq!(
        store.breaker_events(168).unwrap().total,
        0,
        "beyond retention"
    );
}

#[test]
fn hours_outside_one_to_168_are_refused_naming_hours() {
    let clock = clock();
    let store = store(&clock, 24);
    for hours in [0, 169, 1000] {
        let errors = [
            store.timeseries(hours).unwrap_err(),
            store.by_endpoint(hours).unwrap_err(),
            store.breaker_events(hours).unwrap_err(),
            store.totals(hours).unwrap_err(),
        ];
        for err in errors {
            assert_eq!(err.field(), Some("hours"));
            assert!(err.to_string().contains(&hours.to_string()), "{err}");
            assert!(err.to_string().contains("1 to 168"), "{err}");
        }
    }
    assert!(
        store.timeseries(168).is_ok(),
        "168 is allowed even above the retention"
    );
}

#[test]
fn invalid_config_is_refused_by_constructor() {
    let err = MetricsStore::new(MetricsConfig::default().with_retention_hours(200)).unwrap_err();
    assert_eq!(err.field(), Some("metrics.retention"));
    assert!(err.to_string().contains("200h"), "{err}");
    let err = MetricsStore::new(MetricsConfig::default().with_max_endpoints(0)).unwrap_err();
    assert_eq!(err.field(), Some("metrics.max_endpoints"));
}

#[test]
fn query_results_serialise_to_the_admin_api_shape() {
    let clock = clock();
    let store = store(&clock, 24);
    let record = AttemptRecord::new(1, 2, AttemptOutcome::Success, clock.system_now())
        .with_endpoint("proxy-1")
        .with_latency(Duration::from_millis(12));
    store.record_attempt(&record);
    store.record_transition(&transition(
        "proxy-1",
        CircuitState::Open,
        clock.system_now(),
    ));

    let summary = serde_json::to_value(store.summary()).unwrap();
    assert_eq!(summary["retention_hours"], 24);
    assert_eq!(summary["retries"], 1);
    assert_eq!(summary["successes_by_attempt"]["2"], 1);
    assert_eq!(summary["failures_by_reason"]["budget_denied"], 0);
    assert_eq!(summary["breaker_events"], 1);
    assert_eq!(summary["to"], "2023-11-14T22:13:20Z");

    let rows = serde_json::to_value(store.by_endpoint(24).unwrap()).unwrap();
    assert_eq!(rows["endpoints"][0]["endpoint"], "proxy-1");
    assert_eq!(rows["endpoints"][0]["success_ratio"], 1.0);
    assert!(rows["endpoints"][0]["latency"]["p95_ms"].is_number());

    let series = serde_json::to_value(store.timeseries(2).unwrap()).unwrap();
    assert_eq!(series["points"][2]["attempts"], 1);
    assert_eq!(series["points"][2]["start"], "2023-11-14T22:00:00Z");

    let events = serde_json::to_value(store.breaker_events(24).unwrap()).unwrap();
    assert_eq!(events["events"][0]["to"], "open");
    assert_eq!(events["events"][0]["at"], "2023-11-14T22:13:20Z");
    assert_eq!(events["events"][0]["at_unix_ms"], 1_700_000_000_000u64);
}
