//! Live endpoint statistics: EWMA, success window, in-flight guard, snapshots.

use std::time::{Duration, UNIX_EPOCH};

use proptest::prelude::*;
use staunch::clock::ManualClock;
use staunch::pool::{Endpoint, EndpointStats, Outcome, Pool, OUTCOME_WINDOW};

fn pool_with_clock() -> (Pool<&'static str>, ManualClock) {
    let clock = ManualClock::starting_at(UNIX_EPOCH + Duration::from_secs(1_700_000_000));
    let pool = Pool::builder()
        .with_endpoint(Endpoint::new("a", "http://a").with_tag("region", "eu"))
        .with_ewma_alpha(0.5)
        .with_clock(clock.clone())
        .build()
        .unwrap();
    (pool, clock)
}

proptest! {
    #[test]
    fn ewma_follows_alpha_times_sample_plus_rest_times_previous(
        alpha in 0.01f64..=1.0,
        samples in proptest::collection::vec(0u64..10_000_000, 1..50),
    ) {
        let stats = EndpointStats::new(alpha).unwrap();
        let mut model: Option<f64> = None;
        for &micros in &samples {
            let latency = Duration::from_micros(micros);
            stats.record(Outcome::Success, latency);
            let s = latency.as_secs_f64();
            model = Some(match model {
                None => s,
                Some(prev) => alpha * s + (1.0 - alpha) * prev,
            });
        }
        let got = stats.ewma_latency_secs().unwrap();
        let want = model.unwrap();
        prop_assert!((got - want).abs() <= 1e-9 * want.max(1.0), "{got} vs {want}");
        let secs = |micros: u64| Duration::from_micros(micros).as_secs_f64();
        let lo = samples.iter().copied().map(secs).fold(f64::INFINITY, f64::min);
        let hi = samples.iter().copied().map(secs).fold(0.0, f64::max);
        prop_assert!(got >= lo && got <= hi);
    }

    #[test]
    fn success_ratio_covers_exactly_the_last_hundred_outcomes(
        outcomes in proptest::collection::vec(any::<bool>(), 0..400),
    ) {
        let stats = EndpointStats::default();
        for &ok in &outcomes {
            let outcome = if ok { Outcome::Success } else { Outcome::Failure };
            stats.record(outcome, Duration::from_millis(1));
        }
        let recent = &outcomes[outcomes.len().saturating_sub(OUTCOME_WINDOW)..];
        prop_assert_eq!(stats.window_len() as usize, recent.len());
        let expected = if recent.is_empty() {
            None
        } else {
            Some(recent.iter().filter(|&&ok| ok).count() as f64 / recent.len() as f64)
        };
        prop_assert_eq!(stats.success_ratio(), expected);
        let successes = outcomes.iter().filter(|&&ok| ok).count() as u64;
        prop_assert_eq!(stats.total_successes(), successes);
        prop_assert_eq!(stats.total_failures(), outcomes.len() as u64 - successes);
    }
}

#[test]
fn in_flight_guard_decrements_on_drop_without_recording() {
    let (pool, _clock) = pool_with_clock();
    let entry = pool.get("a").unwrap();
    let first = entry.begin();
    let second = entry.begin();
    let third = entry.begin();
    assert_eq!(entry.stats().in_flight(), 3);
    drop(first);
    assert_eq!(entry.stats().in_flight(), 2);
    assert_eq!(entry.stats().window_len(), 0);
    second.success();
    third.finish(Outcome::Failure);
    assert_eq!(entry.stats().in_flight(), 0);
    assert_eq!(entry.stats().total_successes(), 1);
    assert_eq!(entry.stats().total_failures(), 1);
}

#[test]
fn guard_measures_latency_on_the_pools_clock() {
    let (pool, clock) = pool_with_clock();
    let entry = pool.get("a").unwrap();
    let attempt = entry.begin();
    clock.advance(Duration::from_millis(250));
    assert_eq!(attempt.elapsed(), Duration::from_millis(250));
    assert_eq!(attempt.success(), Duration::from_millis(250));
    assert_eq!(
        entry.stats().ewma_latency(),
        Some(Duration::from_millis(250))
    );
    let attempt = entry.begin();
    clock.advance(Duration::from_millis(50));
    attempt.success();
    // alpha 0.5: 0.5 * 50 ms + 0.5 * 250 ms.
    let ewma = entry.stats().ewma_latency_secs().unwrap();
    assert!((ewma - 0.150).abs() < 1e-12, "{ewma}");
}

#[test]
fn failure_keeps_the_last_error_with_its_time() {
    let (pool, clock) = pool_with_clock();
    let entry = pool.get("a").unwrap();
    entry.begin().failure(&"connection refused");
    clock.advance(Duration::from_secs(2));
    entry.begin().failure(&"timed out");
    entry.begin().success();
    let last = entry.stats().last_error().unwrap();
    assert_eq!(last.message, "timed out");
    assert_eq!(last.at, UNIX_EPOCH + Duration::from_secs(1_700_000_002));
    assert_eq!(entry.stats().success_ratio(), Some(1.0 / 3.0));
}

#[test]
fn stats_snapshot_serializes_without_the_address() {
    let (pool, clock) = pool_with_clock();
    let entry = pool.get("a").unwrap();
    let attempt = entry.begin();
    clock.advance(Duration::from_millis(20));
    attempt.failure(&"reset by peer");
    let _running = entry.begin();
    let stats = pool.stats();
    assert_eq!(stats.len(), 1);
    let json = serde_json::to_value(&stats[0]).unwrap();
    assert_eq!(json["id"], "a");
    assert_eq!(json["in_flight"], 1);
    assert_eq!(json["tags"]["region"], "eu");
    assert_eq!(json["success_ratio"], 0.0);
    assert_eq!(json["total_failures"], 1);
    assert_eq!(json["last_error"]["message"], "reset by peer");
    assert_eq!(json["last_error"]["at_unix_ms"], 1_700_000_000_020u64);
    assert!((json["ewma_latency_ms"].as_f64().unwrap() - 20.0).abs() < 1e-9);
    assert!(!json.to_string().contains("http://a"));
    let back: staunch::pool::EndpointSnapshot = serde_json::from_value(json).unwrap();
    assert_eq!(back, stats[0]);
}

#[test]
fn statistics_survive_removal_from_the_pool() {
    let (pool, _clock) = pool_with_clock();
    let entry = pool.get("a").unwrap();
    let attempt = entry.begin();
    let removed = pool.remove("a").unwrap();
    attempt.success();
    assert_eq!(removed.stats().total_successes(), 1);
    assert_eq!(removed.stats().in_flight(), 0);
    assert!(pool.get("a").is_none());
}

#[test]
fn concurrent_recording_loses_no_outcome() {
    let stats = EndpointStats::default();
    std::thread::scope(|scope| {
        for t in 0..4u64 {
            let stats = &stats;
            scope.spawn(move || {
                for i in 0..5_000u64 {
                    let outcome = if (i + t) % 4 == 0 {
                        Outcome::Failure
                    } else {
                        Outcome::Success
                    };
                    stats.record(outcome, Duration::from_micros(100 + i % 50));
                }
            });
        }
    });
    assert_eq!(stats.total_successes() + stats.total_failures(), 20_000);
    assert_eq!(stats.total_failures(), 5_000);
    assert_eq!(stats.window_len(), 100);
    let ratio = stats.success_ratio().unwrap();
    assert!((0.0..=1.0).contains(&ratio));
    let ewma = stats.ewma_latency_secs().unwrap();
    assert!((100e-6..=150e-6).contains(&ewma), "{ewma}");
}
