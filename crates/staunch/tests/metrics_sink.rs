//! The sink seam: fan-out, no-op, the store behind a trait object.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use staunch::breaker::{CircuitState, Transition};
use staunch::clock::ManualClock;
use staunch::metrics::{
    AttemptOutcome, AttemptRecord, CallOutcome, CallRecord, FanOut, MetricsConfig, MetricsSink,
    MetricsStore, NoopSink,
};

/// The fixed instant every record is stamped with; stores read the same.
fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn store() -> Arc<MetricsStore> {
    let clock = ManualClock::starting_at(now());
    Arc::new(MetricsStore::with_clock(MetricsConfig::default(), clock).unwrap())
}

#[derive(Default)]
struct Recorder {
    attempts: AtomicU64,
    calls: AtomicU64,
    transitions: Mutex<Vec<String>>,
}

impl MetricsSink for Recorder {
    fn record_attempt(&self, _record: &AttemptRecord) {
        self.attempts.fetch_add(1, Ordering::Relaxed);
    }

    fn record_call(&self, _record: &CallRecord) {
        self.calls.fetch_add(1, Ordering::Relaxed);
    }

    fn record_transition(&self, transition: &Transition) {
        self.transitions
            .lock()
            .unwrap()
            .push(transition.key.clone());
    }
}

fn open(key: &str) -> Transition {
    Transition {
        key: key.into(),
        from: CircuitState::Closed,
        to: CircuitState::Open,
        at: now(),
        failure_count: 5,
        reason: "threshold".into(),
    }
}

fn feed(sink: &dyn MetricsSink) {
    let at = now();
    sink.record_attempt(&AttemptRecord::new(
        1,
        1,
        AttemptOutcome::RetryableFailure,
        at,
    ));
    sink.record_attempt(&AttemptRecord::new(1, 2, AttemptOutcome::Success, at));
    sink.record_call(&CallRecord::new(1, 2, CallOutcome::Success, at));
    sink.record_transition(&open("p1"));
}

#[test]
fn fan_out_delivers_every_record_to_every_sink() {
    let first = Arc::new(Recorder::default());
    let second = Arc::new(Recorder::default());
    let store = store();
    let fan_out = FanOut::new()
        .with(first.clone())
        .with(second.clone())
        .with(store.clone())
        .with(NoopSink);
    feed(&fan_out);
    for recorder in [&first, &second] {
        assert_eq!(recorder.attempts.load(Ordering::Relaxed), 2);
        assert_eq!(recorder.calls.load(Ordering::Relaxed), 1);
        assert_eq!(*recorder.transitions.lock().unwrap(), ["p1"]);
    }
    let summary = store.summary();
    assert_eq!(summary.totals.calls, 1);
    assert_eq!(summary.totals.retries, 1);
    assert_eq!(summary.breaker_events, 1);
}

#[test]
fn store_works_behind_a_shared_trait_object() {
    let store = store();
    let sink: Arc<dyn MetricsSink> = store.clone();
    feed(&*sink);
    assert_eq!(store.summary().totals.successes_by_attempt.at(2), 1);
}

#[test]
fn sinks_need_only_record_attempt() {
    struct AttemptsOnly(AtomicU64);
    impl MetricsSink for AttemptsOnly {
        fn record_attempt(&self, _record: &AttemptRecord) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
    let sink = AttemptsOnly(AtomicU64::new(0));
    feed(&sink);
    assert_eq!(sink.0.load(Ordering::Relaxed), 2);
}

#[test]
fn empty_fan_out_is_empty() {
    let fan_out = FanOut::new();
    assert!(fan_out.is_empty());
    feed(&fan_out);
    let mut fan_out = fan_out;
    fan_out.push(NoopSink);
    assert_eq!(fan_out.len(), 1);
}
