//! Open, half-open, isolate and reset: one test per rule of the design,
//! all on fake time.

use std::time::Duration;

use staunch::breaker::{BreakerConfig, BreakerError, CircuitState};

#[path = "support/breaker.rs"]
mod support;
use support::{breaker, fail, succeed, SEC};

#[test]
fn open_rejects_every_call_at_once_saying_when_the_next_probe_goes() {
    let (b, clock) = breaker(BreakerConfig::default().with_consecutive_failures(1));
    fail(&b);
    clock.advance(Duration::from_millis(17_700));
    let rejected = b.try_acquire().unwrap_err();
    assert_eq!(rejected.state(), CircuitState::Open);
    assert_eq!(
        rejected.next_probe_in(),
        Some(Duration::from_millis(12_300))
    );
    assert_eq!(rejected.to_string(), "open, next probe in 12.3 s");
    let mut ran = false;
    let result = b.call(|| {
        ran = true;
        Ok::<_, ()>(())
    });
    assert!(!ran, "an open breaker never runs the operation");
    assert!(matches!(result, Err(BreakerError::Rejected(r)) if r.state() == CircuitState::Open));
}

#[test]
fn open_moves_to_half_open_only_on_the_next_acquire_after_open_duration() {
    let (b, clock) = breaker(BreakerConfig::default().with_consecutive_failures(1));
    fail(&b);
    clock.advance(30 * SEC);
    assert_eq!(b.state(), CircuitState::Open, "no background timer");
    assert_eq!(b.snapshot().next_probe_in, Some(Duration::ZERO));
    let probe = b.try_acquire().expect("open duration elapsed");
    assert!(probe.is_probe());
    assert_eq!(b.state(), CircuitState::HalfOpen);
    drop(probe);
}

#[test]
fn open_duration_grows_on_repeated_trips_up_to_the_cap() {
    let config = BreakerConfig::default()
        .with_consecutive_failures(1)
        .with_open_duration(10 * SEC)
        .with_open_duration_growth(2.0, 25 * SEC);
    let (b, clock) = breaker(config);
    fail(&b);
    let mut waits = Vec::new();
    for _ in 0..3 {
        let wait = b.try_acquire().unwrap_err().next_probe_in().unwrap();
        waits.push(wait);
        clock.advance(wait);
        assert_eq!(fail(&b), Some(CircuitState::Open), "the probe fails");
    }
    assert_eq!(waits, [10 * SEC, 20 * SEC, 25 * SEC]);
}

#[test]
fn open_duration_growth_starts_over_after_the_breaker_closes() {
    let config = BreakerConfig::default()
        .with_consecutive_failures(1)
        .with_open_duration(10 * SEC)
        .with_open_duration_growth(3.0, 600 * SEC);
    let (b, clock) = breaker(config);
    fail(&b);
    clock.advance(10 * SEC);
    fail(&b);
    assert_eq!(b.try_acquire().unwrap_err().next_probe_in(), Some(30 * SEC));
    clock.advance(30 * SEC);
    assert_eq!(succeed(&b), Some(CircuitState::Closed));
    fail(&b);
    assert_eq!(b.try_acquire().unwrap_err().next_probe_in(), Some(10 * SEC));
}

#[test]
fn half_open_admits_at_most_max_probes() {
    let config = BreakerConfig::default()
        .with_consecutive_failures(1)
        .with_half_open_max_calls(2)
        .with_success_threshold(3);
    let (b, clock) = breaker(config);
    fail(&b);
    clock.advance(30 * SEC);
    let first = b.try_acquire().unwrap();
    let second = b.try_acquire().unwrap();
    let third = b.try_acquire().unwrap_err();
    assert_eq!(third.state(), CircuitState::HalfOpen);
    assert_eq!(third.next_probe_in(), None);
    assert_eq!(b.snapshot().probes_in_flight, 2);
    assert_eq!(first.success(), None);
    let again = b.try_acquire().expect("a finished probe frees its slot");
    assert!(b.try_acquire().is_err());
    drop((second, again));
}

#[test]
fn success_threshold_probe_successes_close_the_breaker() {
    let config = BreakerConfig::default()
        .with_consecutive_failures(1)
        .with_success_threshold(3);
    let (b, clock) = breaker(config);
    fail(&b);
    clock.advance(30 * SEC);
    assert_eq!(succeed(&b), None);
    assert_eq!(succeed(&b), None);
    assert_eq!(b.state(), CircuitState::HalfOpen);
    assert_eq!(succeed(&b), Some(CircuitState::Closed));
    let snap = b.snapshot();
    assert_eq!(
        (snap.failures_in_window, snap.opened_at),
        (0, None),
        "closing clears the counts"
    );
}

