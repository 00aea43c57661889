//! Prometheus text: parsed with a real parser, figures equal to the store's.

use std::collections::HashMap;
use std::time::{Duration, UNIX_EPOCH};

use prometheus_parse::{Sample, Scrape, Value};
use staunch::breaker::{CircuitState, Transition};
use staunch::budget::{BudgetConfig, RetryBudget};
use staunch::clock::{Clock, ManualClock};
use staunch::metrics::{
    encode_prometheus, AttemptOutcome, AttemptRecord, CallOutcome, CallRecord, MetricsConfig,
    MetricsStore, LATENCY_BUCKETS_SECONDS,
};

fn parse(text: &str) -> Vec<Sample> {
    let lines = text.lines().map(|l| Ok(l.to_string()));
    Scrape::parse(lines).expect("exposition parses").samples
}

fn number(sample: &Sample) -> f64 {
    match &sample.value {
        Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
        other => panic!("not a number: {other:?}"),
    }
}

/// `metric{labels}` → value, labels as sorted `k=v` pairs.
fn index(samples: &[Sample]) -> HashMap<String, f64> {
    samples
        .iter()
        .filter(|s| !matches!(s.value, Value::Histogram(_)))
        .map(|s| {
            let mut labels: Vec<_> = s.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            labels.sort();
            (format!("{}{{{}}}", s.metric, labels.join(",")), number(s))
        })
        .collect()
}

/// A store with assorted traffic on three endpoints and a breaker history.
fn busy_store(clock: &ManualClock) -> MetricsStore {
    let store = MetricsStore::with_clock(MetricsConfig::default(), clock.clone()).unwrap();
    for i in 0..3000u64 {
        let endpoint = ["eu-1", "eu-2", "us-1"][(i % 3) as usize];
        let outcome = AttemptOutcome::ALL[(i % 11 % 6) as usize];
        let attempt = (i % 13) as u32 + 1;
        let record = AttemptRecord::new(i, attempt, outcome, clock.system_now())
            .with_endpoint(endpoint)
            .with_latency(Duration::from_micros(i * 997 % 12_000_000));
        store.record_attempt(&record);
        if i % 4 == 0 {
            let outcome = CallOutcome::ALL[(i % 6) as usize];
            store.record_call(
                &CallRecord::new(i, attempt, outcome, clock.system_now()).with_endpoint(endpoint),
            );
        }
        if i % 500 == 0 {
            store.record_transition(&Transition {
                key: endpoint.into(),
                from: CircuitState::Closed,
                to: CircuitState::Open,
                at: clock.system_now(),
                failure_count: 5,
                reason: "threshold".into(),
            });
        }
        clock.advance(Duration::from_secs(7));
    }
    store
}

#[test]
fn exposition_parses_and_matches_store() {
    let clock = ManualClock::starting_at(UNIX_EPOCH + Duration::from_secs(1_700_000_000));
    let store = busy_store(&clock);
    let text = encode_prometheus(&store, None, Vec::<(String, CircuitState)>::new());
    let samples = parse(&text);
    let values = index(&samples);

    // Every sample line was understood.
    let sample_lines = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .count();
    let bucket_lines = text.lines().filter(|l| l.contains("_bucket{")).count();
    let histograms = samples
        .iter()
        .filter(|s| matches!(s.value, Value::Histogram(_)))
        .count();
    assert_eq!(values.len() + bucket_lines, sample_lines);
    assert_eq!(histograms, 3);

    for row in store.by_endpoint(24).unwrap().endpoints {
        let e = &row.endpoint;
        let t = &row.totals;
        let get = |key: String| values.get(&key).copied().unwrap_or_else(|| panic!("{key}"));
        assert_eq!(
            get(format!("staunch_retries_total{{endpoint={e}}}")),
            t.retries as f64
        );
        let attempts = |o: &str| {
            get(format!(
                "staunch_attempts_total{{endpoint={e},outcome={o}}}"
            ))
        };
        assert_eq!(attempts("success"), t.successes as f64);
        let f = &t.failures_by_reason;
        assert_eq!(attempts("retryable_failure"), f.retryable_failure as f64);
        assert_eq!(attempts("timeout"), f.timeout as f64);
        assert_eq!(attempts("fatal"), f.fatal as f64);
        assert_eq!(attempts("rejected"), f.rejected as f64);
        assert_eq!(attempts("budget_denied"), f.budget_denied as f64);
        let calls = |o: &str| get(format!("staunch_calls_total{{endpoint={e},outcome={o}}}"));
        assert_eq!(calls("success"), t.calls_by_outcome.success as f64);
        assert_eq!(calls("unavailable"), t.calls_by_outcome.unavailable as f64);
        for n in 1..=10u32 {
            let key = format!("staunch_successes_by_attempt_total{{attempt={n},endpoint={e}}}");
            assert_eq!(get(key), t.successes_by_attempt.at(n) as f64);
        }
        let more = format!("staunch_successes_by_attempt_total{{attempt=more,endpoint={e}}}");
        assert_eq!(get(more), t.successes_by_attempt.more() as f64);

        let count = get(format!(
            "staunch_attempt_duration_seconds_count{{endpoint={e}}}"
        ));
        assert_eq!(count, t.attempts as f64);
        let sum = get(format!(
            "staunch_attempt_duration_seconds_sum{{endpoint={e}}}"
        ));
        let avg_ms = t.latency.avg_ms.unwrap();
        assert!(
            (sum / count * 1e3 - avg_ms).abs() < 1e-6,
            "{sum} {count} {avg_ms}"
        );

        let histogram = samples
            .iter()
            .find(|s| {
                s.metric == "staunch_attempt_duration_seconds"
                    && s.labels.get("endpoint") == Some(e.as_str())
            })
            .unwrap();
        let Value::Histogram(buckets) = &histogram.value else {
            panic!("not a histogram: {histogram:?}");
        };
        assert_eq!(buckets.len(), LATENCY_BUCKETS_SECONDS.len() + 1);
        assert_eq!(
            buckets.last().unwrap().count,
            t.attempts as f64,
            "+Inf holds all"
        );
        assert!(
            buckets.windows(2).all(|w| w[0].count <= w[1].count),
            "cumulative"
        );

        assert_eq!(
            get(format!(
                "staunch_breaker_transitions_total{{endpoint={e},to=open}}"
            )),
            2.0
        );
    }
    let summary = store.summary();
    let total_success: f64 = values
        .iter()
        .filter(|(k, _)| {
            k.starts_with("staunch_attempts_total{") && k.ends_with("outcome=success}")
        })
        .map(|(_, v)| v)
        .sum();
    assert_eq!(total_success, summary.totals.successes as f64);
    assert_eq!(
        values["staunch_metrics_store_bytes{}"],
        store.memory_bytes() as f64
    );
}

