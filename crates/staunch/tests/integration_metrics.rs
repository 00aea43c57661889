//! Metrics from plain retry calls: every attempt and call reaches the sink,
//! and the store's sums equal what was done. Fake time only.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use staunch::breaker::{BreakerConfig, BreakerRegistry, CircuitState, Transition};
use staunch::budget::{BudgetConfig, RetryBudget};
use staunch::clock::{Clock, ManualClock};
use staunch::metrics::{
    AttemptOutcome, AttemptRecord, CallOutcome, CallRecord, MetricsConfig, MetricsRecorder,
    MetricsSink, MetricsStore, NoopSink, SinkObserver,
};
use staunch::retry::{RetryPolicy, Verdict};

const SEC: Duration = Duration::from_secs(1);

fn store(clock: &ManualClock) -> MetricsStore {
    MetricsStore::with_clock(MetricsConfig::default(), clock.clone()).unwrap()
}

/// Runs one call whose attempts answer `script` in order (`Ok` = success,
/// `Err(true)` = retryable, `Err(false)` = fatal), each taking 40 ms.
fn scripted(
    clock: &ManualClock,
    sink: &dyn MetricsSink,
    endpoint: &str,
    script: &[Result<(), bool>],
) {
    let mut next = script.iter();
    let policy = RetryPolicy::builder().with_max_attempts(3).build();
    let recorder = MetricsRecorder::new(sink)
        .with_clock(clock.clone())
        .with_endpoint(endpoint);
    let _ = policy
        .call_with(recorder, |_| {
            clock.advance(Duration::from_millis(40));
            *next.next().expect("script long enough")
        })
        .classify(|r: &Result<(), bool>| match r {
            Ok(()) => Verdict::Success,
            Err(true) => Verdict::RETRY,
            Err(false) => Verdict::Fatal,
        })
        .sleeper(|d| clock.advance(d))
        .run();
}

#[test]
fn store_sums_equal_the_attempts_made() {
    let clock = ManualClock::new();
    let store = store(&clock);
    scripted(&clock, &store, "a", &[Ok(())]);
    scripted(&clock, &store, "a", &[Err(true), Err(true), Ok(())]);
    scripted(&clock, &store, "b", &[Err(true), Err(true), Err(true)]);
    scripted(&clock, &store, "b", &[Err(true), Err(false)]);

    let totals = store.summary().totals;
    assert_eq!(totals.calls, 4);
    assert_eq!(totals.attempts, 1 + 3 + 3 + 2);
    assert_eq!(totals.retries, 2 + 2 + 1);
    assert_eq!(totals.successes, 2);
    assert_eq!(totals.successes_by_attempt.at(1), 1);
    assert_eq!(totals.successes_by_attempt.at(2), 0);
    assert_eq!(totals.successes_by_attempt.at(3), 1);
    assert_eq!(totals.failures_by_reason.retryable_failure, 2 + 3 + 1);
    assert_eq!(totals.failures_by_reason.fatal, 1);
    let by = totals.calls_by_outcome;
    assert_eq!((by.success, by.exhausted, by.fatal), (2, 1, 1));

    let per_endpoint = store.by_endpoint(1).unwrap();
    let attempts = |name: &str| {
        per_endpoint
            .endpoints
            .iter()
            .find(|e| e.endpoint == name)
            .map(|e| e.totals.attempts)
    };
    assert_eq!((attempts("a"), attempts("b")), (Some(4), Some(5)));
}

/// Keeps every record it receives.
#[derive(Default)]
struct Collect {
    attempts: Mutex<Vec<AttemptRecord>>,
    calls: Mutex<Vec<CallRecord>>,
}

impl MetricsSink for Collect {
    fn record_attempt(&self, record: &AttemptRecord) {
        self.attempts.lock().unwrap().push(record.clone());
    }

    fn record_call(&self, record: &CallRecord) {
        self.calls.lock().unwrap().push(record.clone());
    }
}

