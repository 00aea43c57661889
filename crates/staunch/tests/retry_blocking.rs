//! The blocking executor against the rules of retry, on fake time.

use std::cell::RefCell;
use std::time::Duration;

use staunch::backoff::{Jitter, Schedule};
use staunch::clock::ManualClock;
use staunch::retry::{RetryError, RetryPolicy, StopReason, Verdict};

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// Runs `op` under `policy` on a manual clock; returns the result and the
/// delays slept (each sleep advances the clock).
fn run_recorded<T, E: std::fmt::Display>(
    policy: &RetryPolicy,
    clock: &ManualClock,
    op: impl FnMut() -> Result<T, E>,
) -> (Result<T, RetryError<E>>, Vec<Duration>) {
    let slept = RefCell::new(Vec::new());
    let result = policy
        .call(op)
        .sleeper(|d: Duration| {
            slept.borrow_mut().push(d);
            clock.advance(d);
        })
        .clock(clock.clone())
        .run();
    (result, slept.into_inner())
}

fn always_failing(policy: &RetryPolicy) -> (RetryError<&'static str>, Vec<Duration>) {
    let (result, slept) = run_recorded(policy, &ManualClock::new(), || Err::<(), _>("down"));
    (result.unwrap_err(), slept)
}

#[test]
fn default_delays_are_one_two_four_seconds() {
    let policy = RetryPolicy::builder().with_max_attempts(4).build();
    let (_, slept) = always_failing(&policy);
    assert_eq!(slept, [secs(1.0), secs(2.0), secs(4.0)]);
}

#[test]
fn linear_delays_are_two_four_six_seconds() {
    let policy = RetryPolicy::builder()
        .with_max_attempts(4)
        .with_schedule(Schedule::linear(secs(2.0)))
        .build();
    let (_, slept) = always_failing(&policy);
    assert_eq!(slept, [secs(2.0), secs(4.0), secs(6.0)]);
}

#[test]
fn cap_holds_after_jitter() {
    for jitter in [Jitter::Full, Jitter::Equal, Jitter::Proportional(0.2)] {
        for seed in 0..50 {
            let policy = RetryPolicy::builder()
                .with_max_attempts(8)
                .with_jitter(jitter)
                .with_max_delay(secs(5.0))
                .with_rng_seed(seed)
                .build();
            let (_, slept) = always_failing(&policy);
            assert!(
                slept.iter().all(|d| *d <= secs(5.0)),
                "{jitter:?}: {slept:?}"
            );
        }
    }
}

#[test]
fn proportional_jitter_stays_within_twenty_percent() {
    for seed in 0..100 {
        let policy = RetryPolicy::builder()
            .with_max_attempts(4)
            .with_jitter(Jitter::Proportional(0.2))
            .with_rng_seed(seed)
            .build();
        let (_, slept) = always_failing(&policy);
        for (d, nominal) in slept.iter().zip([1.0, 2.0, 4.0]) {
            let s = d.as_secs_f64();
            assert!(
                s >= nominal * 0.8 - 1e-9 && s <= nominal * 1.2 + 1e-9,
                "{s} vs {nominal}"
            );
        }
    }
}

#[test]
fn max_attempts_counts_the_first_attempt() {
    for max in [1, 2, 5] {
        let policy = RetryPolicy::builder().with_max_attempts(max).build();
        let mut calls = 0;
        let (result, slept) = run_recorded(&policy, &ManualClock::new(), || {
            calls += 1;
            Err::<(), _>("down")
        });
        let err = result.unwrap_err();
        assert_eq!(calls, max);
        assert_eq!(err.attempts(), max);
        assert_eq!(slept.len(), usize::try_from(max - 1).unwrap());
        assert_eq!(err.reason(), StopReason::Exhausted);
    }
}

#[test]
fn success_after_failures_returns_the_value() {
    let mut calls = 0;
    let (result, slept) = run_recorded(&RetryPolicy::default(), &ManualClock::new(), || {
        calls += 1;
        if calls < 3 {
            Err("flaky")
        } else {
            Ok("payload")
        }
    });
    assert_eq!(result, Ok("payload"));
    assert_eq!(slept, [secs(1.0), secs(2.0)]);
}

#[test]
fn fatal_errors_stop_at_once() {
    let clock = ManualClock::new();
    let mut calls = 0;
    let slept = RefCell::new(Vec::new());
    let err = RetryPolicy::default()
        .call(|| {
            calls += 1;
            Err::<(), _>(404)
        })
        .when(|status| *status >= 500)
        .sleeper(|d: Duration| slept.borrow_mut().push(d))
        .clock(clock)
        .run()
        .unwrap_err();
    assert_eq!(calls, 1);
    assert!(slept.borrow().is_empty());
    assert_eq!(err.reason(), StopReason::Fatal);
    assert_eq!(err.into_last_error(), Some(404));
}

#[test]
fn deadline_stops_before_an_over_long_sleep() {
    let clock = ManualClock::new();
    let policy = RetryPolicy::builder()
        .with_max_attempts(10)
        .with_deadline(secs(10.0))
        .build();
    let mut calls = 0;
    let (result, slept) = run_recorded(&policy, &clock, || {
        calls += 1;
        clock.advance(secs(0.5)); // each attempt takes half a second
        Err::<(), _>(format!("failure {calls}"))
    });
    let err = result.unwrap_err();
    // Attempts end at 0.5, 2, 4.5, 9; sleeps 1, 2, 4 fit; 8 s from 9 s does not.
    assert_eq!(slept, [secs(1.0), secs(2.0), secs(4.0)]);
    assert_eq!(err.reason(), StopReason::Deadline);
    assert_eq!(err.attempts(), 4);
    assert_eq!(err.last_error().map(String::as_str), Some("failure 4"));
    assert_eq!(
        clock.elapsed(),
        secs(9.0),
        "failed at once, without sleeping"
    );
}

#[test]
fn retry_after_raises_the_delay_and_is_capped() {
    let policy = RetryPolicy::builder()
        .with_max_attempts(3)
        .with_max_retry_after(secs(20.0))
        .build();
    // The error carries the server's hint in seconds.
    let mut hints = [7u64, 300].into_iter();
    let clock = ManualClock::new();
    let slept = RefCell::new(Vec::new());
    let _ = policy
        .call(|| Err::<(), _>(hints.next().unwrap_or(0)))
        .classify(|r: &Result<(), u64>| match r {
            Err(hint) => Verdict::retry_after(Duration::from_secs(*hint)),
            Ok(()) => Verdict::Success,
        })
        .sleeper(|d: Duration| slept.borrow_mut().push(d))
        .clock(clock)
        .run();
    assert_eq!(*slept.borrow(), [secs(7.0), secs(20.0)]);
}

#[test]
fn retry_after_past_the_deadline_fails_fast() {
    let policy = RetryPolicy::builder().with_deadline(secs(30.0)).build();
    let clock = ManualClock::new();
    let slept = RefCell::new(Vec::new());
    let err = policy
        .call(|| Err::<(), _>("429"))
        .classify(|_: &Result<(), &str>| Verdict::retry_after(secs(120.0)))
        .sleeper(|d: Duration| slept.borrow_mut().push(d))
        .clock(clock.clone())
        .run()
        .unwrap_err();
    assert_eq!(err.reason(), StopReason::Deadline);
    assert_eq!(err.attempts(), 1);
    assert!(slept.borrow().is_empty());
}

#[test]
fn give_up_error_explains_itself() {
    let (err, _) = always_failing(&RetryPolicy::default());
    assert_eq!(err.to_string(), "retries exhausted after 3 attempts: down");
}