#[test]
fn breaker_states_and_budget_are_exported() {
    let clock = ManualClock::new();
    let store = MetricsStore::with_clock(MetricsConfig::default(), clock.clone()).unwrap();
    let budget =
        RetryBudget::with_clock(BudgetConfig::default().with_min_per_sec(1), clock.clone())
            .unwrap();
    for _ in 0..10 {
        budget.deposit();
    }
    while budget.try_withdraw() {}
    let states = [
        ("proxy-a", CircuitState::Open),
        ("proxy-b", CircuitState::HalfOpen),
    ];
    let text = encode_prometheus(&store, Some(&budget), states);
    let values = index(&parse(&text));

    let state =
        |key: &str, s: &str| values[&format!("staunch_breaker_state{{endpoint={key},state={s}}}")];
    assert_eq!(state("proxy-a", "open"), 1.0);
    assert_eq!(state("proxy-a", "closed"), 0.0);
    assert_eq!(state("proxy-b", "half_open"), 1.0);
    assert_eq!(state("proxy-b", "isolated"), 0.0);

    let stats = budget.stats();
    assert_eq!(
        values["staunch_budget_deposits_total{}"],
        stats.deposited as f64
    );
    assert_eq!(
        values["staunch_budget_withdrawals_total{}"],
        stats.withdrawn as f64
    );
    assert_eq!(values["staunch_budget_denied_total{}"], 1.0);
    assert_eq!(values["staunch_budget_available{}"], 0.0);
}

#[test]
fn counters_keep_counting_after_the_window_forgets() {
    let clock = ManualClock::new();
    let config = MetricsConfig::default().with_retention_hours(1);
    let store = MetricsStore::with_clock(config, clock.clone()).unwrap();
    let record = || AttemptRecord::new(1, 1, AttemptOutcome::Success, clock.system_now());
    store.record_attempt(&record());
    clock.advance(Duration::from_secs(2 * 3600));
    store.record_attempt(&record());
    assert_eq!(store.summary().totals.successes, 1);
    let values = index(&parse(&encode_prometheus(
        &store,
        None,
        Vec::<(&str, CircuitState)>::new(),
    )));
    assert_eq!(
        values["staunch_attempts_total{endpoint=(none),outcome=success}"],
        2.0
    );
}

#[test]
fn label_values_with_quotes_are_escaped() {
    let clock = ManualClock::new();
    let store = MetricsStore::with_clock(MetricsConfig::default(), clock.clone()).unwrap();
    let record = AttemptRecord::new(1, 1, AttemptOutcome::Success, clock.system_now())
        .with_endpoint(r#"we"ird\name"#);
    store.record_attempt(&record);
    let text = encode_prometheus(&store, None, Vec::<(&str, CircuitState)>::new());
    assert!(
        text.contains(r#"staunch_retries_total{endpoint="we\"ird\\name"} 0"#),
        "{text}"
    );
}