#[test]
fn every_attempt_carries_call_id_delay_and_latency_from_the_clock() {
    let clock = ManualClock::new();
    let sink = Collect::default();
    scripted(&clock, &sink, "proxy-1", &[Err(true), Err(true), Ok(())]);
    scripted(&clock, &sink, "proxy-1", &[Ok(())]);

    let attempts = sink.attempts.lock().unwrap();
    let calls = sink.calls.lock().unwrap();
    assert_eq!(attempts.len(), 4);
    let first_call = attempts[0].call_id;
    assert!(attempts[..3].iter().all(|a| a.call_id == first_call));
    assert_ne!(attempts[3].call_id, first_call, "each call has its own id");
    let numbers: Vec<u32> = attempts.iter().map(|a| a.attempt).collect();
    assert_eq!(numbers, [1, 2, 3, 1]);
    let delays: Vec<Duration> = attempts[..3].iter().map(|a| a.delay_before).collect();
    assert_eq!(delays, [Duration::ZERO, SEC, 2 * SEC]);
    assert!(attempts
        .iter()
        .all(|a| a.latency == Duration::from_millis(40)));
    assert!(attempts
        .iter()
        .all(|a| a.endpoint.as_deref() == Some("proxy-1")));
    assert_eq!(attempts[2].outcome, AttemptOutcome::Success);

    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].call_id, first_call);
    assert_eq!(calls[0].attempts, 3);
    assert_eq!(calls[0].outcome, CallOutcome::Success);
    assert_eq!(
        calls[0].duration,
        3 * Duration::from_millis(40) + 3 * SEC,
        "from the first attempt's start to the end, sleeps included"
    );
}

#[test]
fn refused_attempts_are_recorded_as_not_sent() {
    let clock = ManualClock::new();
    let store = store(&clock);
    let registry = BreakerRegistry::<String>::with_clock(
        BreakerConfig::default().with_consecutive_failures(1),
        Arc::new(clock.clone()),
    )
    .unwrap();
    registry.isolate("down");
    let config = BudgetConfig::default().with_ratio(0.0).with_min_per_sec(0);
    let budget = RetryBudget::with_clock(config, clock.clone()).unwrap();
    let policy = RetryPolicy::default();

    let recorder = || MetricsRecorder::new(&store).with_clock(clock.clone());
    let _ = policy
        .call_with((registry.guard("down"), recorder()), |_| Ok::<_, &str>(()))
        .run();
    let _ = policy
        .call_with((budget.guard(), recorder()), |_| Err::<(), _>("busy"))
        .sleeper(|d| clock.advance(d))
        .run();

    let totals = store.summary().totals;
    assert_eq!(totals.calls, 2);
    assert_eq!(
        totals.attempts, 1,
        "only the budget call's first attempt was sent"
    );
    assert_eq!(totals.retries, 0);
    assert_eq!(totals.failures_by_reason.rejected, 1);
    assert_eq!(totals.failures_by_reason.budget_denied, 1);
    assert_eq!(totals.calls_by_outcome.unavailable, 1);
    assert_eq!(totals.calls_by_outcome.budget_exhausted, 1);
}

#[test]
fn breaker_transitions_reach_the_store_through_the_sink_observer() {
    let clock = ManualClock::new();
    let store = Arc::new(store(&clock));
    let registry = BreakerRegistry::<String>::with_clock(
        BreakerConfig::default().with_consecutive_failures(2),
        Arc::new(clock.clone()),
    )
    .unwrap();
    registry.add_observer(SinkObserver::shared(store.clone()));
    let policy = RetryPolicy::default();

    let _ = policy
        .call_with(registry.guard("s3"), |_| Err::<(), _>("reset"))
        .sleeper(|d| clock.advance(d))
        .run();
    clock.advance(30 * SEC);
    let _ = registry.retry("s3", &policy, || Ok::<_, &str>(()));
    assert_eq!(registry.get("s3").state(), CircuitState::Closed);

    let events = store.breaker_events(1).unwrap().events;
    let path: Vec<(CircuitState, CircuitState)> = events.iter().map(|e| (e.from, e.to)).collect();
    assert_eq!(
        path,
        [
            (CircuitState::Closed, CircuitState::Open),
            (CircuitState::Open, CircuitState::HalfOpen),
            (CircuitState::HalfOpen, CircuitState::Closed),
        ]
    );
    assert!(events.iter().all(|e| e.key == "s3"));
    assert_eq!(store.summary().breaker_events, 3);
}