#[test]
fn any_probe_failure_reopens_and_restarts_the_open_timer() {
    let config = BreakerConfig::default()
        .with_consecutive_failures(1)
        .with_success_threshold(2);
    let (b, clock) = breaker(config);
    fail(&b);
    clock.advance(30 * SEC);
    assert_eq!(succeed(&b), None);
    clock.advance(5 * SEC);
    assert_eq!(fail(&b), Some(CircuitState::Open));
    assert_eq!(b.try_acquire().unwrap_err().next_probe_in(), Some(30 * SEC));
}

#[test]
fn a_probe_dropped_without_outcome_frees_its_slot() {
    let (b, clock) = breaker(BreakerConfig::default().with_consecutive_failures(1));
    fail(&b);
    clock.advance(30 * SEC);
    let probe = b.try_acquire().unwrap();
    assert!(b.try_acquire().is_err());
    drop(probe);
    assert_eq!(
        b.state(),
        CircuitState::HalfOpen,
        "a dropped probe is not a success"
    );
    let probe = b.try_acquire().expect("slot freed");
    assert_eq!(probe.success(), Some(CircuitState::Closed));
}

#[test]
fn a_probe_that_panics_frees_its_slot() {
    let (b, clock) = breaker(BreakerConfig::default().with_consecutive_failures(1));
    fail(&b);
    clock.advance(30 * SEC);
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = b.call(|| -> Result<(), ()> { panic!("operation blew up") });
    }));
    assert!(panicked.is_err());
    assert_eq!(b.snapshot().probes_in_flight, 0);
    assert_eq!(b.state(), CircuitState::HalfOpen);
    assert!(b.try_acquire().is_ok());
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_async_probe_frees_its_slot() {
    let (b, clock) = breaker(BreakerConfig::default().with_consecutive_failures(1));
    fail(&b);
    clock.advance(30 * SEC);
    let never = b.call_async(std::future::pending::<Result<(), ()>>);
    let timed_out = tokio::time::timeout(Duration::from_secs(5), never).await;
    assert!(timed_out.is_err());
    assert_eq!(b.snapshot().probes_in_flight, 0);
    assert_eq!(b.call_async(|| async { Ok::<_, ()>(7) }).await, Ok(7));
    assert_eq!(b.state(), CircuitState::Closed);
}

#[test]
fn isolate_forces_open_until_reset() {
    let (b, clock) = breaker(BreakerConfig::default());
    b.isolate();
    clock.advance(Duration::from_secs(24 * 3600));
    let rejected = b.try_acquire().unwrap_err();
    assert_eq!(rejected.state(), CircuitState::Isolated);
    assert_eq!(rejected.to_string(), "isolated, closed until reset by hand");
    b.reset();
    assert!(b.try_acquire().is_ok());
}

#[test]
fn reset_closes_the_breaker_and_clears_its_counts() {
    let (b, _clock) = breaker(BreakerConfig::default());
    for _ in 0..5 {
        fail(&b);
    }
    assert_eq!(b.state(), CircuitState::Open);
    b.reset();
    let snap = b.snapshot();
    assert_eq!(snap.state, CircuitState::Closed);
    assert_eq!((snap.failures_in_window, snap.consecutive_failures), (0, 0));
    for _ in 0..4 {
        fail(&b);
    }
    assert_eq!(b.state(), CircuitState::Closed, "old failures are gone");
}

#[test]
fn outcomes_from_before_a_state_change_are_ignored() {
    let (b, _clock) = breaker(BreakerConfig::default().with_consecutive_failures(2));
    let slow_caller = b.try_acquire().unwrap();
    fail(&b);
    fail(&b);
    assert_eq!(b.state(), CircuitState::Open);
    b.reset();
    assert_eq!(slow_caller.failure(), None);
    assert_eq!(b.snapshot().consecutive_failures, 0);
}

#[test]
fn the_snapshot_shows_when_the_breaker_opened_and_probes_next() {
    let (b, clock) = breaker(BreakerConfig::default().with_consecutive_failures(1));
    let opened = {
        use staunch::clock::Clock;
        clock.system_now()
    };
    fail(&b);
    clock.advance(10 * SEC);
    let snap = b.snapshot();
    assert_eq!(snap.state, CircuitState::Open);
    assert_eq!(snap.opened_at, Some(opened));
    assert_eq!(snap.next_probe_at, Some(opened + 30 * SEC));
    assert_eq!(snap.next_probe_in, Some(20 * SEC));
    assert_eq!(snap.failures_in_window, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_async_runs_on_spawned_tasks_and_counts_failures() {
    let (b, _clock) = breaker(BreakerConfig::default().with_consecutive_failures(2));
    let mut tasks = Vec::new();
    for i in 0..2u32 {
        let b = b.clone();
        tasks.push(tokio::spawn(async move {
            b.call_async(|| async move {
                tokio::task::yield_now().await;
                Err::<u32, _>(i)
            })
            .await
        }));
    }
    for task in tasks {
        assert!(matches!(task.await.unwrap(), Err(BreakerError::Inner(_))));
    }
    assert_eq!(b.state(), CircuitState::Open);
}
