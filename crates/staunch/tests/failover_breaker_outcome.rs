//! `FailoverRun::set_breaker_outcome`: a caller whose classifier judges an
//! endpoint's health apart from the retry decision tells the breaker what
//! to record, while the retry verdict still decides where the next attempt
//! goes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use staunch::breaker::{BreakerConfig, BreakerRegistry, CircuitState, Outcome};
use staunch::clock::ManualClock;
use staunch::pool::{Endpoint, Failover, Pool, RoundRobin};
use staunch::retry::{RetryPolicy, RetryRun, Step, Verdict};

struct Rig {
    registry: BreakerRegistry<String>,
    pool: Arc<Pool<u32>>,
    failover: Failover<u32>,
}

/// Endpoints `ep-0`, `ep-1` in round-robin order, breakers opening after
/// one failure.
fn rig() -> Rig {
    let clock = ManualClock::new();
    let pool = Arc::new(
        Pool::builder()
            .with_endpoints((0..2).map(|i| Endpoint::new(format!("ep-{i}"), i)))
            .with_clock(clock.clone())
            .build()
            .unwrap(),
    );
    let config = BreakerConfig::default()
        .without_failure_threshold()
        .with_consecutive_failures(1)
        .with_open_duration(Duration::from_secs(30));
    let registry = BreakerRegistry::with_clock(config, Arc::new(clock)).unwrap();
    let failover = Failover::builder(Arc::clone(&pool), registry.clone())
        .with_strategy(RoundRobin::new())
        .build()
        .unwrap();
    Rig {
        registry,
        pool,
        failover,
    }
}

fn fast_policy() -> RetryPolicy {
    RetryPolicy::builder()
        .with_base_delay(Duration::from_millis(1))
        .build()
}

#[test]
fn retryable_attempt_recorded_as_success_leaves_the_breaker_closed_and_still_fails_over() {
    let rig = rig();
    let policy = fast_policy();
    let mut run = RetryRun::new(&policy, rig.failover.start(), Instant::now);
    run.begin_attempt(Instant::now).unwrap();
    let first = run.interceptor().target().unwrap();
    run.interceptor_mut().set_breaker_outcome(Outcome::Success);
    assert!(matches!(
        run.end_attempt(Verdict::RETRY, Instant::now),
        Step::Retry { .. }
    ));
    assert_eq!(rig.registry.get(first.id()).state(), CircuitState::Closed);
    // The statistics and the exclusion follow the verdict.
    assert_eq!(
        rig.pool.get(first.id()).unwrap().stats().total_failures(),
        1
    );
    run.begin_attempt(Instant::now).unwrap();
    let second = run.interceptor().target().unwrap();
    assert_ne!(
        second.id(),
        first.id(),
        "the retry goes to the other endpoint"
    );
}

#[test]
fn fatal_attempt_recorded_as_failure_opens_the_breaker() {
    let rig = rig();
    let policy = fast_policy();
    let mut run = RetryRun::new(&policy, rig.failover.start(), Instant::now);
    run.begin_attempt(Instant::now).unwrap();
    let first = run.interceptor().target().unwrap();
    run.interceptor_mut().set_breaker_outcome(Outcome::Failure);
    assert!(matches!(
        run.end_attempt(Verdict::Fatal, Instant::now),
        Step::Stop(_)
    ));
    assert_eq!(rig.registry.get(first.id()).state(), CircuitState::Open);
    assert_eq!(
        rig.pool.get(first.id()).unwrap().stats().total_failures(),
        0
    );
}

#[test]
fn breaker_outcome_applies_to_the_attempt_in_flight_only() {
    let rig = rig();
    let policy = fast_policy();
    let mut run = RetryRun::new(&policy, rig.failover.start(), Instant::now);
    // Before any attempt: nothing to apply it to.
    run.interceptor_mut().set_breaker_outcome(Outcome::Success);
    run.begin_attempt(Instant::now).unwrap();
    let first = run.interceptor().target().unwrap();
    run.interceptor_mut().set_breaker_outcome(Outcome::Success);
    let _ = run.end_attempt(Verdict::RETRY, Instant::now);
    run.begin_attempt(Instant::now).unwrap();
    let second = run.interceptor().target().unwrap();
    // No outcome set for this attempt: the retryable verdict is a failure.
    let _ = run.end_attempt(Verdict::RETRY, Instant::now);
    assert_eq!(rig.registry.get(first.id()).state(), CircuitState::Closed);
    assert_eq!(rig.registry.get(second.id()).state(), CircuitState::Open);
}
