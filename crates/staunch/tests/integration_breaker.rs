//! A circuit breaker inside a retry call: retry outside, breaker inside.
//! Blocking calls on fake time (a `ManualClock` that the sleeper advances).

use std::cell::RefCell;
use std::sync::Arc;
use std::time::Duration;

use staunch::breaker::{
    Breaker, BreakerConfig, BreakerGuard, BreakerRegistry, CircuitState, CountAs, VerdictCounts,
};
use staunch::clock::ManualClock;
use staunch::retry::{RetryPolicy, StopReason, Verdict};

const SEC: Duration = Duration::from_secs(1);

fn breaker(config: BreakerConfig) -> (Breaker, ManualClock) {
    let clock = ManualClock::new();
    let breaker = Breaker::with_clock("provider", config, Arc::new(clock.clone())).unwrap();
    (breaker, clock)
}

/// Opens `b` with one failure (its config must trip on one).
fn trip(b: &Breaker) {
    let _ = b.try_acquire().unwrap().failure();
    assert_eq!(b.state(), CircuitState::Open);
}

fn policy(max_attempts: u32) -> RetryPolicy {
    RetryPolicy::builder()
        .with_max_attempts(max_attempts)
        .build()
}

#[test]
fn open_breaker_ends_a_retry_call_at_once_without_sleeping() {
    let (b, clock) = breaker(BreakerConfig::default().with_consecutive_failures(1));
    trip(&b);
    clock.advance(10 * SEC);
    let slept = RefCell::new(Vec::new());
    let mut ran = 0;
    let err = policy(3)
        .call_with(BreakerGuard::new(&b), |_| {
            ran += 1;
            Ok::<_, &str>(())
        })
        .sleeper(|d| slept.borrow_mut().push(d))
        .clock(clock.clone())
        .run()
        .unwrap_err();
    assert_eq!(
        err.reason(),
        StopReason::CircuitOpen {
            next_probe_in: Some(20 * SEC)
        }
    );
    assert_eq!((ran, err.attempts(), err.last_error()), (0, 0, None));
    assert!(slept.borrow().is_empty(), "no sleep: {:?}", slept.borrow());
    assert_eq!(
        err.to_string(),
        "circuit open, next probe in 20.0 s after 0 attempts"
    );
}

#[test]
fn breaker_opening_mid_call_stops_before_the_next_sleep() {
    let (b, clock) = breaker(BreakerConfig::default().with_consecutive_failures(2));
    let mut slept = Vec::new();
    let mut n = 0;
    let err = policy(5)
        .call_with(BreakerGuard::new(&b), |_| {
            n += 1;
            Err::<(), _>(format!("503 #{n}"))
        })
        .sleeper(|d| {
            slept.push(d);
            clock.advance(d);
        })
        .run()
        .unwrap_err();
    assert_eq!(slept, [SEC], "only the sleep before the second attempt");
    assert_eq!(err.attempts(), 2);
    assert_eq!(err.last_error().map(String::as_str), Some("503 #2"));
    assert_eq!(
        err.reason(),
        StopReason::CircuitOpen {
            next_probe_in: Some(30 * SEC)
        }
    );
}

#[test]
fn breaker_opens_after_failing_retried_calls_and_later_calls_do_not_run() {
    // Default rule: 5 failures within 60 s.
    let (b, clock) = breaker(BreakerConfig::default());
    let mut runs = 0;
    let call = |runs: &mut u32| {
        policy(3)
            .call_with(b.guard(), |_| {
                *runs += 1;
                Err::<(), _>("timeout")
            })
            .sleeper(|d| clock.advance(d))
            .run()
            .unwrap_err()
    };
    let first = call(&mut runs);
    assert_eq!(first.reason(), StopReason::Exhausted);
    assert_eq!(b.state(), CircuitState::Closed);
    let second = call(&mut runs);
    assert_eq!(second.attempts(), 2, "the fifth failure opened it");
    assert!(matches!(second.reason(), StopReason::CircuitOpen { .. }));
    assert_eq!(b.state(), CircuitState::Open);
    assert_eq!(runs, 5);

    for _ in 0..3 {
        let later = call(&mut runs);
        assert_eq!(later.attempts(), 0);
        assert!(matches!(later.reason(), StopReason::CircuitOpen { .. }));
    }
    assert_eq!(runs, 5, "rejected calls never ran the operation");
}

#[test]
fn half_open_probe_through_a_retry_call_closes_the_breaker() {
    let (b, clock) = breaker(BreakerConfig::default().with_consecutive_failures(1));
    trip(&b);
    clock.advance(30 * SEC);
    let mut was_probe = false;
    let result = policy(3)
        .call_with(BreakerGuard::new(&b), |guard| {
            was_probe = guard.is_probe();
            Ok::<_, &str>("uploaded")
        })
        .run();
    assert_eq!(result, Ok("uploaded"));
    assert!(was_probe);
    assert_eq!(b.state(), CircuitState::Closed);
}

#[test]
fn failed_probe_reopens_and_ends_the_call_without_sleeping() {
    let (b, clock) = breaker(BreakerConfig::default().with_consecutive_failures(1));
    trip(&b);
    clock.advance(30 * SEC);
    let mut slept = Vec::new();
    let err = policy(3)
        .call_with(b.guard(), |_| Err::<(), _>("still down"))
        .sleeper(|d| slept.push(d))
        .run()
        .unwrap_err();
    assert_eq!(b.state(), CircuitState::Open);
    assert_eq!((err.attempts(), err.last_error()), (1, Some(&"still down")));
    assert!(matches!(err.reason(), StopReason::CircuitOpen { .. }));
    assert!(slept.is_empty());
    assert_eq!(b.snapshot().probes_in_flight, 0);
}

