//! Queries for 1, 24 and 168 hours against a naive reference: every record
//! kept in a list and filtered by minute. Seeded random traffic on fake time,
//! with gaps, late records and calls, across more than the retention.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use staunch::clock::{Clock, ManualClock};
use staunch::metrics::{
    AttemptOutcome, AttemptRecord, CallOutcome, CallRecord, MetricsConfig, MetricsStore, Totals,
    NO_ENDPOINT,
};

const ENDPOINTS: [&str; 5] = ["eu-1", "eu-2", "us-1", "us-2", "ap-1"];

#[derive(Debug, Clone)]
enum Kept {
    Attempt(AttemptRecord),
    Call(CallRecord),
}

fn minute(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).unwrap().as_secs() / 60
}

/// The figures a window should show, counted the slow way.
#[derive(Debug, Default, PartialEq)]
struct Expected {
    calls: BTreeMap<&'static str, u64>,
    attempts: u64,
    retries: u64,
    successes_by_attempt: [u64; 11],
    failures: BTreeMap<&'static str, u64>,
    latency_nanos: u128,
}

impl Expected {
    fn of<'a>(kept: impl Iterator<Item = &'a Kept>) -> Self {
        let mut e = Expected::default();
        for k in kept {
            match k {
                Kept::Call(c) => *e.calls.entry(c.outcome.as_str()).or_default() += 1,
                Kept::Attempt(a) => {
                    if a.outcome == AttemptOutcome::Success {
                        e.successes_by_attempt[(a.attempt.max(1) as usize - 1).min(10)] += 1;
                    } else {
                        *e.failures.entry(a.outcome.as_str()).or_default() += 1;
                    }
                    if a.outcome.was_sent() {
                        e.attempts += 1;
                        e.retries += u64::from(a.attempt > 1);
                        e.latency_nanos += a.latency.as_nanos();
                    }
                }
            }
        }
        e
    }

    fn check(&self, totals: &Totals, what: &str) {
        let calls = &totals.calls_by_outcome;
        let got_calls: BTreeMap<&str, u64> = [
            ("success", calls.success),
            ("exhausted", calls.exhausted),
            ("fatal", calls.fatal),
            ("deadline_exceeded", calls.deadline_exceeded),
            ("budget_exhausted", calls.budget_exhausted),
            ("unavailable", calls.unavailable),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect();
        assert_eq!(got_calls, self.calls, "{what}: calls");
        assert_eq!(totals.calls, self.calls.values().sum::<u64>(), "{what}");
        assert_eq!(totals.attempts, self.attempts, "{what}: attempts");
        assert_eq!(totals.retries, self.retries, "{what}: retries");
        let by_attempt: Vec<u64> = (1..=11)
            .map(|n| totals.successes_by_attempt.at(n))
            .collect();
        assert_eq!(
            by_attempt, self.successes_by_attempt,
            "{what}: successes by attempt"
        );
        let f = &totals.failures_by_reason;
        let got_failures: BTreeMap<&str, u64> = [
            ("retryable_failure", f.retryable_failure),
            ("timeout", f.timeout),
            ("fatal", f.fatal),
            ("rejected", f.rejected),
            ("budget_denied", f.budget_denied),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect();
        assert_eq!(got_failures, self.failures, "{what}: failures");
        match totals.latency.avg_ms {
            None => assert_eq!(self.attempts, 0, "{what}"),
            Some(avg) => {
                let want = self.latency_nanos as f64 / self.attempts as f64 / 1e6;
                assert!(
                    (avg - want).abs() <= want * 1e-9,
                    "{what}: avg {avg} vs {want}"
                );
            }
        }
    }
}

fn outcome(rng: &mut SmallRng) -> AttemptOutcome {
    AttemptOutcome::ALL[rng.random_range(0..AttemptOutcome::ALL.len())]
}

/// Runs `hours` of traffic; returns the store, its clock and every record.
fn simulate(seed: u64, hours: u64) -> (MetricsStore, ManualClock, Vec<Kept>) {
    let mut rng = SmallRng::seed_from_u64(seed);
    // Not on an hour boundary, so windows start inside an hour.
    let clock = ManualClock::starting_at(UNIX_EPOCH + Duration::from_secs(1_700_000_000 + 1_234));
    let config = MetricsConfig::default().with_retention_hours(168);
    let store = MetricsStore::with_clock(config, clock.clone()).unwrap();
    let mut kept = Vec::new();
    let end = clock.elapsed() + Duration::from_secs(hours * 3600);
    let mut call_id = 0;
    while clock.elapsed() < end {
        // Mostly busy minutes, sometimes a gap of hours.
        let gap = if rng.random_bool(0.01) {
            rng.random_range(60..6 * 3600)
        } else {
            rng.random_range(0..400)
        };
        clock.advance(Duration::from_secs(gap));
        for _ in 0..rng.random_range(0..12) {
            call_id += 1;
            let late = if rng.random_bool(0.05) {
                Duration::from_secs(rng.random_range(0..3 * 3600))
            } else {
                Duration::ZERO
            };
            let at = clock.system_now() - late;
            let endpoint = (!rng.random_bool(0.1)).then(|| ENDPOINTS[rng.random_range(0..5)]);
            if rng.random_bool(0.2) {
                let outcome = CallOutcome::ALL[rng.random_range(0..CallOutcome::ALL.len())];
                let mut record = CallRecord::new(call_id, rng.random_range(1..5), outcome, at);
                if let Some(e) = endpoint {
                    record = record.with_endpoint(e);
                }
                store.record_call(&record);
                kept.push(Kept::Call(record));
            } else {
                let mut record =
                    AttemptRecord::new(call_id, rng.random_range(0..14), outcome(&mut rng), at)
                        .with_latency(Duration::from_micros(rng.random_range(0..15_000_000)));
                if let Some(e) = endpoint {
                    record = record.with_endpoint(e);
                }
                store.record_attempt(&record);
                kept.push(Kept::Attempt(record));
            }
        }
    }
    (store, clock, kept)
}

fn at_of(k: &Kept) -> SystemTime {
    match k {
        Kept::Attempt(a) => a.at,
        Kept::Call(c) => c.at,
    }
}

fn endpoint_of(k: &Kept) -> &str {
    let e = match k {
        Kept::Attempt(a) => &a.endpoint,
        Kept::Call(c) => &c.endpoint,
    };
    e.as_deref().unwrap_or(NO_ENDPOINT)
}

fn check_store(seed: u64) {
    let (store, clock, kept) = simulate(seed, 200);
    let now = minute(clock.system_now());
    for hours in [1u64, 24, 168] {
        let from = now + 1 - hours * 60;
        let in_window = |k: &&Kept| (from..=now).contains(&minute(at_of(k)));

        let expected = Expected::of(kept.iter().filter(in_window));
        if hours >= 24 {
            assert!(
                expected.attempts > 100,
                "seed {seed}: too little traffic to test"
            );
        }
        let totals = store.totals(hours as u32).unwrap();
        expected.check(&totals, &format!("seed {seed}, {hours} h totals"));

        let breakdown = store.by_endpoint(hours as u32).unwrap();
        for stats in &breakdown.endpoints {
            let expected = Expected::of(
                kept.iter()
                    .filter(in_window)
                    .filter(|k| endpoint_of(k) == stats.endpoint),
            );
            expected.check(
                &stats.totals,
                &format!("seed {seed}, {hours} h, {}", stats.endpoint),
            );
        }

        let series = store.timeseries(hours as u32).unwrap();
        assert_eq!(series.points.first().unwrap().start_unix, from / 60 * 3600);
        assert_eq!(series.points.len() as u64, now / 60 - from / 60 + 1);
        for point in &series.points {
            let hour = point.start_unix / 3600;
            let expected = Expected::of(
                kept.iter()
                    .filter(in_window)
                    .filter(|k| minute(at_of(k)) / 60 == hour),
            );
            expected.check(
                &point.totals,
                &format!("seed {seed}, {hours} h, point {}", point.start),
            );
        }
    }
    let summary = store.summary();
    assert_eq!(summary.retention_hours, 168);
    let from = now + 1 - 168 * 60;
    let expected = Expected::of(
        kept.iter()
            .filter(|k| (from..=now).contains(&minute(at_of(k)))),
    );
    expected.check(&summary.totals, &format!("seed {seed}, summary"));
}

#[test]
fn queries_for_1_24_168_hours_match_naive_sums() {
    for seed in [1, 2, 3] {
        check_store(seed);
    }
}

#[test]
fn summary_covers_exactly_the_retention() {
    let clock = ManualClock::starting_at(UNIX_EPOCH + Duration::from_secs(1_700_000_040));
    let config = MetricsConfig::default().with_retention_hours(2);
    let store = MetricsStore::with_clock(config, clock.clone()).unwrap();
    for _ in 0..180 {
        store.record_attempt(&AttemptRecord::new(
            1,
            1,
            AttemptOutcome::Success,
            clock.system_now(),
        ));
        clock.advance(Duration::from_secs(60));
    }
    // 180 minutes recorded, one per minute; the clock is now one minute past
    // the last record, so the 120-minute window holds 119 of them.
    assert_eq!(store.summary().totals.successes, 119);
    assert_eq!(store.totals(1).unwrap().successes, 59);
}