/// A clock that counts how often it is read.
#[derive(Debug, Default)]
struct CountingClock(AtomicU64);

impl Clock for CountingClock {
    fn now(&self) -> Instant {
        self.0.fetch_add(1, Ordering::Relaxed);
        Instant::now()
    }

    fn system_now(&self) -> SystemTime {
        self.0.fetch_add(1, Ordering::Relaxed);
        SystemTime::now()
    }
}

#[test]
fn recorder_without_a_sink_reads_no_clock_and_takes_no_id() {
    let clock = CountingClock::default();
    let recorder = MetricsRecorder::<NoopSink>::maybe(None).with_clock(&clock);
    assert_eq!(recorder.call_id(), 0);
    let mut n = 0;
    let result = RetryPolicy::default()
        .call_with(recorder, |_| {
            n += 1;
            if n < 3 {
                Err("again")
            } else {
                Ok(())
            }
        })
        .sleeper(|_| {})
        .run();
    assert!(result.is_ok());
    assert_eq!(clock.0.load(Ordering::Relaxed), 0);

    let attached = MetricsRecorder::new(NoopSink).with_clock(&clock);
    assert!(attached.call_id() > 0);
    let _ = RetryPolicy::default()
        .call_with(attached, |_| Ok::<_, &str>(()))
        .run();
    assert!(clock.0.load(Ordering::Relaxed) > 0);
}

#[test]
fn operation_can_name_the_endpoint_of_each_attempt() {
    let clock = ManualClock::new();
    let sink = Collect::default();
    let endpoints = ["eu-1", "eu-2", "us-1"];
    let mut n = 0;
    let _ = RetryPolicy::default()
        .call_with(
            MetricsRecorder::new(&sink).with_clock(clock.clone()),
            |recorder| {
                recorder.set_endpoint(endpoints[n]);
                n += 1;
                Err::<(), _>("refused")
            },
        )
        .sleeper(|d| clock.advance(d))
        .run();
    let seen: Vec<String> = sink
        .attempts
        .lock()
        .unwrap()
        .iter()
        .map(|a| a.endpoint.as_deref().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(seen, endpoints);
    let calls = sink.calls.lock().unwrap();
    assert_eq!(calls[0].endpoint.as_deref(), Some("us-1"));
    assert_eq!(calls[0].outcome, CallOutcome::Exhausted);
}

/// Keeps every transition it receives.
struct Transitions(Mutex<Vec<Transition>>);

impl MetricsSink for Transitions {
    fn record_attempt(&self, _: &AttemptRecord) {}

    fn record_transition(&self, t: &Transition) {
        self.0.lock().unwrap().push(t.clone());
    }
}

#[test]
fn sink_observer_forwards_the_breakers_event_unchanged() {
    let sink = Arc::new(Transitions(Mutex::new(Vec::new())));
    let registry = BreakerRegistry::<String>::new(BreakerConfig::default()).unwrap();
    registry.add_observer(SinkObserver::shared(sink.clone()));
    registry.isolate("gcs");
    let got = sink.0.lock().unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(
        (got[0].key.as_str(), got[0].from, got[0].to),
        ("gcs", CircuitState::Closed, CircuitState::Isolated)
    );
}