#[test]
fn retry_delay_past_the_open_time_sleeps_then_probes() {
    let config = BreakerConfig::default()
        .with_consecutive_failures(2)
        .with_open_duration(SEC);
    let (b, clock) = breaker(config);
    let policy = RetryPolicy::builder()
        .with_max_attempts(4)
        .with_base_delay(2 * SEC)
        .build();
    let mut n = 0;
    let mut probed = false;
    let result = policy
        .call_with(b.guard(), |guard| {
            n += 1;
            probed |= guard.is_probe();
            if n < 3 {
                Err("flaky")
            } else {
                Ok(n)
            }
        })
        .sleeper(|d| clock.advance(d))
        .run();
    assert_eq!(result, Ok(3));
    assert!(probed, "the third attempt was the half-open probe");
    assert_eq!(b.state(), CircuitState::Closed);
}

#[test]
fn fatal_verdict_does_not_count_as_a_breaker_failure_by_default() {
    let (b, _clock) = breaker(BreakerConfig::default().with_consecutive_failures(1));
    for _ in 0..3 {
        let err = policy(3)
            .call_with(b.guard(), |_| Err::<(), u16>(404))
            .when(|status| *status >= 500)
            .run()
            .unwrap_err();
        assert_eq!(err.reason(), StopReason::Fatal);
    }
    assert_eq!(b.state(), CircuitState::Closed);
    assert_eq!(b.snapshot().failures_in_window, 0);
}

#[test]
fn fatal_verdict_counts_as_a_failure_when_configured() {
    let (b, _clock) = breaker(BreakerConfig::default().with_consecutive_failures(1));
    let counts = VerdictCounts::DEFAULT.with_fatal(CountAs::Failure);
    let _ = policy(3)
        .call_with(b.guard().with_counts(counts), |_| Err::<(), u16>(501))
        .classify(|_: &Result<(), u16>| Verdict::Fatal)
        .run();
    assert_eq!(b.state(), CircuitState::Open);
}

#[test]
fn retry_verdict_counted_as_nothing_leaves_the_breaker_alone() {
    let (b, clock) = breaker(BreakerConfig::default().with_consecutive_failures(1));
    trip(&b);
    clock.advance(30 * SEC);
    let counts = VerdictCounts::DEFAULT.with_retry(CountAs::Nothing);
    let err = policy(1)
        .call_with(b.guard().with_counts(counts), |_| Err::<(), _>("429"))
        .run()
        .unwrap_err();
    assert_eq!(err.reason(), StopReason::Exhausted);
    let snap = b.snapshot();
    assert_eq!(snap.state, CircuitState::HalfOpen, "no outcome recorded");
    assert_eq!(snap.probes_in_flight, 0, "the probe slot was freed");
}

#[test]
fn slow_attempts_count_for_the_slow_call_rule() {
    let config = BreakerConfig::default()
        .without_failure_threshold()
        .with_slow_call_rate(1.0)
        .with_slow_call_duration(SEC)
        .with_min_calls(2);
    let (b, clock) = breaker(config);
    for _ in 0..2 {
        let result = policy(3)
            .call_with(b.guard(), |_| {
                clock.advance(2 * SEC); // the attempt takes 2 s
                Ok::<_, &str>(())
            })
            .run();
        assert!(result.is_ok());
    }
    assert_eq!(b.state(), CircuitState::Open, "two slow successes trip it");
}

#[test]
fn panicking_operation_frees_the_probe_slot() {
    let (b, clock) = breaker(BreakerConfig::default().with_consecutive_failures(1));
    trip(&b);
    clock.advance(30 * SEC);
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        policy(3)
            .call_with(b.guard(), |_| -> Result<(), &str> {
                panic!("bug in the operation")
            })
            .run()
    }));
    assert!(caught.is_err());
    assert_eq!(b.snapshot().probes_in_flight, 0);
    assert!(b.try_acquire().expect("the slot is free").is_probe());
}

#[test]
fn registry_key_guards_share_one_breaker_per_key() {
    let clock = ManualClock::new();
    let registry = BreakerRegistry::<String>::with_clock(
        BreakerConfig::default().with_consecutive_failures(2),
        Arc::new(clock.clone()),
    )
    .unwrap();
    let other_caller = registry.clone();
    let err = policy(2)
        .call_with(registry.guard("azure"), |_| Err::<(), _>("reset"))
        .sleeper(|d| clock.advance(d))
        .run()
        .unwrap_err();
    assert_eq!(err.reason(), StopReason::Exhausted);
    assert_eq!(other_caller.get("azure").state(), CircuitState::Open);

    let mut ran = false;
    let err = other_caller
        .retry("azure", &policy(2), || {
            ran = true;
            Ok::<_, &str>(())
        })
        .unwrap_err();
    assert!(!ran);
    assert_eq!(err.attempts(), 0);
    assert_eq!(registry.retry("s3", &policy(2), || Ok::<_, &str>(7)), Ok(7));
    assert_eq!(registry.get("s3").state(), CircuitState::Closed);
}

#[test]
fn isolated_breaker_stops_the_call_with_no_probe_time() {
    let (b, _clock) = breaker(BreakerConfig::default());
    b.isolate();
    let err = b.retry(&policy(3), || Ok::<_, &str>(())).unwrap_err();
    assert_eq!(
        err.reason(),
        StopReason::CircuitOpen {
            next_probe_in: None
        }
    );
}
